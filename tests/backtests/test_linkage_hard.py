"""Issue 18: linkage on an authority built to make it hard (`synth --linkage hard`: no shared ids, missing UPNs,
nicknames, accents, double-barrelled and changed surnames, birth date errors, moves, twins and triplets, common
names), measured against the truth the generator keeps."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.ingest.source import check_extract
from analysis.link import error, passes, quality
from analysis.synth.la import generate
from analysis.synth.linkage import harden
from analysis.synth.write import write


@pytest.fixture(scope="module")
def hard(tmp_path_factory):
    out = tmp_path_factory.mktemp("hard_linkage")
    write(harden(generate(20_000, 10, 18), seed=18), out)
    t = check_extract(out / "extract").tables
    linkage = passes.link(t["ssd_person"], t["sen2_person"], t.get("ssd_linked_identifiers"))
    age = error.age_at_request(t["sen2_person"], t["sen2_requests"])
    cases = pd.read_csv(out / "truth" / "linkage_cases.csv", dtype=str)
    return linkage, quality.quality(linkage, out / "truth", age), cases


def test_precision_and_recall_hold_on_hard_data(hard):
    _, q, _ = hard
    assert q["precision"] >= 0.99, q
    assert q["recall"] >= 0.95, q


def test_young_children_are_found_as_often_as_older_ones(hard):
    _, q, _ = hard
    assert abs(q["recall_under_5_at_request"] - q["recall_5_plus_at_request"]) <= 0.03, q


def test_no_twin_is_linked_to_the_other(hard):
    linkage, _, cases = hard
    twins = cases[cases["case"] == "twin_pair_not_a_match"][["pers_person_id", "person_table_id"]]
    assert len(twins) >= 5  # the authority really holds the dangerous case
    linked = twins.merge(linkage.crosswalk, on=["pers_person_id", "person_table_id"])
    assert linked.empty, linked


def test_recall_estimated_from_the_upn_subset_is_close_to_the_truth(hard):
    _, q, _ = hard
    est = q["estimated_recall"]
    assert est is not None and est["gold_pairs"] >= 30
    assert abs(est["value"] - q["recall"]) <= 0.03, (est, q["recall"])
    low, high = est["interval"]
    assert low <= est["value"] <= high


def test_each_hard_case_is_present(hard):
    _, _, cases = hard
    expected = {"nickname", "accent", "double_barrelled", "surname_change", "dob_swap", "moved", "no_upn"}
    assert expected <= set(cases["case"])
