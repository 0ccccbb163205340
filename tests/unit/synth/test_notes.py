"""Synthetic case notes: reproducible, every kind of mention present, truth consistent with the labels, and a
reviewer who errs about as often as intended."""

import pandas as pd

from analysis.synth.la import DOMAINS
from analysis.synth.notes import generate_notes, persons_for_notes


def _make(children=600, seed=3):
    persons = persons_for_notes(children, seed)
    return persons, generate_notes(persons, seed)


def test_same_seed_same_notes():
    a, b = _make(100)[1], _make(100)[1]
    pd.testing.assert_frame_equal(a.notes, b.notes)
    pd.testing.assert_frame_equal(a.truth, b.truth)


def test_every_kind_of_mention_is_written():
    persons, s = _make()
    text = " ".join(s.notes["text"])
    for phrase in ("No concerns re", "recurs", "Maternal", "before", "Sibling", "Copied from previous entry", " DV",
                   " sep.", "MH", "seperated"):  # fmt: skip
        assert phrase in text, phrase
    kinds = set(s.labels["kind"])
    assert {"positive", "negated", "hypothetical", "other", "before_birth", "sibling", "own"} <= kinds
    born = s.notes["person_id"].map(persons.set_index("person_id")["birth_date"])
    assert (s.notes["note_date"] < born).any()  # pre-birth notes


def test_truth_is_the_first_counted_label():
    persons, s = _make()
    assert set(s.truth["domain"]) <= set(DOMAINS)
    counted = s.labels[s.labels["counted"]]
    assert counted["kind"].eq("positive").all()
    first = counted.groupby(["person_id", "domain"])["date"].min().reset_index()
    pd.testing.assert_frame_equal(first, s.truth)
    born = s.truth["person_id"].map(persons.set_index("person_id")["birth_date"])
    assert (s.truth["date"] >= born).all()


def test_the_reviewer_errs_a_little():
    _, s = _make(1500)
    truth = set(zip(s.truth["person_id"], s.truth["domain"]))
    review = set(zip(s.review["person_id"], s.review["adversity_type"]))
    missed = len(truth - review) / len(truth)
    added = len(review - truth) / len(review)
    assert 0.02 < missed < 0.07 and 0 < added < 0.08
    assert list(s.review.columns) == ["person_id", "adversity_type", "date_first_documented", "reviewer"]


def test_reviewed_share():
    persons = persons_for_notes(400, 5)
    s = generate_notes(persons, 5, reviewed=0.25)
    assert 0.15 < s.review["person_id"].nunique() / s.notes["person_id"].nunique() < 0.3
