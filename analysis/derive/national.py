"""The authority beside England, its region and its statistical neighbours, from the DfE "Education, health and care
plans" release as published on Explore Education Statistics (`ingest.national`).

Measures (the "All ..." rows of each file, no breakdown): requests for an EHC needs assessment in the calendar year
(`requests_received_in_year`), EHC needs assessments (`assess_in_year`, published from 2022), EHC plans in January
(`ehcplans`; the academic year 2024/25 is the January 2025 count) and the share of new plans issued within the
statutory 20 weeks, excluding the cases where an exception applies (`plans_issued_20_weeks_ex` of
`plans_issued_den_ex`, DfE's headline measure). A published symbol is missing, never zero.

The funnel places every authority's 20-week share of the latest year around England's share, with the limits,
overdispersion check and flags of `stats.funnel` (method `auto`: exact limits, widened by a random effect when
authorities vary more than chance allows). The authority is one comparison, so its flag needs no correction for
multiplicity; the other authorities' flags are a screen, as the 95% limits always are.

The tables are published statistics about all children in each area, not counts from the extract: they are not
registered with the attacker. So that the site's disclosure gate still holds everywhere, `for_publication` writes
the suppression symbol over any count from 1 to below the run's threshold and the values that would give it back.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from analysis.errors import UserError
from analysis.ingest.national import EesFile, NationalRelease
from analysis.privacy import disclosure

SOURCE = (
    'Department for Education (2025), "Education, health and care plans", reporting year 2025, '
    "Explore Education Statistics (https://explore-education-statistics.service.gov.uk/find-statistics/"
    "education-health-and-care-plans)"
)
LICENCE = "Contains public sector information licensed under the Open Government Licence v3.0."
SERIES_BREAK = (
    "The EHC plans series breaks in 2023, when the SEN2 return changed from counts each authority added up to one "
    "record per child or young person (person-level SEN2): figures from 2023 onwards are not fully comparable with "
    "earlier years, and some items, such as the number of assessments, exist only in the newer form."
)
BREAK_YEAR = 2023

REQ, ASSESS, PLANS, TIMELY = (
    "EHC needs assessment requests",
    "EHC needs assessments",
    "EHC plans (January)",
    "Plans issued within 20 weeks (%)",
)
MEASURES = {  # label -> (file kind, numerator, denominator or None)
    REQ: ("requests", "requests_received_in_year", None),
    ASSESS: ("assessments", "assess_in_year", None),
    PLANS: ("caseload", "ehcplans", None),
    TIMELY: ("timeliness", "plans_issued_20_weeks_ex", "plans_issued_den_ex"),
}
COUNTS = (REQ, ASSESS, PLANS)
POSITION = {
    "within": "within the 95% limits",
    "high (95%)": "above the 95% limit",
    "high (99.8%)": "above the 99.8% limit",
    "low (95%)": "below the 95% limit",
    "low (99.8%)": "below the 99.8% limit",
}
AUTHORITY, REGION, ENGLAND, NEIGHBOURS, NEIGHBOUR = "Authority", "Region", "England", "Neighbours", "Neighbour"
FUNNEL_N, FUNNEL_R, FUNNEL_P = "Plans issued (excluding exceptions)", "Issued within 20 weeks", "Within 20 weeks (%)"
LIMITS = {"lower_998": "Lower 99.8% limit", "lower_95": "Lower 95% limit", "upper_95": "Upper 95% limit",
          "upper_998": "Upper 99.8% limit"}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class NationalContext:
    """What the national chapter states: plain values, so that the study saves it as JSON."""

    la_code: str  # as given in the parameters
    la_name: str
    old_la_code: str
    new_la_code: str
    region: str
    latest_year: int | None  # the latest calendar year of requests
    requests: int | None
    england_requests: int | None
    region_requests: int | None
    plans_year: int | None  # the January of the latest count of plans
    plans: int | None
    england_plans: int | None
    timeliness_year: int | None
    timeliness: float | None  # proportion of plans issued within 20 weeks (excluding exceptions)
    england_timeliness: float | None
    funnel_flag: str | None  # `stats.funnel` flag, or None when the authority is not on the funnel
    funnel_position: str  # in words: "within the 95% limits", "above the 99.8% limit", or why it is not placed
    funnel_authorities: int  # authorities on the funnel
    funnel_not_placed: list[str]
    funnel_method: str
    funnel_target: float | None
    funnel_overdispersed: bool  # authorities vary more than chance allows: the limits include that variation
    neighbours_found: list[str]
    neighbours_missing: list[str]
    series_break: str
    break_year: int
    source: str
    licence: str
    files: list[str]
    symbols: dict[str, int]  # the symbols met in the files (x, z, c, ...) and how many cells held each


def totals(f: EesFile) -> pd.DataFrame:
    """The rows without a breakdown ("All requests ...", "Total" or none), keys and measures side by side."""
    k = f.keys
    topic, brk = k["breakdown_topic"].str.casefold(), k["breakdown"].str.casefold()
    keep = (topic == brk) | brk.isin(["", "total"])
    return f.frame()[keep.to_numpy()].reset_index(drop=True)


@dataclasses.dataclass(frozen=True)
class _Area:
    name: str
    old: str
    new: str
    region: str


def _find(release: NationalRelease, code: str) -> _Area | None:
    """An authority by its old or new code, named as in the latest file that has it."""
    column = "new_la_code" if code.upper().startswith("E") else "old_la_code"
    for f in release.files.values():
        k = f.keys
        rows = k[(k["geographic_level"] == "Local authority") & (k[column] == code.strip().upper())]
        if len(rows):
            last = rows.sort_values("year").iloc[-1]
            return _Area(last["la_name"], last["old_la_code"], last["new_la_code"], last["region_name"])
    return None


def _match(t: pd.DataFrame, area: _Area) -> pd.Series:
    la = t["geographic_level"] == "Local authority"
    old = (t["old_la_code"] == area.old) & (area.old != "")
    new = (t["new_la_code"] == area.new) & (area.new != "")
    return la & (old | new)


def _value(t: pd.DataFrame, num: str, den: str | None) -> pd.Series:
    if den is None:
        return t[num]
    n = t[den].where(t[den] > 0)
    return t[num] / n


def _series(release: NationalRelease, area: _Area, neighbours: list[_Area]) -> pd.DataFrame:
    """Long form: year, area type, area, measure, value (NaN where published as a symbol)."""
    parts = []
    for label, (kind, num, den) in MEASURES.items():
        f = release.get(kind)
        if f is None or num not in f.values.columns or (den and den not in f.values.columns):
            continue
        t = totals(f)
        v = _value(t, num, den)
        picks = {
            (AUTHORITY, area.name): _match(t, area),
            (REGION, area.region): (t["geographic_level"] == "Regional") & (t["region_name"] == area.region),
            (ENGLAND, "England"): t["geographic_level"] == "National",
        }
        for (kind_of, name), rows in picks.items():
            parts.append(pd.DataFrame({"year": t.loc[rows, "year"], "type": kind_of, "area": name,
                                       "measure": label, "value": v[rows]}))  # fmt: skip
        if neighbours:
            rows = np.logical_or.reduce([_match(t, n) for n in neighbours])
            mean = v[rows].groupby(t.loc[rows, "year"]).mean()
            name = f"Statistical neighbours (average of {len(neighbours)})"
            parts.append(pd.DataFrame({"year": mean.index, "type": NEIGHBOURS, "area": name, "measure": label,
                                       "value": mean.to_numpy()}))  # fmt: skip
    if not parts:
        raise UserError("national_data: none of the EHC plans files (requests, assessments, caseload, timeliness).")
    return pd.concat(parts, ignore_index=True)


def trend_table(long: pd.DataFrame) -> pd.DataFrame:
    """Year x area, one column per measure."""
    wide = long.pivot_table(index=["year", "type", "area"], columns="measure", values="value", aggfunc="first")
    order = {AUTHORITY: 0, REGION: 1, ENGLAND: 2, NEIGHBOURS: 3}
    wide = wide.reindex(columns=[m for m in MEASURES if m in wide.columns]).reset_index()
    wide = wide.sort_values(["year", "type"], key=lambda s: s.map(order) if s.name == "type" else s)
    wide.columns.name = None
    out = wide.rename(columns={"year": "Year", "type": "Area type", "area": "Area"}).reset_index(drop=True)
    out["Year"] = out["Year"].astype(int)
    return out


def _latest(release: NationalRelease, kind: str) -> tuple[pd.DataFrame, int | None]:
    """A file's rows without a breakdown in its latest year, with that year (None when the file is absent)."""
    f = release.get(kind)
    if f is None:
        return pd.DataFrame(), None
    t = totals(f)
    if t.empty:
        return t, None
    year = int(t["year"].max())
    return t[t["year"] == year].reset_index(drop=True), year


