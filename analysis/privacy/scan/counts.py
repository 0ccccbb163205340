"""What is a count of children, read back from what a reader sees: count columns, numbers in cells and text, and the
shares that give a suppressed count away.

Everything that holds only whole numbers is presumed a count until listed here, so a new table is checked by default.
"""

from __future__ import annotations

import re

from analysis.privacy import disclosure

SUPPRESSED = {*disclosure.WRITTEN_FORMS, "*"}
SYMBOLS = {*SUPPRESSED, "x", "[x]", "z", "[z]", "u", "[u]", ":", "low", "-", "", "nan", "none", "<na>"}
# Whole-number columns that are not counts of children, compared after lower-casing and squeezing spaces ...
NON_COUNT_HEADERS = {
    "rank",
    "year of request",
    "year",
    "percent",
    "share",
    "lower 95%",
    "upper 95%",
    "match weight from",
    "seconds",
    "rows",
    "code",
    "value",
    "version",
    "age",
    "before threshold",
    "imd decile",
    "decile",
}
# ... and header words that mark a rate, a position or a measure rather than a count (ages, years, ranks and codes
# only at the start, so "Children under age 5" stays a count, and an age or year followed by a bound or a number
# names a group of children, so "Age under 5" and "Age 5 to 10" are counts too). "Rows" counts lines of
# extract files (provenance) or of validation problems: records, not children. Everything else that holds only whole
# numbers is presumed a count until it is listed here, so a new table is checked by default. F1, kappa and "Dates
# within 30 days" are the case-note agreement statistics: 1.00 or all suppressed, they looked like counts.
NON_COUNT_WORDS = re.compile(
    r"%|percent|share|proportion|\brate\b|ratio|^rank\b|^(age|ages|year|years)\b(?!\s*(?:[<>≤≥]|\d|under|over|below|above|"
    r"from|less|more|up to|and over|or (?:over|under|more|less)))|\bmatch weight\b|^weight\b|"
    r"seconds|^time\b|\blower\b|\bupper\b|interval|\bci\b|\bdate\b|decile|^code\b|version|precision|recall|"
    r"\bmean\b|\bmedian\b|odds|sha256|hash|^rows$|\bbins?\b|^f1\b|\bkappa\b|^dates within\b",
    re.I,
)
SHARE_WORDS = re.compile(r"%|percent|share|proportion|\brate\b|lower|upper|interval|\bci\b", re.I)
NUMBER = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^[-+]?\d+(?:\.\d+)?%?$")
_INT = r"(\d{1,3}(?:,\d{3})+|\d+)"
N_OF_M = re.compile(rf"(?<![\d.,]){_INT} (?:out )?of {_INT}(?![\d.%])")
N_CHILDREN = re.compile(
    rf"(?<![\d.,]){_INT}\s+(?:more\s+|other\s+|further\s+)?"
    r"(?:children|child|pupils?|young people|young persons?|families|family|girls?|boys?|siblings?|pairs)\b",
    re.I,
)
N_SHARE = re.compile(rf"(?<![\d.,]){_INT}\s*\(\s*\d+(?:\.\d+)?\s*%")  # "3 (2.9%)": a count beside its share
# words before a number in prose that make it an age, a year, a figure's number, a rank or a limit, not a count
NOT_A_COUNT_BEFORE = re.compile(
    r"(?:\b(?:age[sd]?|under|over|below|above|before|after|years?|step|fig(?:ure)?s?\.?|table|chapter|section|"
    r"part|appendix|page|p\.|no\.|rank|than|least|most|threshold|version|model|level|key stage|ks)|[<>≤≥#=§])\s*$",
    re.I,
)
TOTAL_ROW = re.compile(r"^\s*(all\b|total\b|overall\b)", re.I)
# Glued values that are parameters or counts of report parts or extract records, not counts of children.
NON_COUNT_GLUE = {
    "age",
    "age_threshold",
    "landmark_age",
    "horizon",
    "horizon_age",
    "n_mapped",
    "n_not_counted",
    "before_age",
    "disclosure_threshold",
    "threshold",
    "n_recs",
    "n_frame",
    "n_files",
    "n_codes",
    "n_chapters",
    "errors",
    "warnings",
    "excluded",
    "la_code",
    "or_early",
    "or_ci",
    "match_rate",
    "window",
}
# JSON keys whose whole-number values are counts of children (measures.json, linkage.json).
COUNT_KEYS = re.compile(
    r"^(numerator|denominator|cohort_size|linked|children|count|n|pairs|.*_people|"
    r".*_children|.*_count|n_.*)$"
)


def number(cell) -> float | None:
    """A cell as a number, if it is written as one (thousands separators and a trailing % allowed)."""
    s = str(cell).strip()
    if not NUMBER.match(s):
        return None
    return float(s.replace(",", "").rstrip("%"))


def whole(cell) -> int | None:
    """A cell as a whole number, or None: a percentage or a fraction is never a count."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    v = number(cell)
    s = str(cell).strip()
    if v is None or s.endswith("%") or v != int(v):
        return None
    return int(v)


def fractions(rows: list[list[str]], counts: list[int], share: int) -> list[tuple[int, int]]:
    """Pairs (numerator, denominator) of count columns whose ratio is the share column, as a fraction or a
    percentage, on every row where all three are published (and on at least one row with a share above zero)."""
    pairs = []
    for a in counts:
        for b in counts:
            if a == b:
                continue
            seen, fits = 0, True
            for row in rows:
                if max(a, b, share) >= len(row):
                    continue
                num, den, sh = whole(row[a]), whole(row[b]), number(row[share])
                if num is None or den is None or sh is None or den == 0:
                    continue
                ratio = num / den
                if not (abs(ratio - sh) <= 5e-4 or abs(100 * ratio - sh) <= 0.051):
                    fits = False
                    break
                seen += sh > 0
            if fits and seen:
                pairs.append((a, b))
    return pairs


def label(row: list[str]) -> str:
    """The row's leading text cells (its category), to name it in a finding."""
    words = [c.strip() for c in row[:2] if c.strip().lower() not in SYMBOLS and not NUMBER.match(c.strip())]
    if len(words) == 2 and re.search(r"\d", words[1]):
        words = words[:1]  # a second cell with numbers is a value, not part of the label
    return " / ".join(words)[:80] or (row[0] if row else "")


def bare(header: str) -> str:
    """A header without its share words, so 'Share referred' pairs with the count column 'Referred'."""
    return " ".join(SHARE_WORDS.sub(" ", header.casefold()).split())


def count_columns(header: list[str], rows: list[list[str]]) -> list[int]:
    """Positions of the count columns of a table.

    A column is a count column when (1) its header is not a non-count header (`NON_COUNT_HEADERS`, or a header with
    a word of `NON_COUNT_WORDS`: percentages, shares, rates, intervals, years, ages, ranks, match weights, times,
    codes, versions, thresholds, rows of files), and (2) every non-blank cell is a whole number (thousands
    separators and ``.0`` allowed) or a disclosure symbol (c, x, z, u, ...), with at least one number or ``c``.
    Any other whole-number column is presumed a count, so a new table is checked until its header is listed.
    """
    out = []
    for j, h in enumerate(header):
        name = " ".join(str(h).casefold().split())
        if name in NON_COUNT_HEADERS or NON_COUNT_WORDS.search(name):
            continue
        cells = [str(r[j]).strip() for r in rows if j < len(r)]
        filled = [c for c in cells if c.lower() not in SYMBOLS or c.lower() in SUPPRESSED]
        if filled and all(c.lower() in SUPPRESSED or whole(c) is not None for c in filled):
            out.append(j)
    return out
