"""Adversity from social care case notes, as one more source of adversity events: the authority's `case_notes`
table is coded by the rule-based coder (`analysis.notes.coder`) with each child's birth date, and each child's
first affirmed mention of a domain becomes an event with its own source, `NOTES_SOURCE`.

Case notes come from the social care record, which any child known to social care has, whether or not they later
had an EHC needs assessment request: so, unlike the manual case review (read for cohort children only), they may
count for the resident population as for the cohort, and the comparison can include the domains no CIN code
records (parental separation first of all).

Nothing of the notes themselves leaves this module: the note text, note ids and matched words are dropped as soon
as the notes are coded, and the events keep only the social care person, domain and date. Where the manual review
covers children, the coder is compared with it per domain (`analysis.notes.agreement`) and the agreement published
as a disclosure-controlled table.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.derive.adversity import EVENT_COLUMNS, NOTES_SOURCE, CodingFrame
from analysis.notes import agreement as notes_agreement
from analysis.notes.lexicon import LEXICON, load_lexicon
from analysis.privacy.registry import TableSpec

REVIEW_SOURCE = "case review"
NOTES_CODE = "lexicon"  # the code column of a coded note: the lexicon found it, not a code list
INSTRUMENTS = {"codes": "coded records", "review": "manual case review", "notes": NOTES_SOURCE}
WITHIN_DAYS = 30
AGREEMENT_COLUMNS = [
    "Domain",
    "Children reviewed",
    "Precision",
    "Precision lower 95%",
    "Precision upper 95%",
    "Recall",
    "Recall lower 95%",
    "Recall upper 95%",
    "F1",
    "F1 lower 95%",
    "F1 upper 95%",
    "Kappa",
    "Kappa lower 95%",
    "Kappa upper 95%",
    f"Dates within {WITHIN_DAYS} days",
    f"Dates within {WITHIN_DAYS} days lower 95%",
    f"Dates within {WITHIN_DAYS} days upper 95%",
]
# The counts each row's statistics rest on (never shown as columns: revealed through the statistics)
CELLS = ("coder and reviewer", "coder only", "reviewer only", f"dates within {WITHIN_DAYS} days")


@dataclasses.dataclass
class CodedNotes:
    """What the case notes give the analysis: adversity events (no note text, id or span) and, per child and
    domain, the date first documented (social care person ids: for the agreement, inside derive only)."""

    events: pd.DataFrame  # EVENT_COLUMNS, source NOTES_SOURCE
    first: pd.DataFrame  # person_id, domain, date


def lexicon_path(path: str | Path | None = None) -> Path:
    """The lexicon in use (the package's own unless a run names another)."""
    return Path(path) if path else LEXICON


def code(tables: dict[str, pd.DataFrame], frame: CodingFrame, lexicon: str | Path | None = None) -> CodedNotes | None:
    """Code the case notes, when the authority supplied them, into adversity events; None when it did not. The
    notes are read here and nowhere else; only persons, domains and dates come out."""
    notes = tables.get("case_notes")
    if notes is None:
        return None
    frame_in = pd.DataFrame(
        {
            "note_id": notes["note_id"].astype(str),
            "person_id": notes["pers_person_id"].astype(str),
            "note_date": notes["note_date"],
            "text": notes["note_text"].fillna("").astype(str),
        }
    ).dropna(subset=["note_date"])
    people = tables["ssd_person"].drop_duplicates("pers_person_id")
    births = pd.Series(people["pers_dob"].to_numpy(), index=people["pers_person_id"].astype(str))
    from analysis.notes import coder  # spaCy loads only when there are notes to code, not for every build

    lex = load_lexicon(lexicon_path(lexicon))
    coded = coder.code_notes(frame_in, births, coder.Coder.build(lex))
    del frame_in  # the text goes no further
    first = coder.first_documented(coded)[["person_id", "domain", "date"]]
    first = first[first["domain"].isin(frame.domains)].reset_index(drop=True)
    events = pd.DataFrame(
        {
            "pers_person_id": first["person_id"],
            "person_table_id": pd.NA,
            "domain": first["domain"],
            "date": pd.to_datetime(first["date"]),
            "source": NOTES_SOURCE,
            "code": NOTES_CODE,
        }
    )[EVENT_COLUMNS]
    return CodedNotes(events, first)


def reviewed(tables: dict[str, pd.DataFrame], frame: CodingFrame) -> tuple[pd.DataFrame, pd.Index]:
    """The manual review as a reference (person_id, domain, date; social care persons only, in the frame's
    domains) and the children it covers (every social care person with a finding)."""
    review = tables.get("adversity_review")
    if review is None or review.empty:
        return pd.DataFrame(columns=["person_id", "domain", "date"]), pd.Index([], dtype=object)
    rv = review.dropna(subset=["person_id"])
    ref = notes_agreement.from_review(rv)
    ref["domain"] = ref["domain"].map(frame.review_types)
    ref = ref.dropna(subset=["domain", "date"]).astype({"person_id": str})
    return ref, pd.Index(rv["person_id"].astype(str).unique())


def agreement(coded: CodedNotes, tables: dict[str, pd.DataFrame], frame: CodingFrame) -> pd.DataFrame:
    """The coder against the manual review per domain the review records, over the children it covers that have
    case notes (`notes.agreement.AGREEMENT_COLUMNS`, with `members`: the children behind each count)."""
    ref, children = reviewed(tables, frame)
    with_notes = set(tables["case_notes"]["pers_person_id"].dropna().astype(str))
    children = children[children.isin(with_notes)]
    domains = sorted(set(ref["domain"]) & set(frame.domains))
    if not len(children) or not domains:
        return pd.DataFrame(columns=notes_agreement.AGREEMENT_COLUMNS)
    return notes_agreement.agreement(coded.first, ref, children, domains, within_days=WITHIN_DAYS)


def agreement_members(coded: CodedNotes, ref: pd.DataFrame, children: pd.Index, domain: str) -> list[pd.Index]:
    """The children behind each count of one domain's row: reviewed, and the CELLS."""
    c = coded.first[(coded.first["domain"] == domain) & coded.first["person_id"].isin(children)]
    r = ref[(ref["domain"] == domain) & ref["person_id"].isin(children)]
    c_dates = c.drop_duplicates("person_id").set_index("person_id")["date"]
    r_dates = r.drop_duplicates("person_id").set_index("person_id")["date"]
    both = c_dates.index.intersection(r_dates.index)
    days = (pd.to_datetime(c_dates.reindex(both)) - pd.to_datetime(r_dates.reindex(both))).abs().dt.days
    return [
        children,
        both,
        c_dates.index.difference(r_dates.index),
        r_dates.index.difference(c_dates.index),
        both[(days <= WITHIN_DAYS).to_numpy()],
    ]


ALL_DOMAINS = "All domains"  # the pooled row: every domain's child and domain pairs together
PAIRS = "child and domain pairs"  # the universe the pooled row counts in (a child once per domain)


def agreement_table(coded: CodedNotes | None, tables: dict, frame: CodingFrame, units_of) -> tuple:
    """The published agreement table (AGREEMENT_COLUMNS), one row per domain and a last row over all domains, and
    its spec: every statistic rests on the counts of its row (the children reviewed and the CELLS, which are not
    shown), so it is hidden with any of them. A domain's disagreements are often a handful of children and hide its
    row; pooled over domains they seldom do. The domains' counts are registered again as child and domain pairs,
    which add up to the pooled row's, so no hidden domain can be had by subtraction. `units_of` turns social care
    person ids into registry codes."""
    raw = agreement(coded, tables, frame) if coded is not None else pd.DataFrame()
    if raw.empty:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS), _spec([[] for _ in range(1 + len(CELLS))])
    ref, children = reviewed(tables, frame)
    children = children[children.isin(set(tables["case_notes"]["pers_person_id"].dropna().astype(str)))]
    members = [agreement_members(coded, ref, children, d) for d in raw["domain"]]
    per_column = [[units_of(pd.Series(m[i], dtype=object)) for m in members] for i in range(1 + len(CELLS))]
    pairs = [[_pairs(codes, j) for j, codes in enumerate(column)] for column in per_column]
    # the pooled row counts pairs, not children, but for the children reviewed, which it shows as the domains do
    per_column = [[*column, column[0] if i == 0 else None] for i, column in enumerate(per_column)]
    pairs = [[*column, np.concatenate(column)] for column in pairs]
    raw = pd.concat([raw, notes_agreement.pooled(raw, ALL_DOMAINS)], ignore_index=True)
    labels = [frame.label(d) for d in raw["domain"][:-1]] + [ALL_DOMAINS]
    stats = ("precision", "recall", "f1", "kappa", "date_agreement")
    out = pd.DataFrame({"Domain": labels, "Children reviewed": raw["children"]})
    for name, stat, low, high in zip(AGREEMENT_COLUMNS[2::3], stats, AGREEMENT_COLUMNS[3::3], AGREEMENT_COLUMNS[4::3]):
        prefix = "date" if stat == "date_agreement" else stat
        out[name], out[low], out[high] = raw[stat], raw[f"{prefix}_low"], raw[f"{prefix}_high"]
    return out[AGREEMENT_COLUMNS], _spec(per_column, pairs)


