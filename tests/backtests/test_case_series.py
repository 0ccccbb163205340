"""The case-series generator: the pipeline recovers exactly the headline counts it was asked for."""

import hashlib
import secrets

import pandas as pd
import pytest

from analysis import pipeline
from analysis.contract import schema
from analysis.errors import UserError
from analysis.ingest.source import check_extract
from analysis.params import params_from_dict
from analysis.synth.case_series import generate_case_series
from analysis.synth.write import write

REFERENCE = dict(n=100, known=54, with_adversity=43, adversity_before_5=34)


def _params(edition="internal", threshold=1):
    # threshold 1 switches suppression off, so every count is visible (allowed for the internal edition only)
    return params_from_dict(
        {
            "la_name": "Case series",
            "la_code": "996",
            "study_window": {"start": "2016-04-01", "end": "2026-03-31"},
            "edition": edition,
            "disclosure": {"threshold": threshold},
        }
    )


def _prepared(tmp_path, params=None, **counts):
    la = generate_case_series(**counts, seed=5)
    write(la, tmp_path)
    study = pipeline.prepare(params or _params(), tmp_path / "extract", tmp_path / "truth", key=secrets.token_bytes(32))
    return la, study


def _counts(study):
    """The reference study's three measures under its own definitions: known to Children's Services (a contact or
    more), documented adversity, and first adversity before five of every child with adversity."""
    m = study.measures
    known = next(t for t in m["known_tiers"] if t["tier"] == "contact")
    return {
        "known_to_csc": (known["numerator"], known["denominator"]),
        "with_adversity": (m["with_adversity"]["numerator"], m["with_adversity"]["denominator"]),
        "first_adversity_before_5": (
            m["first_adversity_before_5_reference"]["numerator"],
            m["first_adversity_before_5_reference"]["denominator"],
        ),
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("case_series")
    return out, *_prepared(out, **REFERENCE)


def test_reference_study_counts_are_exact(reference):
    _, la, study = reference
    assert study.measures["cohort_size"] == 100
    assert _counts(study) == {
        "known_to_csc": (54, 100),
        "with_adversity": (43, 100),
        "first_adversity_before_5": (34, 43),
    }
    assert la.truth_measures["cohort"] == 100
    assert {k: la.truth_measures[k] for k in ("known_to_csc", "with_adversity", "first_adversity_before_5")} == {
        "known_to_csc": 54,
        "with_adversity": 43,
        "first_adversity_before_5": 34,
    }


def test_a_public_edition_with_threshold_5_publishes_the_reference_counts(tmp_path):
    """The issue's check: with a disclosure threshold that allows it, the published measures are exactly the
    reference study's (54 of 100 known, 34 of 43 before five)."""
    _, study = _prepared(tmp_path, params=_params("public", 5), **REFERENCE)
    assert _counts(study) == {
        "known_to_csc": (54, 100),
        "with_adversity": (43, 100),
        "first_adversity_before_5": (34, 43),
    }
    assert not study.measures["first_adversity_before_5_reference"]["suppressed"]


def test_linkage_is_perfect_and_every_child_is_in_the_cohort(reference):
    _, la, study = reference
    q = study.linkage
    assert q.precision == 1.0 and q.recall == 1.0
    assert q.linked == len(la.tables["ssd_person"]) == len(la.truth["person_links"])
    flow = dict(zip(study.tables["selection_flow"]["Step"], study.tables["selection_flow"]["Children"]))
    assert flow["excluded: an earlier request before the study window"] == 0
    assert flow["Cohort: first request in the window"] == 100


def test_extract_validates_without_problems(reference):
    out, _, _ = reference
    result = check_extract(out / "extract", pd.Timestamp("2026-03-31"))
    assert result.problems.empty, result.problems.head().to_string()


def test_ages_dates_and_domains_are_realistic(reference):
    _, la, study = reference
    t = la.tables
    assert study.cohort["age_at_index"].between(2, 16).all()
    assert t["sen2_requests"]["received_date"].between("2016-04-01", "2026-03-31").all()
    for name, frame in t.items():
        for col in frame.columns:
            if str(frame[col].dtype).startswith("datetime") and col not in ("pers_dob", "person_birth_date"):
                assert frame[col].dropna().between("2016-04-01", "2026-03-31").all(), (name, col)
    top3 = [d["name"] for d in study.measures["domains"][:3]]
    assert set(top3) == {"domestic_abuse", "parental_mental_illness", "parental_separation"}
    assert la.truth_measures["domains"] == {d["name"]: d["numerator"] for d in study.measures["domains"]}
    # children known without adversity have, before their request, only assessments finding no factors ("21")
    request = t["sen2_requests"].set_index("person_table_id")["received_date"]
    links = la.truth["person_links"].set_index("pers_person_id")["person_table_id"]
    asm = t["ssd_assessment_factors"].merge(
        t["ssd_cin_assessments"], left_on="cinf_assessment_id", right_on="cina_assessment_id"
    )
    asm = asm[asm["cina_assessment_auth_date"] < asm["cina_person_id"].map(links).map(request)]
    no_adversity = ~asm["cina_person_id"].map(links).isin(la.truth["documented_adversity"]["person_table_id"])
    assert no_adversity.any()
    assert (asm.loc[no_adversity, "cinf_assessment_factors_json"] == '["21"]').all()
    # every table of the contract is there (but the population), with the contract's columns in order
    assert set(t) == {table.name for table in schema.TABLES} - {"population"}
    for table in schema.TABLES:
        if table.name in t:
            assert list(t[table.name].columns) == table.column_names, table.name


@pytest.mark.parametrize(
    "counts",
    [
        dict(n=60, known=20, with_adversity=12, adversity_before_5=5),
        dict(n=30, known=30, with_adversity=30, adversity_before_5=30),
        dict(n=25, known=10, with_adversity=10, adversity_before_5=0),
    ],
)
def test_other_combinations_are_exact(tmp_path, counts):
    _, study = _prepared(tmp_path, **counts)
    n, k, a, b = counts.values()
    assert _counts(study) == {"known_to_csc": (k, n), "with_adversity": (a, n), "first_adversity_before_5": (b, a)}


@pytest.mark.parametrize(
    "counts, message",
    [
        (dict(n=100, known=101, with_adversity=43, adversity_before_5=34), "--known"),
        (dict(n=100, known=40, with_adversity=43, adversity_before_5=34), "--with-adversity"),
        (dict(n=100, known=54, with_adversity=43, adversity_before_5=44), "--adversity-before-5"),
        (dict(n=0, known=0, with_adversity=0, adversity_before_5=0), "--case-series"),
        (dict(n=100, known=-1, with_adversity=0, adversity_before_5=0), "--known"),
        (dict(n=100, known=54.5, with_adversity=43, adversity_before_5=34), "--known"),
        (dict(n=10**6, known=54, with_adversity=43, adversity_before_5=34), "--case-series"),
    ],
)
def test_impossible_counts_are_user_errors(counts, message):
    with pytest.raises(UserError, match=message):
        generate_case_series(**counts, seed=1)


def test_same_seed_same_bytes(tmp_path):
    def digest(folder):
        return {
            p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write(generate_case_series(**REFERENCE, seed=3), a)
    write(generate_case_series(**REFERENCE, seed=3), b)
    write(generate_case_series(**REFERENCE, seed=4), c)
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)
