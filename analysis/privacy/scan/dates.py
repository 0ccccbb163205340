"""Dates as people write them, read back to one form (yyyy-mm-dd), so a birth date is found however it was written.

The extract's birth dates are a set of yyyy-mm-dd strings built once; each text is read once per written form and
every date found is normalised and looked up in that set. A form is a regular expression and the order of its year,
month and day groups. Forms whose separators also appear in ordinary numbers (versions such as 3.10.12, SVG path
data such as 8-14-27) take a two-digit year only after a slash or beside a month name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")(?![a-z])\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_BEFORE = r"(?<!\d)(?<!\d[/.-])"  # not inside a longer run of numbers (1.2.3.4, SVG paths) ...
_AFTER = r"(?!\d|[/.-]\d)"  # ... but a full stop or a hyphen may follow, as at the end of a sentence
_TIME = r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
# (name, pattern, group numbers of year, month and day); a time of day other than midnight marks a timestamp
FORMS = (
    ("yyyy-mm-dd", re.compile(rf"{_BEFORE}(\d{{4}})([-/.])(\d{{1,2}})\2(\d{{1,2}}){_AFTER}({_TIME})"), (1, 3, 4)),
    ("dd/mm/yyyy", re.compile(rf"{_BEFORE}(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_AFTER}"), (4, 3, 1)),
    ("yyyymmdd", re.compile(r"(?<![0-9A-Za-z])((?:19|20)\d{2})(\d{2})(\d{2})(?![0-9A-Za-z])"), (1, 2, 3)),
    (
        "day month year",
        re.compile(rf"(?<![\d.]){_DAY}(?:\s+of)?([\s/-]*){_MONTH},?([\s/-]*)('?\d{{4}}|'?\d{{2}})(?!\d|\.\d)", re.I),
        (5, 3, 1),
    ),
    ("month day, year", re.compile(rf"(?<![a-z]){_MONTH}\s+{_DAY},?\s+(\d{{4}})(?!\d)", re.I), (3, 1, 2)),
)
MIDNIGHT = ("T00:00", "T00:00:00", " 00:00", " 00:00:00")


def _years(text: str, two_digit_ok: bool) -> list[int]:
    """A written year; a two-digit one may be of either century (the lookup decides which, if any, is a birth)."""
    text = text.lstrip("'")
    if len(text) == 4:
        return [int(text)]
    return [2000 + int(text), 1900 + int(text)] if two_digit_ok else []


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _candidates(name: str, m: re.Match, groups: tuple[int, int, int]) -> list[str]:
    """The yyyy-mm-dd dates a match may stand for (none, one, or one per century of a two-digit year)."""
    y, mo, d = (m.group(g) for g in groups)
    if name == "yyyy-mm-dd" and m.group(5).strip() and m.group(5) not in MIDNIGHT:
        return []  # a timestamp with a time of day (when the report was built), not a birth date
    if name == "dd/mm/yyyy":
        years = _years(y, m.group(2) == "/")
    elif name == "day month year":
        years = _years(y, y.startswith("'") or bool(m.group(2).strip()) and bool(m.group(4).strip()))
    else:
        years = _years(y, False)
    month = MONTHS[mo.casefold()] if not mo.isdigit() else int(mo)
    out = [_iso(year, month, int(d)) for year in years]
    if name == "dd/mm/yyyy" and not any(out) and int(mo) > 12:  # mm/dd/yyyy, only when dd/mm cannot be meant
        out = [_iso(year, int(d), int(mo)) for year in years]
    return [d for d in out if d]


def dates_in(text: str) -> Iterator[tuple[int, int, str, str]]:
    """Every date written in a text: (start, end, yyyy-mm-dd, the form it was written in)."""
    for name, pattern, groups in FORMS:
        for m in pattern.finditer(text):
            for iso in _candidates(name, m, groups):
                yield m.start(), m.end(), iso, name


def cell_date(cell: str) -> str | None:
    """A table cell that is a date with a day, and nothing else, as yyyy-mm-dd (a timestamp at midnight counts)."""
    cell = cell.strip()
    if not 6 <= len(cell) <= 30:
        return None
    for start, end, iso, _ in dates_in(cell):
        if start == 0 and end == len(cell):
            return iso
    return None
