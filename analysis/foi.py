"""Freedom of Information returns from many local authorities: read, validate, compare, and a synthetic set.

An LA answers the request letter (data_templates/foi_request_letter.md) by filling in the return template
(data_templates/foi_return_template.csv): long form, one row per figure,

    la_code, la_name, year, measure, category, count

measure       requests | known_to_csc | with_adversity | first_adversity_before_5 | domain | primary_need
category      the adversity domain (measure `domain`) or the SEN2 type of need (measure `primary_need`, or
              `not_recorded`); blank for the other measures
count         a whole number; `c` where the LA suppressed a count from 1 to 5; blank where it does not hold the figure

`read_returns(folder)` reads every CSV in the folder (one or many LAs per file, as many files as came back) and
returns a wide table, one row per LA, and the problems found, one per row with the keys of
`validate.PROBLEM_COLUMNS` (`row` is the line in the file, the header being line 1). A suppressed or missing
figure is NA in the wide table, never zero; why it is empty ("suppressed", "missing" or "invalid") is kept in
`table.attrs["status"]` ({column: {la_code: status}}; `cell_status(table)` gives it as a frame) and
`funnel.flag` uses it to count what it skips.

Rows whose la_name begins "EXAMPLE" are the template's own examples: they are skipped with a warning.

Denominators (as the single-LA measures in `analysis.measures`): known_to_csc, with_adversity and each domain
over requests; first_adversity_before_5 over with_adversity. A count above the figure that bounds it (a domain
above with_adversity, for instance) is an error and the count is not used.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import codes, funnel
from analysis.errors import UserError

TABLE = "foi_returns"
COLUMNS = ["la_code", "la_name", "year", "measure", "category", "count"]
HEADLINE = ("requests", "known_to_csc", "with_adversity", "first_adversity_before_5")
MEASURES = (*HEADLINE, "domain", "primary_need")
DOMAINS = ("domestic_abuse", "parental_mental_illness", "parental_substance_misuse", "parental_separation",
           "parental_imprisonment", "neglect", "emotional_abuse", "physical_abuse", "sexual_abuse")
NOT_RECORDED = "not_recorded"
NEEDS = (*codes.SEN_TYPE, NOT_RECORDED)
SUPPRESSED_TOKENS = {"c", "[c]"}
NOT_HELD_TOKENS = {"x", "[x]", "z", "[z]", ":", "n/a", "na", "not held"}  # read as missing, with a warning
SMALL = range(1, 6)  # counts the letter asks LAs to return as `c`

DOMAIN_COLUMNS = tuple(f"domain_{d}" for d in DOMAINS)
NEED_COLUMNS = tuple(f"primary_need_{n}" for n in NEEDS)
VALUE_COLUMNS = (*HEADLINE, *DOMAIN_COLUMNS, *NEED_COLUMNS)
WIDE_COLUMNS = ("la_code", "la_name", "year", *VALUE_COLUMNS)

# measure column -> its denominator for comparison (funnel plots)
COMPARISONS: dict[str, str] = {
    "known_to_csc": "requests",
    "with_adversity": "requests",
    "first_adversity_before_5": "with_adversity",
    **{c: "requests" for c in DOMAIN_COLUMNS},
}
LABELS = {
    "requests": "EHC needs assessment requests",
    "known_to_csc": "Known to children's social care before the request",
    "with_adversity": "Adversity documented before the request",
    "first_adversity_before_5": "Of those with adversity, first documented before age five",
    **{f"domain_{d}": f"{d.replace('_', ' ').capitalize()} documented before the request" for d in DOMAINS},
    **{f"primary_need_{n}": f"Primary need: {codes.SEN_TYPE_LABEL.get(n, 'not recorded')}" for n in NEEDS},
}

_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_LA_CODE = re.compile(r"^(\d{3}|E\d{8})$")
_INT = re.compile(r"^-?\d+(\.0*)?$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+$")


def _problem(file: str, row, column: str, value, rule: str, severity: str = "error") -> dict:
    return {"table": TABLE, "file": file, "row": row, "column": column,
            "value": "" if value is None else str(value), "rule": rule, "severity": severity}


def _column_for(measure: str, category: str) -> str:
    if measure == "domain":
        return f"domain_{category}"
    if measure == "primary_need":
        return f"primary_need_{category}"
    return measure


def _parse_count(text: str) -> tuple[str, int | None, str | None, str]:
    """(status, value, rule if bad, severity) for one count cell."""
    t = text.strip()
    low = t.lower()
    if t == "":
        return "missing", None, None, ""
    if low in SUPPRESSED_TOKENS:
        return "suppressed", None, None, ""
    if low in NOT_HELD_TOKENS:
        return "missing", None, f"'{t}' is read as not held (blank)", "warning"
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    try:
        number = float(t)
    except ValueError:
        return "invalid", None, "count must be a whole number, c (suppressed) or blank (not held)", "error"
    if not math.isfinite(number) or not _INT.match(t):
        return "invalid", None, "count must be a whole number", "error"
    if number < 0:
        return "invalid", None, "count must not be negative", "error"
    return "reported", int(number), None, ""


def _read_csv(path: Path) -> tuple[list[dict], list[str], list[dict]]:
    """The rows (with their line numbers), the header and any file-level problems."""
    raw = path.read_bytes()
    problems = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        problems.append(_problem(path.name, 1, "", "", "file is not UTF-8; read as Windows-1252", "warning"))
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        return [], [], [_problem(path.name, reader.line_num, "", "", f"not a readable CSV file ({exc})")]
    if not rows:
        return [], [], [_problem(path.name, 1, "", "", "the file is empty")]
    header = [h.strip().lower() for h in rows[0]]
    records = []
    for line, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        values = values + [""] * (len(header) - len(values))
        rec = {h: values[i].strip() for i, h in enumerate(header) if h}
        rec["_line"] = line
        if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
            problems.append(_problem(path.name, line, "", ",".join(values[len(header):]),
                                     "more values than columns; the extra values are ignored", "warning"))
        records.append(rec)
    return records, header, problems


def read_returns(folder, *, year: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and check every CSV return in `folder`: (wide table, one row per LA; problems).

    `year` keeps only that financial year (e.g. "2024-25"); otherwise an LA with rows for several years is an error.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder of FOI returns.")
    files = sorted(p for p in folder.glob("*.csv") if not p.name.startswith("."))
    if not files:
        raise UserError(f"{folder}: no CSV files found; put each FOI return (the template form) there as .csv.")

    problems: list[dict] = []
    cells: list[dict] = []  # one per accepted row
    for path in files:
        records, header, file_problems = _read_csv(path)
        problems.extend(file_problems)
        if not header:
            continue
        missing_cols = [c for c in COLUMNS if c not in header]
        if missing_cols:
            problems.append(_problem(path.name, 1, ",".join(missing_cols), ",".join(header),
                                     f"the header lacks {', '.join(missing_cols)}; expected {', '.join(COLUMNS)}"))
            continue
        extra = [h for h in header if h and h not in COLUMNS]
        if extra:
            problems.append(_problem(path.name, 1, ",".join(extra), "", "unknown columns are ignored", "warning"))
        examples = 0
        for rec in records:
            if rec["la_name"].upper().startswith("EXAMPLE"):
                examples += 1
                continue
            cell = _check_row(path.name, rec, problems, year)
            if cell is not None:
                cells.append(cell)
        if examples:
            problems.append(_problem(path.name, "", "la_name", "EXAMPLE",
                                     f"{examples} example row(s) from the template skipped", "warning"))

    table, status = _widen(cells, problems)
    table.attrs["status"] = status
    out = pd.DataFrame(problems, columns=["table", "file", "row", "column", "value", "rule", "severity"])
    return table, out


def _check_row(file: str, rec: dict, problems: list[dict], year: str | None) -> dict | None:
    """One template row checked; returns the cell it gives (possibly invalid), or None if it cannot be placed."""
    line = rec["_line"]
    la_code, measure = rec["la_code"].strip(), rec["measure"].strip().lower()
    category = rec["category"].strip()
    ok = True
    if not la_code:
        problems.append(_problem(file, line, "la_code", "", "la_code is required"))
        ok = False
    elif not _LA_CODE.match(la_code):
        problems.append(_problem(file, line, "la_code", la_code,
                                 "la_code is neither a 3-digit LA number nor a 9-character ONS code", "warning"))
    m = _YEAR.match(rec["year"].strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        problems.append(_problem(file, line, "year", rec["year"],
                                 "year must be a financial year written like 2024-25"))
        ok = False
    elif year is not None and rec["year"].strip() != year:
        return None
    if measure not in MEASURES:
        problems.append(_problem(file, line, "measure", rec["measure"],
                                 f"unknown measure; expected one of {', '.join(MEASURES)}"))
        ok = False
    elif measure == "domain":
        category = category.lower().replace(" ", "_").replace("-", "_")
        if category not in DOMAINS:
            problems.append(_problem(file, line, "category", rec["category"],
                                     f"unknown adversity domain; expected one of {', '.join(DOMAINS)}"))
            ok = False
    elif measure == "primary_need":
        norm = category.upper().replace(" ", "_")
        category = NOT_RECORDED if norm == NOT_RECORDED.upper() else norm
        if category not in NEEDS:
            problems.append(_problem(file, line, "category", rec["category"],
                                     f"unknown primary need; expected an SEN2 type of need code "
                                     f"({', '.join(codes.SEN_TYPE)}) or {NOT_RECORDED}"))
            ok = False
    elif category:
        problems.append(_problem(file, line, "category", category, f"category must be blank for measure {measure}"))
        ok = False
    if not ok:
        return None
    status, value, rule, severity = _parse_count(rec["count"])
    if rule:
        problems.append(_problem(file, line, "count", rec["count"], rule, severity))
    if status == "reported" and value in SMALL:
        problems.append(_problem(file, line, "count", value,
                                 "a count from 1 to 5 was returned unsuppressed; it is compared but never published",
                                 "warning"))
    return {"la_code": la_code, "la_name": rec["la_name"].strip(), "year": rec["year"].strip(),
            "column": _column_for(measure, category), "status": status, "value": value, "file": file, "row": line}


def _widen(cells: list[dict], problems: list[dict]) -> tuple[pd.DataFrame, dict]:
    """One row per LA; cross-row rules (duplicates, years, names, bounds, a requests row)."""
    by_la: dict[str, dict] = {}
    for c in cells:
        la = by_la.setdefault(c["la_code"], {"names": {}, "years": {}, "cells": {}})
        if c["la_name"]:
            la["names"].setdefault(c["la_name"], c)
        la["years"].setdefault(c["year"], c)
        seen = la["cells"].get(c["column"])
        if seen is None:
            la["cells"][c["column"]] = c
            continue
        where = f"{seen['file']} line {seen['row']}"
        if (seen["status"], seen["value"]) == (c["status"], c["value"]):
            problems.append(_problem(c["file"], c["row"], "count", c["value"] if c["value"] is not None else "",
                                     f"duplicate row for {c['la_code']} {c['column']} (same as {where}); "
                                     f"counted once", "warning"))
        else:
            problems.append(_problem(c["file"], c["row"], "count", c["value"] if c["value"] is not None else "",
                                     f"duplicate row for {c['la_code']} {c['column']} conflicts with {where}; "
                                     f"neither is used"))
            la["cells"][c["column"]] = {**seen, "status": "invalid", "value": None}

    rows, status = [], {col: {} for col in VALUE_COLUMNS}
    for code, la in by_la.items():
        first = min(la["years"].values(), key=lambda c: (c["file"], c["row"]))
        if len(la["years"]) > 1:
            problems.append(_problem(first["file"], first["row"], "year", ", ".join(sorted(la["years"])),
                                     f"{code} has rows for more than one year; compare one year at a time "
                                     f"(read_returns(year=...))"))
        if len(la["names"]) > 1:
            problems.append(_problem(first["file"], first["row"], "la_name", " | ".join(la["names"]),
                                     f"{code} is given more than one name; the first is used", "warning"))
        row = {"la_code": code, "la_name": next(iter(la["names"]), ""), "year": first["year"]}
        cells_ = la["cells"]
        for col in VALUE_COLUMNS:
            c = cells_.get(col)
            if c is None:
                row[col] = pd.NA
                status[col][code] = "missing"
            else:
                row[col] = c["value"] if c["status"] == "reported" else pd.NA
                if c["status"] != "reported":
                    status[col][code] = c["status"]
        if "requests" not in cells_:
            problems.append(_problem(first["file"], "", "measure", code,
                                     f"{code} has no requests row, the denominator of every share"))
        _check_bounds(code, row, cells_, status, problems)
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(WIDE_COLUMNS))
    for col in VALUE_COLUMNS:
        table[col] = table[col].astype("Int64")
    table = table.sort_values("la_code", kind="stable").reset_index(drop=True)
    return table, {col: v for col, v in status.items() if v}


def _bounds(col: str) -> tuple[str, ...]:
    """The figures a count may not exceed."""
    if col in ("known_to_csc", "with_adversity") or col.startswith("primary_need_"):
        return ("requests",)
    if col == "first_adversity_before_5" or col.startswith("domain_"):
        return ("with_adversity", "requests")
    return ()


def _check_bounds(code: str, row: dict, cells_: dict, status: dict, problems: list[dict]) -> None:
    """A numerator above the figure that bounds it is an error; the numerator is then not used."""
    for col in VALUE_COLUMNS:
        value = row[col]
        if value is pd.NA:
            continue
        for bound in _bounds(col):
            top = row[bound]
            if top is not pd.NA and value > top:
                c = cells_[col]
                problems.append(_problem(c["file"], c["row"], "count", value,
                                         f"{col} ({value}) is more than {bound} ({top}) for {code}"))
                row[col] = pd.NA
                status[col][code] = "invalid"
                break
    total = sum(row[c] for c in NEED_COLUMNS if row[c] is not pd.NA)
    if row["requests"] is not pd.NA:
        if total > row["requests"]:
            c = cells_["requests"]
            problems.append(_problem(c["file"], c["row"], "count", row["requests"],
                                     f"primary need counts add up to {total}, more than requests "
                                     f"({row['requests']}) for {code}", "warning"))


def cell_status(table: pd.DataFrame) -> pd.DataFrame:
    """Every value cell's status ("reported", "suppressed", "missing", "invalid"), la_code as the index."""
    record = table.attrs.get("status", {})
    out = pd.DataFrame("reported", index=table["la_code"], columns=list(VALUE_COLUMNS))
    for col, by_la in record.items():
        for code, st in by_la.items():
            if code in out.index:
                out.loc[code, col] = st
    for col in VALUE_COLUMNS:  # an NA without a record (e.g. a table built by hand) is missing
        empty = table.set_index("la_code")[col].isna()
        out.loc[empty & (out[col] == "reported"), col] = "missing"
    return out