def _symbol(f: EesFile, rows: pd.Series, column: str) -> str | None:
    """The symbol published in place of a value (x, z, c, ...), for the latest table."""
    syms = f.symbols.loc[rows, column].dropna() if column in f.symbols.columns else pd.Series(dtype=str)
    return str(syms.iloc[0]) if len(syms) else None


def latest_table(release: NationalRelease, area: _Area, neighbours: list[_Area]) -> pd.DataFrame:
    """One row per area in each measure's latest year; a value published as a symbol shows the symbol."""
    rows = [(AUTHORITY, area), (REGION, None), (ENGLAND, None)] + [(NEIGHBOUR, n) for n in neighbours]
    out = pd.DataFrame({"Area": [area.name, area.region, "England", *[n.name for n in neighbours]],
                        "Area type": [r[0] for r in rows]})  # fmt: skip
    for label, (kind, num, den) in MEASURES.items():
        f = release.get(kind)
        t, year = _latest(release, kind)
        if f is None or t.empty or num not in t.columns:
            continue
        v = _value(t, num, den)
        where = {REGION: (t["geographic_level"] == "Regional") & (t["region_name"] == area.region),
                 ENGLAND: t["geographic_level"] == "National"}  # fmt: skip
        cells = []
        for kind_of, a in rows:
            pick = _match(t, a) if a is not None else where[kind_of]
            cells.append(_cell(f, t, v, pick, num if den is None else None))
        when = f"January {year}" if kind == "caseload" else str(year)
        out[label.replace("(January)", f"({when})") if kind == "caseload" else f"{label}, {when}"] = cells
    return out


