"""Funnel limits against published reference values, exact limits against scipy, and the overdispersion check."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats as sps  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

from analysis.compare import figures, flags  # noqa: E402
from analysis.stats import funnel  # noqa: E402

# PHEindicatormethods (UKHSA), tests/testthat/testdata_funnel_prop_outputs.csv: the funnel table that
# calculate_funnel_limits() must reproduce for its PCT test data (pooled baseline 80.642448%). Columns: population,
# lower 95%, upper 95%, lower 99.8%, upper 99.8%, in percent, limits truncated to [0, 100]. A selection of rows.
PHE_BASELINE = 0.80642448
PHE_LIMITS = [
    (1, 3.204264, 100, 0, 100),
    (3, 35.933491, 100, 10.150815, 100),
    (14, 59.946223, 100, 48.011163, 100),
    (18, 62.390093, 98.894803, 51.864359, 100),
    (41, 68.548635, 92.73626, 61.574398, 99.710497),
    (50, 69.691035, 91.593861, 63.375595, 97.909301),
    (125, 73.716166, 87.56873, 69.721931, 91.562965),
    (486, 77.12978, 84.155115, 75.104102, 86.180794),
    (1008, 78.203374, 83.081521, 76.796814, 84.488082),
    (3911, 79.40419, 81.880706, 78.690113, 82.594783),
    (20742, 80.10476, 81.180135, 79.794688, 81.490208),
    (110000, 80.408963, 80.875933, 80.274317, 81.010578),
]

# PHEindicatormethods, tests/testthat/testdata_funnel_prop_inputs.csv: numerator, denominator and the
# significance assign_funnel_significance() gives against the pooled baseline above. A selection of rows.
PHE_SIGNIFICANCE = [
    (35078.488, 41980, "High (0.001)"),
    (24803.6256, 31824, "Low (0.001)"),
    (50050.7443, 61921, "Not significant"),
    (26789.238, 33012, "High (0.025)"),
    (36850.0492, 45449, "High (0.025)"),
    (34502.0685, 42485, "High (0.025)"),
    (30277.5312, 37828, "Low (0.025)"),
    (14493.3552, 17964, "Not significant"),
    (37945.3125, 46875, "Not significant"),
    (18365.4621, 29277, "Low (0.001)"),
    (18986.0, 22000, "High (0.001)"),
    (13240.9172, 16477, "Not significant"),
    (28537.4507, 35201, "High (0.025)"),
    (26882.4969, 32573, "High (0.001)"),
    (49697.2917, 65331, "Low (0.001)"),
]
PHE_LABEL = {
    "High (0.001)": "high (99.8%)",
    "High (0.025)": "high (95%)",
    "Not significant": "within",
    "Low (0.025)": "low (95%)",
    "Low (0.001)": "low (99.8%)",
}


@pytest.mark.parametrize("n, lo95, hi95, lo998, hi998", PHE_LIMITS)
def test_wilson_limits_match_phe_indicator_methods(n, lo95, hi95, lo998, hi998):
    lim = funnel.limits([n], PHE_BASELINE, "wilson").iloc[0] * 100
    np.testing.assert_allclose(
        [lim["lower_95"], lim["upper_95"], lim["lower_998"], lim["upper_998"]], [lo95, hi95, lo998, hi998], atol=2e-6
    )


def test_significance_matches_phe_indicator_methods():
    table = pd.DataFrame(
        {
            "la_code": [f"A{i}" for i in range(len(PHE_SIGNIFICANCE))],
            "r": [r for r, _, _ in PHE_SIGNIFICANCE],
            "n": [n for _, n, _ in PHE_SIGNIFICANCE],
        }
    )
    res = flags.flag(table, "r", "n", target=PHE_BASELINE, method="wilson", fdr_q=None)
    assert res.table["flag"].tolist() == [PHE_LABEL[s] for _, _, s in PHE_SIGNIFICANCE]
    assert res.target_source == "external"


@pytest.mark.parametrize("p0", [0.05, 0.5, 0.75, 0.93])
@pytest.mark.parametrize("n", [20, 150, 1000, 4000])
@pytest.mark.parametrize("p", [0.975, 0.999])
def test_limit_is_the_proportion_whose_wilson_interval_reaches_the_target(p0, n, p):
    # Fingertips' construction: the limit y is the observed proportion whose two-sided Wilson interval (statsmodels,
    # alpha = 2 (1 - p)) has p0 as its bound; NOT the Wilson interval computed around p0 itself.
    lo, hi = funnel.wilson_limits([n], p0, p)
    alpha = 2 * (1 - p)
    if 0 < hi[0] < 1:
        low_of_upper, _ = proportion_confint(hi[0] * n, n, alpha=alpha, method="wilson")
        assert low_of_upper == pytest.approx(p0, abs=1e-9)
    if 0 < lo[0] < 1:
        _, high_of_lower = proportion_confint(lo[0] * n, n, alpha=alpha, method="wilson")
        assert high_of_lower == pytest.approx(p0, abs=1e-9)


def test_limits_are_not_the_wilson_interval_around_the_target():
    # the tempting wrong construction gives visibly different limits, so the test above can tell them apart
    lo, hi = funnel.wilson_limits([50], 0.75, 0.999)
    wrong = proportion_confint(0.75 * 50, 50, alpha=0.002, method="wilson")
    assert abs(lo[0] - wrong[0]) > 0.01 and abs(hi[0] - wrong[1]) > 0.01


def test_hand_computed_limits():
    # p0 = 0.5, n = 100: standard error 0.05; z = 1.959964 (0.975) and 3.090232 (0.999)
    lim = funnel.limits([100], 0.5, "wilson").iloc[0]
    np.testing.assert_allclose(lim[["lower_95", "upper_95"]], [0.5 - 0.0979982, 0.5 + 0.0979982], atol=1e-7)
    np.testing.assert_allclose(lim[["lower_998", "upper_998"]], [0.5 - 0.1545116, 0.5 + 0.1545116], atol=1e-7)
    # p0 = 0.2, n = 400: standard error 0.02
    lim = funnel.limits([400], 0.2, "wilson").iloc[0]
    np.testing.assert_allclose(lim[["lower_998", "upper_998"]], [0.2 - 0.0618046, 0.2 + 0.0618046], atol=1e-7)


def _exact_count_by_hand(n, p0, prob):
    """Spiegelhalter's interpolated quantile r_p - alpha (unclipped), by walking the binomial cdf from r = 0
    (scipy.stats.binom)."""
    cdf = sps.binom.cdf(np.arange(n + 1), n, p0)
    r = int(np.argmax(cdf >= prob))
    prev = cdf[r - 1] if r > 0 else 0.0
    return r - (cdf[r] - prob) / (cdf[r] - prev)


@pytest.mark.parametrize("n", [5, 17, 60, 333, 2500])
@pytest.mark.parametrize("p0", [0.03, 0.5, 0.8])
def test_published_exact_limits_against_scipy_binomial(n, p0):
    lo95, hi95 = funnel.exact_limits([n], p0, 0.975, mid_p=False)
    lo998, hi998 = funnel.exact_limits([n], p0, 0.999, mid_p=False)
    expected = [min(max(_exact_count_by_hand(n, p0, q) / n, 0), 1) for q in (0.001, 0.025, 0.975, 0.999)]
    np.testing.assert_allclose([lo998[0], lo95[0], hi95[0], hi998[0]], expected, atol=1e-12)


@pytest.mark.parametrize("n", [5, 17, 60, 333, 2500])
@pytest.mark.parametrize("p0", [0.03, 0.5, 0.8])
def test_mid_p_limits_are_the_published_ones_moved_half_a_count(n, p0):
    lim = funnel.limits([n], p0, "exact").iloc[0]
    expected = [min(max((_exact_count_by_hand(n, p0, q) + 0.5) / n, 0), 1) for q in (0.001, 0.025, 0.975, 0.999)]
    np.testing.assert_allclose(lim[funnel.LIMIT_COLUMNS].to_numpy(dtype=float), expected, atol=1e-12)


@pytest.mark.parametrize("n", [5, 17, 30, 60, 333])
@pytest.mark.parametrize("p0", [0.03, 0.2, 0.5, 0.8])
def test_exact_flags_are_the_mid_p_binomial_tails_from_scipy(n, p0):
    # straight from scipy.stats.binom: a whole count r is above the upper limit at one-sided p exactly when its
    # mid-P upper tail P(X > r) + P(X = r) / 2 is below 1 - p, and below the lower limit when P(X < r) + P(X = r) / 2
    # is; and the two-sided p-value is twice the smaller tail
    r = np.arange(n + 1)
    pmf = sps.binom.pmf(r, n, p0)
    upper = sps.binom.sf(r, n, p0) + pmf / 2
    lower = sps.binom.cdf(r - 1, n, p0) + pmf / 2
    for p in (0.975, 0.999):
        lo, hi = funnel.exact_limits(np.full(n + 1, n), p0, p)
        assert ((r / n > hi) == (upper < 1 - p)).all()
        assert ((r / n < lo) == (lower < 1 - p)).all()
    got = funnel.p_values(r, np.full(n + 1, n), p0, "exact")
    np.testing.assert_allclose(got, np.minimum(1, 2 * np.minimum(lower, upper)), rtol=1e-12, atol=1e-300)


def test_the_published_interpolation_treats_the_two_tails_differently():
    # Bin(20, 0.8): 20 of 20 has probability 1.15%, yet is above the published 99.8% limit; its mirror image
    # (0 of 20 under Bin(20, 0.2)) is not below the lower one. The mid-P form treats both alike and flags neither.
    assert funnel.exact_limits([20], 0.8, 0.999, mid_p=False)[1][0] < 1
    assert funnel.exact_limits([20], 0.2, 0.999, mid_p=False)[0][0] == 0
    assert funnel.exact_limits([20], 0.8, 0.999)[1][0] == 1 and funnel.exact_limits([20], 0.2, 0.999)[0][0] == 0
    flags_ = funnel.classify(np.arange(11) / 10, funnel.limits(np.full(11, 10), 0.5, "exact"))
    assert flags_.tolist() == [
        {"high": "low", "low": "high"}.get(f.split()[0], f.split()[0]) + f[len(f.split()[0]) :] for f in flags_[::-1]
    ]  # symmetric about p0 = 0.5


@pytest.mark.parametrize(
    "method, tau2", [("exact", 0), ("beta_binomial", 0.004), ("wilson", 0), ("random_effects", 0.004)]
)
@pytest.mark.parametrize("p0", [0.02, 0.3, 0.8, 0.97])
@pytest.mark.parametrize("n", [7, 30, 250, 1200])
def test_p_values_agree_with_the_limits(method, tau2, p0, n):
    r = np.arange(n + 1, dtype=float)
    nn = np.full(n + 1, float(n))
    flags_ = funnel.classify(r / n, funnel.limits(nn, p0, method, tau2=tau2))
    p = funnel.p_values(r, nn, p0, method, tau2=tau2)
    assert ((p < 0.002) == np.isin(flags_, ["high (99.8%)", "low (99.8%)"])).all()
    assert ((p < 0.05) == (flags_ != "within")).all()


def test_a_share_near_80_percent_with_30_children_can_now_be_flagged_high():
    # p0 = 0.8, n = 30: the normal 99.8% upper limit is 102.6%, clipped at 100%, so nobody could be flagged high.
    # The exact limit is below 100%: 30 of 30 (mid-P 0.8^30 / 2 = 0.00062 < 0.001) is flagged, 29 of 30 is not.
    table = pd.DataFrame({"la_code": [f"L{i}" for i in range(40)], "r": [24] * 37 + [29, 30, 12], "n": [30] * 40})
    normal = flags.flag(table, "r", "n", target=0.8, method="wilson", fdr_q=None)
    assert normal.table["upper_998"].iloc[0] == 1 and "high (99.8%)" not in set(normal.table["flag"])
    exact = flags.flag(table, "r", "n", target=0.8, fdr_q=None)  # auto
    assert exact.method == "exact" and exact.table["upper_998"].iloc[0] < 1
    got = dict(zip(exact.table["la_code"], exact.table["flag"]))
    assert got["L38"] == "high (99.8%)" and got["L37"] == "high (95%)" and got["L39"] == "low (99.8%)"
    assert exact.table.set_index("la_code").loc["L38", "p_value"] == pytest.approx(0.8**30)


def test_exact_limits_approach_the_normal_ones_for_large_n():
    exact = funnel.limits([200_000], 0.4, "exact").iloc[0]
    normal = funnel.limits([200_000], 0.4, "wilson").iloc[0]
    np.testing.assert_allclose(exact.to_numpy(dtype=float), normal.to_numpy(dtype=float), atol=1e-4)


def _simulate(seed, units=150, logit_sd=0.0, p0=0.5):
    rng = np.random.default_rng(seed)
    n = np.clip(np.round(rng.lognormal(np.log(600), 0.75, units)), 100, 4000).astype(int)
    logit = np.log(p0 / (1 - p0)) + rng.normal(0, logit_sd, units)
    r = rng.binomial(n, 1 / (1 + np.exp(-logit)))
    return pd.DataFrame({"la_code": [f"L{i:03d}" for i in range(units)], "la_name": "x", "r": r, "n": n})


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_binomial_data_are_not_overdispersed(seed):
    res = flags.flag(_simulate(seed), "r", "n")
    assert not res.dispersion.overdispersed
    assert res.method == "exact"  # whole counts: exact limits throughout
    assert res.dispersion.tau2 == 0


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_overdispersed_data_are_detected_and_limits_widened(seed):
    data = _simulate(seed, logit_sd=0.3)  # about 7 percentage points between units at p = 0.5
    res = flags.flag(data, "r", "n")
    assert res.dispersion.overdispersed
    assert res.method == "beta_binomial"  # the exact form of the random effect
    # tau on the proportion scale is about 0.25 * 0.3 = 0.075; the estimate should be of that order
    assert 0.04 < np.sqrt(res.dispersion.tau2) < 0.12
    plain = flags.flag(data, "r", "n", method="wilson")
    assert (res.table["upper_998"] > plain.table["upper_998"]).all()
    assert len(res.outside("99.8%", before_fdr=True)) < len(plain.outside("99.8%", before_fdr=True))
    # at these sizes and p0 = 0.5 the beta-binomial limits are close to Spiegelhalter's normal random-effects ones
    normal = funnel.limits(res.table["denominator"], res.target, "random_effects", tau2=res.dispersion.tau2)
    np.testing.assert_allclose(res.table[funnel.LIMIT_COLUMNS].to_numpy(float), normal.to_numpy(float), atol=0.01)


def test_overdispersion_statistics_by_hand():
    data = _simulate(5, units=40, logit_sd=0.3)
    r, n = data["r"].to_numpy(float), data["n"].to_numpy(float)
    p0 = r.sum() / n.sum()
    z = (r / n - p0) / np.sqrt(p0 * (1 - p0) / n)
    q10, q90 = np.percentile(z, [10, 90])
    phi = np.mean(np.clip(z, q10, q90) ** 2)
    w = n / (p0 * (1 - p0))
    tau2 = (40 * phi - 39) / (w.sum() - (w**2).sum() / w.sum())
    d = funnel.overdispersion(r, n, p0)
    assert d.phi == pytest.approx(phi)
    assert d.critical == pytest.approx(sps.chi2.ppf(0.95, 39))
    assert d.overdispersed == (40 * phi > sps.chi2.ppf(0.95, 39)) and d.overdispersed
    assert d.tau2 == pytest.approx(tau2)
    lim = funnel.limits(n, p0, "random_effects", tau2=d.tau2)
    np.testing.assert_allclose(
        lim["upper_998"], np.minimum(1, p0 + sps.norm.ppf(0.999) * np.sqrt(p0 * (1 - p0) / n + tau2))
    )


def test_random_effects_with_no_tau_are_the_wilson_limits():
    n = [50, 500, 5000]
    pd.testing.assert_frame_equal(funnel.limits(n, 0.3, "random_effects", tau2=0.0), funnel.limits(n, 0.3, "wilson"))


def test_beta_binomial_limits_tend_to_the_binomial_ones_as_tau_vanishes_and_match_scipy():
    n = [20, 300, 3000]
    np.testing.assert_allclose(
        funnel.limits(n, 0.1, "beta_binomial", tau2=1e-9).to_numpy(float),
        funnel.limits(n, 0.1, "exact").to_numpy(float),
        atol=2e-4,
    )
    # the upper 99.8% limit by hand from scipy.stats.betabinom (mean 0.1, variance tau^2 = 0.0004)
    size = 0.1 * 0.9 / 0.0004 - 1
    dist = sps.betabinom(300, 0.1 * size, 0.9 * size)
    cdf = dist.cdf(np.arange(301))
    r = int(np.argmax(cdf >= 0.999))
    by_hand = (r - (cdf[r] - 0.999) / dist.pmf(r) + 0.5) / 300
    assert funnel.limits([300], 0.1, "beta_binomial", tau2=0.0004)["upper_998"].iloc[0] == pytest.approx(by_hand)


def test_flag_compares_suppressed_numerators_as_intervals_and_skips_the_rest():
    table = pd.DataFrame(
        {
            "la_code": ["A", "B", "C", "D", "E", "F"],
            "la_name": list("abcdef"),
            "num": pd.array([50, 20, 90, pd.NA, 10, pd.NA], dtype="Int64"),
            "den": pd.array([100, 100, 100, 100, pd.NA, 100], dtype="Int64"),
        }
    )
    table.attrs["status"] = {"num": {"D": "suppressed", "F": "missing"}, "den": {"E": "suppressed"}}
    res = flags.flag(table, "num", "den", method="wilson", fdr_q=None)
    assert res.table["la_code"].tolist() == ["A", "B", "C", "D"]  # D's count is known to be 1 to 5: compared
    assert res.skipped_counts == {"suppressed": 1, "missing": 1, "invalid": 0}  # E's denominator, F not held
    assert res.censored == 1
    d = res.table.set_index("la_code").loc["D"]
    assert pd.isna(d["numerator"]) and (d["numerator_low"], d["numerator_high"]) == (1, 5)
    # the target counts D as an interval: between (160 + 1) / 400 and (160 + 5) / 400, never 160 / 300
    assert 161 / 400 < res.target < 165 / 400
    assert res.target == pytest.approx(funnel.censored_target([50, 20, 90, 1], [100] * 4, [50, 20, 90, 5]))
    found = dict(zip(res.table["la_code"], res.table["flag"]))
    assert found == {"A": "within", "B": "low (99.8%)", "C": "high (99.8%)", "D": "low (99.8%)"}


def test_flag_treats_impossible_counts_as_invalid():
    table = pd.DataFrame({"la_code": ["A", "B", "C", "D"], "num": [5, 12, -1, 4], "den": [10, 10, 10, 0]})
    res = flags.flag(table, "num", "den")
    assert res.table["la_code"].tolist() == ["A"]
    assert res.skipped_counts["invalid"] == 3


def test_flag_reports_proportion_interval_and_limits():
    table = _simulate(3)
    res = flags.flag(table, "r", "n", method="wilson")
    row = res.table.iloc[0]
    lo, hi = proportion_confint(int(row["numerator"]), int(row["denominator"]), alpha=0.05, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
    assert row["proportion"] == pytest.approx(row["numerator"] / row["denominator"])
    expect = funnel.limits([row["denominator"]], res.target, "wilson").iloc[0]
    assert row[funnel.LIMIT_COLUMNS].to_numpy(float) == pytest.approx(expect.to_numpy(float))
    assert set(res.table["flag"]) <= set(funnel.FLAGS)
    assert res.summary()["compared"] == len(table)


def test_exact_method_flags():
    table = pd.DataFrame({"la_code": list("ABCDEF"), "num": [0, 1, 2, 8, 9, 10], "den": [10] * 6})
    res = flags.flag(table, "num", "den", target=0.5, method="exact", fdr_q=None)
    assert res.method == "exact"
    # Bin(10, 0.5) by hand, Spiegelhalter's limits moved up half a count (mid-P):
    # lower 95%: r = 2, alpha = (0.05469 - 0.025) / 0.04395 = 0.6755, limit (2 - 0.6755 + 0.5) / 10 = 0.18245;
    # upper 95%: r = 8, alpha = (0.98926 - 0.975) / 0.04395 = 0.3245, limit 0.81755;
    # upper 99.8%: r = 9, alpha = (0.999023 - 0.999) / 0.009766 = 0.0024, limit 0.94976
    np.testing.assert_allclose(
        res.table.loc[0, ["lower_95", "upper_95", "upper_998"]].to_numpy(float), [0.18245, 0.81755, 0.94976], atol=5e-5
    )
    # mid-P tails: 9 of 10 has P(X > 9) + P(X = 9) / 2 = 0.00586, 10 of 10 has 0.00049; the same below
    assert res.table["flag"].tolist() == ["low (99.8%)", "low (95%)", "within", "within", "high (95%)", "high (99.8%)"]


def test_funnel_plot_is_readable_without_colour():
    table = _simulate(4)
    table.loc[0, "r"] = int(table.loc[0, "n"] * 0.8)  # one clear high outlier
    table["la_name"] = [f"LA {i}" for i in range(len(table))]
    table["r"] = table["r"].astype("Int64")
    table.loc[1, "r"] = pd.NA  # a suppressed count, drawn as its range
    table.attrs["status"] = {"r": {"L001": "suppressed"}}
    res = flags.flag(table, "r", "n")
    fig = figures.funnel_plot(res, highlight="L007", title="Known to social care")
    ax = fig.axes[0]
    styles = {line.get_linestyle() for line in ax.get_lines()}
    assert {"-", "--", ":"} <= styles  # target, 95% and 99.8% by line style, not colour alone
    assert any(t.get_text() == "LA 7" for t in ax.texts)  # the highlighted LA is labelled
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lbl.startswith("High (99.8%)") for lbl in labels) and any(lbl.startswith("LA 7") for lbl in labels)
    assert any(lbl.startswith("Suppressed count, its range (1)") for lbl in labels)
    assert ax.get_xlabel() and ax.get_ylabel()
    plt.close(fig)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        funnel.wilson_limits([0], 0.5)
    with pytest.raises(ValueError):
        funnel.wilson_limits([10], 1.0)
    with pytest.raises(ValueError):
        flags.flag(pd.DataFrame({"la_code": ["A"], "a": [1], "b": [2]}), "a", "b", method="bogus")


# ---------------------------------------------------------------- suppressed counts as intervals


def _censored_data(seed, units=60, p0=0.03):
    """Small authorities on a rare measure, counts from 1 to 5 suppressed as a return would have them."""
    rng = np.random.default_rng(seed)
    n = rng.integers(60, 400, units)
    r = rng.binomial(n, p0)
    small = (r >= 1) & (r <= 5)
    lo, hi = np.where(small, 1, r), np.where(small, np.minimum(5, n), r)
    return r, n, lo, hi, small


def _brute_force_log_likelihood(p, lo, hi, n):
    """log L(p), written out term by term from scipy.stats.binom: log P(R = r) for an exact count, log of the sum of
    P(R = k) over k in its interval for a suppressed one."""
    total = 0.0
    for a, b, m in zip(lo, hi, n):
        if a == b:
            total += sps.binom.logpmf(a, m, p)
        else:
            total += np.log(sum(sps.binom.pmf(k, m, p) for k in range(int(a), int(b) + 1)))
    return total


@pytest.mark.parametrize("seed", [1, 2])
def test_the_interval_censored_target_maximises_the_brute_force_likelihood(seed):
    r, n, lo, hi, small = _censored_data(seed)
    assert small.sum() > 5
    est = funnel.censored_target(lo, n, hi)
    best = est
    for half in (0.004, 1e-4):  # a coarse grid, then a fine one around its best point
        grid = np.linspace(best - half, best + half, 41)
        best = grid[np.argmax([_brute_force_log_likelihood(p, lo, hi, n) for p in grid])]
    assert abs(best - est) <= 1e-5
    # the package's log-likelihood differs from the brute force only by the binomial coefficients of exact counts
    log_choose = sum(np.log(sps.binom.pmf(a, m, 0.5)) - m * np.log(0.5) for a, b, m in zip(lo, hi, n) if a == b)
    assert funnel.censored_log_likelihood(est, lo, hi, n) == pytest.approx(
        _brute_force_log_likelihood(est, lo, hi, n) - log_choose, rel=1e-9
    )


def test_the_censored_target_is_the_pooled_proportion_without_intervals_and_beats_dropping():
    r, n, lo, hi, small = _censored_data(3)
    assert funnel.censored_target(r, n) == r.sum() / n.sum()
    dropped = r[~small].sum() / n[~small].sum()  # the old way: suppressed authorities left out
    assert abs(funnel.censored_target(lo, n, hi) - r.sum() / n.sum()) < abs(dropped - r.sum() / n.sum())
    assert dropped > r.sum() / n.sum()  # dropping the small counts biases the target up


def test_censored_overdispersion_uses_the_expected_square_of_each_interval():
    r, n, lo, hi, small = _censored_data(4)
    p0 = funnel.censored_target(lo, n, hi)
    d = funnel.overdispersion(lo, n, p0, r_hi=hi)
    s = np.sqrt(p0 * (1 - p0) / n)
    centre, spread = [], []
    for a, b, m, se in zip(lo, hi, n, s):  # by hand: the conditional distribution of each interval under Bin(m, p0)
        ks = np.arange(a, b + 1)
        w = sps.binom.pmf(ks, m, p0) / sps.binom.pmf(ks, m, p0).sum()
        centre.append(np.sum(w * (ks / m - p0) / se))
        spread.append((ks, w, m, se))
    q10, q90 = np.percentile(centre, [10, 90])
    phi = np.mean([np.sum(w * np.clip((ks / m - p0) / se, q10, q90) ** 2) for ks, w, m, se in spread])
    assert d.phi == pytest.approx(phi) and d.units == len(n)
    # with no intervals it is the published check, unchanged
    assert funnel.overdispersion(r, n, r.sum() / n.sum()).phi == pytest.approx(
        funnel.overdispersion(r, n, r.sum() / n.sum(), r_hi=r).phi
    )


def test_an_interval_is_flagged_only_when_every_count_in_it_is():
    n = np.array([2000.0, 200.0, 100.0])
    lim = funnel.limits(n, 0.2, "exact")
    lo, hi = np.array([1, 1, 1]) / n, np.array([5, 5, 5]) / n
    flags_ = funnel.classify_interval(lo, hi, lim)
    assert flags_[0] == "low (99.8%)"  # 1 to 5 of 2,000 is far below 20% whatever the count
    for k, f in enumerate(flags_):
        ends = funnel.classify(np.array([lo[k], hi[k]]), lim.iloc[[k, k]])
        assert f == (ends[0] if ends[0] == ends[1] else funnel.UNDETERMINED)
    p = funnel.interval_p_values([1, 1, 1], [5, 5, 5], n, 0.2, "exact")
    by_hand = [max(funnel.p_values([k], [m], 0.2, "exact")[0] for k in range(1, 6)) for m in n]
    np.testing.assert_allclose(p, by_hand)


# ---------------------------------------------------------------- false discovery control


def test_benjamini_hochberg_against_statsmodels_and_by_hand():
    from statsmodels.stats.multitest import multipletests

    p = np.random.default_rng(7).uniform(0, 1, 200) ** 4
    reject, adjusted = funnel.benjamini_hochberg(p, 0.05)
    ref = multipletests(p, alpha=0.05, method="fdr_bh")
    assert (reject == ref[0]).all()
    np.testing.assert_allclose(adjusted, ref[1])
    order = np.sort(p)  # the step-up rule: the largest k with p_(k) <= q k / m, and every p at or below it
    k = max((i + 1 for i in range(len(p)) if order[i] <= 0.05 * (i + 1) / len(p)), default=0)
    assert reject.sum() == k and (p[reject] <= order[k - 1]).all()


def test_fdr_is_controlled_over_every_measure_and_authority_together():
    from statsmodels.stats.multitest import multipletests

    tables = [_simulate(s, units=80) for s in (21, 22)]
    table = tables[0].assign(r2=tables[1]["r"], n2=tables[1]["n"])
    table.loc[3, "r"] = int(table.loc[3, "n"] * 0.6)  # a modest real outlier
    results = flags.compare(table, measures={"r": "n", "r2": "n2"}, fdr_q=0.05)
    p = np.concatenate([res.table["p_value"].to_numpy() for res in results.values()])
    reject, adjusted, _, _ = multipletests(p, alpha=0.05, method="fdr_bh")
    got = np.concatenate([res.table["q_value"].to_numpy() for res in results.values()])
    np.testing.assert_allclose(got, adjusted)
    assert all(res.fdr_family == 160 for res in results.values())
    for res, keep in zip(results.values(), np.split(reject, [80])):
        t = res.table
        outside = t["flag_limits"].isin(["high (99.8%)", "low (99.8%)"])
        assert (t["flag"].isin(["high (99.8%)", "low (99.8%)"]) == (outside & keep)).all()
        demoted = outside & ~keep  # outside the 99.8% limits but not a discovery: shown at 95%
        assert (t.loc[demoted, "flag"].str.endswith("(95%)")).all()
        assert (t.loc[~outside, "flag"] == t.loc[~outside, "flag_limits"]).all()  # 95% flags untouched


def test_auto_is_exact_for_whole_counts_with_the_random_effect_when_overdispersed():
    assert funnel.choose_method("auto", False, True) == "exact"
    assert funnel.choose_method("auto", True, True, 5_000) == "beta_binomial"
    assert funnel.choose_method("auto", True, True, 10**7) == "random_effects"  # no tables ten million long
    assert funnel.choose_method("auto", False, False) == "wilson"  # weighted figures: no exact distribution
    assert funnel.choose_method("auto", True, False) == "random_effects"
    assert funnel.choose_method("wilson", True, True) == "wilson"
    with pytest.raises(ValueError):
        funnel.choose_method("bogus", False, True)
