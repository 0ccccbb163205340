import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from analysis.stats import survival


def test_without_competing_events_or_late_entry_it_is_one_minus_kaplan_meier():
    rng = np.random.default_rng(0)
    n = 400
    exit_ = pd.Series(rng.integers(100, 6000, n).astype(float))
    event = pd.Series(np.where(rng.random(n) < 0.4, survival.EVENT, survival.CENSORED))
    entry = pd.Series(np.zeros(n))
    ages = [2, 5, 8, 12]
    ours = survival.cumulative_incidence(entry, exit_, event, ages)
    km = KaplanMeierFitter().fit(exit_, event == survival.EVENT)
    expected = [1 - km.predict(a * survival.YEAR_DAYS) for a in ages]
    np.testing.assert_allclose(ours["cumulative_incidence"], expected, atol=2e-3)  # lifelines jitters ties slightly
    assert (ours["lower"] <= ours["cumulative_incidence"]).all() and (
        ours["cumulative_incidence"] <= ours["upper"]
    ).all()


def test_competing_events_by_hand():
    # 4 children from time 0: event at 1, competing at 2, event at 3, censored at 4 (days)
    entry = pd.Series([0.0, 0, 0, 0])
    exit_ = pd.Series([1.0, 2, 3, 4])
    event = pd.Series([1, 2, 1, 0])
    out = survival.cumulative_incidence(entry, exit_, event, [2.5 / survival.YEAR_DAYS, 3.5 / survival.YEAR_DAYS])
    # Aalen-Johansen: F(1) = 1/4; S(2) = 3/4 * 2/3 = 1/2; F(3) = 1/4 + S(2) * 1/2 = 1/2
    np.testing.assert_allclose(out["cumulative_incidence"], [0.25, 0.5], atol=1e-3)


def test_delayed_entry_changes_the_risk_set():
    # A: 0 to 10, request; B: 0 to 20, censored; C enters at 15, request at 30.
    # C is not at risk at day 10, so F(10) = 1/2 (it would be 1/3 if C were counted from day 0).
    exit_ = pd.Series([10.0, 20, 30])
    event = pd.Series([1, 0, 1])
    late = survival.cumulative_incidence(pd.Series([0.0, 0, 15]), exit_, event, [12 / survival.YEAR_DAYS])
    early = survival.cumulative_incidence(pd.Series([0.0, 0, 0]), exit_, event, [12 / survival.YEAR_DAYS])
    assert late["cumulative_incidence"].iloc[0] == pytest.approx(1 / 2, abs=1e-3)
    assert early["cumulative_incidence"].iloc[0] == pytest.approx(1 / 3, abs=1e-3)


def test_tied_records_as_weights_agree_with_lifelines_one_row_per_child():
    """Collapsing children with the same entry, exit and outcome into weighted records (for speed) gives what
    lifelines gives on one row per child, whose ties it jitters apart."""
    from lifelines import AalenJohansenFitter

    rng = np.random.default_rng(3)
    n = 3000
    entry = pd.Series(rng.choice([0.0, 30.0, 60.0], n))
    exit_ = entry + rng.integers(1, 200, n)
    event = pd.Series(rng.choice([survival.CENSORED, survival.EVENT, survival.COMPETING], n, p=[0.5, 0.3, 0.2]))
    days = [50, 100, 150, 220]
    ours = survival.cumulative_incidence(entry, exit_, event, [d / survival.YEAR_DAYS for d in days])
    aj = AalenJohansenFitter(seed=0).fit(exit_, event, event_of_interest=survival.EVENT, entry=entry)
    cif = aj.cumulative_density_.iloc[:, 0]
    ci = aj.confidence_interval_cumulative_density_
    at = [cif.index[cif.index <= d][-1] for d in days]
    np.testing.assert_allclose(ours["cumulative_incidence"], cif.loc[at], atol=1e-3)
    np.testing.assert_allclose(ours["lower"], ci.loc[at].iloc[:, 0], atol=2e-3)
    np.testing.assert_allclose(ours["upper"], ci.loc[at].iloc[:, 1], atol=2e-3)