def _cell(f: EesFile, t: pd.DataFrame, v: pd.Series, pick: pd.Series, num: str | None):
    """A value, or the symbol the file published instead of a count (`num`; a share has no one symbol), or None
    when the area is not in the file."""
    if not pick.any():
        return None
    value = v[pick].iloc[0]
    if pd.notna(value) or num is None:
        return float(value) if pd.notna(value) else None
    keys = f.keys
    row = t[pick].iloc[0]
    same = (keys["year"] == row["year"]) & (keys["geographic_level"] == row["geographic_level"])
    same &= (keys["old_la_code"] == row["old_la_code"]) & (keys["new_la_code"] == row["new_la_code"])
    same &= (keys["region_name"] == row["region_name"]) & (keys["breakdown"] == row["breakdown"])
    return _symbol(f, same, num)


@dataclasses.dataclass(frozen=True)
class Funnel:
    table: pd.DataFrame
    year: int | None
    target: float | None
    method: str
    placed: int
    not_placed: list[str]
    overdispersed: bool = False


def funnel_table(release: NationalRelease, area: _Area) -> Funnel:
    """Every authority's share of plans issued within 20 weeks (excluding exceptions) in the latest year, against
    England's share with `stats.funnel` limits; an authority without a usable count is listed with the reason."""
    from analysis.stats import funnel  # scipy: loaded when there are national data, not by every build

    t, year = _latest(release, "timeliness")
    _, num, den = MEASURES[TIMELY]
    if t.empty or num not in t.columns or den not in t.columns:
        return Funnel(pd.DataFrame(), None, None, "", 0, [])
    la = t[t["geographic_level"] == "Local authority"].reset_index(drop=True)
    r, n = la[num].to_numpy(float), la[den].to_numpy(float)
    ok = np.isfinite(r) & np.isfinite(n) & (n > 0) & (r >= 0) & (r <= n)
    if not ok.any():
        return Funnel(pd.DataFrame(), year, None, "", 0, la["la_name"].tolist())
    england = t[t["geographic_level"] == "National"]
    target = (
        float(england[num].iloc[0] / england[den].iloc[0])
        if len(england) and england[den].iloc[0] > 0 and pd.notna(england[num].iloc[0])
        else float(r[ok].sum() / n[ok].sum())
    )
    disp = funnel.overdispersion(r[ok], n[ok], target)
    method = funnel.choose_method("auto", disp.overdispersed, bool(np.all(n[ok] == np.round(n[ok]))), n[ok].max())
    lim = funnel.limits(n[ok], target, method, tau2=disp.tau2, phi=disp.phi).reset_index(drop=True)
    flags = np.full(len(la), None, dtype=object)
    flags[ok] = funnel.classify(r[ok] / n[ok], lim)
    out = pd.DataFrame({
        "Authority": la["la_name"], "Code (DfE)": la["old_la_code"], "Code (GSS)": la["new_la_code"],
        "Region": la["region_name"], FUNNEL_N: n, FUNNEL_R: r,
        FUNNEL_P: np.where(ok, r / np.where(n > 0, n, 1), np.nan),
    })  # fmt: skip
    for col, label in LIMITS.items():
        out[label] = np.nan
        out.loc[ok, label] = lim[col].to_numpy()
    out["Flag"] = flags
    out["Position"] = [POSITION.get(f, _why_not(r_, n_)) for f, r_, n_ in zip(flags, r, n)]
    out["This authority"] = np.where(_match(la, area).to_numpy(), "Yes", "")
    not_placed = la.loc[~ok, "la_name"].tolist()
    return Funnel(out, year, target, funnel.METHOD_LABEL[method], int(ok.sum()), not_placed, disp.overdispersed)


