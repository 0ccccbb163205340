"""Disclosure scan: the last check before a report is published.

`scan(site_dir, extract_dir, ...)` reads everything a reader could download (the HTML site, its CSV, JSON and
notebook files, the published `tables/*.csv` and `*.json` beside the site, and optionally the executed notebooks)
and returns one row per finding:

- ``identifier``: a value of an identifier column of the extract (`Column.identifier` in `analysis.schema`).
  Ids, UPNs and other identifiers are matched as whole tokens (case-insensitive); postcodes with and without the
  space; birth dates as ``yyyy-mm-dd`` and ``dd/mm/yyyy``; names as the child's full "Forename Surname" (either
  order), and single names only when unusual enough to point at a child (see `MIN_NAME_LENGTH`).
  Values too short to be distinctive are not matched (`MIN_ID_LENGTH`, `MIN_NUMERIC_ID_LENGTH`).
  The finding never repeats the value: it shows its first two characters, its length and where it came from.
- ``small count``: a count from 1 to threshold - 1 in a published table (see `count_columns` for which columns are
  counts), in a glued notebook value, in "N of M" prose, or in a JSON count (measures.json numerators and
  denominators, and their difference). Also a suppressed count that can be recovered: a share published beside it,
  or a total row when it is the only suppressed cell of its column.
- ``child-level row`` (public edition only): a table with a column named ``child`` or a column of pseudonymised child
  keys (``c_`` and 16 hex digits), or such keys anywhere in a page.

Tokens are collected once per document and intersected with sets of identifier values (n-grams for values of
several words), so a 60,000-child extract is scanned in seconds.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import functools
import io
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.contract import schema
from analysis.errors import UserError
from analysis.ingest.files import read_extract
from analysis.privacy import disclosure

KINDS = ("identifier", "small count", "child-level row")
COLUMNS = ["page", "kind", "value", "detail"]

# --- identifiers -----------------------------------------------------------------------------------------------
MIN_ID_LENGTH = 5  # ids, UPNs and postcodes shorter than this (ignoring spaces and punctuation) are not matched
MIN_NUMERIC_ID_LENGTH = 6  # an all-digit id must be longer, or it would match ordinary counts and years
MIN_NAME_LENGTH = 6  # a single forename or surname is matched alone only from this length ...
# ... only when fewer than `threshold` people in one extract table share it: "Thomas", held by hundreds of
# children, identifies nobody (and would match every citation of an author called Thomas); the full name still does;
# and only when the word is not in the report's own authored text (`AUTHORED`): "Wilson" in "Wilson 95% confidence
# intervals" was written into the chapters before any data was seen, so it cannot have leaked from the extract.
AUTHORED = (
    "book/**/*.md",
    "_config.yml",
    "_toc.yml",
    "_templates/**/*",
    "data_templates/*.yml",
    "data_templates/*.md",
    "README.md",
)
TOKEN = re.compile(r"[^\W_]+")  # runs of letters and digits: ids, UPNs, words; punctuation and spaces split
ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?!\d)(T\d{2}:\d{2}(?::\d{2})?)?")
UK_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])")
MIDNIGHT = ("T00:00", "T00:00:00")

# --- counts ----------------------------------------------------------------------------------------------------
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
# only at the start, so "Children under age 5" stays a count). "Rows" counts lines of
# extract files (provenance) or of validation problems: records, not children. Everything else that holds only whole
# numbers is presumed a count until it is listed here, so a new table is checked by default.
NON_COUNT_WORDS = re.compile(
    r"%|percent|share|proportion|\brate\b|ratio|^rank\b|^(age|ages|year|years)\b|\bmatch weight\b|^weight\b|"
    r"seconds|^time\b|\blower\b|\bupper\b|interval|\bci\b|\bdate\b|decile|^code\b|version|precision|recall|"
    r"\bmean\b|\bmedian\b|odds|sha256|hash|^rows$|\bbins?\b",
    re.I,
)
SHARE_WORDS = re.compile(r"%|percent|share|proportion|\brate\b|lower|upper|interval|\bci\b", re.I)
NUMBER = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^[-+]?\d+(?:\.\d+)?%?$")
_INT = r"(\d{1,3}(?:,\d{3})+|\d+)"
N_OF_M = re.compile(rf"(?<![\d.,]){_INT} of {_INT}(?![\d.%])")
N_CHILDREN = re.compile(rf"(?<![\d.,]){_INT}\s+(?:children|child|pupils|young people|families|pairs)\b", re.I)
TOTAL_ROW = re.compile(r"^\s*(all\b|total\b|overall\b)", re.I)
# Glued values that are parameters or counts of report parts or extract records, not counts of children.
NON_COUNT_GLUE = {
    "age",
    "age_threshold",
    "before_age",
    "disclosure_threshold",
    "threshold",
    "rounding_base",
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

# --- child-level rows ------------------------------------------------------------------------------------------
PSEUDONYM = re.compile(r"\bc_[0-9a-f]{16}\b")

TEXT_SUFFIXES = {".txt", ".md", ".svg", ".xml", ".js", ".rst"}
VENDOR_DIRS = {"_static"}  # theme scripts, fonts and translations: only data-like files are read there


@dataclasses.dataclass
class Identifiers:
    """Every identifier value of an extract, as lookup sets keyed by normalised form."""

    tokens: dict[str, tuple[str, str, str]]  # one token -> (original value, "table.column", what it is)
    ngrams: dict[int, dict[tuple[str, ...], tuple[str, str, str]]]  # n tokens -> same
    dates: dict[str, tuple[str, str, str]]  # yyyy-mm-dd -> same

    @property
    def size(self) -> int:
        return len(self.tokens) + sum(len(g) for g in self.ngrams.values()) + len(self.dates)


def _what(column: str) -> str:
    c = column.lower()
    if "upn" in c:
        return "UPN"
    if "postcode" in c:
        return "postcode"
    if "forename" in c or "surname" in c or c.endswith("name"):
        return "name"
    return "identifier"


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text.casefold())


def _distinctive(toks: list[str]) -> bool:
    joined = "".join(toks)
    if joined.isdigit():
        return len(joined) >= MIN_NUMERIC_ID_LENGTH
    return len(joined) >= MIN_ID_LENGTH


def _iso_dates(values: pd.Series) -> pd.Series:
    """Birth dates as yyyy-mm-dd, whatever form the extract holds them in (ISO, dd/mm/yyyy, with a time)."""
    s = values.dropna().astype(str).str.strip()
    iso = pd.to_datetime(s.where(s.str.match(r"^\d{4}-\d{1,2}-\d{1,2}")), format="ISO8601", errors="coerce")
    uk = pd.to_datetime(s.where(s.str.match(r"^\d{1,2}/\d{1,2}/\d{4}")), format="%d/%m/%Y", errors="coerce")
    return iso.fillna(uk).dropna().dt.strftime("%Y-%m-%d")


@functools.lru_cache(maxsize=1)
def authored_words() -> frozenset[str]:
    """Every word of the report's authored text (chapter sources, configuration, templates, rules, README)."""
    words: set[str] = set()
    for pattern in AUTHORED:
        for path in paths.REPO.glob(pattern):
            if path.is_file():
                words.update(_tokens(path.read_text(encoding="utf-8", errors="replace")))
    return frozenset(words)


