import sys

import numpy as np
import pandas as pd
import pytest

from analysis.errors import UserError
from analysis.ingest.source import check_extract
from analysis.link import passes as link


@pytest.fixture(scope="module")
def people(la_dir):
    t = check_extract(la_dir / "extract").tables
    truth = pd.read_csv(la_dir / "truth" / "person_links.csv", dtype={"pers_person_id": str, "person_table_id": str})
    return t["ssd_person"], t["sen2_person"], truth


def _quality(crosswalk, truth):
    found = truth.merge(crosswalk, on=["pers_person_id", "person_table_id"], how="left", indicator=True)
    hit = found["_merge"] == "both"
    young = found["age_first_known_to_csc"] < 5
    return {
        "precision": hit.sum() / len(crosswalk),
        "recall": hit.mean(),
        "under_5": hit[young].mean(),
        "5_plus": hit[~young].mean(),
    }


def test_linkage_meets_the_quality_targets(people):
    csc, send, truth = people
    result = link.link(csc, send)
    q = _quality(result.crosswalk, truth)
    assert q["precision"] >= 0.98 and q["recall"] >= 0.95, q
    assert abs(q["under_5"] - q["5_plus"]) <= 0.03, q
    assert result.crosswalk["person_table_id"].is_unique and result.crosswalk["pers_person_id"].is_unique
    assert set(result.crosswalk["method"]) == {"UPN", "name and birth date", "probabilistic"}
    probabilistic = result.crosswalk[result.crosswalk["method"] == "probabilistic"]
    assert probabilistic["match_probability"].between(0.9, 1).all()
    assert {c["output_column_name"] for c in result.model["comparisons"]} == {
        "forename",
        "surname",
        "dob",
        "sex",
        "postcode",
    }
    assert 0.98 <= result.expected_precision() <= 1


def test_the_probabilistic_pass_adds_what_exact_passes_miss(people):
    csc, send, truth = people
    exact = _quality(link.link(csc, send, probabilistic=False).crosswalk, truth)
    full = _quality(link.link(csc, send).crosswalk, truth)
    assert exact["precision"] >= 0.98 and exact["recall"] < full["recall"]


def _person(ids, forenames, dob):
    return pd.DataFrame(
        {
            "pers_person_id": ids,
            "pers_upn": [None] * len(ids),
            "pers_forename": forenames,
            "pers_surname": ["Shaw"] * len(ids),
            "pers_dob": [dob] * len(ids),
            "pers_sex": ["F"] * len(ids),
            "pers_postcode": ["ZZ1 1AA"] * len(ids),
        }
    )


def _send(ids, dob, upn=None):
    return pd.DataFrame(
        {
            "person_table_id": ids,
            "upn": [upn] * len(ids),
            "forename": ["AMY"] * len(ids),
            "surname": ["shaw"] * len(ids),
            "person_birth_date": [dob] * len(ids),
            "sex": ["F"] * len(ids),
            "postcode": ["zz1 1aa"] * len(ids),
        }
    )


def test_ambiguous_name_matches_are_not_linked():
    dob = pd.Timestamp("2015-01-01")
    assert link.link(
        _person(["P1", "P2"], ["Amy", "Amy"], dob), _send(["S1"], dob), probabilistic=False
    ).crosswalk.empty
    one = link.link(_person(["P1"], ["Amy"], dob), _send(["S1"], dob), probabilistic=False).crosswalk
    assert one[["pers_person_id", "person_table_id", "method"]].values.tolist() == [["P1", "S1", "name and birth date"]]


def test_crosswalk_and_former_upn_passes_come_first():
    dob = pd.Timestamp("2015-01-01")
    ids = pd.DataFrame(
        {
            "link_person_id": ["P1", "P2"],
            "link_identifier_type": ["SEND Person ID", "Former Unique Pupil Number"],
            "link_identifier_value": ["S1", "A000000000042"],
        }
    )
    csc = _person(["P1", "P2"], ["Zed", "Amy"], dob)
    send = pd.concat([_send(["S1"], dob), _send(["S2"], dob, upn="A000000000042")], ignore_index=True)
    out = link.link(csc, send, ids, probabilistic=False).crosswalk
    assert out[["pers_person_id", "person_table_id", "method"]].values.tolist() == [
        ["P1", "S1", "LA crosswalk"],
        ["P2", "S2", "UPN"],
    ]


def test_the_spark_backend_links_as_duckdb_does(people):
    """`linkage.backend: spark` runs Splink on Spark in local mode: the same links, the same model up to EM noise."""
    csc, send, _ = people
    duck = link.link(csc, send)
    spark = link.link(csc, send, backend="spark")
    assert spark.probabilistic_note == "ran"
    keys = ["pers_person_id", "person_table_id", "method"]
    both = duck.crosswalk.merge(spark.crosswalk, on=keys, how="outer", indicator=True, suffixes=("_duck", "_spark"))
    # EM on two engines differs in the third decimal: only a pair at the threshold may fall either side of it
    apart = both[both["_merge"] != "both"].merge(duck.scored, on=keys[:2])
    assert len(apart) <= 2 and apart["match_probability"].sub(0.9).abs().max() < 0.02 if len(apart) else True
    same = both[both["_merge"] == "both"]
    assert len(same) >= len(duck.crosswalk) - 2 and (same["method"] == "probabilistic").sum() > 0
    np.testing.assert_allclose(same["match_probability_spark"], same["match_probability_duck"], atol=0.01)
    levels = [
        (d, s)
        for cd, cs in zip(duck.model["comparisons"], spark.model["comparisons"])
        for d, s in zip(cd["comparison_levels"], cs["comparison_levels"])
        if d.get("m_probability") is not None
    ]
    assert len(levels) >= 10
    np.testing.assert_allclose(
        [s["m_probability"] for _, s in levels], [d["m_probability"] for d, _ in levels], atol=0.01
    )


def test_spark_backend_without_pyspark_is_a_clear_user_error(people, monkeypatch):
    csc, send, _ = people
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(UserError, match="PySpark is not installed"):
        link.link(csc, send, backend="spark")
