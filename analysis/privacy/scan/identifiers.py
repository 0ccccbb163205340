"""The extract's identifier values, as lookup sets, and where they appear in a text.

Values are normalised to tokens once, so a document is matched by set intersection rather than by searching for
each of tens of thousands of values. Birth dates are a set of yyyy-mm-dd strings: every date written in a text, in
any of the forms `dates` reads, is normalised and looked up. An all-digit identifier (an NHS number) is also looked
up with its groups joined, as people write 943 476 5919 or 943-476-5919 for 9434765919.

Values the run publishes by design (`allow`: the study window, the authority's name and code) are not matches where
they appear as a whole phrase: with ``la_name: Bolton`` the word Bolton alone is the authority, but "Jane Bolton"
is still a child's full name, since the name's other word lies outside the phrase.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.contract import schema
from analysis.ingest.files import read_extract
from analysis.privacy.scan.dates import cell_date, dates_in

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
# the two forms the extract itself holds dates in (`dates.FORMS` reads every form a text may use)
ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?!\d)(T\d{2}:\d{2}(?::\d{2})?)?")
UK_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])")
# an NHS number (or any 10-digit identifier) written 3-3-4 with spaces or hyphens
GROUPED_DIGITS = re.compile(r"(?<![\d.])(?<!\d-)(\d{3})([ -])(\d{3})\2(\d{4})(?!\d|[.-]\d|%)")

Record = tuple[str, str, str]  # (original value, "table.column", what it is)


@dataclasses.dataclass
class Identifiers:
    """Every identifier value of an extract, as lookup sets keyed by normalised form."""

    tokens: dict[str, Record]  # one token -> (original value, "table.column", what it is)
    ngrams: dict[int, dict[tuple[str, ...], Record]]  # n tokens -> same
    dates: dict[str, Record]  # yyyy-mm-dd -> same
    allowed: tuple[tuple[str, ...], ...] = ()  # phrases published by design, as tokens (the authority's name)

    @property
    def size(self) -> int:
        return len(self.tokens) + sum(len(g) for g in self.ngrams.values()) + len(self.dates)

    @functools.cached_property
    def digest(self) -> str:
        """A hash of every value and allowed phrase: what a scan's memo was judged against (see `memo`)."""
        h = hashlib.sha256(repr(sorted(self.tokens.items())).encode())
        for n in sorted(self.ngrams):
            h.update(repr((n, sorted(self.ngrams[n].items()))).encode())
        h.update(repr((sorted(self.dates.items()), self.allowed)).encode())
        return h.hexdigest()


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

    allowed: set[str]  # dates published by design, as yyyy-mm-dd
    tokens: dict[str, Record] = dataclasses.field(default_factory=dict)
    ngrams: dict[int, dict[tuple[str, ...], Record]] = dataclasses.field(default_factory=lambda: defaultdict(dict))
    dates: dict[str, Record] = dataclasses.field(default_factory=dict)

    def add(self, toks: list[str], original: str, source: str, what: str) -> None:
        if not toks:
            return
        if len(toks) == 1:
            self.tokens.setdefault(toks[0], (original, source, what))
        else:
            self.ngrams[len(toks)].setdefault(tuple(toks), (original, source, what))
            if all(t.isdigit() for t in toks):  # held as 943 476 5919: also written without the spaces
                self.tokens.setdefault("".join(toks), (original, source, what))

    def column(self, col: schema.Column, values: pd.Series, source: str, threshold: int, what: str = "") -> None:
        """One identifier column: dates by day, names only when rare and not authored, other values when
        distinctive enough not to match ordinary numbers and words."""
        if col.kind == schema.DATE:
            for d in _iso_dates(values).unique():
                if d not in self.allowed:
                    self.dates.setdefault(d, (d, source, "birth date"))
            return
        what = what or _what(col.name)
        if what == "name":
            counts = values.str.casefold().value_counts()
            authored = authored_words()
            for v, n in zip(counts.index.to_numpy(dtype=object), counts.to_numpy()):
                toks = tokenise(v)
                if len("".join(toks)) >= MIN_NAME_LENGTH and n < threshold and not set(toks) <= authored:
                    self.add(toks, v, source, "name")
            return
        for v in values.drop_duplicates().to_numpy(dtype=object):  # plain str: a StringArray iterates slowly
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
            pairs = frame[[fore, sur]].dropna().drop_duplicates().to_numpy(dtype=object)
            for f, s in pairs:
                ft, st = tokenise(f), tokenise(s)
                if ft and st:
                    self.add(ft + st, f"{f} {s}", f"{name}.{fore}+{sur}", "full name")
                    self.add(st + ft, f"{s} {f}", f"{name}.{sur}+{fore}", "full name")


