"""Names as linkage compares them: letters kept through any script or accent (Zoë → ZOE, Łukasz → LUKASZ), the parts
of a hyphenated or double-barrelled surname, and the forenames each forename is known by (Oliver ↔ Ollie).

Transliteration is anyascii's; the name relationships are the `nicknames` package's hand-curated English list.
"""

from __future__ import annotations

import functools

import pandas as pd
from anyascii import anyascii


def letters(s: pd.Series) -> pd.Series:
    """Upper-case letters only, transliterated (so an accent never costs a match); empty becomes missing."""
    return _ascii(s).str.replace(r"[^A-Z]", "", regex=True).replace("", pd.NA)


def parts(s: pd.Series) -> pd.Series:
    """The parts of a surname split at hyphens and spaces ("Smith-Jones" → [SMITH, JONES]), as lists."""
    split = _ascii(s).str.replace(r"[^A-Z\- ]", "", regex=True).str.split(r"[\- ]+")
    return split.map(lambda p: sorted({x for x in p if x}) if isinstance(p, list) and any(p) else None)


def variants(forenames: pd.Series) -> pd.Series:
    """Each cleaned forename with the names it is directly known by (its nicknames and the names it shortens), as
    sorted lists. Direct relations only: Oliver and Olivia share the nickname Ollie but are not variants of each
    other, which matters for twins."""
    return forenames.map(lambda f: _variants(f) if isinstance(f, str) else None)


@functools.cache
def _variants(name: str) -> list[str]:
    namer = _namer()
    low = name.lower()
    return sorted({name, *(n.upper() for n in namer.nicknames_of(low) | namer.canonicals_of(low))})


@functools.lru_cache(maxsize=1)
def _namer():
    from nicknames import NickNamer  # reads its list once

    return NickNamer()


def _ascii(s: pd.Series) -> pd.Series:
    """Transliterate each distinct name once (names repeat a great deal)."""
    codes, uniques = pd.factorize(s.astype("string"))
    ascii_ = pd.array([anyascii(v) for v in uniques] + [pd.NA], dtype="string")
    return pd.Series(ascii_[codes], index=s.index).str.upper()
