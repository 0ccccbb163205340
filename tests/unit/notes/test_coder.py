"""The coder's context rules, one case each: negation, hypothetical, before birth, other people, abbreviations,
siblings; and what counts towards a child's first documented adversity."""

import pandas as pd
import pytest

from analysis.errors import UserError
from analysis.notes.coder import CODED_COLUMNS, FIRST_COLUMNS, code_notes, first_documented
from analysis.notes.lexicon import load_lexicon, prefilter


def _only(frame: pd.DataFrame, domain: str) -> pd.Series:
    rows = frame[frame["domain"] == domain]
    assert len(rows) == 1, frame
    return rows.iloc[0]


@pytest.mark.parametrize(
    "text", ["No concerns re DV.", "Mum denies DV.", "DV: nil.", "No evidence of domestic abuse reported."]
)
def test_negated(one, text):
    m = _only(one(text), "domestic_abuse")
    assert m["negated"] and not m["affirmed"]


def test_negation_stops_at_but(one):
    coded = one("No concerns re DV but mum's depression has worsened.")
    assert _only(coded, "domestic_abuse")["negated"]
    mh = _only(coded, "parental_mental_illness")
    assert not mh["negated"] and mh["affirmed"] and mh["experiencer"] == "parent"


@pytest.mark.parametrize(
    "text", ["If DA recurs, police to be called.", "Should DV recur, mum will ring 999.", "Risk of DV discussed."]
)
def test_hypothetical(one, text):
    m = _only(one(text), "domestic_abuse")
    assert m["hypothetical"] and not m["negated"] and not m["affirmed"]


def test_before_birth_said_in_the_note(one):
    m = _only(one("Mum experienced DV with a previous partner before she was born."), "domestic_abuse")
    assert m["historical"] and not m["affirmed"]


def test_before_birth_by_the_note_date(one):
    text = "Pre-birth assessment: mum's depression noted."
    before = _only(one(text, birth="2020-09-01", date="2020-06-01"), "parental_mental_illness")
    after = _only(one(text, birth="2019-09-01", date="2020-06-01"), "parental_mental_illness")
    assert before["historical"] and not before["affirmed"]
    assert not after["historical"] and after["affirmed"]


def test_other_person(one):
    grandmother = _only(one("Maternal grandmother's depression discussed."), "parental_mental_illness")
    mother = _only(one("Mother's depression discussed."), "parental_mental_illness")
    mum = _only(one("Mum's depression has worsened."), "parental_mental_illness")
    assert grandmother["experiencer"] == "other" and not grandmother["affirmed"]
    assert mother["experiencer"] == "parent" and mother["affirmed"]
    assert mum["experiencer"] == "parent" and mum["affirmed"]


def test_the_childs_own_difficulty_is_not_the_parents(one):
    m = _only(one("The child presents with anxiety."), "parental_mental_illness")
    assert m["experiencer"] == "child" and not m["affirmed"]


def test_parents_own_childhood(one):
    m = _only(one("Mum was sexually abused as a child."), "sexual_abuse")
    assert m["experiencer"] == "parent" and not m["affirmed"]


@pytest.mark.parametrize(
    "text, domain",
    [
        ("Police notification: DV at the home.", "domestic_abuse"),
        ("DA incident reported by mum.", "domestic_abuse"),
        ("Mum's MH has deteriorated.", "parental_mental_illness"),
        ("Parents sep. in 2019.", "parental_separation"),
        ("Mum and dad have seperated.", "parental_separation"),
        ("Dad in prison.", "parental_imprisonment"),
        ("Dad is at HMP Leeds.", "parental_imprisonment"),
        ("Concerns of negelct: home conditions poor.", "neglect"),
        ("NAI suspected: unexplained bruising.", "physical_abuse"),
        ("Mum's alchohol misuse continues.", "parental_substance_misuse"),
    ],
)
def test_abbreviations_and_variants(one, text, domain):
    coded = one(text)
    assert coded.loc[coded["domain"] == domain, "affirmed"].all() and (coded["domain"] == domain).any(), coded


def test_abbreviations_are_case_exact(one):
    assert one("Review in Sep. 2024; advice on dv given; Mum has da vinci print.").empty


def test_sibling_note(one):
    sibling = _only(one("Sibling Jack was physically abused at school."), "physical_abuse")
    child = _only(one("The child was physically abused by dad."), "physical_abuse")
    assert sibling["experiencer"] == "sibling" and not sibling["affirmed"]
    assert child["experiencer"] == "child" and child["affirmed"]


def test_household_adversity_in_a_sibling_note_counts(one):
    m = _only(one("Older brother's note: DV between mum and dad at the weekend."), "domestic_abuse")
    assert m["experiencer"] == "parent" and m["affirmed"]


def test_one_sentence_across_an_abbreviation(coder):
    doc = coder.nlp("Parents sep. in 2019 and dad moved out. Mum well.")
    assert [s.text for s in doc.sents] == ["Parents sep. in 2019 and dad moved out.", "Mum well."]


def test_prefilter_agrees_with_the_matchers(coder, synthetic):
    """Every note the phrase matchers find a mention in passes the pre-filter (it never drops a mention)."""
    can_hold = prefilter(load_lexicon())
    texts = synthetic["notes"].notes["text"]
    for text in texts[~texts.map(can_hold)].head(500):
        assert coder.mentions(coder.nlp(text)) == []


def test_first_documented_is_the_first_affirmed_date(coder):
    notes = pd.DataFrame(
        {
            "note_id": ["a", "b", "c", "d"],
            "person_id": ["p1", "p1", "p1", "p2"],
            "note_date": ["2019-01-01", "2019-05-01", "2020-01-01", "2019-01-01"],
            "text": ["No concerns re DV.", "DV incident at home.", "Copied: DV incident at home.", "If DV recurs."],
        }
    )
    coded = code_notes(notes, coder=coder)
    assert list(coded.columns) == CODED_COLUMNS
    first = first_documented(coded)
    assert list(first.columns) == FIRST_COLUMNS
    assert first.to_dict("records") == [
        {"person_id": "p1", "domain": "domestic_abuse", "date": pd.Timestamp("2019-05-01"), "notes": 2}
    ]


def test_bad_frame(coder):
    with pytest.raises(UserError, match="no column text"):
        code_notes(pd.DataFrame({"note_id": [1], "person_id": [1], "note_date": ["2020-01-01"]}), coder=coder)
    bad = pd.DataFrame({"note_id": [1], "person_id": [1], "note_date": ["soon"], "text": ["DV"]})
    with pytest.raises(UserError, match="row 1, column note_date"):
        code_notes(bad, coder=coder)


def test_lexicon_errors_name_the_file(tmp_path):
    path = tmp_path / "lexicon.yml"
    path.write_text("domains:\n  domestic_abuse: {terms: [DV], counts_for: [nobody]}\nexperiencers: {}\ncontext: {}\n")
    with pytest.raises(UserError, match="unknown experiencers nobody"):
        load_lexicon(path)
    path.write_text("domains: [")
    with pytest.raises(UserError, match="cannot read the case-note lexicon"):
        load_lexicon(path)
