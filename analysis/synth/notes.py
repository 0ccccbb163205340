"""Synthetic social care case notes with their truth, and a synthetic manual review with a reviewer's errors.

Notes are written from templates the way social workers write: abbreviations ("DV", "MH", "sep."), misspellings
(some the lexicon knows, some it does not), negation ("No concerns re DV"), hedging and hypotheticals ("if DA
recurs"), other people's adversity ("maternal grandmother's depression"), events before the child's birth, notes
about siblings, the child's own difficulties, copy-forward repetition of an earlier note, and a few phrasings a
rule-based coder gets wrong either way. Every sentence carries its true label, so the truth is what a careful
reader would find: per child and domain, the date of the first note that documents the adversity as the child's.

Persons and births come in from outside (`persons`: person_id, birth_date), so the notes can be attached to any
synthetic authority (for example the social care persons of `la.generate`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from analysis.contract import schema
from analysis.synth.la import DEFAULT_EXTRACT_DATE, DOMAINS

YEAR = 365.25
PARENTS = ["Mum", "Mother", "Dad", "Father", "Mum", "Dad"]
PARTNERS = ["her partner", "dad", "stepdad", "his partner", "the father"]
OTHERS = ["Maternal grandmother", "Paternal grandmother", "Maternal uncle", "Aunt", "Neighbour", "Paternal grandfather"]
CHILD = ["the child", "child", "CYP", "Ella", "Sam", "Noah", "Ava"]
SIBLINGS = ["Sibling Jack", "Older brother", "Her sister", "Half-brother Leo"]
FILLER = [
    "Home visit completed.",
    "Child seen alone in bedroom and appeared settled.",
    "School report: attendance 94%.",
    "Discussed nursery place with Mum.",
    "Health visitor contact: weight on the 50th centile.",
    "Phone call to school to arrange the next meeting.",
    "Core group meeting held, plan reviewed.",
    "Child enjoys football and drawing.",
    "Housing officer confirmed the tenancy.",
    "Letter sent to GP requesting an update.",
    "Transport to contact arranged for Saturday.",
    "Family support worker allocated.",
    "Child attended the dentist.",
    "Worker explained the assessment process.",
    "Review date set for six weeks.",
]
# Words for each domain: those the lexicon knows, and misspellings or slang it does not (a realistic miss).
TERMS = {
    "domestic_abuse": (
        ["domestic abuse", "domestic violence", "DV", "DA", "domestic violance", "coercive control"],
        ["domestic abuze"],
    ),
    "parental_mental_illness": (
        [
            "depression",
            "anxiety",
            "MH difficulties",
            "mental health problems",
            "post-natal depression",
            "low mood",
            "depresion",
            "PND",
        ],
        ["depresssion"],
    ),
    "parental_substance_misuse": (
        ["alcohol misuse", "drug use", "cannabis use", "heroin use", "substance misuse", "alchohol misuse"],
        ["alcohl misuse"],
    ),
    "parental_separation": (["separated", "sep.", "split up", "seperated", "divorced"], ["seperarted"]),
    "parental_imprisonment": (
        ["in prison", "in custody", "serving a custodial sentence", "at HMP Leeds"],
        ["currently inside"],
    ),
    "neglect": (["neglect", "poor home conditions", "negelct", "neglectful care"], ["neglact"]),
    "emotional_abuse": (
        ["emotional abuse", "emotional harm", "emotionally abused", "verbal abuse"],
        ["emotinal abuse"],
    ),
    "physical_abuse": (["physical abuse", "unexplained bruising", "NAI", "non-accidental injury"], ["phyiscal abuse"]),
    "sexual_abuse": (["sexual abuse", "sexually abused", "CSA", "inappropriate touching"], ["sexual abuze"]),
}
PARENTAL = ("parental_mental_illness", "parental_substance_misuse", "parental_imprisonment")
ABUSE = ("neglect", "emotional_abuse", "physical_abuse", "sexual_abuse")
POSITIVE = {
    "domestic_abuse": [
        "Police notification: {t} incident at the home, {c} present.",
        "{P} disclosed {t} from {q}.",
        "MARAC referral made following {t} towards {p}.",
        "{P} and {q} reported {t} at the weekend.",
    ],
    "parental_separation": ["Parents {t} in {y}.", "{P} and {q} have {t}.", "{P} reports that they {t} last month."],
    "PARENTAL": [
        "{P}'s {t} has worsened.",
        "{P} reports {t} and is seeing the GP.",
        "{P} is struggling with {t}.",
        "Concerns about {p}'s {t} discussed at core group.",
    ],
    "parental_imprisonment": ["{P} is {t}.", "{P} {t} since {y}.", "Dad in prison; {c} visits monthly."],
    "ABUSE": [
        "Concerns of {t}: {c} seen at school.",
        "{C} disclosed {t} by {p}.",
        "Strategy discussion held: {t}.",
        "{C}'s presentation consistent with {t}.",
    ],
}
DISTRACTOR = {  # mentions a careful reader does not count for the child
    "negated": ["No concerns re {t}.", "{P} denies {t}.", "No evidence of {t}.", "No history of {t} reported."],
    "hypothetical": [
        "If {t} recurs, {p} will call the police.",
        "Safety plan in case of any further {t}.",
        "Advice given on the risk of {t}.",
    ],
    "other": ["{O}'s {t} was discussed.", "{O} has a history of {t}."],
    "before_birth": ["{P} experienced {t} with a previous partner before {c} was born."],
    "sibling": ["{S} was subject to {t} at school."],
    "own": ["{C} presents with {t}."],
}
HARD = {  # a reader's truth the rules miss (fn) or invent (fp)
    "fn": ["{P} has not engaged with support since the {t}.", "{P} has had {t} for years, nothing new reported."],
    "fp": ["Worker discussed healthy relationships; {t} leaflet given to {p}."],
}


@dataclasses.dataclass
class SyntheticNotes:
    notes: pd.DataFrame  # note_id, person_id, note_date, note_type, author_role, text
    labels: pd.DataFrame  # note_id, person_id, date, domain, kind, counted: every sentence's true label
    truth: pd.DataFrame  # person_id, domain, date: the first note documenting each child's adversity
    review: pd.DataFrame  # person_id, adversity_type, date_first_documented, reviewer: a reviewer, errors and all


def _fill(template: str, term: str, rng: np.random.Generator) -> str:
    pick = lambda xs: xs[rng.integers(len(xs))]
    parent = pick(PARENTS)
    child = pick(CHILD)
    return template.format(
        t=term,
        P=parent,
        p=parent.lower() if parent in ("Mum", "Dad") else parent.lower(),
        q=pick(PARTNERS),
        c=child,
        C=child[:1].upper() + child[1:],
        O=pick(OTHERS),
        S=pick(SIBLINGS),
        y=int(rng.integers(2012, 2025)),
    )


def _term(domain: str, rng: np.random.Generator, unseen: float) -> str:
    seen, other = TERMS[domain]
    return other[0] if rng.random() < unseen else seen[rng.integers(len(seen))]


def _positive(domain: str, rng: np.random.Generator, unseen: float, hard: float) -> str:
    if rng.random() < hard:
        return _fill(HARD["fn"][rng.integers(len(HARD["fn"]))], _term(domain, rng, 0), rng)
    group = "PARENTAL" if domain in PARENTAL and domain != "parental_imprisonment" else domain
    group = "ABUSE" if domain in ABUSE else group
    templates = POSITIVE[group]
    return _fill(templates[rng.integers(len(templates))], _term(domain, rng, unseen), rng)


def _distractor(domain: str, rng: np.random.Generator) -> tuple[str, str]:
    kinds = ["negated", "hypothetical", "before_birth"]
    kinds += ["other", "own"] if domain == "parental_mental_illness" else []
    kinds += ["other"] if domain in ("parental_substance_misuse", "parental_imprisonment") else []
    kinds += ["sibling"] if domain in ABUSE else []
    kind = kinds[rng.integers(len(kinds))]
    options = DISTRACTOR[kind]
    text = _fill(options[rng.integers(len(options))], _term(domain, rng, 0), rng)
    return kind, text


def _child_notes(pid, born, rng, args) -> list[tuple]:
    """One child's notes: (person_id, date, text, [(domain, kind, counted)])."""
    end = min(args["end"], born + np.timedelta64(int(18 * YEAR), "D"))
    start = born - np.timedelta64(int(0.4 * YEAR), "D")  # a few pre-birth notes
    span = max(int((end - start) / np.timedelta64(1, "D")), 30)
    n = 1 + rng.poisson(args["per_child"])
    dates = np.sort(start + rng.integers(0, span, n).astype("timedelta64[D]"))
    if args.get("known") is None:
        has = [(d, None) for d, p in DOMAINS.items() if rng.random() < min(0.9, p * args["scale"])]
    else:  # the authority's own adversity: documented only from its onset
        has = args["known"].get(pid, [])
    out = []
    for date in dates:
        sentences = [(FILLER[rng.integers(len(FILLER))], None)]
        for d, onset in has:
            if (onset is None or date >= onset) and rng.random() < args["mention"]:
                counted = date >= born
                sentences.append((_positive(d, rng, args["unseen"], args["hard"]), (d, "positive", counted)))
        if rng.random() < args["distract"]:
            d = list(DOMAINS)[rng.integers(len(DOMAINS))]
            kind, text = _distractor(d, rng)
            sentences.append((text, (d, kind, False)))
        if rng.random() < args["hard"] / 12:
            d = "domestic_abuse"
            sentences.append((_fill(HARD["fp"][0], _term(d, rng, 0), rng), (d, "hard_fp", False)))
        if rng.random() < 0.3:
            sentences.append((FILLER[rng.integers(len(FILLER))], None))
        order = rng.permutation(len(sentences))
        sentences = [sentences[j] for j in order]
        if out and rng.random() < args["copy"]:  # copy-forward: the previous entry repeated above the new one
            prior = out[-1]
            sentences = [("Copied from previous entry: " + prior[2], None)] + sentences
            labels = [(d, kind, kind == "positive" and date >= born) for d, kind, _ in prior[3]]
        else:
            labels = []
        labels += [lab for _, lab in sentences if lab is not None]
        out.append((pid, date, " ".join(s for s, _ in sentences), labels))
    return out


