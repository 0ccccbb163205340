"""Whether a table without ids still has one row per child.

An aggregate table has one row per category, and each row counts several children (or is suppressed). A table of
children has rows that each describe one child. A table is child-level (public edition) when it has at least
`MIN_ROWS` rows, at least `SHARE` of them count no more than one child (every cell of a count column, see
`counts.count_columns`, is blank, 0 or 1, never a suppression symbol), and it shows one of:

1. dates with a day: a column whose cells are mostly (`SHARE`) dates to the day, in any written form, mostly
   distinct, or a column headed as a birth date (dob, birth, born) holding dates; aggregates publish years or bands;
2. exact ages: a column headed "age..." whose numbers mostly have a fractional part, mostly distinct (4.37, 2.08);
   aggregates publish whole ages or bands;
3. flags: count columns of only 0s and 1s (or at least two columns of true/false, yes/no) holding a 1 somewhere:
   per-child indicators, such as one column per adversity domain;
4. repeated rows: no count column at all and two identical rows, which can only be two records, never two
   categories.

The report's own tables each count several children per row, so none is child-level; a table of ten or more rows
of 0s and 1s would be all small counts anyway.
"""

from __future__ import annotations

import re

from analysis.privacy.scan.counts import SUPPRESSED, count_columns, number, whole
from analysis.privacy.scan.dates import cell_date

MIN_ROWS = 10
SHARE = 0.8
FLAGS = {"0": 0, "1": 1, "false": 0, "true": 1, "no": 0, "yes": 1, "n": 0, "y": 1}
BIRTH = re.compile(r"\bdob\b|birth|\bborn\b", re.I)
AGE = re.compile(r"^age\b|^age_", re.I)  # "Age", "Age at request"; not "Median age", which summarises many
MONTH_DATE = re.compile(r"^\d{4}-\d{1,2}$|^\d{1,2}/\d{4}$")


def _column(rows: list[list[str]], j: int) -> list[str]:
    return [r[j].strip() for r in rows if j < len(r) and r[j].strip()]


def _units(rows: list[list[str]], counts: list[int]) -> bool:
    """Whether most rows count at most one child in every count column."""
    unit = 0
    for r in rows:
        cells = [r[j].strip().lower() for j in counts if j < len(r)]
        unit += all(c not in SUPPRESSED and (whole(c) or 0) <= 1 for c in cells)
    return unit >= SHARE * len(rows)


def _mostly(values: list[str], test, rows: int) -> bool:
    """Most of the rows have a value passing `test`, and those values are mostly distinct."""
    hits = [v for v in values if test(v)]
    return len(hits) >= SHARE * rows and len(set(hits)) >= len(hits) / 2


def _fraction(v: str) -> bool:
    n = number(v)
    return n is not None and n != int(n) and not v.endswith("%")


def _flags(rows: list[list[str]], header: list[str], counts: list[int]) -> bool:
    """Indicators: count columns of 0s and 1s, or at least two columns of true/false or yes/no, with a 1 somewhere."""
    words = [j for j in range(len(header)) if j not in counts and _column(rows, j)]
    words = [j for j in words if {v.lower() for v in _column(rows, j)} <= FLAGS.keys()]
    flags = [j for j in counts if {v.lower() for v in _column(rows, j)} <= FLAGS.keys()]
    flags += words if len(words) >= 2 else []
    return any(FLAGS[v.lower()] for j in flags for v in _column(rows, j))


def child_shape(header: list[str], rows: list[list[str]]) -> str | None:
    """Why a table looks like one row per child (see the module docstring), or None."""
    if len(rows) < MIN_ROWS:
        return None
    counts = count_columns(header, rows)
    if not _units(rows, counts):
        return None  # most rows count several children: an aggregate
    for j, h in enumerate(header):
        values = _column(rows, j)
        if _mostly(values, lambda v: cell_date(v) is not None, len(rows)):
            return f"column '{h}' holds a date to the day on most of its {len(rows)} rows"
        if BIRTH.search(h) and sum(bool(cell_date(v) or MONTH_DATE.match(v)) for v in values) >= SHARE * len(rows):
            return f"column '{h}' holds birth dates on most of its {len(rows)} rows"
        if AGE.search(h) and _mostly(values, _fraction, len(rows)):
            return f"column '{h}' holds exact ages on most of its {len(rows)} rows"
    if _flags(rows, header, counts):
        return f"its {len(rows)} rows hold only 0/1 flags or counts of one child"
    if not counts and len({tuple(r) for r in rows}) < len(rows):
        return f"its {len(rows)} rows have no counts and some are identical, so they are records, not categories"
    return None