def _collect(found: _Collector, name: str, frame: pd.DataFrame, threshold: int) -> None:
    """Every identifier column of one extract table. Linked identifiers are named by their type (an NHS number, a
    former UPN), so a finding says which."""
    table = schema.TABLE[name]
    kind = "link_identifier_type" if "link_identifier_type" in frame.columns else None
    for col in table.columns:
        if not (col.identifier and col.name in frame.columns):
            continue
        source = f"{name}.{col.name}"
        if kind and col.name == "link_identifier_value":
            for what, group in frame.groupby(frame[kind].fillna("identifier")):
                found.column(col, group[col.name].dropna(), source, threshold, str(what))
        else:
            found.column(col, frame[col.name].dropna(), source, threshold)
    found.full_names(name, table, frame)


def load_identifiers(extract_dir: Path, threshold: int = 10, allow: Iterable[str] = ()) -> Identifiers:
    """Collect every value of every identifier column of every table present in the extract. `allow` holds values
    published by design: a date among them is no birth date to look for, any other is a phrase that is not a match
    where it appears whole (see `match`)."""
    allow = [str(a).strip() for a in allow if str(a).strip()]
    found = _Collector({cell_date(a) or a for a in allow})
    for raw in read_extract(extract_dir).values():
        _collect(found, raw.name, raw.frame, threshold)
    phrases = tuple(dict.fromkeys(tuple(t) for a in allow if not cell_date(a) and (t := tokenise(a))))
    return Identifiers(found.tokens, dict(found.ngrams), found.dates, phrases)


def mask(value: str) -> str:
    """The first two characters and the length, never the value: 'A0*********** (13 characters)'."""
    value = str(value)
    return f"{value[:2]}{'*' * max(len(value) - 2, 0)} ({len(value)} characters)"


def _covered(toks: list[str], phrases: tuple[tuple[str, ...], ...]) -> set[int]:
    """Positions of the tokens that belong to a whole occurrence of an allowed phrase."""
    covered: set[int] = set()
    for p in phrases:
        n = len(p)
        for i, t in enumerate(toks):
            if t == p[0] and tuple(toks[i : i + n]) == p:
                covered.update(range(i, i + n))
    return covered


def _outside(toks: list[str], gram: tuple[str, ...], covered: set[int]) -> bool:
    """Whether `gram` occurs at least once with a token outside every allowed phrase."""
    n = len(gram)
    return any(
        t == gram[0] and tuple(toks[i : i + n]) == gram and not covered.issuperset(range(i, i + n))
        for i, t in enumerate(toks)
    )


def _words(text: str, ids: Identifiers, known: frozenset[str]) -> Iterator[tuple[Record, str]]:
    """Single tokens and runs of tokens; a hit made only of an allowed phrase's words is checked where it stands."""
    toks = tokenise(text)
    hits = [((t,), ids.tokens[t], "as a whole word") for t in set(toks) & ids.tokens.keys()]
    for n, grams in ids.ngrams.items():
        if len(toks) >= n:
            hits += [
                (g, grams[g], "as consecutive words") for g in set(zip(*(toks[i:] for i in range(n)))) & grams.keys()
            ]
    phrase_words = {t for p in ids.allowed for t in p}
    covered = None
    for gram, record, how in hits:
        if len(gram) == 1 and gram[0] in known and record[2] == "name":
            continue  # a word of the vendor file's own template, written before any data was seen
        if phrase_words and set(gram) <= phrase_words:
            covered = _covered(toks, ids.allowed) if covered is None else covered
            if not _outside(toks, gram, covered):
                continue  # only ever part of the authority's name (or another phrase published by design)
        yield record, how


def match(text: str, ids: Identifiers, known: frozenset[str] = frozenset()) -> Iterator[tuple[Record, str]]:
    """Identifier hits in a text: (the identifier's record, how it was written). `known` holds words a vendor
    file's template already contained, which are no single-name hits in that file."""
    yield from _words(text, ids, known)
    for m in GROUPED_DIGITS.finditer(text):
        joined = m.group(1) + m.group(3) + m.group(4)
        if joined in ids.tokens:
            yield ids.tokens[joined], "written in groups of 3, 3 and 4 digits"
    if ids.dates:
        for _, _, d, form in dates_in(text):
            if d in ids.dates:
                yield ids.dates[d], f"in {form} form"