def write_problems(problems: pd.DataFrame, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    problems.to_csv(path, index=False)
    return path


# ----------------------------------------------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------------------------------------------

def compare(table: pd.DataFrame, *, measures: dict[str, str] | None = None, method: str = "auto",
            targets: dict[str, float] | None = None) -> dict[str, funnel.FunnelResult]:
    """Funnel flags for each measure (numerator column -> denominator column; default `COMPARISONS`).
    Measures no LA reported are left out."""
    out = {}
    for num, den in (measures or COMPARISONS).items():
        usable = table[num].notna() & table[den].notna()
        if not usable.any():
            continue
        out[num] = funnel.flag(table, num, den, target=(targets or {}).get(num), method=method)
    return out


def _published(row: pd.Series, threshold: int, res: funnel.FunnelResult) -> dict:
    """An LA's figures for compare.json, withheld where a count or its complement is below the threshold."""
    r, n = int(round(row["numerator"])), int(round(row["denominator"]))
    small = any(1 <= v < threshold for v in (r, n, n - r))
    entry = {"la_code": str(row[res.id_col]), "la_name": str(row[res.name_col]), "flag": row["flag"],
             "direction": "high" if row["flag"].startswith("high") else
             ("low" if row["flag"].startswith("low") else "within")}
    if small:
        return {**entry, "numerator": None, "denominator": None, "proportion": None, "interval": [None, None],
                "suppressed": True}
    return {**entry, "numerator": r, "denominator": n, "proportion": float(row["proportion"]),
            "interval": [float(row["ci_low"]), float(row["ci_high"])],
            "limits": {c: float(row[c]) for c in funnel.LIMIT_COLUMNS}, "z": float(row["z"]), "suppressed": False}


def compare_summary(results: dict[str, funnel.FunnelResult], table: pd.DataFrame, problems: pd.DataFrame | None = None,
                    *, la_code: str | None = None, threshold: int = 10) -> dict:
    """The content of OUT/compare.json: for each measure the target, method, dispersion check, what was skipped,
    and every LA outside the 99.8% limits (and the 95% ones), plus where `la_code` (the LA running the report)
    sits. Counts from 1 to below `threshold` (and their proportions) are withheld."""
    years = sorted(table["year"].dropna().unique().tolist())
    out = {"las": int(len(table)), "years": years, "la_code": la_code, "threshold": threshold,
           "levels": {k: v for k, v in funnel.LEVELS.items()}, "measures": {}}
    if problems is not None:
        out["problems"] = {"errors": int((problems["severity"] == "error").sum()),
                           "warnings": int((problems["severity"] == "warning").sum())}
    for num, res in results.items():
        m = {"label": LABELS.get(num, num), **res.summary()}
        for level, key in (("99.8%", "outside_998"), ("95%", "outside_95")):
            rows = res.outside(level).sort_values(["flag", "z"])
            m[key] = [_published(r, threshold, res) for _, r in rows.iterrows()]
        if la_code is not None:
            mine = res.table[res.table[res.id_col] == str(la_code)]
            if not mine.empty:
                m["this_la"] = _published(mine.iloc[0], threshold, res)
            else:
                skip = res.skipped[res.skipped[res.id_col] == str(la_code)]
                m["this_la"] = {"la_code": la_code, "flag": None,
                                "not_compared": skip["reason"].iloc[0] if not skip.empty else "not in the returns"}
        out["measures"][num] = m
    return out


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


# ----------------------------------------------------------------------------------------------------------------
# Synthetic returns
# ----------------------------------------------------------------------------------------------------------------

SYNTH_YEAR = "2024-25"
SYNTH_TARGETS = {"known_to_csc": 0.50, "with_adversity": 0.42, "first_adversity_before_5": 0.75}
# Domain prevalence among children with a request (domestic abuse, mental illness and separation commonest).
SYNTH_DOMAINS = {"domestic_abuse": 0.20, "parental_mental_illness": 0.17, "parental_separation": 0.15,
                 "parental_substance_misuse": 0.09, "neglect": 0.08, "emotional_abuse": 0.07,
                 "physical_abuse": 0.05, "parental_imprisonment": 0.03, "sexual_abuse": 0.02}
# Primary need of the children requested (new-plan shares, calendar 2024), a quarter with no need recorded.
_NEW_PLAN_SHARES = {"SLCN": 27.7, "ASD": 27.5, "SEMH": 26.3, "MLD": 7.5, "PD": 2.3, "SPLD": 2.3, "SLD": 1.3,
                    "OTH": 1.2, "HI": 0.7, "PMLD": 0.6, "VI": 0.5, "MSI": 0.2}
SYNTH_NOT_RECORDED = 0.25
LOGIT_SD = 0.015  # between-LA variation of true proportions (logit scale): chance flags at 99.8% stay near 0.2%
# (measure column, direction, true proportion) for the planted outliers
PLANTED = (("known_to_csc", "high", 0.72), ("known_to_csc", "low", 0.30),
           ("first_adversity_before_5", "high", 0.93), ("first_adversity_before_5", "low", 0.50),
           ("with_adversity", "high", 0.65), ("domain_domestic_abuse", "high", 0.34))
# Outliers are planted in LAs of this size: big enough to be far outside the limits, not so big that one outlier
# moves the pooled target and pushes the largest LAs outside their limits.
PLANTED_REQUESTS = (500, 1500)


def _jitter(rng, p: float, size: int) -> np.ndarray:
    logit = np.log(p / (1 - p)) + rng.normal(0, LOGIT_SD, size)
    return 1 / (1 + np.exp(-logit))


def synth_returns(n_las: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """`n_las` synthetic LA returns in the template's long form, and the truth (planted outliers per measure,
    suppressed and missing cells). Requests per LA are log-normal (median 600, clipped to 100 to 4,000); true
    proportions vary a little between LAs (logit SD `LOGIT_SD`); six LAs of 500 to 1,500 requests carry planted
    outliers (`PLANTED`); counts from 1 to 5 are returned as `c`; a few LAs do not hold some figures (blank) and
    one leaves out a row altogether."""
    if n_las < len(PLANTED) + 6:
        raise UserError(f"--returns needs at least {len(PLANTED) + 6} LAs to plant {len(PLANTED)} outliers.")
    rng = np.random.default_rng(seed)
    codes_ = [f"E99{i:06d}" for i in range(1, n_las + 1)]
    names = [f"Synthetic LA {i:03d}" for i in range(1, n_las + 1)]
    requests = np.clip(np.round(rng.lognormal(np.log(600), 0.75, n_las)), 100, 4000).astype(int)
    lo, hi = PLANTED_REQUESTS
    mid = np.flatnonzero((requests >= lo) & (requests <= hi))
    if len(mid) < len(PLANTED):  # a small set of LAs: take those nearest the range
        mid = np.argsort(np.abs(requests - (lo + hi) / 2))[:len(PLANTED)]
    planted_at = rng.choice(mid, size=len(PLANTED), replace=False)
    truth_p = {m: _jitter(rng, p, n_las) for m, p in SYNTH_TARGETS.items()}
    truth_p.update({f"domain_{d}": _jitter(rng, p, n_las) for d, p in SYNTH_DOMAINS.items()})
    outliers: dict[str, list] = {}
    for (measure, direction, p), i in zip(PLANTED, planted_at):
        truth_p[measure][i] = p
        outliers.setdefault(measure, []).append({"la_code": codes_[i], "la_name": names[i], "direction": direction,
                                                 "true_proportion": p})

    known = rng.binomial(requests, truth_p["known_to_csc"])
    with_adv = rng.binomial(requests, truth_p["with_adversity"])
    before5 = rng.binomial(with_adv, truth_p["first_adversity_before_5"])
    domains = {d: np.minimum(rng.binomial(requests, truth_p[f"domain_{d}"]), with_adv) for d in DOMAINS}
    shares = np.array([v for v in _NEW_PLAN_SHARES.values()])
    shares = np.append(shares / shares.sum() * (1 - SYNTH_NOT_RECORDED), SYNTH_NOT_RECORDED)
    need_codes = [*_NEW_PLAN_SHARES, NOT_RECORDED]
    needs = np.array([rng.multinomial(n, shares) for n in requests])

    rows = []
    for i in range(n_las):
        base = {"la_code": codes_[i], "la_name": names[i], "year": SYNTH_YEAR}
        rows.append({**base, "measure": "requests", "category": "", "count": int(requests[i])})
        rows.append({**base, "measure": "known_to_csc", "category": "", "count": int(known[i])})
        rows.append({**base, "measure": "with_adversity", "category": "", "count": int(with_adv[i])})
        rows.append({**base, "measure": "first_adversity_before_5", "category": "", "count": int(before5[i])})
        for d in DOMAINS:
            rows.append({**base, "measure": "domain", "category": d, "count": int(domains[d][i])})
        for k, code in enumerate(need_codes):
            rows.append({**base, "measure": "primary_need", "category": code, "count": int(needs[i, k])})
    long = pd.DataFrame(rows, columns=COLUMNS)
    long["count"] = long["count"].astype(object)

    # figures some LAs do not hold (never in a planted LA, so the truth stays checkable)
    spare = [i for i in rng.permutation(n_las) if i not in set(planted_at)]
    missing = []
    for i in spare[:3]:  # no age at first adversity
        missing.append({"la_code": codes_[i], "measure": "first_adversity_before_5", "category": ""})
    for i in spare[3:5]:  # no separation or imprisonment (no CIN code for either)
        for d in ("parental_separation", "parental_imprisonment"):
            missing.append({"la_code": codes_[i], "measure": "domain", "category": d})
    for m in missing:
        at = (long["la_code"] == m["la_code"]) & (long["measure"] == m["measure"]) & (long["category"] == m["category"])
        long.loc[at, "count"] = ""
    left_out = {"la_code": codes_[spare[5]], "measure": "with_adversity", "category": ""}  # the row is absent
    long = long[~((long["la_code"] == left_out["la_code"]) & (long["measure"] == "with_adversity"))]
    missing.append({**left_out, "row_left_out": True})

    small = long["count"].map(lambda v: isinstance(v, int) and 1 <= v <= 5)
    suppressed = long.loc[small, ["la_code", "measure", "category"]].to_dict("records")
    long.loc[small, "count"] = "c"
    long = long.reset_index(drop=True)

    truth = {"seed": seed, "n_las": n_las, "year": SYNTH_YEAR, "targets": SYNTH_TARGETS,
             "domain_prevalence": SYNTH_DOMAINS, "logit_sd": LOGIT_SD, "planted_requests": list(PLANTED_REQUESTS),
             "outliers": outliers, "missing_cells": missing, "suppressed_cells": len(suppressed),
             "suppressed_by_measure": pd.Series([_column_for(s["measure"], s["category"]) for s in suppressed],
                                                dtype=object).value_counts().to_dict()}
    return long, truth


def write_synth_returns(n_las: int, seed: int, out_dir) -> dict[str, Path]:
    """Write `out_dir/returns/*.csv` (a few files of several LAs each, like returns collected by region) and
    `out_dir/truth/outliers.json`."""
    out_dir = Path(out_dir)
    long, truth = synth_returns(n_las, seed)
    returns, truth_dir = out_dir / "returns", out_dir / "truth"
    returns.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    las = long["la_code"].drop_duplicates().tolist()
    n_files = max(1, min(9, math.ceil(len(las) / 20)))
    files = []
    for k, chunk in enumerate(np.array_split(np.array(las), n_files), start=1):
        path = returns / f"foi_returns_{k:02d}.csv"
        long[long["la_code"].isin(set(chunk))].to_csv(path, index=False)
        files.append(path.name)
    truth["files"] = files
    truth_path = truth_dir / "outliers.json"
    truth_path.write_text(json.dumps(truth, indent=2, default=_json_default) + "\n", encoding="utf-8")
    return {"returns": returns, "truth": truth_path}