def load_identifiers(extract_dir: Path, threshold: int = 10, allow: Iterable[str] = ()) -> Identifiers:
    """Collect every value of every identifier column of every table present in the extract."""
    allowed = {str(a).strip().casefold() for a in allow}
    tokens: dict[str, tuple[str, str, str]] = {}
    ngrams: dict[int, dict[tuple[str, ...], tuple[str, str, str]]] = defaultdict(dict)
    dates: dict[str, tuple[str, str, str]] = {}

    def add(toks: list[str], original: str, source: str, what: str) -> None:
        if not toks or original.strip().casefold() in allowed:
            return
        if len(toks) == 1:
            tokens.setdefault(toks[0], (original, source, what))
        else:
            ngrams[len(toks)].setdefault(tuple(toks), (original, source, what))

    for raw in read_extract(extract_dir).values():
        table = schema.TABLE[raw.name]
        frame = raw.frame
        for col in table.columns:
            if not col.identifier or col.name not in frame.columns:
                continue
            source = f"{raw.name}.{col.name}"
            values = frame[col.name].dropna()
            if col.kind == schema.DATE:
                for d in _iso_dates(values).unique():
                    if d not in allowed:
                        dates.setdefault(d, (d, source, "birth date"))
                continue
            what = _what(col.name)
            if what == "name":
                counts = values.str.casefold().value_counts()
                authored = authored_words()
                for v, n in counts.items():
                    toks = _tokens(v)
                    if len("".join(toks)) >= MIN_NAME_LENGTH and n < threshold and not set(toks) <= authored:
                        add(toks, v, source, "name")
                continue
            for v in values.unique():
                toks = _tokens(v)
                if not _distinctive(toks):
                    continue
                add(toks, v, source, what)
                if what == "postcode" and len(toks) > 1:
                    add(["".join(toks)], v, source, what)  # written without the space
        # full names: forename and surname of the same row, in either order
        fore = next((c for c in frame.columns if c.endswith("forename")), None)
        sur = next((c for c in frame.columns if c.endswith("surname")), None)
        if fore and sur and table.column(fore).identifier:
            pairs = frame[[fore, sur]].dropna().drop_duplicates()
            for f, s in pairs.itertuples(index=False):
                ft, st = _tokens(f), _tokens(s)
                if ft and st:
                    add(ft + st, f"{f} {s}", f"{raw.name}.{fore}+{sur}", "full name")
                    add(st + ft, f"{s} {f}", f"{raw.name}.{sur}+{fore}", "full name")
    return Identifiers(tokens, dict(ngrams), dates)