def generate_notes(
    persons: pd.DataFrame,
    seed: int,
    notes_per_child: float = 10,
    prevalence_scale: float = 2.5,
    reviewed: float = 1.0,
    extract_date: dt.date = DEFAULT_EXTRACT_DATE,
    adversity: pd.DataFrame | None = None,
) -> SyntheticNotes:
    """Case notes for `persons` (person_id, birth_date), their truth, and a manual review of a `reviewed` share of
    the children. Children with notes are known to social care, so adversity is `prevalence_scale` times as common
    as in the general population (`la.DOMAINS`); or, given `adversity` (person_id, domain, onset_date: what each
    child really experienced, as a synthetic authority knows it), the notes document exactly that, from its onset."""
    rng = np.random.default_rng(seed)
    args = {
        "known": None if adversity is None else _known(adversity),
        "end": np.datetime64(extract_date, "D"),
        "per_child": notes_per_child,
        "scale": prevalence_scale,
        "mention": 0.35,  # chance a note mentions each of the child's adversities
        "unseen": 0.03,  # a misspelling or slang the lexicon does not know
        "hard": 0.02,  # phrasings the rules get wrong
        "distract": 0.25,  # a mention that does not count
        "copy": 0.12,  # copy-forward
    }
    rows: list[tuple] = []
    births = pd.to_datetime(persons["birth_date"]).to_numpy().astype("datetime64[D]")
    for pid, born in zip(persons["person_id"].astype(str), births):
        rows.extend(_child_notes(pid, born, rng, args))
    return _assemble(rows, rng, reviewed)


