"""Tables, wherever they come from (an HTML page, a notebook output, a CSV or a spreadsheet): small counts, 'N of M'
cells, suppressed counts a reader can still work out, and (public edition) rows about single children."""

from __future__ import annotations

import csv
import dataclasses
import io

import pandas as pd

from analysis.privacy import disclosure
from analysis.privacy.scan.child_rows import child_shape
from analysis.privacy.scan.counts import (
    N_OF_M,
    SHARE_WORDS,
    SUPPRESSED,
    TOTAL_ROW,
    bare,
    count_columns,
    fractions,
    label,
    number,
    whole,
)
from analysis.privacy.scan.findings import Findings
from analysis.privacy.scan.text import PSEUDONYM, n_of_m


@dataclasses.dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    where: str  # e.g. "table 2" or "the CSV"


def check(f: Findings, page: str, t: Table) -> None:
    """Every check of one table; none of the counting ones when any count may be shown (threshold 1)."""
    header = [h.strip() for h in t.header]
    if f.edition == "public":
        _child_level(f, page, t, header)
    if f.threshold <= 1:
        return
    for row in t.rows:
        for j, cell in enumerate(row):
            for m in N_OF_M.finditer(cell):
                col = header[j] if j < len(header) else f"column {j + 1}"
                n_of_m(f, page, m, f"{t.where}, column '{col}', row '{label(row)}'")
    counts = count_columns(header, t.rows)
    for j in counts:
        for row in t.rows:
            if j < len(row):
                n = whole(row[j])
                if f.small(n):
                    f.add(
                        page,
                        "small count",
                        n,
                        f"{t.where}, column '{header[j]}', row '{label(row)}': a count from 1 to {f.threshold - 1}",
                    )
    _recoverable(f, page, t, header, counts)


def _child_level(f: Findings, page: str, t: Table, header: list[str]) -> None:
    """A column named 'child' or holding pseudonymised keys, or rows shaped like single children (`child_rows`):
    the public edition publishes aggregates only."""
    for j, h in enumerate(header):
        values = [r[j].strip() for r in t.rows if j < len(r) and r[j].strip()]
        keys = sum(bool(PSEUDONYM.fullmatch(v)) for v in values)
        if h.casefold() == "child" or (values and keys):
            f.add(
                page,
                "child-level row",
                f"column '{h}'",
                f"{t.where} has {len(t.rows)} rows with a column "
                + (f"of pseudonymised child keys ({keys} keys)" if keys else "named 'child'")
                + "; the public edition publishes aggregates only",
            )
            return
    why = child_shape(header, t.rows)
    if why:
        f.add(
            page,
            "child-level row",
            f"{len(t.rows)} rows",
            f"{t.where} looks like one row per child: {why}; the public edition publishes aggregates only",
        )


def _recoverable(f: Findings, page: str, t: Table, header: list[str], counts: list[int]) -> None:
    """Suppressed counts that a reader can still work out."""
    if not counts:
        return
    shares = [j for j, h in enumerate(header) if j not in counts and SHARE_WORDS.search(h)]
    _shares_beside_suppressed(f, page, t, header, counts, shares)
    _shares_leaving_small(f, page, t, header, counts, shares)
    _totals_beside_one_suppressed(f, page, t, header, counts)


def _shares_beside_suppressed(
    f: Findings, page: str, t: Table, header: list[str], counts: list[int], shares: list[int]
) -> None:
    """A share published on a row whose count is suppressed gives the count back (with its denominator)."""
    names = {j: bare(header[j]) for j in counts}
    for j in shares:
        paired = [k for k in counts if names[k] and names[k] == bare(header[j])] or counts
        for row in t.rows:
            if j >= len(row):
                continue
            v = number(row[j])
            hidden = [header[k] for k in paired if k < len(row) and row[k].strip().lower() in SUPPRESSED]
            if hidden and v is not None and v != 0:
                f.add(
                    page,
                    "small count",
                    row[j].strip(),
                    f"{t.where}, row '{label(row)}': column '{header[j]}' is published although "
                    f"'{hidden[0]}' is suppressed, so the suppressed count can be recovered from it",
                )


def _shares_leaving_small(
    f: Findings, page: str, t: Table, header: list[str], counts: list[int], shares: list[int]
) -> None:
    """A numerator and denominator shown together leave their difference, which may be small."""
    for j in shares:
        for a, b in fractions(t.rows, counts, j):
            for row in t.rows:
                num, den = (whole(row[a]), whole(row[b])) if max(a, b) < len(row) else (None, None)
                if num is not None and den is not None and f.small(den - num):
                    f.add(
                        page,
                        "small count",
                        f"{num} of {den}",
                        f"{t.where}, row '{label(row)}': '{header[a]}' of '{header[b]}' (the share in "
                        f"'{header[j]}') leaves {den - num}, a count from 1 to {f.threshold - 1}",
                    )


def _totals_beside_one_suppressed(f: Findings, page: str, t: Table, header: list[str], counts: list[int]) -> None:
    """A total row gives back the only suppressed cell of its column by subtraction."""
    totals = [i for i, r in enumerate(t.rows) if r and TOTAL_ROW.match(r[0])]
    for i in totals:
        for k in counts:
            total = whole(t.rows[i][k]) if k < len(t.rows[i]) else None
            if total is None:
                continue
            others = [r for n, r in enumerate(t.rows) if n not in totals and k < len(r)]
            hidden = [r for r in others if r[k].strip().lower() in SUPPRESSED]
            if len(hidden) == 1:
                f.add(
                    page,
                    "small count",
                    disclosure.SUPPRESSED,
                    f"{t.where}, column '{header[k]}', row '{label(hidden[0])}': the only suppressed cell "
                    f"of the column can be recovered by subtraction from the row '{label(t.rows[i])}'",
                )


def read_csv(f: Findings, page: str, text: str, tsv: bool = False) -> None:
    f.identifiers(page, text, "the CSV")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t" if tsv else ","))
    if rows:
        check(f, page, Table(rows[0], rows[1:], "the CSV"))


def read_xlsx(f: Findings, page: str, data: bytes) -> None:
    """Every sheet's cells (the workbook's other parts, such as comments and properties, are read as a zip)."""
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str, header=None)
    except Exception:  # noqa: BLE001 - not a workbook a reader could open either; its bytes are still searched
        sheets = {}
    for sheet, frame in sheets.items():
        frame = frame.fillna("")
        rows = frame.astype(str).values.tolist()
        f.identifiers(page, "\n".join(" ".join(r) for r in rows) + f"\n{sheet}", f"sheet '{sheet}'")
        if rows:
            check(f, page, Table(rows[0], rows[1:], f"sheet '{sheet}'"))
