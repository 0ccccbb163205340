"""Funnel plots for proportions: control limits, an overdispersion check, flags and the figure.

Limits around a target p0 (by default the pooled proportion sum(r) / sum(n) of the units compared) at each
denominator n, at two levels: 95% (one-sided 0.975, "alert") and 99.8% (one-sided 0.999, "alarm").

Methods
  wilson          As the OHID/PHE Fingertips technical guidance and `PHEindicatormethods`
                  (`calculate_funnel_limits(statistic = "proportion")`, method "Wilson";
                  `assign_funnel_significance`). Its `sigma_adjustment()` finds, for each n and z = qnorm(p),
                  the observed proportion whose Wilson score interval has p0 as its bound: it solves the score
                  equation (y - p0)^2 = z^2 p0 (1 - p0) / n for y, written out as the roots of a quadratic. The
                  roots are exactly
                      y = p0 -/+ z * sqrt(p0 (1 - p0) / n),
                  which is what is computed here (checked against the package's own reference tables in
                  tests/test_funnel.py). PHEindicatormethods truncates the limits to [0, 100%]; so does this.
                  An area is flagged when its proportion is strictly outside a limit, the 99.8% limits first.
  exact           Exact binomial limits with Spiegelhalter's interpolation (Stat Med 2005;24:1185-1202):
                  r_p = the smallest r with F(r) >= p under Bin(n, p0); alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1));
                  the limit is (r_p - alpha) / n. Better than the normal form for small n or p0 near 0 or 1.
  random_effects  Spiegelhalter's additive random-effects limits, p0 +/- z sqrt(s^2 + tau^2), s^2 = p0(1-p0)/n,
                  for overdispersed data (Spiegelhalter, QSHC 2005;14:347-51).
  scaled          The multiplicative alternative, p0 +/- z sqrt(phi s^2).
  auto (default)  `wilson` unless the overdispersion check says the units vary more than chance allows, then
                  `random_effects`. The result says which was used and why.

Overdispersion check: z_i = (y_i - p0) / s_i; the z_i are Winsorised at their 10th and 90th percentiles (so a few
true outliers do not inflate the estimate); phi = mean(z^2); overdispersed when I * phi exceeds the 95th percentile
of chi-squared on I - 1 degrees of freedom; then tau^2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w), w_i = 1/s_i^2.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats

LEVELS = {"95%": 0.975, "99.8%": 0.999}  # label -> one-sided probability (PHEindicatormethods: 0.975 and 0.999)
LIMIT_COLUMNS = ["lower_998", "lower_95", "upper_95", "upper_998"]
FLAGS = ("high (99.8%)", "high (95%)", "within", "low (95%)", "low (99.8%)")
METHODS = ("auto", "wilson", "exact", "random_effects", "scaled")
METHOD_LABEL = {
    "wilson": "Wilson score limits around the target (PHE Fingertips method)",
    "exact": "exact binomial limits with Spiegelhalter's interpolation",
    "random_effects": "Wilson limits widened by an additive random effect (Spiegelhalter, overdispersion)",
    "scaled": "Wilson limits scaled by the overdispersion factor (Spiegelhalter, multiplicative)",
}


# ----------------------------------------------------------------------------------------------------------------
# Limits
# ----------------------------------------------------------------------------------------------------------------


def _arrays(n, p0):
    n = np.asarray(n, dtype=float)
    if np.any(n <= 0):
        raise ValueError("denominators must be greater than zero")
    if not 0 < p0 < 1:
        raise ValueError(f"the target proportion must be strictly between 0 and 1, not {p0}")
    return n


def wilson_limits(n, p0: float, p: float = 0.975) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper funnel limits at one-sided probability `p` (0.975 or 0.999) for denominators `n`, as
    PHEindicatormethods' `sigma_adjustment()` (the proportions whose Wilson interval just reaches p0), in [0, 1].

    >>> lo, hi = wilson_limits([1000], 0.80642448, 0.975)
    >>> round(float(lo[0]), 6), round(float(hi[0]), 6)
    (0.781936, 0.830913)
    """
    n = _arrays(n, p0)
    half = stats.norm.ppf(p) * np.sqrt(p0 * (1 - p0) / n)
    return np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)


def random_effects_limits(n, p0: float, p: float, tau2: float = 0.0, phi: float = 1.0):
    """Limits p0 +/- z sqrt(phi * s^2 + tau^2): additive (tau2 > 0) or multiplicative (phi > 1) overdispersion."""
    n = _arrays(n, p0)
    half = stats.norm.ppf(p) * np.sqrt(phi * p0 * (1 - p0) / n + tau2)
    return np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)


