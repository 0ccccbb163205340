"""Flags for many authorities: each authority's proportion against funnel limits, per measure, with false-discovery
control across every measure and authority, and the content of compare.json (figures withheld by disclosure control).

The limits, p-values, overdispersion check and interval-censored target are `stats.funnel`; this module knows about
authorities, the FOI return measures (`compare.returns`) and what is published about each authority.

A count an authority returned as `c` (1 to 5, `returns.SMALL`) is compared as an interval, not dropped: it counts in
the target and the overdispersion check, and the authority is flagged only if every count from 1 to 5 gives the
same flag (otherwise `UNDETERMINED`). A missing, not held or impossible figure, or a suppressed denominator (whose
authority cannot be placed on the funnel), is left out and counted by reason.

Multiplicity: an authority is reported outside the 99.8% limits only when it is outside them AND its p-value is a
discovery at false discovery rate `FDR_Q` (Benjamini-Hochberg) over every measure x authority compared; otherwise
it is shown as outside the 95% limits, which are not corrected (see `fdr_rule`). FDR rather than Bonferroni for
comparing providers on funnel plots: Jones, Ohlssen & Spiegelhalter, J Clin Epidemiol 2008;61:232-40.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from analysis.compare.returns import COMPARISONS, LABELS, SMALL
from analysis.privacy import disclosure
from analysis.stats.funnel import (
    FLAGS,
    LEVELS,
    LIMIT_COLUMNS,
    METHOD_LABEL,
    UNDETERMINED,
    Dispersion,
    benjamini_hochberg,
    censored_target,
    choose_method,
    classify,
    classify_interval,
    interval_p_values,
    limits,
    overdispersion,
    p_values,
    z_scores,
)
from analysis.stats.proportions import wilson

ALL_FLAGS = (*FLAGS, UNDETERMINED)
OUTSIDE = {"99.8%": ("high (99.8%)", "low (99.8%)"), "95%": FLAGS[:2] + FLAGS[3:]}
SUPPRESSED_RANGE = (min(SMALL), max(SMALL))  # what `c` stands for in a return
FDR_Q = 0.05  # the conventional false discovery rate (Benjamini & Hochberg 1995); see `fdr_rule` for why


def fdr_rule(q: float, m: int) -> str:
    """The multiplicity rule in words, with its level and its reason, for compare.json and the book."""
    alarm, alert = 2 * (1 - LEVELS["99.8%"]), 2 * (1 - LEVELS["95%"])
    return (
        f"An authority is reported outside the 99.8% limits only when it lies outside them and is also a discovery "
        f"when the false discovery rate is controlled at q = {q:g} (Benjamini-Hochberg) across all {m:,} "
        f"comparisons of every measure and authority. Over so many comparisons the 99.8% limits alone would put "
        f"about {alarm * m:.1f} authority-measure pairs outside them by chance; a flag names an authority in public, "
        f"so the share of flags expected to be false alarms is held to at most {q:.0%}, the conventional level, "
        f"and if no authority truly differed the chance of any flag at all would be at most {q:.0%}. The 95% limits "
        f"are not corrected: they are a screen, and about {alert:.0%} of authorities lie outside them on any "
        f"measure by chance alone."
    )


@dataclasses.dataclass
class FunnelResult:
    """The outcome of `flag`: one row per unit compared, what was skipped, and how the limits were made."""

    numerator: str
    denominator: str
    table: pd.DataFrame  # id, name, counts and intervals, proportion, limits, z, p_value, flag_limits, q_value, flag
    skipped: pd.DataFrame  # id, name, reason (suppressed, missing, invalid)
    target: float
    target_source: str  # "pooled" (maximum likelihood with the suppressed counts as intervals) or "external"
    method: str  # the method used (never "auto")
    method_requested: str
    dispersion: Dispersion
    id_col: str = "la_code"
    name_col: str = "la_name"
    fdr_q: float | None = None  # the q the flags were controlled at (None: not controlled)
    fdr_family: int = 0  # how many p-values the control was over

    @property
    def skipped_counts(self) -> dict[str, int]:
        counts = self.skipped["reason"].value_counts()
        return {reason: int(counts.get(reason, 0)) for reason in ("suppressed", "missing", "invalid")}

    @property
    def censored(self) -> int:
        """How many units were compared with a suppressed numerator (as an interval)."""
        return int(self.table["censored"].sum())

    def outside(self, level: str = "99.8%", *, before_fdr: bool = False) -> pd.DataFrame:
        """Units outside the limits at `level` ("99.8%" or "95%"; 95% includes those outside 99.8%), after the
        false-discovery control unless `before_fdr`."""
        column = "flag_limits" if before_fdr else "flag"
        return self.table[self.table[column].isin(OUTSIDE[level])]

    def limits_at(self, n) -> pd.DataFrame:
        """The limits of this result's method at any denominators (for drawing the funnel)."""
        return limits(n, self.target, self.method, tau2=self.dispersion.tau2, phi=self.dispersion.phi)

    def summary(self) -> dict:
        """A JSON-ready summary (no unit-level rows)."""
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "target": self.target,
            "target_source": self.target_source,
            "method": self.method,
            "method_label": METHOD_LABEL[self.method],
            "method_requested": self.method_requested,
            "dispersion": self.dispersion.to_dict(),
            "compared": int(len(self.table)),
            "suppressed_compared": self.censored,
            "skipped": self.skipped_counts,
            "flags": {f: int((self.table["flag"] == f).sum()) for f in ALL_FLAGS},
            "flags_before_fdr": {f: int((self.table["flag_limits"] == f).sum()) for f in ALL_FLAGS},
            "fdr_q": self.fdr_q,
        }


