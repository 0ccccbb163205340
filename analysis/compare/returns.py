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
`flags.flag` uses it to count what it skips.

Rows whose la_name begins "EXAMPLE" are the template's own examples: they are skipped with a warning.

Denominators (as the single-LA measures in `analysis.measures`): known_to_csc, with_adversity and each domain
over requests; first_adversity_before_5 over with_adversity. A count above the figure that bounds it (a domain
above with_adversity, for instance) is an error and the count is not used.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pandas as pd

from analysis.contract import codes
from analysis.errors import UserError
from analysis.privacy import disclosure, safe_text

TABLE = "foi_returns"
COLUMNS = ["la_code", "la_name", "year", "measure", "category", "count"]
HEADLINE = ("requests", "known_to_csc", "with_adversity", "first_adversity_before_5")
MEASURES = (*HEADLINE, "domain", "primary_need")
DOMAINS = (
    "domestic_abuse",
    "parental_mental_illness",
    "parental_substance_misuse",
    "parental_separation",
    "parental_imprisonment",
    "neglect",
    "emotional_abuse",
    "physical_abuse",
    "sexual_abuse",
)
NOT_RECORDED = "not_recorded"
NEEDS = (*codes.SEN_TYPE, NOT_RECORDED)
SUPPRESSED_TOKENS = disclosure.WRITTEN_FORMS
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
    return {
        "table": TABLE,
        "file": file,
        "row": row,
        "column": column,
        "value": "" if value is None else str(value),
        "rule": rule,
        "severity": severity,
    }


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
        if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
            problems.append(
                _problem(
                    path.name,
                    line,
                    "",
                    ",".join(values[len(header) :]),
                    "more values than columns; the extra values are ignored",
                    "warning",
                )
            )
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
            problems.append(
                _problem(
                    path.name,
                    1,
                    ",".join(missing_cols),
                    ",".join(header),
                    f"the header lacks {', '.join(missing_cols)}; expected {', '.join(COLUMNS)}",
                )
            )
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
            problems.append(
                _problem(
                    path.name,
                    "",
                    "la_name",
                    "EXAMPLE",
                    f"{examples} example row(s) from the template skipped",
                    "warning",
                )
            )

    table, status = _widen(cells, problems)
    table.attrs["status"] = status
    out = pd.DataFrame(problems, columns=["table", "file", "row", "column", "value", "rule", "severity"])
    return table, out