def _why_not(r: float, n: float) -> str:
    if not np.isfinite(n):
        return "not placed: the number of plans issued was not published"
    if n == 0:
        return "not placed: no plans issued without an exception"
    if not np.isfinite(r):
        return "not placed: the number issued within 20 weeks was not published"
    return "not placed: the published counts do not agree"


def _at(long: pd.DataFrame, kind: str, measure: str, year: int | None) -> float | None:
    rows = long[(long["type"] == kind) & (long["measure"] == measure) & (long["year"] == year)]["value"].dropna()
    return float(rows.iloc[0]) if len(rows) else None


def _count(value: float | None) -> int | None:
    return None if value is None else int(round(value))


def _last_year(long: pd.DataFrame, measure: str) -> int | None:
    years = long.loc[(long["measure"] == measure) & (long["type"] == ENGLAND), "year"]
    return int(years.max()) if len(years) else None


def national_context(
    release: NationalRelease, la_code: str, neighbours: tuple[str, ...] | list[str] = ()
) -> tuple[NationalContext, dict[str, pd.DataFrame]]:
    """The authority (by its old three-digit or new GSS code) beside England, its region and its statistical
    neighbours: what the chapter states, and the tables `national_trend`, `national_latest` and `national_funnel`."""
    area = _find(release, la_code)
    if area is None:
        files = ", ".join(f.path.name for f in release.files.values())
        raise UserError(
            f"national_data: la_code '{la_code}' is not an authority in {files}; give the authority's three-digit DfE "
            "code (e.g. 931) or its GSS code (e.g. E10000025) as published."
        )
    found, missing = _neighbours(release, area, neighbours)
    long = _series(release, area, found)
    fun = funnel_table(release, area)
    year, plans_year = _last_year(long, REQ), _last_year(long, PLANS)
    timely_year = _last_year(long, TIMELY)
    mine = fun.table[fun.table["This authority"] == "Yes"] if len(fun.table) else fun.table
    flag = mine["Flag"].iloc[0] if len(mine) else None
    position = mine["Position"].iloc[0] if len(mine) else "not placed: the authority is not in the timeliness file"
    ctx = NationalContext(
        la_code=la_code,
        la_name=area.name,
        old_la_code=area.old,
        new_la_code=area.new,
        region=area.region,
        latest_year=year,
        requests=_count(_at(long, AUTHORITY, REQ, year)),
        england_requests=_count(_at(long, ENGLAND, REQ, year)),
        region_requests=_count(_at(long, REGION, REQ, year)),
        plans_year=plans_year,
        plans=_count(_at(long, AUTHORITY, PLANS, plans_year)),
        england_plans=_count(_at(long, ENGLAND, PLANS, plans_year)),
        timeliness_year=timely_year,
        timeliness=_at(long, AUTHORITY, TIMELY, timely_year),
        england_timeliness=_at(long, ENGLAND, TIMELY, timely_year),
        funnel_flag=flag,
        funnel_position=position,
        funnel_authorities=fun.placed,
        funnel_not_placed=fun.not_placed,
        funnel_method=fun.method,
        funnel_target=fun.target,
        funnel_overdispersed=fun.overdispersed,
        neighbours_found=[n.name for n in found],
        neighbours_missing=missing,
        series_break=SERIES_BREAK,
        break_year=BREAK_YEAR,
        source=SOURCE,
        licence=LICENCE,
        files=sorted(f.path.name for f in release.files.values()),
        symbols=_symbols(release),
    )
    tables = {
        "national_trend": trend_table(long),
        "national_latest": latest_table(release, area, found),
        "national_funnel": fun.table,
    }
    return ctx, tables