def _status(table: pd.DataFrame, column: str, ids: pd.Series) -> pd.Series:
    """Why a cell is empty, from the status record `foi.read_returns` leaves in `table.attrs["status"]`."""
    record = table.attrs.get("status", {}).get(column, {})
    return ids.map(lambda i: record.get(i, "missing"))


def flag(
    table: pd.DataFrame,
    measure_num: str,
    measure_den: str,
    *,
    target: float | None = None,
    method: str = "auto",
    fdr_q: float | None = FDR_Q,
    id_col: str = "la_code",
    name_col: str = "la_name",
) -> FunnelResult:
    """Flag each unit (row) of `table` against funnel limits for the proportion `measure_num / measure_den`.

    A suppressed numerator (status "suppressed" in `table.attrs`) is compared as the interval `SUPPRESSED_RANGE`;
    rows whose numerator or denominator is missing, whose denominator is suppressed, or whose counts are impossible
    are skipped and counted by reason; nothing counts as zero. The target is the pooled (maximum-likelihood)
    proportion of the units compared unless `target` is given (e.g. the England rate). The false discovery rate
    is controlled at `fdr_q` over this measure's units (`compare` controls it over every measure instead).
    """
    for col in (measure_num, measure_den, id_col):
        if col not in table.columns:
            raise KeyError(f"the table has no column {col!r}")
    choose_method(method, False, True)  # refuses an unknown method before any work
    ids = table[id_col].astype(str)
    names = table[name_col] if name_col in table.columns else ids
    r = pd.to_numeric(table[measure_num], errors="coerce").astype(float)
    n = pd.to_numeric(table[measure_den], errors="coerce").astype(float)

    reason = _skip_reasons(table, ids, r, n, measure_num, measure_den)
    use = reason.isna() | (reason == "censored")
    left = ~use
    skipped = pd.DataFrame({id_col: ids[left], name_col: names[left], "reason": reason[left]}).reset_index(drop=True)
    if not use.any():
        raise ValueError(f"no unit has both {measure_num} and {measure_den} to compare")
    n_use, cens = n[use].to_numpy(), (reason[use] == "censored").to_numpy()
    r_lo = np.where(cens, SUPPRESSED_RANGE[0], r[use].to_numpy())
    r_hi = np.where(cens, np.minimum(SUPPRESSED_RANGE[1], n_use), r_lo)
    p0, source = (censored_target(r_lo, n_use, r_hi), "pooled") if target is None else (float(target), "external")
    disp = overdispersion(r_lo, n_use, p0, r_hi=r_hi)
    whole = bool(np.all(n_use == np.round(n_use)) and np.all(r_lo == np.round(r_lo)))
    used = choose_method(method, disp.overdispersed, whole, float(n_use.max()))
    out = _unit_table(ids[use], names[use], r_lo, r_hi, n_use, cens, (id_col, name_col))
    _assess(out, p0, used, disp)
    res = FunnelResult(
        measure_num, measure_den, out, skipped, p0, source, used, method, disp, id_col, name_col, None, len(out)
    )
    return control_fdr([res], fdr_q)[0] if fdr_q is not None else _uncontrolled(res)


def _assess(out: pd.DataFrame, p0: float, method: str, disp: Dispersion) -> None:
    """Add the limits, z, the two-sided p-value and the flag against the limits to the unit table, in place; an
    interval gets the flag every count in it shares and the largest p-value over it."""
    lim = limits(out["denominator"].to_numpy(), p0, method, tau2=disp.tau2, phi=disp.phi).reset_index(drop=True)
    for col in LIMIT_COLUMNS:
        out[col] = lim[col].to_numpy()
    n, lo, hi = (out[c].to_numpy(dtype=float) for c in ("denominator", "numerator_low", "numerator_high"))
    cens = out["censored"].to_numpy()
    out["z"] = np.where(cens, np.nan, z_scores(lo, n, p0))
    point = p_values(lo, n, p0, method, disp.tau2, disp.phi)
    interval = interval_p_values(lo, hi, n, p0, method, disp.tau2, disp.phi) if cens.any() else point
    out["p_value"] = np.where(cens, interval, point)
    out["flag_limits"] = np.where(cens, classify_interval(lo / n, hi / n, lim), classify(lo / n, lim))