def _check_row(file: str, rec: dict, problems: list[dict], year: str | None) -> dict | None:
    """One template row checked; returns the cell it gives (possibly invalid), or None if it cannot be placed."""
    line = rec["_line"]
    la_code, measure = rec["la_code"].strip(), rec["measure"].strip().lower()
    ok = _check_la_code(file, line, la_code, problems)
    m = _YEAR.match(rec["year"].strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        problems.append(_problem(file, line, "year", rec["year"], "year must be a financial year written like 2024-25"))
        ok = False
    elif year is not None and rec["year"].strip() != year:
        return None
    category = _check_measure(file, line, rec, measure, problems)
    if not ok or category is None:
        return None
    status, value = _check_count(file, line, rec, problems)
    return {
        "la_code": la_code,
        "la_name": rec["la_name"].strip(),
        "year": rec["year"].strip(),
        "column": _column_for(measure, category),
        "status": status,
        "value": value,
        "file": file,
        "row": line,
    }


def _check_la_code(file: str, line: int, la_code: str, problems: list[dict]) -> bool:
    """False if the row has no la_code; an unfamiliar form is only a warning, as LAs write their codes either way."""
    if not la_code:
        problems.append(_problem(file, line, "la_code", "", "la_code is required"))
        return False
    if not _LA_CODE.match(la_code):
        problems.append(
            _problem(
                file,
                line,
                "la_code",
                la_code,
                "la_code is neither a 3-digit LA number nor a 9-character ONS code",
                "warning",
            )
        )
    return True


def _check_measure(file: str, line: int, rec: dict, measure: str, problems: list[dict]) -> str | None:
    """The row's category normalised for its measure (blank for the headline measures), or None if the measure
    or category is not one the template allows."""
    category = rec["category"].strip()
    if measure not in MEASURES:
        problems.append(
            _problem(file, line, "measure", rec["measure"], f"unknown measure; expected one of {', '.join(MEASURES)}")
        )
        return None
    if measure == "domain":
        category = category.lower().replace(" ", "_").replace("-", "_")
        if category not in DOMAINS:
            problems.append(
                _problem(
                    file,
                    line,
                    "category",
                    rec["category"],
                    f"unknown adversity domain; expected one of {', '.join(DOMAINS)}",
                )
            )
            return None
    elif measure == "primary_need":
        norm = category.upper().replace(" ", "_")
        category = NOT_RECORDED if norm == NOT_RECORDED.upper() else norm
        if category not in NEEDS:
            problems.append(
                _problem(
                    file,
                    line,
                    "category",
                    rec["category"],
                    f"unknown primary need; expected an SEN2 type of need code "
                    f"({', '.join(codes.SEN_TYPE)}) or {NOT_RECORDED}",
                )
            )
            return None
    elif category:
        problems.append(_problem(file, line, "category", category, f"category must be blank for measure {measure}"))
        return None
    return category


def _check_count(file: str, line: int, rec: dict, problems: list[dict]) -> tuple[str, int | None]:
    """The count's status and value; a small count returned unsuppressed is kept but warned about, since it must
    never be published."""
    status, value, rule, severity = _parse_count(rec["count"])
    if rule:
        problems.append(_problem(file, line, "count", rec["count"], rule, severity))
    if status == "reported" and value in SMALL:
        problems.append(
            _problem(
                file,
                line,
                "count",
                value,
                "a count from 1 to 5 was returned unsuppressed; it is compared but never published",
                "warning",
            )
        )
    return status, value


def _widen(cells: list[dict], problems: list[dict]) -> tuple[pd.DataFrame, dict]:
    """One row per LA; cross-row rules (duplicates, years, names, bounds, a requests row)."""
    by_la = _group_by_la(cells, problems)
    rows, status = [], {col: {} for col in VALUE_COLUMNS}
    for code, la in by_la.items():
        rows.append(_wide_row(code, la, status, problems))
    table = pd.DataFrame(rows, columns=list(WIDE_COLUMNS))
    for col in VALUE_COLUMNS:
        table[col] = table[col].astype("Int64")
    table = table.sort_values("la_code", kind="stable").reset_index(drop=True)
    return table, {col: v for col, v in status.items() if v}


def _group_by_la(cells: list[dict], problems: list[dict]) -> dict[str, dict]:
    """The cells of each LA with the names and years it gave (first row of each kept); a repeated figure is
    counted once if it agrees and made invalid if it conflicts, so that neither version is guessed at."""
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
            problems.append(
                _problem(
                    c["file"],
                    c["row"],
                    "count",
                    c["value"] if c["value"] is not None else "",
                    f"duplicate row for {c['la_code']} {c['column']} (same as {where}); counted once",
                    "warning",
                )
            )
        else:
            problems.append(
                _problem(
                    c["file"],
                    c["row"],
                    "count",
                    c["value"] if c["value"] is not None else "",
                    f"duplicate row for {c['la_code']} {c['column']} conflicts with {where}; neither is used",
                )
            )
            la["cells"][c["column"]] = {**seen, "status": "invalid", "value": None}
    return by_la


def _wide_row(code: str, la: dict, status: dict, problems: list[dict]) -> dict:
    """One LA's wide row, recording in `status` why each empty cell is empty; checks it gave one year and one
    name, a requests row and counts within their bounds."""
    first = min(la["years"].values(), key=lambda c: (c["file"], c["row"]))
    if len(la["years"]) > 1:
        problems.append(
            _problem(
                first["file"],
                first["row"],
                "year",
                ", ".join(sorted(la["years"])),
                f"{code} has rows for more than one year; compare one year at a time (read_returns(year=...))",
            )
        )
    if len(la["names"]) > 1:
        problems.append(
            _problem(
                first["file"],
                first["row"],
                "la_name",
                " | ".join(la["names"]),
                f"{code} is given more than one name; the first is used",
                "warning",
            )
        )
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
        problems.append(
            _problem(first["file"], "", "measure", code, f"{code} has no requests row, the denominator of every share")
        )
    _check_bounds(code, row, cells_, status, problems)
    return row


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
                problems.append(
                    _problem(
                        c["file"], c["row"], "count", value, f"{col} ({value}) is more than {bound} ({top}) for {code}"
                    )
                )
                row[col] = pd.NA
                status[col][code] = "invalid"
                break
    total = sum(row[c] for c in NEED_COLUMNS if row[c] is not pd.NA)
    if row["requests"] is not pd.NA:
        if total > row["requests"]:
            c = cells_["requests"]
            problems.append(
                _problem(
                    c["file"],
                    c["row"],
                    "count",
                    row["requests"],
                    f"primary need counts add up to {total}, more than requests ({row['requests']}) for {code}",
                    "warning",
                )
            )


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
    safe_text.write_csv(problems, path)
    return path