def _pairs(codes: np.ndarray, domain: int) -> np.ndarray:
    """Child codes as child and domain pair codes: the same child in two domains is two pairs."""
    return np.asarray(codes, dtype=np.int64) * 64 + domain


def _spec(per_column: list[list], pairs: list[list] | None = None) -> TableSpec:
    """Each statistic is hidden with the counts it reveals: precision with the coder's positives, recall with the
    reviewer's, F1 with both, kappa with every cell, date agreement with the children both found, and each with the
    children reviewed. `pairs`: the same counts as child and domain pairs."""
    columns = ("Children reviewed", *CELLS)
    counts = dict(zip(columns, per_column))
    tp, fp, fn, within = CELLS
    rests_on = {"Precision": (tp, fp), "Recall": (tp, fn), "F1": (tp, fp, fn), "Dates": (tp, within)}
    rests_on["Kappa"] = (tp, fp, fn)
    # and every statistic on the children reviewed: the pooled row's pairs can pass the threshold when the children
    # do not, and a statistic beside a hidden count of its row is refused by the publish gate
    rests_on = {k: ("Children reviewed", *v) for k, v in rests_on.items()}
    derived = {c: next(v for k, v in rests_on.items() if c.startswith(k)) for c in AGREEMENT_COLUMNS[2:]}
    twins = {PAIRS: dict(zip(columns, pairs))} if pairs else {}
    return TableSpec(("Domain",), counts, derived=derived, priority=0.5, twins=twins)


def instruments(frame: CodingFrame, review: bool, notes: bool) -> dict[str, list[str]]:
    """Which instruments each domain of the frame can rest on in this run: the coded records (a code the frame
    maps to it), the manual case review (when supplied) and the case notes (a lexicon domain, when supplied)."""
    coded = set(frame.assessment_factors.values()) | set(frame.cp_categories.values())
    coded |= set(frame.primary_need.values())
    lexicon = set(load_lexicon(lexicon_path()).domains) if notes else set()
    out = {}
    for d in frame.domains:
        found = [INSTRUMENTS["codes"]] if d in coded else []
        found += [INSTRUMENTS["review"]] if review and d in frame.review_types.values() else []
        found += [INSTRUMENTS["notes"]] if d in lexicon else []
        if found:
            out[frame.label(d)] = found
    return out
