import hashlib

import pandas as pd

from analysis.ingest.source import check_extract
from analysis.synth.la import generate
from analysis.synth.write import SAMPLE, write


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.csv"))}


def test_same_seed_same_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write(generate(2000, 5, 3), a)
    write(generate(2000, 5, 3), b)
    assert _digest(a) == _digest(b)
    write(generate(2000, 5, 4), b)
    assert _digest(a) != _digest(b)


def test_generated_extract_validates_without_errors(la_dir):
    result = check_extract(la_dir / "extract", pd.Timestamp("2026-03-31"))
    assert result.errors.empty, result.errors.head().to_string()
    assert result.problems.empty


def test_rates_are_plausible():
    la = generate(60_000, 10, 11)
    t = la.truth_measures
    # adversity before five raises the chance of an EHCNA request, so many cohort children are known to CSC
    assert 0.15 < t["known_to_csc"] / t["cohort"] < 0.6
    assert t["first_adversity_before_5"] / t["with_adversity"] > 0.6
    need = la.tables["sen2_sen_need"]["sen_type"].value_counts(normalize=True)
    assert set(need.index[:3]) == {"ASD", "SLCN", "SEMH"}
    # pre-2021 assessments use the old physical/sexual abuse codes, later ones the new
    f = la.tables["ssd_assessment_factors"].merge(
        la.tables["ssd_cin_assessments"], left_on="cinf_assessment_id", right_on="cina_assessment_id"
    )
    old = f["cina_assessment_auth_date"] < pd.Timestamp("2020-04-01")
    assert not f.loc[~old, "cinf_assessment_factors_json"].str.contains('"18A"').any()
    assert not f.loc[old, "cinf_assessment_factors_json"].str.contains('"18C"').any()


def test_committed_sample_extract_is_what_the_generator_makes(tmp_path):
    from analysis.paths import SAMPLE_EXTRACT

    write(generate(**SAMPLE), tmp_path)
    assert _digest(tmp_path / "extract") == _digest(SAMPLE_EXTRACT), "run `make sample` and commit the result"


def _tree_digest(root, leave_out=()):
    """One digest of every file under `root` (its relative path and bytes), but those named in `leave_out`."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name not in leave_out:
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


# Digests of `generate(3000, 10, 5)` written as CSV and as XML before the hard scenario and the issue 16 truths
# were added: the plain authority must keep its bytes (only truth/headlines.json and truth/params.yml are new).
PLAIN_BEFORE = {
    "csv": "1231d20ef8567a4cb378065a81e5e5b83b2960fe771b9eb51012019764d3b359",
    "xml": "1f108a0f9f4e6eb56ce584f49169ba2f2c77df5868be861d427cee31a94a1715",
}


def test_the_plain_authority_keeps_its_bytes(tmp_path):
    la = generate(3000, 10, 5)
    for fmt, before in PLAIN_BEFORE.items():
        write(la, tmp_path / fmt, fmt)
        assert _tree_digest(tmp_path / fmt, leave_out=("headlines.json", "params.yml", "SYNTHETIC")) == before, fmt
    # the published facts of that authority, and the new truths agree with the old where the definitions do
    old = {k: v for k, v in la.truth_measures.items() if k != "domains"}
    assert old == {"cohort": 146, "known_to_csc": 33, "with_adversity": 20, "first_adversity_before_5": 19}
    assert la.headlines["cohort"] == 146 and la.headlines["population_table"] is True
    # where the old and new definitions coincide, so do the truths: every plain social care event follows a contact
    # (so "contact or above" is the old "known"), and the reference definition is the old one
    h = la.headlines
    assert h["known_to_csc_tiers"]["contact_or_above"]["numerator"] == 33
    assert (h["with_adversity"]["numerator"], h["first_adversity_before_5_reference"]["numerator"]) == (20, 19)
    assert la.params["records_start"] == la.params["study_window"]["start"] == "2016-04-01"
    assert sorted(p.name for p in (tmp_path / "csv" / "truth").iterdir()) == [
        "adversity_onset.csv",
        "documented_adversity.csv",
        "headlines.json",
        "measures.json",
        "params.yml",
        "person_links.csv",
    ]