def _uncontrolled(res: FunnelResult) -> FunnelResult:
    """Flags as the limits give them, with no multiplicity control (for a single comparison or a reference)."""
    res.table["q_value"] = np.nan
    res.table["discovery"] = np.nan  # no family, no discoveries
    res.table["flag"] = res.table["flag_limits"]
    res.fdr_q = None
    return res


def control_fdr(results, q: float = FDR_Q) -> list[FunnelResult]:
    """Benjamini-Hochberg at `q` over the p-values of every unit of every result together (one family); a unit
    outside the 99.8% limits that is not a discovery is shown as outside the 95% limits. The 95% flags are left
    as they are. Updates the results in place and returns them."""
    results = list(results)
    p = np.concatenate([r.table["p_value"].to_numpy(dtype=float) for r in results]) if results else np.zeros(0)
    reject, adjusted = benjamini_hochberg(p, q)
    at = 0
    for res in results:
        t, k = res.table, len(res.table)
        t["q_value"], t["discovery"] = adjusted[at : at + k], reject[at : at + k]
        at += k
        demote = t["flag_limits"].isin(OUTSIDE["99.8%"]) & ~t["discovery"]
        t["flag"] = t["flag_limits"].where(~demote, t["flag_limits"].str.replace("99.8%", "95%", regex=False))
        res.fdr_q, res.fdr_family = q, len(p)
    return results


def _skip_reasons(
    table: pd.DataFrame, ids: pd.Series, r: pd.Series, n: pd.Series, measure_num: str, measure_den: str
) -> pd.Series:
    """Why each row cannot be compared as it stands (NA where it can): an empty cell keeps the reason `read_returns`
    recorded (the denominator's first), impossible counts are "invalid", and a suppressed numerator over a usable
    denominator is "censored" (compared as an interval), so that nothing counts as zero."""
    reason = pd.Series(pd.NA, index=table.index, dtype="object")
    for col, values in ((measure_den, n), (measure_num, r)):
        empty = values.isna() & reason.isna()
        if empty.any():
            st = _status(table, col, ids[empty])
            reason[empty] = st.where(st.isin(["suppressed", "invalid"]), "missing")
    bad = reason.isna() & ((n <= 0) | (r < 0) | (r > n))
    reason[bad] = "invalid"
    censored = (reason == "suppressed") & r.isna() & n.notna()
    bad_den = censored & (n <= 0)
    reason[censored & ~bad_den] = "censored"
    reason[bad_den] = "invalid"
    return reason


def _unit_table(
    ids: pd.Series, names: pd.Series, r_lo: np.ndarray, r_hi: np.ndarray, n: np.ndarray, cens: np.ndarray, cols
) -> pd.DataFrame:
    """The units compared with their counts (an interval where suppressed), proportion and its Wilson interval
    (written out for non-integer counts; for an interval, from the bottom of its lowest to the top of its highest)."""
    id_col, name_col = cols
    ci = np.array([_ci(a, b) for a, b in zip(r_lo, n)]).reshape(-1, 2)
    ci_top = np.array([_ci(a, b)[1] for a, b in zip(r_hi, n)])
    return pd.DataFrame(
        {
            id_col: ids.to_numpy(),
            name_col: names.to_numpy(),
            "numerator": np.where(cens, np.nan, r_lo),
            "numerator_low": r_lo,
            "numerator_high": r_hi,
            "censored": cens,
            "denominator": n,
            "proportion": np.where(cens, np.nan, r_lo / n),
            "proportion_low": r_lo / n,
            "proportion_high": r_hi / n,
            "ci_low": ci[:, 0],
            "ci_high": np.where(cens, ci_top, ci[:, 1]),
        }
    )


def _ci(a: float, b: float) -> tuple[float, float]:
    return wilson(int(round(a)), int(round(b))) if a == round(a) and b == round(b) else _wilson_float(a, b)


