"""`synth --notes`: case notes for a synthetic authority's social care persons, documenting the adversity the
authority knows each child had, with their truth, and a manual review that reads them."""

import pandas as pd

from analysis import cli
from analysis.ingest.source import check_extract


def test_synth_notes_writes_case_notes_their_truth_and_a_review_that_reads_them(tmp_path):
    assert (
        cli.main(["synth", "--children", "2000", "--years", "8", "--seed", "3", "--notes", "--out", str(tmp_path)]) == 0
    )
    ext, truth = tmp_path / "extract", tmp_path / "truth"
    notes = pd.read_csv(ext / "case_notes.csv", dtype=str)
    people = pd.read_csv(ext / "ssd_person.csv", dtype=str)
    assert list(notes.columns) == ["note_id", "pers_person_id", "note_date", "note_type", "author_role", "note_text"]
    assert notes["note_id"].is_unique and notes["pers_person_id"].isin(people["pers_person_id"]).all()
    labels = pd.read_csv(truth / "case_notes_labels.csv", dtype=str)
    first = pd.read_csv(truth / "case_notes_truth.csv", dtype=str)
    assert labels["note_id"].isin(notes["note_id"]).all() and len(first)
    onset = pd.read_csv(truth / "adversity_onset.csv", dtype=str).dropna(subset=["pers_person_id"])
    experienced = set(zip(onset["pers_person_id"], onset["domain"]))
    assert set(zip(first["pers_person_id"], first["domain"])) <= experienced  # notes document only what happened
    review = pd.read_csv(ext / "adversity_review.csv", dtype=str)
    links = pd.read_csv(truth / "person_links.csv", dtype=str)
    assert review["person_id"].isin(links["pers_person_id"]).all()
    truth_pairs = set(zip(first["pers_person_id"], first["domain"]))
    agree = [p in truth_pairs for p in zip(review["person_id"], review["adversity_type"])]
    assert sum(agree) / len(agree) > 0.9  # a reviewer's reading, errors and all
    result = check_extract(ext, pd.Timestamp("2026-03-31"))
    assert result.errors.empty, result.errors.head().to_string()


def test_notes_are_refused_with_returns(tmp_path, capsys):
    assert cli.main(["synth", "--returns", "5", "--notes", "--out", str(tmp_path)]) != 0
    assert "--notes" in capsys.readouterr().err