def mask(value: str) -> str:
    """The first two characters and the length, never the value: 'A0*********** (13 characters)'."""
    value = str(value)
    return f"{value[:2]}{'*' * max(len(value) - 2, 0)} ({len(value)} characters)"


def _match(text: str, ids: Identifiers) -> Iterator[tuple[tuple[str, str, str], str]]:
    """Identifier hits in a text: (the identifier's record, how it was written)."""
    toks = _tokens(text)
    seen = set(toks)
    for t in seen & ids.tokens.keys():
        yield ids.tokens[t], "as a whole word"
    for n, grams in ids.ngrams.items():
        if len(toks) >= n:
            for g in set(zip(*(toks[i:] for i in range(n)))) & grams.keys():
                yield grams[g], "as consecutive words"
    for m in ISO_DATE.finditer(text):
        if m.group(4) and m.group(4) not in MIDNIGHT:
            continue  # a timestamp with a time of day (when the report was built), not a birth date
        d = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
        if d in ids.dates:
            yield ids.dates[d], "in yyyy-mm-dd form"
    for m in UK_DATE.finditer(text):
        d = f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
        if d in ids.dates:
            yield ids.dates[d], "in dd/mm/yyyy form"


# --- documents -------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Table:
    header: list[str]
    rows: list[list[str]]
    where: str  # e.g. "table 2" or "the CSV"