def _wilson_float(r: float, n: float, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson interval for non-integer counts (e.g. weighted figures), written out."""
    z = stats.norm.ppf(1 - alpha / 2)
    p = r / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def compare(
    table: pd.DataFrame,
    *,
    measures: dict[str, str] | None = None,
    method: str = "auto",
    targets: dict[str, float] | None = None,
    fdr_q: float | None = FDR_Q,
) -> dict[str, FunnelResult]:
    """Funnel flags for each measure (numerator column -> denominator column; default `COMPARISONS`), the false
    discovery rate controlled at `fdr_q` over every measure and unit together. Measures no LA reported are left
    out."""
    out = {}
    for num, den in (measures or COMPARISONS).items():
        if not table[den].notna().any():
            continue
        try:
            out[num] = flag(table, num, den, target=(targets or {}).get(num), method=method, fdr_q=None)
        except ValueError as exc:
            if "no unit has both" not in str(exc):
                raise
    if fdr_q is not None:
        control_fdr(out.values(), fdr_q)
    return out


def _direction(flag_: str) -> str:
    return "high" if flag_.startswith("high") else ("low" if flag_.startswith("low") else "within")


def _published(row: pd.Series, threshold: int, res: FunnelResult) -> dict:
    """An LA's figures for compare.json, withheld where a count or its complement is below the threshold or the
    count was suppressed (then not even its p-value, which with n and the target would give the count away)."""
    entry = {
        "la_code": str(row[res.id_col]),
        "la_name": str(row[res.name_col]),
        "flag": row["flag"],
        "flag_before_fdr": row["flag_limits"],
        "direction": _direction(row["flag"]),
    }
    small = bool(row["censored"])
    if not small:
        r, n = int(round(row["numerator"])), int(round(row["denominator"]))
        small = any(disclosure.is_small(v, threshold) for v in (r, n, n - r))
    if small:
        return {
            **entry,
            "numerator": None,
            "denominator": None,
            "proportion": None,
            "interval": [None, None],
            "suppressed": True,
        }
    return {
        **entry,
        "numerator": r,
        "denominator": n,
        "proportion": float(row["proportion"]),
        "interval": [float(row["ci_low"]), float(row["ci_high"])],
        "limits": {c: float(row[c]) for c in LIMIT_COLUMNS},
        "z": float(row["z"]),
        "p_value": float(row["p_value"]),
        "q_value": None if pd.isna(row["q_value"]) else float(row["q_value"]),
        "suppressed": False,
    }


def multiplicity(results: dict[str, FunnelResult]) -> dict:
    """How the 99.8% flags were controlled for multiplicity, for compare.json and the book: the rule in words and
    what it changed."""
    first = next(iter(results.values()), None)
    q = first.fdr_q if first is not None else None
    family = first.fdr_family if first is not None else 0
    before = sum(len(r.outside("99.8%", before_fdr=True)) for r in results.values())
    after = sum(len(r.outside("99.8%")) for r in results.values())
    return {
        "method": "Benjamini-Hochberg" if q is not None else None,
        "q": q,
        "comparisons": family,
        "outside_998_before_fdr": before,
        "outside_998": after,
        "rule": fdr_rule(q, family) if q is not None else "No multiplicity control.",
        "levels_controlled": ["99.8%"] if q is not None else [],
    }


def compare_summary(
    results: dict[str, FunnelResult],
    table: pd.DataFrame,
    problems: pd.DataFrame | None = None,
    *,
    la_code: str | None = None,
    threshold: int = 10,
) -> dict:
    """The content of OUT/compare.json: for each measure the target, method, dispersion check, what was skipped,
    and every LA outside the 99.8% limits (after false-discovery control) and the 95% ones, plus where `la_code`
    (the LA running the report) sits; and the multiplicity rule. Counts from 1 to below `threshold` (and their
    proportions) are withheld."""
    years = sorted(table["year"].dropna().unique().tolist())
    out = {
        "las": int(len(table)),
        "years": years,
        "la_code": la_code,
        "threshold": threshold,
        "levels": {k: v for k, v in LEVELS.items()},
        "suppressed_range": list(SUPPRESSED_RANGE),
        "multiplicity": multiplicity(results),
        "measures": {},
    }
    if problems is not None:
        out["problems"] = {
            "errors": int((problems["severity"] == "error").sum()),
            "warnings": int((problems["severity"] == "warning").sum()),
        }
    for num, res in results.items():
        m = {"label": LABELS.get(num, num), **res.summary()}
        for level, key in (("99.8%", "outside_998"), ("95%", "outside_95")):
            rows = res.outside(level).sort_values(["flag", "z"])
            m[key] = [_published(r, threshold, res) for _, r in rows.iterrows()]
        if la_code is not None:
            m["this_la"] = _this_la(res, str(la_code), threshold)
        out["measures"][num] = m
    return out


def _this_la(res: FunnelResult, la_code: str, threshold: int) -> dict:
    """Where the LA running the report sits on one measure, or why it was not compared."""
    mine = res.table[res.table[res.id_col] == la_code]
    if not mine.empty:
        return _published(mine.iloc[0], threshold, res)
    skip = res.skipped[res.skipped[res.id_col] == la_code]
    return {
        "la_code": la_code,
        "flag": None,
        "not_compared": skip["reason"].iloc[0] if not skip.empty else "not in the returns",
    }


def write_compare(summary: dict, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=_json_default) + "\n", encoding="utf-8")
    return path


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
