import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analysis.derive import adversity, sensitivity
from analysis.derive import population as comparison
from analysis.ingest.source import check_extract
from analysis.link import passes as link
from analysis.paths import CODING_FRAME as FRAME

START, END = pd.Timestamp("2016-04-01"), pd.Timestamp("2026-03-31")


@pytest.fixture(scope="module")
def pop(la_dir):
    t = check_extract(la_dir / "extract").tables
    crosswalk = link.link(t["ssd_person"], t["sen2_person"], probabilistic=False).crosswalk
    events, _ = adversity.events(t, adversity.load_frame(FRAME))
    p, source = comparison.population(t, crosswalk, events, START, END, 5)
    assert source.startswith("the resident child population")
    return p


def test_population_is_the_supplied_denominator(pop, la_dir):
    assert len(pop) == len(pd.read_csv(la_dir / "extract" / "population.csv"))
    assert pop["ehc_plan"].sum() > 0 and pop["early_adversity"].sum() > 0
    assert (pop.loc[pop["early_adversity"], "any_adversity"]).all()


def test_odds_ratios_match_a_per_child_logistic_regression(pop):
    frame = adversity.load_frame(FRAME)
    ours = comparison.odds_ratios(pop, frame, 5).set_index(["Exposure", "Model"])
    d = pop.assign(plan=pop["ehc_plan"].astype(int), x=pop["early_adversity"].astype(int))
    for model, formula in (("crude", "plan ~ x"), ("adjusted", "plan ~ x + C(sex) + C(birth_cohort) + C(imd_decile)")):
        fit = smf.logit(formula, d).fit(disp=0, maxiter=200)
        row = ours.loc[("Adversity before age 5", model)]
        assert row["Odds ratio"] == pytest.approx(np.exp(fit.params["x"]), rel=1e-4)
        np.testing.assert_allclose([row["Lower 95%"], row["Upper 95%"]], np.exp(fit.conf_int().loc["x"]), rtol=1e-4)
    crude, ci = comparison.crude_plan_odds_ratio(pop)
    assert crude == pytest.approx(ours.loc[("Adversity before age 5", "crude"), "Odds ratio"], rel=1e-6)


def test_case_review_adversity_is_left_out_of_the_comparison(pop):
    assert "domain_parental_separation" not in pop.columns


def test_prevalence_by_plan_counts(pop):
    prev = comparison.prevalence_by_plan(pop, adversity.load_frame(FRAME), 5)
    row = prev[(prev["Exposure"] == "Any adversity") & (prev["Group"] == "With an EHC plan")].iloc[0]
    with_plan = pop[pop["ehc_plan"]]
    assert (row["Children"], row["With exposure"]) == (len(with_plan), int(with_plan["any_adversity"].sum()))


def test_sensitivity_variants():
    cohort = pd.DataFrame(
        {
            "known_to_csc": [True, True, False, True],
            "link_method": ["UPN", "probabilistic", "not linked", "UPN"],
            "first_adversity_age": [2.0, 3.0, np.nan, 6.0],
            "early_childhood_observed": [True, False, True, True],
        }
    )
    v = sensitivity.headline_variants(cohort, 5).set_index(["Analysis", "Measure"])[["Children", "Of"]]
    known, early = sensitivity.KNOWN, sensitivity.EARLY
    assert v.loc[("Main analysis", known)].tolist() == [3, 4]
    assert v.loc[("Main analysis", early)].tolist() == [2, 3]
    assert v.loc[("Excluding probabilistic links", known)].tolist() == [2, 4]
    assert v.loc[("Excluding probabilistic links", early)].tolist() == [1, 2]
    assert v.loc[("Children born inside the data window", early)].tolist() == [1, 2]
    assert v.loc[("Age threshold 7 instead of 5", early)].tolist() == [3, 3]
    assert v.loc[("Age threshold 3 instead of 5", early)].tolist() == [1, 3]  # 3.0 is not under 3
