"""A transparent coder for adversity in social care case notes: a lexicon per domain, found by spaCy's phrase
matchers on a blank English pipeline (no model is downloaded), then judged by ConText-style rules (Chapman et al.;
the algorithm medspaCy implements): is the mention negated ("No concerns re DV"), hypothetical ("if DA recurs"),
before the child's birth, and whose is it ("maternal grandmother's depression" is not the mother's)?

Why not medspaCy itself: medspaCy 1.3.1 on Python 3.11 requires spaCy < 3.8, hence thinc < 8.3 and numpy < 2,
which this project cannot take (it pins numpy 2). The same algorithm is written here on spaCy 3.8's
`PhraseMatcher`, with its rules in `lexicon.yml` where an analyst can read and edit them.

Speed: a compiled regular expression of every term and abbreviation picks the notes that can hold a mention; only
those reach spaCy (most notes record no adversity). The pipeline is a tokeniser and a sentence splitter only.

A mention is *affirmed*, and counts towards the child's adversity, when it is not negated, not hypothetical, not
before the child's birth (said so in the note, or the note itself predates the birth) and its experiencer is one
the domain counts for (`counts_for` in the lexicon).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable

import pandas as pd
import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from analysis.errors import UserError
from analysis.notes.files import NOTE_COLUMNS
from analysis.notes.lexicon import CATEGORIES, DIRECTIONS, KINDS, Domain, Lexicon, load_lexicon, prefilter

CODED_COLUMNS = [
    "note_id",
    "person_id",
    "domain",
    "date",
    "negated",
    "hypothetical",
    "historical",
    "experiencer",
    "affirmed",
    "span",  # the matched words: for audit inside the private cache only, never published
]
FIRST_COLUMNS = ["person_id", "domain", "date", "notes"]


@Language.component("note_sentences")
def note_sentences(doc: Doc) -> Doc:
    """After spaCy's sentencizer (a full stop, !, ? or a line break ends a sentence): a sentence does not start with
    a lower-case word, so "Parents sep. in 2019" stays one sentence. Only sentence starts are visited (fast)."""
    for sent in list(doc.sents)[1:]:
        if sent[0].text[:1].islower():
            sent[0].is_sent_start = False
    return doc


def _longest(found: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Overlapping matches resolved as spaCy's `filter_spans` does: the longest wins, then the earliest."""
    kept: list[tuple[str, int, int]] = []
    taken: set[int] = set()
    for key, s, e in sorted(found, key=lambda m: (m[1] - m[2], m[1])):
        if not taken.intersection(range(s, e)):
            kept.append((key, s, e))
            taken.update(range(s, e))
    return sorted(kept, key=lambda m: m[1])