def _assemble(rows: list[tuple], rng: np.random.Generator, reviewed: float) -> SyntheticNotes:
    n = len(rows)
    notes = pd.DataFrame(
        {
            "note_id": [f"N{i:08d}" for i in range(n)],
            "person_id": [r[0] for r in rows],
            "note_date": pd.to_datetime([r[1] for r in rows]),
            "note_type": rng.choice(["Case note", "Home visit", "Telephone call", "Strategy discussion"], n),
            "author_role": rng.choice(["Social worker", "Family support worker", "Team manager"], n),
            "text": [r[2] for r in rows],
        }
    )
    labels = pd.DataFrame(
        [(notes["note_id"].iat[i], r[0], r[1], *lab) for i, r in enumerate(rows) for lab in r[3]],
        columns=["note_id", "person_id", "date", "domain", "kind", "counted"],
    )
    labels["date"] = pd.to_datetime(labels["date"])
    labels["counted"] = labels["counted"].astype(bool)
    truth = labels[labels["counted"]].groupby(["person_id", "domain"], sort=True)["date"].min().reset_index()
    children = notes["person_id"].drop_duplicates()
    chosen = children[rng.random(len(children)) < reviewed]
    return SyntheticNotes(notes, labels, truth, _review(truth, labels, chosen, rng))


