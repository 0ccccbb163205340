"""The case-note lexicon (`lexicon.yml` beside this file, or an analyst's copy): read, checked, and turned into the
fast pre-filter that lets most notes skip the language pipeline."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import yaml

from analysis.errors import UserError

LEXICON = Path(__file__).resolve().parent / "lexicon.yml"
KINDS = ("parent", "sibling", "other", "child")  # whose adversity a mention is (person cues)
EXPERIENCERS = (*KINDS, "unknown")
CATEGORIES = ("negated", "hypothetical", "before_birth", "adult_childhood")
DIRECTIONS = ("forward", "backward")


@dataclasses.dataclass(frozen=True)
class Domain:
    """One adversity domain's words and whose adversity counts."""

    terms: tuple[str, ...]
    abbreviations: tuple[str, ...]
    default_experiencer: str
    counts_for: tuple[str, ...]
    ignore_cues: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Lexicon:
    domains: dict[str, Domain]
    experiencers: dict[str, tuple[str, ...]]
    context: dict[str, dict[str, tuple[str, ...]]]
    pseudo: tuple[str, ...]
    terminate: tuple[str, ...]
    max_scope: int
    source: str = str(LEXICON)

    def as_table(self):
        """The lexicon in use, one row per domain, for the book ("How adversity was found")."""
        import pandas as pd

        rows = [
            (name, ", ".join(d.terms), ", ".join(d.abbreviations), ", ".join(d.counts_for))
            for name, d in self.domains.items()
        ]
        return pd.DataFrame(rows, columns=["domain", "terms", "abbreviations", "counts for"])


def _words(raw, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(w, str | int | float) and str(w).strip() for w in raw):
        raise UserError(f"{where} must be a list of words or phrases.")
    return tuple(str(w).strip() for w in raw)


def _domain(name: str, raw: dict, path: Path) -> Domain:
    where = f"{path}: domains.{name}"
    if not isinstance(raw, dict):
        raise UserError(f"{where} must be a mapping with terms, abbreviations, default_experiencer and counts_for.")
    d = Domain(
        _words(raw.get("terms"), f"{where}.terms"),
        _words(raw.get("abbreviations"), f"{where}.abbreviations"),
        str(raw.get("default_experiencer", "unknown")),
        _words(raw.get("counts_for", ["parent"]), f"{where}.counts_for"),
        _words(raw.get("ignore_cues"), f"{where}.ignore_cues"),
    )
    if not d.terms and not d.abbreviations:
        raise UserError(f"{where} has no terms and no abbreviations: nothing would find it.")
    unknown = sorted({d.default_experiencer, *d.counts_for, *d.ignore_cues} - set(EXPERIENCERS))
    if unknown:
        raise UserError(f"{where} names unknown experiencers {', '.join(unknown)}; use {', '.join(EXPERIENCERS)}.")
    return d


def load_lexicon(path: str | Path = LEXICON) -> Lexicon:
    """Read and check a lexicon; every problem is a UserError naming the file and the key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        domains = {str(k): _domain(str(k), v, path) for k, v in raw["domains"].items()}
        people = {k: _words(raw["experiencers"].get(k), f"{path}: experiencers.{k}") for k in KINDS}
        context = {
            c: {d: _words((raw["context"].get(c) or {}).get(d), f"{path}: context.{c}.{d}") for d in DIRECTIONS}
            for c in CATEGORIES
        }
        lex = Lexicon(
            domains,
            people,
            context,
            _words(raw.get("pseudo"), f"{path}: pseudo"),
            _words(raw.get("terminate"), f"{path}: terminate"),
            int(raw.get("max_scope", 8)),
            str(path),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the case-note lexicon ({type(exc).__name__}: {exc}).") from None
    if not domains:
        raise UserError(f"{path}: the lexicon lists no domains.")
    return lex


def _trie(words) -> str:
    """An expression matching any of the words, as a trie ("domestic abuse|domestic violence" shares its
    "domestic "), which Python's engine searches many times faster than a flat list of alternatives."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict) -> str:
        alts = [(r"\s+" if ch == " " else re.escape(ch)) + walk(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return walk(root)


def prefilter(lex: Lexicon) -> Callable[[str], bool]:
    """Whether a note can hold a mention: any term (any case) or abbreviation (exact case) of any domain, as a
    whole word. A note it rejects never reaches the language pipeline.

    >>> can_hold = prefilter(load_lexicon())
    >>> can_hold("No concerns re DV."), can_hold("Advice given on Domestic  Abuse."), can_hold("advice; dv")
    (True, True, False)
    """
    terms = {t.lower() for d in lex.domains.values() for t in d.terms}
    abbrev = {a for d in lex.domains.values() for a in d.abbreviations}
    found_term = re.compile(rf"(?<!\w){_trie(terms)}(?!\w)").search if terms else (lambda _: None)
    found_abbrev = re.compile(rf"(?<!\w){_trie(abbrev)}(?!\w)").search if abbrev else (lambda _: None)
    return lambda text: found_term(text.lower()) is not None or found_abbrev(text) is not None