def _exact_one_side(n: np.ndarray, p0: float, prob: float) -> np.ndarray:
    """Spiegelhalter's interpolated binomial quantile (r_p - alpha) / n at cumulative probability `prob`."""
    r = stats.binom.ppf(prob, n, p0)
    # guard against the quantile search landing one step off through rounding
    for _ in range(3):
        down = (r > 0) & (stats.binom.cdf(r - 1, n, p0) >= prob)
        r = np.where(down, r - 1, r)
        up = stats.binom.cdf(r, n, p0) < prob
        r = np.where(up, r + 1, r)
    f_r = stats.binom.cdf(r, n, p0)
    f_prev = np.where(r > 0, stats.binom.cdf(r - 1, n, p0), 0.0)
    alpha = (f_r - prob) / (f_r - f_prev)
    return np.clip((r - alpha) / n, 0, 1)


def exact_limits(n, p0: float, p: float = 0.975) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial limits with Spiegelhalter's interpolation: lower at 1 - p, upper at p."""
    n = _arrays(n, p0)
    if np.any(n != np.round(n)):
        raise ValueError("exact binomial limits need whole-number denominators")
    return _exact_one_side(n, p0, 1 - p), _exact_one_side(n, p0, p)


def limits(n, p0: float, method: str = "wilson", tau2: float = 0.0, phi: float = 1.0) -> pd.DataFrame:
    """The four limits (`LIMIT_COLUMNS`) at each denominator for one method (not `auto`)."""
    out = {}
    for label, p in LEVELS.items():
        if method == "wilson":
            lo, hi = wilson_limits(n, p0, p)
        elif method == "exact":
            lo, hi = exact_limits(n, p0, p)
        elif method == "random_effects":
            lo, hi = random_effects_limits(n, p0, p, tau2=tau2)
        elif method == "scaled":
            lo, hi = random_effects_limits(n, p0, p, phi=max(phi, 1.0))
        else:
            raise ValueError(f"unknown funnel method {method!r}; use one of {', '.join(METHODS[1:])}")
        tag = label.rstrip("%").replace(".", "")
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
    return pd.DataFrame(out, index=np.asarray(n, dtype=float).reshape(-1))[LIMIT_COLUMNS]


# ----------------------------------------------------------------------------------------------------------------
# Overdispersion
# ----------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Dispersion:
    """The overdispersion check (Spiegelhalter 2005)."""

    units: int  # I, the number of units compared
    phi: float  # mean of the squared Winsorised z-scores
    statistic: float  # I * phi
    critical: float  # chi-squared(I - 1) at 0.95
    overdispersed: bool
    tau2: float  # additive between-unit variance (0 when not overdispersed)
    winsor: tuple[float, float]  # the percentiles used

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}


def z_scores(r, n, p0: float) -> np.ndarray:
    """(y - p0) / sqrt(p0 (1 - p0) / n)."""
    r, n = np.asarray(r, dtype=float), _arrays(n, p0)
    return (r / n - p0) / np.sqrt(p0 * (1 - p0) / n)


def overdispersion(r, n, p0: float, winsor: tuple[float, float] = (0.10, 0.90), level: float = 0.95) -> Dispersion:
    """Winsorised phi, the chi-squared test of I * phi on I - 1 degrees of freedom, and tau^2 when overdispersed."""
    n = _arrays(n, p0)
    z = z_scores(r, n, p0)
    units = len(z)
    if units < 2:
        return Dispersion(units, float("nan"), float("nan"), float("nan"), False, 0.0, winsor)
    lo, hi = np.percentile(z, [100 * winsor[0], 100 * winsor[1]])
    zw = np.clip(z, lo, hi)
    phi = float(np.mean(zw**2))
    statistic = units * phi
    critical = float(stats.chi2.ppf(level, units - 1))
    over = bool(statistic > critical)
    tau2 = 0.0
    if over:
        w = n / (p0 * (1 - p0))
        tau2 = max(0.0, float((statistic - (units - 1)) / (w.sum() - (w**2).sum() / w.sum())))
    return Dispersion(units, phi, float(statistic), critical, over, tau2, winsor)


def classify(y, lim: pd.DataFrame) -> np.ndarray:
    """The flag for each proportion against its limits, the 99.8% limits first; strict inequalities, as
    `assign_funnel_significance` (a proportion exactly on a limit is inside it)."""
    y = np.asarray(y, dtype=float)
    return np.select(
        [
            y < lim["lower_998"].to_numpy(),
            y < lim["lower_95"].to_numpy(),
            y > lim["upper_998"].to_numpy(),
            y > lim["upper_95"].to_numpy(),
        ],
        ["low (99.8%)", "low (95%)", "high (99.8%)", "high (95%)"],
        default="within",
    )