def _review(truth: pd.DataFrame, labels: pd.DataFrame, chosen: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """A reviewer reading every note of the chosen children: misses about 4% of adversities, dates about 6% by a
    later note, and counts about 3% of the mentions that should not count (a hypothetical or another person's)."""
    found = truth[truth["person_id"].isin(chosen)]
    found = found[rng.random(len(found)) >= 0.04].copy()
    late = rng.random(len(found)) < 0.06
    found.loc[late, "date"] = found.loc[late, "date"] + pd.to_timedelta(rng.integers(45, 400, int(late.sum())), "D")
    wrong = labels[labels["person_id"].isin(chosen) & ~labels["counted"]].drop_duplicates(["person_id", "domain"])
    wrong = wrong[rng.random(len(wrong)) < 0.03][["person_id", "domain", "date"]]
    out = pd.concat([found, wrong]).sort_values("date").drop_duplicates(["person_id", "domain"])
    out = out.sort_values(["person_id", "domain"], ignore_index=True)
    return pd.DataFrame(
        {
            "person_id": out["person_id"],
            "adversity_type": out["domain"],
            "date_first_documented": out["date"],
            "reviewer": rng.choice(["R1", "R2"], len(out)),
        }
    )


def persons_for_notes(children: int, seed: int, extract_date: dt.date = DEFAULT_EXTRACT_DATE) -> pd.DataFrame:
    """Stand-alone persons (person_id, birth_date) aged 0 to 17 at the extract date, when no authority is given."""
    rng = np.random.default_rng(seed)
    end = np.datetime64(extract_date, "D")
    born = end - rng.integers(0, int(18 * YEAR), children).astype("timedelta64[D]")
    return pd.DataFrame({"person_id": [f"P{i:07d}" for i in range(children)], "birth_date": pd.to_datetime(born)})


def _known(adversity: pd.DataFrame) -> dict[str, list[tuple[str, np.datetime64]]]:
    """Each child's adversity and its onset, in the order of `DOMAINS` (so the draws do not depend on row order)."""
    order = {d: i for i, d in enumerate(DOMAINS)}
    a = adversity[adversity["domain"].isin(order)]
    a = a.assign(_o=a["domain"].map(order)).sort_values(["person_id", "_o"])
    onset = pd.to_datetime(a["onset_date"]).to_numpy().astype("datetime64[D]")
    out: dict[str, list] = {}
    for pid, d, o in zip(a["person_id"].astype(str), a["domain"], onset):
        out.setdefault(pid, []).append((d, o))
    return out


def for_authority(la, seed: int, notes_per_child: float = 6) -> object:
    """A synthetic authority (`la.SyntheticLA`) with case notes for every social care person (`case_notes`),
    documenting the adversity each child really experienced, with the notes' truth (`truth/case_notes_*.csv`);
    its manual review becomes a reviewer's reading of those notes, for the children the review covered before
    (those with an assessment request and known to social care), so the coder can be checked against it.

    The reference-study truths (`measures.json`, `headlines.json`) describe the coded records and the review as
    first generated; they do not count what the notes add."""
    people = la.tables["ssd_person"][["pers_person_id", "pers_dob"]].drop_duplicates("pers_person_id")
    persons = pd.DataFrame({"person_id": people["pers_person_id"].astype(str), "birth_date": people["pers_dob"]})
    onset = la.truth["adversity_onset"]
    onset = onset[onset["pers_person_id"].notna() & (onset["pers_person_id"].astype(str) != "")]
    adversity = pd.DataFrame(
        {"person_id": onset["pers_person_id"].astype(str), "domain": onset["domain"], "onset_date": onset["onset_date"]}
    )
    s = generate_notes(persons, seed, notes_per_child, extract_date=la.extract_date, adversity=adversity)
    notes = s.notes.rename(columns={"person_id": "pers_person_id", "text": "note_text"})
    tables = dict(la.tables)
    tables["case_notes"] = notes[schema.TABLE["case_notes"].column_names]
    covered = set(la.tables["adversity_review"]["person_id"].dropna()) | set(la.truth["person_links"]["pers_person_id"])
    tables["adversity_review"] = _review_table(s.review, covered, la.extract_date)
    truth = dict(la.truth)
    truth["case_notes_labels"] = s.labels.rename(columns={"person_id": "pers_person_id"})
    truth["case_notes_truth"] = s.truth.rename(columns={"person_id": "pers_person_id"})
    return dataclasses.replace(la, tables=tables, truth=truth)


def _review_table(review: pd.DataFrame, covered: set, extract_date: dt.date) -> pd.DataFrame:
    """The reviewer's reading of the notes of the covered children, as an `adversity_review` table (a late date
    never after the extract date)."""
    r = review[review["person_id"].isin(covered)].reset_index(drop=True)
    end = pd.Timestamp(extract_date)
    out = pd.DataFrame(
        {
            "review_id": [f"V{i:07d}" for i in range(1, len(r) + 1)],
            "person_id": r["person_id"],
            "person_table_id": None,
            "adversity_type": r["adversity_type"],
            "date_first_documented": pd.to_datetime(r["date_first_documented"]).clip(upper=end),
            "source_document_type": "case_note",
            "reviewer": r["reviewer"],
        }
    )
    return out[schema.TABLE["adversity_review"].column_names]
