"""Case notes as a source of adversity: coded for every child known to social care, so that the comparison can
include parental separation; nothing of the notes (text, ids) in the prepared study."""

import json

import pandas as pd
import pytest

from analysis import paths, pipeline
from analysis.derive import adversity, case_notes, population
from analysis.params import params_from_dict
from analysis.synth import notes as synth_notes
from analysis.synth.la import generate
from analysis.synth.write import write

MARKER = "Qzxplantedmarker"


def _tables(with_notes: bool) -> dict[str, pd.DataFrame]:
    person = pd.DataFrame({"pers_person_id": ["P1", "P2"], "pers_dob": pd.to_datetime(["2015-01-01", "2015-06-01"])})
    tables = {"ssd_person": person}
    if with_notes:
        tables["case_notes"] = pd.DataFrame(
            {
                "note_id": ["N1", "N2", "N3"],
                "pers_person_id": ["P1", "P1", "P2"],
                "note_date": pd.to_datetime(["2016-03-01", "2017-01-01", "2017-02-01"]),
                "note_type": ["Case note"] * 3,
                "author_role": ["Social worker"] * 3,
                "note_text": [
                    f"Parents separated in 2015. {MARKER} seen.",
                    "Mum reports DV from her partner.",
                    "No concerns re DV. Maternal grandmother's depression discussed.",
                ],
            }
        )
    return tables


def test_notes_become_events_of_their_own_source_without_text_or_ids():
    frame = adversity.load_frame(paths.CODING_FRAME)
    assert case_notes.code(_tables(False), frame) is None
    coded = case_notes.code(_tables(True), frame)
    ev = coded.events
    assert list(ev.columns) == adversity.EVENT_COLUMNS
    assert set(ev["source"]) == {adversity.NOTES_SOURCE}
    assert set(zip(ev["pers_person_id"], ev["domain"])) == {("P1", "parental_separation"), ("P1", "domestic_abuse")}
    text = ev.astype(str).to_csv() + coded.first.astype(str).to_csv()
    assert MARKER not in text and "N1" not in text and "N2" not in text


def test_parental_separation_enters_the_comparison_when_notes_are_supplied():
    frame = adversity.load_frame(paths.CODING_FRAME)
    events = case_notes.code(_tables(True), frame).events
    review = events.assign(source="case review")
    pop = pd.DataFrame(
        {
            "pers_person_id": ["P1", "P2"],
            "person_table_id": [pd.NA, pd.NA],
            "dob": pd.to_datetime(["2015-01-01", "2015-06-01"]),
            "landmark_date": pd.to_datetime(["2020-01-01", "2020-06-01"]),
        }
    )
    with_notes = pop.copy()
    population._coded_before_landmark(with_notes, events)
    assert with_notes["domain_parental_separation"].tolist() == [True, False]
    assert with_notes["early_adversity"].tolist() == [True, False]
    review_only = pop.copy()  # the same findings from the manual review: one group only, so left out
    population._coded_before_landmark(review_only, review)
    assert "domain_parental_separation" not in review_only and not review_only["early_adversity"].any()


@pytest.fixture(scope="module")
def noted(tmp_path_factory):
    out = tmp_path_factory.mktemp("noted")
    write(synth_notes.for_authority(generate(4000, 10, 5), 5), out)
    params = params_from_dict(
        {"la_name": "Notes test", "la_code": "996", "study_window": {"start": "2016-04-01", "end": "2026-03-31"}}
    )
    return out, pipeline.prepare(params, out / "extract", out / "truth")


def test_a_build_with_notes_compares_parental_separation_and_publishes_the_agreement(noted):
    out, study = noted
    exposures = set(study.tables["comparison_prevalence"]["Exposure"])
    assert "Parental separation" in exposures
    agreement = study.tables["case_note_agreement"]
    assert list(agreement.columns) == case_notes.AGREEMENT_COLUMNS and len(agreement)
    assert "Parental separation" in set(agreement["Domain"])
    sources = study.adversity_sources
    assert sources.notes_supplied and sources.lexicon == "lexicon.yml" and sources.lexicon_terms > 100
    assert sources.instruments["Parental separation"] == ["manual case review", "case notes (coder)"]
    assert adversity.NOTES_SOURCE in set(study.child_events["source"])
    assert "Codes and case review only (without the case notes)" in set(study.tables["sensitivity"]["Analysis"])
    notes = pd.read_csv(out / "extract" / "case_notes.csv", dtype=str)
    published = json.dumps({k: t.astype(str).to_dict("split") for k, t in study.tables.items()})
    published += study.cohort.astype(str).to_csv() + study.child_events.astype(str).to_csv()
    for note_id in notes["note_id"].sample(200, random_state=1):
        assert note_id not in published
    assert "Copied from previous entry" not in published and "note_text" not in published