class _HTML(HTMLParser):
    """Text, attribute values and tables of an HTML page, with only the standard library."""

    SKIP_ATTRS = {
        "class",
        "id",
        "style",
        "role",
        "tabindex",
        "colspan",
        "rowspan",
        "width",
        "height",
        "type",
        "rel",
        "media",
        "charset",
        "lang",
        "dir",
        "target",
        "async",
        "defer",
        "method",
        "for",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.prose: list[str] = []  # running text: outside scripts, styles and tables
        self.attrs: dict[str, list[str]] = defaultdict(list)
        self.tables: list[_Table] = []
        self._stack: list[dict] = []
        self._raw = 0  # inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and name not in self.SKIP_ATTRS and not value.startswith("data:"):
                self.attrs[name].append(value)
        if tag in ("script", "style"):
            self._raw += 1
        elif tag == "table":
            self._stack.append({"head": [], "body": [], "row": None, "cell": None, "in_head": False})
        elif self._stack:
            t = self._stack[-1]
            if tag == "thead":
                t["in_head"] = True
            elif tag == "tr":
                t["row"] = []
            elif tag in ("td", "th") and t["row"] is not None:
                t["cell"] = []
        if tag in ("br", "p", "div", "li", "td", "th", "tr"):
            self.text.append("\n")
            self.prose.append("\n")
        if tag in ("td", "th"):
            self.text.append(" ")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._raw = max(0, self._raw - 1)
        elif tag == "table" and self._stack:
            t = self._stack.pop()
            header = t["head"][-1] if t["head"] else []
            body = t["body"]
            if not header and body:
                header, body = body[0], body[1:]
            self.tables.append(_Table(header, body, f"table {len(self.tables) + 1}"))
        elif self._stack:
            t = self._stack[-1]
            if tag == "thead":
                t["in_head"] = False
            elif tag in ("td", "th") and t["cell"] is not None and t["row"] is not None:
                t["row"].append(" ".join("".join(t["cell"]).split()))
                t["cell"] = None
            elif tag == "tr" and t["row"] is not None:
                (t["head"] if t["in_head"] else t["body"]).append(t["row"])
                t["row"] = None
        self.text.append(" ")
        if not self._raw:
            self.prose.append(" ")

    def handle_data(self, data):
        self.text.append(data)
        if self._raw:
            return
        if not self._stack:
            self.prose.append(data)
        elif self._stack[-1]["cell"] is not None:
            self._stack[-1]["cell"].append(data)


class _Scanner:
    def __init__(self, root: Path, ids: Identifiers, threshold: int, edition: str) -> None:
        self.root, self.ids, self.threshold, self.edition = root, ids, threshold, edition
        self.rows: list[dict] = []

    # findings
    def page(self, path: Path) -> str:
        return Path(os.path.relpath(path, self.root)).as_posix()

    def add(self, page: str, kind: str, value, detail: str) -> None:
        self.rows.append({"page": page, "kind": kind, "value": str(value), "detail": detail})

    def small(self, n) -> bool:
        return isinstance(n, int) and not isinstance(n, bool) and 1 <= n < self.threshold

    # identifiers
    def identifiers(self, page: str, text: str, where: str) -> None:
        for (original, source, what), how in _match(text, self.ids):
            hint = (
                " (a date published by design, such as the study window, can be allowed: see `allow`)"
                if what == "birth date"
                else ""
            )
            self.add(page, "identifier", f"{mask(original)} from {source}", f"{what} {how} in {where}{hint}")

    # tables
    def table(self, page: str, t: _Table) -> None:
        header = [h.strip() for h in t.header]
        if self.edition == "public":
            self._child_level(page, t, header)
        if self.threshold <= 1:
            return
        for row in t.rows:
            for j, cell in enumerate(row):
                for m in N_OF_M.finditer(cell):
                    col = header[j] if j < len(header) else f"column {j + 1}"
                    self._n_of_m(page, m, f"{t.where}, column '{col}', row '{_label(row)}'")
        counts = count_columns(header, t.rows)
        for j in counts:
            for row in t.rows:
                if j < len(row):
                    n = _whole(row[j])
                    if self.small(n):
                        self.add(
                            page,
                            "small count",
                            n,
                            f"{t.where}, column '{header[j]}', row '{_label(row)}': "
                            f"a count from 1 to {self.threshold - 1}",
                        )
        self._recoverable(page, t, header, counts)

    def _child_level(self, page: str, t: _Table, header: list[str]) -> None:
        for j, h in enumerate(header):
            values = [r[j].strip() for r in t.rows if j < len(r) and r[j].strip()]
            keys = sum(bool(PSEUDONYM.fullmatch(v)) for v in values)
            if h.casefold() == "child" or (values and keys):
                self.add(
                    page,
                    "child-level row",
                    f"column '{h}'",
                    f"{t.where} has {len(t.rows)} rows with a column "
                    + (f"of pseudonymised child keys ({keys} keys)" if keys else "named 'child'")
                    + "; the public edition publishes aggregates only",
                )
                return

    def _recoverable(self, page: str, t: _Table, header: list[str], counts: list[int]) -> None:
        """Suppressed counts that a reader can still work out."""
        if not counts:
            return
        names = {j: _bare(header[j]) for j in counts}
        shares = [j for j, h in enumerate(header) if j not in counts and SHARE_WORDS.search(h)]
        for j in shares:
            paired = [k for k in counts if names[k] and names[k] == _bare(header[j])] or counts
            for row in t.rows:
                if j >= len(row):
                    continue
                v = _number(row[j])
                hidden = [header[k] for k in paired if k < len(row) and row[k].strip().lower() in SUPPRESSED]
                if hidden and v is not None and v != 0:
                    self.add(
                        page,
                        "small count",
                        row[j].strip(),
                        f"{t.where}, row '{_label(row)}': column '{header[j]}' is published although "
                        f"'{hidden[0]}' is suppressed, so the suppressed count can be recovered from it",
                    )
        for j in shares:
            for a, b in _fractions(t.rows, counts, j):
                for row in t.rows:
                    num, den = (_whole(row[a]), _whole(row[b])) if max(a, b) < len(row) else (None, None)
                    if num is not None and den is not None and self.small(den - num):
                        self.add(
                            page,
                            "small count",
                            f"{num} of {den}",
                            f"{t.where}, row '{_label(row)}': '{header[a]}' of '{header[b]}' (the share in "
                            f"'{header[j]}') leaves {den - num}, a count from 1 to {self.threshold - 1}",
                        )
        totals = [i for i, r in enumerate(t.rows) if r and TOTAL_ROW.match(r[0])]
        for i in totals:
            for k in counts:
                total = _whole(t.rows[i][k]) if k < len(t.rows[i]) else None
                if total is None:
                    continue
                others = [r for n, r in enumerate(t.rows) if n not in totals and k < len(r)]
                hidden = [r for r in others if r[k].strip().lower() in SUPPRESSED]
                if len(hidden) == 1:
                    self.add(
                        page,
                        "small count",
                        disclosure.SUPPRESSED,
                        f"{t.where}, column '{header[k]}', row '{_label(hidden[0])}': the only suppressed cell "
                        f"of the column can be recovered by subtraction from the row '{_label(t.rows[i])}'",
                    )

    def prose(self, page: str, text: str, where: str) -> None:
        """'N of M' statements in running text (glued shares end up here)."""
        for m in N_OF_M.finditer(text):
            self._n_of_m(page, m, where)

    def _n_of_m(self, page: str, m: re.Match, where: str) -> None:
        n, d = _whole(m.group(1)), _whole(m.group(2))
        if n is None or d is None:
            return
        for label, v in (("N", n), ("M", d), ("M - N", d - n)):
            if self.small(v):
                self.add(
                    page,
                    "small count",
                    m.group(0),
                    f"{where}: '{m.group(0)}' has {label} = {v}, a count from 1 to {self.threshold - 1}",
                )

    # files
    def html(self, path: Path) -> None:
        page = self.page(path)
        p = _HTML()
        p.feed(path.read_text(encoding="utf-8", errors="replace"))
        p.close()
        self.identifiers(page, "".join(p.text), "the page text")
        for name, values in p.attrs.items():
            self.identifiers(page, "\n".join(values), f"the {name} attribute")
        for t in p.tables:
            self.table(page, t)
        self.prose(page, "".join(p.prose), "the page text")
        self._keys_in_text(page, "".join(p.text), "the page text")

    def html_fragment(self, page: str, html: str, where: str) -> None:
        """Tables and running text of an HTML notebook output."""
        p = _HTML()
        p.feed(html)
        p.close()
        for t in p.tables:
            t.where = f"{where}, {t.where}"
            self.table(page, t)
        self.prose(page, "".join(p.prose), where)

    def csv(self, path: Path) -> None:
        page = self.page(path)
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        self.identifiers(page, text, "the CSV")
        rows = list(csv.reader(io.StringIO(text), delimiter="\t" if path.suffix == ".tsv" else ","))
        if rows:
            self.table(page, _Table(rows[0], rows[1:], "the CSV"))

    def xlsx(self, path: Path) -> None:
        page = self.page(path)
        for sheet, frame in pd.read_excel(path, sheet_name=None, dtype=str, header=None).items():
            frame = frame.fillna("")
            rows = frame.astype(str).values.tolist()
            self.identifiers(page, "\n".join(" ".join(r) for r in rows), f"sheet '{sheet}'")
            if rows:
                self.table(page, _Table(rows[0], rows[1:], f"sheet '{sheet}'"))

    def json(self, path: Path) -> None:
        page = self.page(path)
        text = path.read_text(encoding="utf-8", errors="replace")
        self.identifiers(page, text, "the JSON")
        try:
            data = json.loads(text)
        except ValueError:
            return
        self._json_counts(page, data, "")

    def _json_counts(self, page: str, node, where: str) -> None:
        if isinstance(node, dict):
            if "numerator" in node and "denominator" in node:
                self._measure(page, node, where)
            for k, v in node.items():
                here = f"{where}.{k}" if where else str(k)
                if isinstance(v, (dict, list)):
                    self._json_counts(page, v, here)
                elif COUNT_KEYS.match(str(k)) and k not in ("numerator", "denominator") and self.small(v):
                    self.add(page, "small count", v, f"'{here}' is a count from 1 to {self.threshold - 1}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self._json_counts(page, v, f"{where}[{i}]")

    def _measure(self, page: str, m: dict, where: str) -> None:
        name = m.get("name") or where
        num, den = m.get("numerator"), m.get("denominator")
        if m.get("suppressed") is True:
            if num is not None or den is not None:
                self.add(
                    page,
                    "small count",
                    f"{num} of {den}",
                    f"measure '{name}' is marked suppressed but still shows its numerator or denominator",
                )
            return
        values = [("numerator", num), ("denominator", den)]
        if isinstance(num, int) and isinstance(den, int):
            values.append(("denominator - numerator", den - num))
        for label, v in values:
            if self.small(v):
                self.add(
                    page,
                    "small count",
                    f"{num} of {den}",
                    f"measure '{name}': {label} = {v} is from 1 to {self.threshold - 1} and the measure is "
                    "not marked suppressed",
                )

    def notebook(self, path: Path) -> None:
        page = self.page(path)
        try:
            nb = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except ValueError:
            self.identifiers(page, path.read_text(errors="replace"), "the notebook")
            return
        sources, outputs = [], []
        for i, cell in enumerate(nb.get("cells", []), start=1):
            src = cell.get("source", "")
            sources.append("".join(src) if isinstance(src, list) else str(src))
            for out in cell.get("outputs", []):
                texts = dict(_output_texts(out))
                scrap = out.get("metadata", {}).get("scrapbook")
                where = f"glued value '{scrap.get('name', '?')}'" if scrap else f"cell {i} output"
                if scrap:
                    for mime, value in texts.items():
                        self._glue(page, scrap.get("name", "?"), mime, value, i)
                else:
                    outputs.extend(texts.values())
                    for value in texts.values():
                        self._keys_in_text(page, value, where)
                    if "text/html" not in texts:
                        for mime in ("text/markdown", "text/plain"):
                            if mime in texts:
                                self.prose(page, texts[mime], where)
                                break
                if "text/html" in texts:
                    self.html_fragment(page, texts["text/html"], where)
        self.identifiers(page, "\n".join(sources), "the notebook's code and text cells")
        self.identifiers(page, "\n".join(outputs), "the notebook's outputs")

    def _glue(self, page: str, key: str, mime: str, value: str, cell: int) -> None:
        where = f"glued value '{key}' (cell {cell})"
        self.identifiers(page, value, where)
        if self.edition == "public":
            self._keys_in_text(page, value, where)
        if self.threshold <= 1 or key in NON_COUNT_GLUE or not mime.endswith("text/plain"):
            return
        plain = _literal(value)
        n = _whole(plain)
        if self.small(n):
            self.add(page, "small count", plain, f"{where} is a count from 1 to {self.threshold - 1}")
            return
        for m in N_OF_M.finditer(plain):
            self._n_of_m(page, m, where)
        for m in N_CHILDREN.finditer(plain):
            v = _whole(m.group(1))
            if self.small(v):
                self.add(
                    page,
                    "small count",
                    m.group(0),
                    f"{where}: '{m.group(0)}' is a count from 1 to {self.threshold - 1}",
                )

    def _keys_in_text(self, page: str, text: str, where: str) -> None:
        if self.edition != "public":
            return
        keys = set(PSEUDONYM.findall(text))
        if not keys:
            return
        if any(r["page"] == page and r["kind"] == "child-level row" for r in self.rows):
            return  # already reported for a table on this page
        self.add(
            page,
            "child-level row",
            f"{len(keys)} pseudonymised child keys",
            f"{where} holds pseudonymised child keys (c_ and 16 hex digits); the public edition publishes "
            "aggregates only",
        )

    def text(self, path: Path) -> None:
        self.identifiers(self.page(path), path.read_text(encoding="utf-8", errors="replace"), "the file")

    def file(self, path: Path, vendor: bool = False) -> None:
        s = path.suffix.lower()
        if s in (".html", ".htm"):
            self.html(path)
        elif s in (".csv", ".tsv"):
            self.csv(path)
        elif s == ".xlsx":
            self.xlsx(path)
        elif s == ".json":
            self.json(path)
        elif s == ".ipynb":
            self.notebook(path)
        elif s in TEXT_SUFFIXES and (not vendor or path.name.startswith("searchindex")):
            self.text(path)


def _output_texts(out: dict) -> Iterator[tuple[str, str]]:
    """(mime type, text) of a notebook output, without images."""
    if out.get("output_type") == "stream":
        t = out.get("text", "")
        yield "text/plain", "".join(t) if isinstance(t, list) else str(t)
        return
    if out.get("output_type") == "error":
        yield "text/plain", "\n".join([str(out.get("evalue", ""))] + list(out.get("traceback", [])))
        return
    for mime, value in out.get("data", {}).items():
        base = mime.removeprefix("application/papermill.record/")
        if base.startswith("image/") and base != "image/svg+xml":
            continue
        if not isinstance(value, str):
            value = "".join(value) if isinstance(value, list) else json.dumps(value)
        yield base, value


def _literal(value: str) -> str:
    """A glued text/plain repr ("'54 of 100 (...)'" or "5") as the text a reader sees."""
    try:
        v = ast.literal_eval(value.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value.strip()
    return str(v) if isinstance(v, (str, int, float)) and not isinstance(v, bool) else value.strip()


def _number(cell) -> float | None:
    s = str(cell).strip()
    if not NUMBER.match(s):
        return None
    return float(s.replace(",", "").rstrip("%"))


def _whole(cell) -> int | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    v = _number(cell)
    s = str(cell).strip()
    if v is None or s.endswith("%") or v != int(v):
        return None
    return int(v)


def _fractions(rows: list[list[str]], counts: list[int], share: int) -> list[tuple[int, int]]:
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
                num, den, sh = _whole(row[a]), _whole(row[b]), _number(row[share])
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


def _label(row: list[str]) -> str:
    """The row's leading text cells (its category), to name it in a finding."""
    words = [c.strip() for c in row[:2] if c.strip().lower() not in SYMBOLS and not NUMBER.match(c.strip())]
    if len(words) == 2 and re.search(r"\d", words[1]):
        words = words[:1]  # a second cell with numbers is a value, not part of the label
    return " / ".join(words)[:80] or (row[0] if row else "")


def _bare(header: str) -> str:
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
        if filled and all(c.lower() in SUPPRESSED or _whole(c) is not None for c in filled):
            out.append(j)
    return out


def _walk(folder: Path) -> Iterator[tuple[Path, bool]]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        vendor = any(part in VENDOR_DIRS for part in Path(dirpath).relative_to(folder).parts)
        for f in sorted(filenames):
            yield Path(dirpath) / f, vendor


def scan(
    site_dir: Path,
    extract_dir: Path | None,
    threshold: int = 10,
    edition: str = "public",
    notebooks_dir: Path | None = None,
    *,
    tables_dir: Path | None = None,
    json_dir: Path | None = None,
    allow: Iterable[str] = (),
) -> pd.DataFrame:
    """Every identifier, small count and (public edition) child-level row a reader could see or download.

    Reads the site (HTML text and attribute values, CSV, XLSX, JSON and notebooks, including `_sources/*.ipynb`),
    `tables_dir` (default: `tables/` beside the site) and the `*.json` files in `json_dir` (default: the folder
    holding the site), and, if given, the executed notebooks in `notebooks_dir`. `allow` lists values published by
    design that may coincide with an identifier, such as the dates of the study window (see `published_values`).
    Returns one row per finding: page (relative to `site_dir`), kind, value (identifiers masked) and detail.
    """
    site_dir = Path(site_dir)
    if not site_dir.is_dir():
        raise UserError(f"Site folder not found: {site_dir}")
    if edition not in ("public", "internal"):
        raise UserError(f"edition must be 'public' or 'internal', not '{edition}'.")
    # a comparison of authorities' aggregate returns has no extract, so no identifiers to look for
    ids = load_identifiers(Path(extract_dir), threshold, allow) if extract_dir else Identifiers({}, {}, {})
    s = _Scanner(site_dir, ids, threshold, edition)
    for path, vendor in _walk(site_dir):
        s.file(path, vendor)
    tables_dir = Path(tables_dir) if tables_dir else site_dir.parent / "tables"
    if tables_dir.is_dir() and site_dir.resolve() not in tables_dir.resolve().parents:
        for path in sorted(tables_dir.glob("*.csv")):
            s.csv(path)
    json_dir = Path(json_dir) if json_dir else site_dir.parent
    if json_dir.resolve() != site_dir.resolve():
        for path in sorted(json_dir.glob("*.json")):
            s.json(path)
    if notebooks_dir is not None:
        for path in sorted(Path(notebooks_dir).rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in path.parts:
                s.notebook(path)
    found = pd.DataFrame(s.rows, columns=COLUMNS).drop_duplicates(ignore_index=True)
    return found.sort_values(["page", "kind", "value"], kind="stable", ignore_index=True)


def published_values(params) -> list[str]:
    """Values a run publishes by design that may equal a birth date: the study window (from `RunParams`)."""
    return [d.isoformat() for d in (params.study_start, params.study_end)]


def summarise(findings: pd.DataFrame, examples: int = 3) -> str:
    """Findings grouped by page and kind, with counts and the first few examples."""
    lines = []
    for (page, kind), g in findings.groupby(["page", "kind"], sort=True):
        n = len(g)
        label = kind if n == 1 else ("child-level rows" if kind == "child-level row" else f"{kind}s")
        shown = "; ".join(f"{v} ({d})" for v, d in zip(g["value"].head(examples), g["detail"].head(examples)))
        more = f"; and {n - examples} more" if n > examples else ""
        lines.append(f"  {page}: {n} {label}: {shown}{more}")
    return "\n".join(lines)


def refuse_if_unsafe(findings: pd.DataFrame) -> None:
    """Raise a UserError naming every page with a finding; do nothing when there are none."""
    if findings is None or findings.empty:
        return
    kinds = findings["kind"].value_counts()
    counts = ", ".join(f"{n} {k}" for k, n in kinds.items())
    raise UserError(
        f"The disclosure scan found {len(findings)} problem(s) ({counts}) on "
        f"{findings['page'].nunique()} page(s); nothing was published.\n{summarise(findings)}"
    )


def gate(params, extract_dir: Path | None, chapters: str):
    """The publish gate for a build with these parameters: a function of (staged folder, work folder) that scans
    the staged site, its tables and JSON, and the executed notebooks of `book/<chapters>`, writes any findings to
    work/disclosure_findings.csv and refuses (raises) when there are any. A comparison has no extract."""

    def check(stage: Path, work: Path) -> None:
        findings = scan(
            stage / "html",
            extract_dir,
            params.disclosure_threshold,
            params.edition,
            notebooks_dir=work / "book_stage" / "book" / chapters,
            allow=published_values(params),
        )
        if not findings.empty:
            findings.to_csv(work / "disclosure_findings.csv", index=False)
        refuse_if_unsafe(findings)

    return check
