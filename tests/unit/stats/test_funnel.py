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
    res = flags.flag(table, "r", "n", target=PHE_BASELINE, method="wilson")
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


def _exact_by_hand(n, p0, prob):
    """Spiegelhalter's interpolated limit, by walking the binomial cdf from r = 0 (scipy.stats.binom)."""
    cdf = sps.binom.cdf(np.arange(n + 1), n, p0)
    r = int(np.argmax(cdf >= prob))
    prev = cdf[r - 1] if r > 0 else 0.0
    alpha = (cdf[r] - prob) / (cdf[r] - prev)
    return min(max((r - alpha) / n, 0.0), 1.0)


@pytest.mark.parametrize("n", [5, 17, 60, 333, 2500])
@pytest.mark.parametrize("p0", [0.03, 0.5, 0.8])
def test_exact_limits_against_scipy_binomial(n, p0):
    lim = funnel.limits([n], p0, "exact").iloc[0]
    expected = [_exact_by_hand(n, p0, q) for q in (0.001, 0.025, 0.975, 0.999)]
    np.testing.assert_allclose(lim[funnel.LIMIT_COLUMNS].to_numpy(dtype=float), expected, atol=1e-12)


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
    assert res.method == "wilson"
    assert res.dispersion.tau2 == 0


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_overdispersed_data_are_detected_and_limits_widened(seed):
    data = _simulate(seed, logit_sd=0.3)  # about 7 percentage points between units at p = 0.5
    res = flags.flag(data, "r", "n")
    assert res.dispersion.overdispersed
    assert res.method == "random_effects"
    # tau on the proportion scale is about 0.25 * 0.3 = 0.075; the estimate should be of that order
    assert 0.04 < np.sqrt(res.dispersion.tau2) < 0.12
    plain = flags.flag(data, "r", "n", method="wilson")
    assert (res.table["upper_998"] > plain.table["upper_998"]).all()
    assert len(res.outside("99.8%")) < len(plain.outside("99.8%"))


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


def test_flag_skips_missing_and_suppressed_and_never_counts_them_as_zero():
    table = pd.DataFrame(
        {
            "la_code": ["A", "B", "C", "D", "E", "F"],
            "la_name": list("abcdef"),
            "num": pd.array([50, 20, 90, pd.NA, 10, pd.NA], dtype="Int64"),
            "den": pd.array([100, 100, 100, 100, pd.NA, 100], dtype="Int64"),
        }
    )
    table.attrs["status"] = {"num": {"D": "suppressed", "F": "missing"}, "den": {"E": "suppressed"}}
    res = flags.flag(table, "num", "den", method="wilson")
    assert res.table["la_code"].tolist() == ["A", "B", "C"]
    assert res.skipped_counts == {"suppressed": 2, "missing": 1, "invalid": 0}
    assert res.target == pytest.approx(160 / 300)  # the skipped units are not in the pooled target either
    found = dict(zip(res.table["la_code"], res.table["flag"]))
    assert found == {"A": "within", "B": "low (99.8%)", "C": "high (99.8%)"}


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
    table = pd.DataFrame({"la_code": ["A", "B", "C"], "num": [2, 8, 9], "den": [10, 10, 10]})
    res = flags.flag(table, "num", "den", target=0.5, method="exact")
    assert res.method == "exact"
    # Bin(10, 0.5) by hand: lower 95%: r = 2, alpha = (0.05469 - 0.025) / 0.04395 = 0.6755, limit 0.13245;
    # upper 95%: r = 8, alpha = (0.98926 - 0.975) / 0.04395 = 0.3245, limit 0.76755;
    # upper 99.8%: r = 9, alpha = (0.999023 - 0.999) / 0.009766 = 0.0024, limit 0.89976
    np.testing.assert_allclose(
        res.table.loc[0, ["lower_95", "upper_95", "upper_998"]].to_numpy(float), [0.13245, 0.76755, 0.89976], atol=5e-5
    )
    assert res.table["flag"].tolist() == ["within", "high (95%)", "high (99.8%)"]


def test_funnel_plot_is_readable_without_colour():
    table = _simulate(4)
    table.loc[0, "r"] = int(table.loc[0, "n"] * 0.8)  # one clear high outlier
    table["la_name"] = [f"LA {i}" for i in range(len(table))]
    res = flags.flag(table, "r", "n")
    fig = figures.funnel_plot(res, highlight="L007", title="Known to social care")
    ax = fig.axes[0]
    styles = {line.get_linestyle() for line in ax.get_lines()}
    assert {"-", "--", ":"} <= styles  # target, 95% and 99.8% by line style, not colour alone
    assert any(t.get_text() == "LA 7" for t in ax.texts)  # the highlighted LA is labelled
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lbl.startswith("High (99.8%)") for lbl in labels) and any(lbl.startswith("LA 7") for lbl in labels)
    assert ax.get_xlabel() and ax.get_ylabel()
    plt.close(fig)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        funnel.wilson_limits([0], 0.5)
    with pytest.raises(ValueError):
        funnel.wilson_limits([10], 1.0)
    with pytest.raises(ValueError):
        flags.flag(pd.DataFrame({"la_code": ["A"], "a": [1], "b": [2]}), "a", "b", method="bogus")
