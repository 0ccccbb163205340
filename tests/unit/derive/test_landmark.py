import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from lifelines import AalenJohansenFitter

from analysis.derive import adversity, ages, comparison, landmark, population
from analysis.derive.cohort import Window
from analysis.ingest.source import check_extract
from analysis.link import passes as link
from analysis.paths import CODING_FRAME as FRAME

END = pd.Timestamp("2026-03-31")
DESIGN = landmark.Design(landmark=5, horizon=8, end=END)


def _pop(**over) -> pd.DataFrame:
    base = {
        "dob": pd.Timestamp("2016-06-01"),
        "entry": pd.NaT,
        "exit": pd.NaT,
        "first_request": pd.NaT,
        "observed_from_birth": True,
        "early_adversity": False,
        "sex": "F",
        "birth_year": 2016,
        "imd_decile": "3",
    }
    rows = pd.DataFrame([{**base, **o} for o in over["rows"]])
    rows["landmark_date"] = ages.birthday(rows["dob"], 5)
    return rows


def test_eligibility_follows_the_target_trial():
    pop = _pop(
        rows=[
            {},  # eligible
            {"observed_from_birth": False},  # born before the records begin
            {"entry": pd.Timestamp("2018-01-01")},  # moved in at 18 months: not resident from birth
            {"dob": pd.Timestamp("2022-01-01")},  # not 5 by the extract date
            {"exit": pd.Timestamp("2020-01-01")},  # left before the landmark
            {"first_request": pd.Timestamp("2020-01-01")},  # a request before the landmark
            {"first_request": pd.Timestamp("2023-01-01"), "early_adversity": True},  # eligible: request after it
            {"first_request": pd.Timestamp("2021-01-01")},  # a request on the fifth birthday: not after it
        ]
    )
    f, steps = landmark.eligible(pop, DESIGN)
    assert list(f.index) == [0, 6]
    assert [int(m.sum()) for _, m in steps] == [8, 7, 6, 5, 4, 2]
    assert (f["exit_days"] > f["entry_days"]).all()  # the last step is exactly the children analysed
    assert f.loc[6, "event"] == 1 and f.loc[0, "event"] == 0  # a request; censored at the extract date
    assert f.loc[6, "request_by_horizon"] and f.loc[6, "followed_to_horizon"]


def test_risks_agree_with_lifelines_and_the_ratio_with_the_delta_method():
    rng = np.random.default_rng(3)
    n = 400
    dob = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    exposed = rng.random(n) < 0.3
    request = dob + pd.to_timedelta(
        np.where(rng.random(n) < np.where(exposed, 0.5, 0.2), rng.integers(5 * 365 + 10, 11 * 365, n), 30_000), unit="D"
    )
    leave = dob + pd.to_timedelta(
        np.where(rng.random(n) < 0.1, rng.integers(5 * 365 + 10, 9 * 365, n), 30_000), unit="D"
    )
    pop = _pop(rows=[{"dob": d} for d in dob]).assign(
        early_adversity=exposed,
        first_request=pd.Series(request).where(pd.Series(request) <= END),
        exit=pd.Series(leave).where(pd.Series(leave) <= END),
    )
    f, _ = landmark.eligible(pop, DESIGN)
    cif = landmark.incidence(f, DESIGN)
    risks = landmark.risks_at_horizon(f, cif, DESIGN)
    for exposure, key in ((True, "risk_exposed"), (False, "risk_unexposed")):
        g = f[f["early_adversity"] == exposure]
        aj = AalenJohansenFitter(calculate_variance=True, seed=0).fit(
            g["exit_days"], g["event"], event_of_interest=1, entry=g["entry_days"]
        )
        expected = aj.cumulative_density_.iloc[:, 0].loc[: 8 * 365.25].iloc[-1]
        assert risks[key][0] == pytest.approx(float(expected), abs=2e-3)
    r1, r0 = risks["risk_exposed"][0], risks["risk_unexposed"][0]
    assert risks["risk_ratio"][0] == pytest.approx(r1 / r0)
    assert risks["risk_difference"][0] == pytest.approx(r1 - r0)
    assert risks["risk_ratio"][1] < risks["risk_ratio"][0] < risks["risk_ratio"][2]


@pytest.fixture(scope="module")
def followed(la_dir):
    t = check_extract(la_dir / "extract").tables
    crosswalk = link.link(t["ssd_person"], t["sen2_person"], probabilistic=False).crosswalk
    frame = adversity.load_frame(FRAME)
    events, _ = adversity.events(t, frame)
    window = Window(pd.Timestamp("2016-04-01"), END, pd.Timestamp("2016-04-01"))
    pop = population.population(t, crosswalk, events, window, 5)
    f, _ = landmark.eligible(pop, DESIGN)
    return f, frame, pop


def test_odds_ratios_match_a_per_child_logistic_regression_among_followed_children(followed):
    f, _, _ = followed
    ours = landmark.odds_ratios(f, [("early_adversity", "Early")], min_exposed=1).set_index("Model")
    d = landmark.followed(f).assign(
        y=lambda g: g["request_by_horizon"].astype(int), x=lambda g: g["early_adversity"].astype(int)
    )
    for model, formula in (("crude", "y ~ x"), ("adjusted", "y ~ x + C(sex) + C(birth_year) + C(imd_decile)")):
        fit = smf.logit(formula, d).fit(disp=0, maxiter=200)
        assert ours.loc[model, "Odds ratio"] == pytest.approx(np.exp(fit.params["x"]), rel=1e-4)
        np.testing.assert_allclose(
            ours.loc[model, ["Lower 95%", "Upper 95%"]].astype(float), np.exp(fit.conf_int().loc["x"]), rtol=1e-4
        )
    assert ours.loc["adjusted", "E-value"] >= 1


def test_the_case_review_is_left_out_of_the_population(followed):
    _, _, pop = followed
    assert "domain_parental_separation" not in pop.columns


def test_without_a_population_table_nothing_is_compared_and_the_reason_is_given():
    out = comparison.compare(None, None, adversity.load_frame(FRAME), DESIGN, 10)
    assert out["measures"] == {}
    assert set(out["tables"]) == {"landmark_flow", "comparison_prevalence", "odds_ratios", "cumulative_incidence"}
    assert all(t.empty for t, _ in out["tables"].values())  # headers only: the downloads say what would be there
    assert not out["info"].available and out["info"].why_not == population.WHY_NOT
