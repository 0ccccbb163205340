"""The extract's identifier values, as lookup sets, and where they appear in a text.

Values are normalised to tokens once, so a document is matched by set intersection rather than by searching for
each of tens of thousands of values.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.contract import schema
from analysis.ingest.files import read_extract

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

Record = tuple[str, str, str]  # (original value, "table.column", what it is)


@dataclasses.dataclass
class Identifiers:
    """Every identifier value of an extract, as lookup sets keyed by normalised form."""

    tokens: dict[str, Record]  # one token -> (original value, "table.column", what it is)
    ngrams: dict[int, dict[tuple[str, ...], Record]]  # n tokens -> same
    dates: dict[str, Record]  # yyyy-mm-dd -> same

    @property
    def size(self) -> int:
        return len(self.tokens) + sum(len(g) for g in self.ngrams.values()) + len(self.dates)


def tokenise(text: str) -> list[str]:
    """The words of a text as they are compared: case-folded runs of letters and digits."""
    return TOKEN.findall(text.casefold())


def _what(column: str) -> str:
    c = column.lower()
    if "upn" in c:
        return "UPN"
    if "postcode" in c:
        return "postcode"
    if "forename" in c or "surname" in c or c.endswith("name"):
        return "name"
    return "identifier"


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
                words.update(tokenise(path.read_text(encoding="utf-8", errors="replace")))
    return frozenset(words)


@dataclasses.dataclass
class _Collector:
    """The lookup sets being filled; the first source of a value is the one a finding names."""

    allowed: set[str]
    tokens: dict[str, Record] = dataclasses.field(default_factory=dict)
    ngrams: dict[int, dict[tuple[str, ...], Record]] = dataclasses.field(default_factory=lambda: defaultdict(dict))
    dates: dict[str, Record] = dataclasses.field(default_factory=dict)

    def add(self, toks: list[str], original: str, source: str, what: str) -> None:
        if not toks or original.strip().casefold() in self.allowed:
            return
        if len(toks) == 1:
            self.tokens.setdefault(toks[0], (original, source, what))
        else:
            self.ngrams[len(toks)].setdefault(tuple(toks), (original, source, what))

    def column(self, col: schema.Column, values: pd.Series, source: str, threshold: int) -> None:
        """One identifier column: dates by day, names only when rare and not authored, other values when
        distinctive enough not to match ordinary numbers and words."""
        if col.kind == schema.DATE:
            for d in _iso_dates(values).unique():
                if d not in self.allowed:
                    self.dates.setdefault(d, (d, source, "birth date"))
            return
        what = _what(col.name)
        if what == "name":
            counts = values.str.casefold().value_counts()
            authored = authored_words()
            for v, n in counts.items():
                toks = tokenise(v)
                if len("".join(toks)) >= MIN_NAME_LENGTH and n < threshold and not set(toks) <= authored:
                    self.add(toks, v, source, "name")
            return
        for v in values.unique():
            toks = tokenise(v)
            if not _distinctive(toks):
                continue
            self.add(toks, v, source, what)
            if what == "postcode" and len(toks) > 1:
                self.add(["".join(toks)], v, source, what)  # written without the space

    def full_names(self, name: str, table: schema.Table, frame: pd.DataFrame) -> None:
        """Forename and surname of the same row, in either order: a full name points at a child however common."""
        fore = next((c for c in frame.columns if c.endswith("forename")), None)
        sur = next((c for c in frame.columns if c.endswith("surname")), None)
        if fore and sur and table.column(fore).identifier:
            pairs = frame[[fore, sur]].dropna().drop_duplicates()
            for f, s in pairs.itertuples(index=False):
                ft, st = tokenise(f), tokenise(s)
                if ft and st:
                    self.add(ft + st, f"{f} {s}", f"{name}.{fore}+{sur}", "full name")
                    self.add(st + ft, f"{s} {f}", f"{name}.{sur}+{fore}", "full name")


def load_identifiers(extract_dir: Path, threshold: int = 10, allow: Iterable[str] = ()) -> Identifiers:
    """Collect every value of every identifier column of every table present in the extract."""
    found = _Collector({str(a).strip().casefold() for a in allow})
    for raw in read_extract(extract_dir).values():
        table = schema.TABLE[raw.name]
        frame = raw.frame
        for col in table.columns:
            if col.identifier and col.name in frame.columns:
                found.column(col, frame[col.name].dropna(), f"{raw.name}.{col.name}", threshold)
        found.full_names(raw.name, table, frame)
    return Identifiers(found.tokens, dict(found.ngrams), found.dates)


def mask(value: str) -> str:
    """The first two characters and the length, never the value: 'A0*********** (13 characters)'."""
    value = str(value)
    return f"{value[:2]}{'*' * max(len(value) - 2, 0)} ({len(value)} characters)"


def match(text: str, ids: Identifiers) -> Iterator[tuple[Record, str]]:
    """Identifier hits in a text: (the identifier's record, how it was written)."""
    toks = tokenise(text)
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
