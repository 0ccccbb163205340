"""Back tests on a synthetic authority built to break the old assumptions (`synth --scenario hard`): social care
records that begin years after the oldest births, no population table, requests from birth to 25, adversity
documented after requests, early help only, twins and case-review findings for SEND-side children. Its truth
(truth/headlines.json) holds the true value of every headline under the report's definitions, computed by the
generator from its own knowledge, never by the pipeline."""

from __future__ import annotations

import json
import secrets
import shutil

import pytest
import yaml

from analysis import pipeline
from analysis.params import params_from_dict
from analysis.report import narrative
from analysis.synth.hard import generate
from analysis.synth.write import write


def _params(truth) -> dict:
    """The truth's parameters; the internal edition with threshold 1, so that every estimate can be checked (the
    public edition's suppression is tested elsewhere)."""
    raw = yaml.safe_load((truth / "params.yml").read_text())
    return params_from_dict(
        {"la_name": "Hard Borough", "la_code": "995", "edition": "internal", "disclosure": {"threshold": 1}, **raw}
    )


@pytest.fixture(scope="module")
def hard(tmp_path_factory):
    """A 20,000-child authority over 20 years whose social care records begin 4 years in, prepared twice: as
    handed over (no population table) and with the population the generator knows put back."""
    root = tmp_path_factory.mktemp("hard")
    write(generate(20_000, 20, 7), root)
    truth = root / "truth"
    params = _params(truth)
    key = secrets.token_bytes(32)
    without = pipeline.prepare(params, root / "extract", truth, key=key)
    with_pop = root / "with_population"
    shutil.copytree(root / "extract", with_pop)
    shutil.copy(truth / "population.csv", with_pop / "population.csv")
    return {
        "truth": json.loads((truth / "headlines.json").read_text()),
        "without": without,
        "with": pipeline.prepare(params, with_pop, truth, key=key),
    }


def _covers(m: dict, true_share: float) -> bool:
    low, high = m["interval"]
    return low <= true_share <= high


@pytest.mark.parametrize(
    "measure, truth_key",
    [
        ("known_to_csc", "known_to_csc"),
        ("known_excluding_own_disability", "known_to_csc_excluding_n2"),
        ("with_adversity", "with_adversity"),
        ("first_adversity_before_5", "first_adversity_before_5"),
        ("first_adversity_before_5_reference", "first_adversity_before_5_reference"),
        ("cohort_early_adversity_coded", "cohort_early_adversity_coded"),
    ],
)
def test_each_headlines_interval_covers_its_true_value(hard, measure, truth_key):
    m, true = hard["without"].measures[measure], hard["truth"][truth_key]
    assert not m["suppressed"] and m["denominator"] >= 30, "the back test needs a headline it can see"
    assert _covers(m, true["share"]), (m["numerator"], m["denominator"], m["interval"], true)


def test_the_tiers_strata_and_standardised_share_cover_their_truths(hard):
    m, truth = hard["without"].measures, hard["truth"]
    tiers = {t["tier"]: t for t in m["known_tiers"]}
    for tier, key in (
        ("contact", "contact_or_above"),
        ("assessment", "assessment_or_above"),
        ("child in need", "child_in_need_or_above"),
    ):
        assert _covers(tiers[tier], truth["known_to_csc_tiers"][key]["share"]), tier
    strata = {s["band"]: s for s in m["first_adversity_before_5_by_age_at_request"]}
    for band, key in (("5 to 10", "5-10"), ("11 to 15", "11-15")):
        true = truth["first_adversity_before_5_by_age_at_request"][key]
        if true["denominator"] >= 10:
            assert _covers(strata[band], true["share"]), band
    assert _covers(m["first_adversity_before_5_standardised"], truth["first_adversity_before_5_standardised"]["value"])


def test_the_old_assumptions_would_have_misled_here(hard):
    """Why the new definitions matter on this authority: the reference definition (every child with adversity,
    whenever they requested and whatever the records could see) is far from the main measure."""
    truth = hard["truth"]
    assert truth["first_adversity_before_5"]["share"] - truth["first_adversity_before_5_reference"]["share"] > 0.15


def test_without_a_population_table_no_odds_ratio_or_incidence_is_published_and_the_book_says_why(hard):
    study = hard["without"]
    assert not study.comparison.available
    for name in ("odds_ratios", "cumulative_incidence", "comparison_prevalence", "landmark_flow"):
        assert study.tables[name].empty, name  # a download of headers only: nothing is published
    assert not any(k.startswith("landmark_") or k.startswith("population_") for k in study.measures)
    assert narrative.landmark(study.measures, study.comparison) == study.comparison.why_not
    assert "without a resident population table" in narrative.base_rates(study.measures)


def test_the_landmark_risk_ratios_interval_covers_the_true_one(hard):
    m, truth = hard["with"].measures, hard["truth"]["landmark"]
    rr, rd = m["landmark_risk_ratio"], m["landmark_risk_difference"]
    assert not rr["suppressed"]
    assert _covers(rr, truth["risk_ratio"]), (rr["value"], rr["interval"], truth["risk_ratio"])
    assert _covers(rd, truth["risk_difference"])
    assert _covers(m["landmark_risk_exposed"], truth["exposed"]["share"])
    assert _covers(m["landmark_risk_unexposed"], truth["unexposed"]["share"])
    assert rr["e_value"][0] >= 1