def _neighbours(release: NationalRelease, area: _Area, codes) -> tuple[list[_Area], list[str]]:
    """The neighbours found in the files (the authority itself left out) and the codes not found."""
    found, missing = [], []
    for code in dict.fromkeys(str(c).strip() for c in codes):
        n = _find(release, code)
        if n is None:
            missing.append(code)
        elif n != area and n not in found:
            found.append(n)
    return found, missing


def _symbols(release: NationalRelease) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in release.files.values():
        for sym, k in f.symbols.stack().value_counts().items():
            counts[str(sym)] = counts.get(str(sym), 0) + int(k)
    return dict(sorted(counts.items()))


def for_publication(tables: dict[str, pd.DataFrame], threshold: int) -> dict[str, pd.DataFrame]:
    """The national tables with every count from 1 to below `threshold`, and what would give it back, written as
    the suppression symbol (published figures, but the site's gate holds for every table it serves): in the funnel
    a small count, or a small difference between the two counts, hides the count, the share and the limits beside
    them (the gate reads any bound beside a hidden count as a share that may give it back)."""
    out = dict(tables)
    for name in ("national_trend", "national_latest"):
        t = tables.get(name)
        if t is None or t.empty:
            continue
        for col in [c for c in t.columns if c.startswith(COUNTS)]:
            out[name] = t = disclosure.primary(t, col, threshold)
    f = tables.get("national_funnel")
    if f is not None and not f.empty:
        n, r = pd.to_numeric(f[FUNNEL_N], errors="coerce"), pd.to_numeric(f[FUNNEL_R], errors="coerce")
        small_n = n.between(1, threshold - 1).to_numpy(bool)
        small_r = (r.between(1, threshold - 1) | (n - r).between(1, threshold - 1)).to_numpy(bool)
        f = disclosure.hide_cells(f, small_n, (FUNNEL_N,))
        out["national_funnel"] = disclosure.hide_cells(f, small_n | small_r, (FUNNEL_R, FUNNEL_P, *LIMITS.values()))
    return out
