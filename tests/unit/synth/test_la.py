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