def _blocked(terminators: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether a terminating word lies between token `start` and token `end`."""
    return any(start <= ts and te <= end for ts, te in terminators)


def _matchers(lex: Lexicon, nlp: Language) -> tuple[PhraseMatcher, ...]:
    """The lexicon as phrase matchers: terms (any case), abbreviations (exact), person cues, context rules."""
    terms, abbrev = PhraseMatcher(nlp.vocab, attr="LOWER"), PhraseMatcher(nlp.vocab, attr="ORTH")
    people, context = PhraseMatcher(nlp.vocab, attr="LOWER"), PhraseMatcher(nlp.vocab, attr="LOWER")
    make = nlp.make_doc
    for name, d in lex.domains.items():
        if d.terms:
            terms.add(name, [make(t) for t in d.terms])
        if d.abbreviations:
            abbrev.add(name, [make(a) for a in d.abbreviations])
    for kind, cues in lex.experiencers.items():
        if cues:
            people.add(kind, [make(c) for c in cues])
    for cat in CATEGORIES:
        for direction in DIRECTIONS:
            if lex.context[cat][direction]:
                context.add(f"{cat}:{direction}", [make(p) for p in lex.context[cat][direction]])
    for key, phrases in (("pseudo", lex.pseudo), ("terminate", lex.terminate)):
        if phrases:
            context.add(key, [make(p) for p in phrases])
    return terms, abbrev, people, context


@dataclasses.dataclass
class Coder:
    """The lexicon compiled once: the pipeline, its phrase matchers and the pre-filter."""

    lexicon: Lexicon
    nlp: Language
    terms: PhraseMatcher
    abbreviations: PhraseMatcher
    people: PhraseMatcher
    context: PhraseMatcher
    can_hold: Callable[[str], bool]  # the pre-filter

    @classmethod
    def build(cls, lexicon: Lexicon | None = None) -> Coder:
        lex = lexicon or load_lexicon()
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer", config={"punct_chars": [".", "!", "?", "\n", "\n\n"]})
        nlp.add_pipe("note_sentences")
        return cls(lex, nlp, *_matchers(lex, nlp), prefilter(lex))

    def _matches(self, matcher: PhraseMatcher, doc: Doc) -> list[tuple[str, int, int]]:
        strings = self.nlp.vocab.strings
        return [(strings[m], s, e) for m, s, e in matcher(doc)]

    def mentions(self, doc: Doc) -> list[tuple[str, str, bool, bool, bool, str]]:
        """Every mention in a note: (domain, span, negated, hypothetical, before birth, experiencer)."""
        targets = _longest(self._matches(self.terms, doc) + self._matches(self.abbreviations, doc))
        if not targets:
            return []
        starts = [s.start for s in doc.sents]
        cues = _longest(self._matches(self.people, doc))
        found = self._matches(self.context, doc)
        pseudo = [(s, e) for k, s, e in found if k == "pseudo"]
        stops = [(s, e) for k, s, e in found if k == "terminate"]
        mods = [
            (k.split(":")[0], k.split(":")[1], s, e)
            for k, s, e in found
            if k not in ("pseudo", "terminate")
            and not any(ps < e and s < pe for ps, pe in pseudo)
            and not any(ts < e and s < te for _, ts, te in targets)
        ]
        out = []
        for domain, s, e in targets:
            i = bisect.bisect_right(starts, s) - 1
            sent = (starts[i], starts[i + 1] if i + 1 < len(starts) else len(doc))
            scope = self.lexicon.max_scope
            flags = {c for c, direction, ms, me in mods if _reaches(scope, direction, ms, me, s, e, sent, stops)}
            experiencer = _experiencer(self.lexicon.domains[domain], s, e, sent, cues, flags)
            out.append(
                (
                    domain,
                    doc[s:e].text,
                    "negated" in flags,
                    "hypothetical" in flags,
                    "before_birth" in flags,
                    experiencer,
                )
            )
        return out


def _reaches(scope: int, direction: str, ms: int, me: int, s: int, e: int, sent, stops) -> bool:
    """ConText scope: a modifier reaches a mention in its sentence, in its direction, within `max_scope` tokens,
    with no terminating word between them."""
    if ms < sent[0] or me > sent[1]:
        return False
    if direction == "forward":
        return me <= s and s - me < scope and not _blocked(stops, me, s)
    return e <= ms and ms - e < scope and not _blocked(stops, e, ms)


def _experiencer(rule: Domain, s: int, e: int, sent, cues, flags: set[str]) -> str:
    """The nearest person cue in the sentence (one inside the mention is nearest; before beats after at equal
    distance), of the kinds this domain listens to; else the domain's default."""
    if "adult_childhood" in flags:  # the parent's own childhood: never the child's adversity
        allowed = {"parent", "sibling", "other"}
    else:
        allowed = set(KINDS) - set(rule.ignore_cues)
    best = None
    for kind, cs, ce in cues:
        if kind not in allowed or cs < sent[0] or ce > sent[1]:
            continue
        distance = 0 if (cs < e and s < ce) else (s - ce if ce <= s else cs - e + 0.5)
        if best is None or distance < best[0]:
            best = (distance, kind)
    if best is not None:
        return best[1]
    return "parent" if "adult_childhood" in flags else rule.default_experiencer


def _check_frame(notes: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in NOTE_COLUMNS if c not in notes.columns]
    if missing:
        raise UserError(
            f"The notes have no column {', '.join(missing)} (rule: case notes need {', '.join(NOTE_COLUMNS)})."
        )
    dates = pd.to_datetime(notes["note_date"], errors="coerce")
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        raise UserError(
            f"The notes' row {row + 1}, column note_date: {notes['note_date'].iloc[row]!r} is not a date "
            "(rule: every note has a date)."
        )
    return notes.assign(note_date=dates)


def code_notes(
    notes: pd.DataFrame, births: pd.Series | None = None, coder: Coder | None = None, batch_size: int = 512
) -> pd.DataFrame:
    """Code case notes: one row per mention of an adversity (CODED_COLUMNS), affirmed or not, with its flags.

    `notes` has note_id, person_id, note_date and text; `births` (optional) maps person_id to date of birth, so
    that a note written before the child was born is flagged historical. The span is for audit only."""
    notes = _check_frame(notes)
    coder = coder or Coder.build()
    text = notes["text"].fillna("").astype(str)
    keep = text.map(coder.can_hold).to_numpy(dtype=bool)
    rows = []
    pick = notes[keep]
    for (note_id, person_id, date), doc in zip(
        pick[["note_id", "person_id", "note_date"]].itertuples(index=False, name=None),
        coder.nlp.pipe(text[keep], batch_size=batch_size),
    ):
        rows.extend((note_id, person_id, date, *m) for m in coder.mentions(doc))
    return _assemble(rows, births, coder.lexicon)


def _assemble(rows: list[tuple], births: pd.Series | None, lex: Lexicon) -> pd.DataFrame:
    cols = ["note_id", "person_id", "date", "domain", "span", "negated", "hypothetical", "historical", "experiencer"]
    out = pd.DataFrame(rows, columns=cols)
    out["date"] = pd.to_datetime(out["date"])
    for flag in ("negated", "hypothetical", "historical"):
        out[flag] = out[flag].astype(bool)
    if births is not None and len(out):
        born = pd.to_datetime(births[~births.index.duplicated()], errors="coerce")
        before = out["date"] < out["person_id"].map(born)
        out["historical"] = out["historical"] | before.fillna(False).astype(bool)
    counts = out["domain"].map({k: set(d.counts_for) for k, d in lex.domains.items()})
    counted = [x in c for x, c in zip(out["experiencer"], counts)]
    out["affirmed"] = ~out["negated"] & ~out["hypothetical"] & ~out["historical"] & pd.Series(counted, dtype=bool)
    return out[CODED_COLUMNS].reset_index(drop=True)


def first_documented(coded: pd.DataFrame) -> pd.DataFrame:
    """One row per child and domain: the date an adversity was first documented (affirmed) in the notes, and how
    many notes affirm it (FIRST_COLUMNS). Negated, hypothetical, historical and other people's mentions do not
    count."""
    hits = coded[coded["affirmed"].astype(bool)]
    out = (
        hits.groupby(["person_id", "domain"], sort=True)
        .agg(date=("date", "min"), notes=("note_id", "nunique"))
        .reset_index()
    )
    return out[FIRST_COLUMNS]
