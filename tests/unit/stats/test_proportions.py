import numpy as np
import pytest
from scipy import stats as sps

from analysis.stats.proportions import Proportion, odds_ratio, wilson


@pytest.mark.parametrize("k, n", [(54, 100), (34, 43), (0, 20), (20, 20), (1, 3), (468, 2039)])
def test_wilson_matches_the_score_formula(k, n):
    # the Wilson score interval written out from its definition, with scipy's normal quantile
    z = sps.norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    np.testing.assert_allclose(wilson(k, n), (centre - half, centre + half), rtol=1e-10, atol=1e-12)


def test_reference_study_interval():
    np.testing.assert_allclose(Proportion(54, 100).interval, (0.4426, 0.6344), atol=5e-5)
    assert Proportion(34, 43).value == pytest.approx(0.7907, abs=1e-4)


def test_empty_denominator_gives_nan():
    assert np.isnan(Proportion(0, 0).value)
    assert all(np.isnan(wilson(0, 0)))


def test_odds_ratio_against_the_woolf_formula():
    a, b, c, d = 30, 70, 10, 90
    or_, (low, high) = odds_ratio(a, a + b, c, c + d)
    se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert or_ == pytest.approx(a * d / (b * c))
    np.testing.assert_allclose(
        (low, high), np.exp(np.log(a * d / (b * c)) + np.array([-1, 1]) * sps.norm.ppf(0.975) * se), rtol=1e-8
    )
