"""Funnel plots for proportions: control limits, per-unit p-values, an overdispersion check, suppressed counts as
intervals and false-discovery control.

Limits around a target p0 (by default the pooled proportion of the units compared) at each denominator n, at two
levels: 95% (one-sided 0.975, "alert") and 99.8% (one-sided 0.999, "alarm").

Methods
  wilson          As the OHID/PHE Fingertips technical guidance and `PHEindicatormethods`
                  (`calculate_funnel_limits(statistic = "proportion")`, method "Wilson";
                  `assign_funnel_significance`). Its `sigma_adjustment()` finds, for each n and z = qnorm(p), the
                  observed proportion whose Wilson score interval has p0 as its bound; the roots of that quadratic
                  are exactly y = p0 -/+ z sqrt(p0 (1 - p0) / n), which is what is computed here (checked against the
                  package's own reference tables in tests/unit/stats/test_funnel.py), truncated to [0, 100%].
  exact           Exact binomial limits with Spiegelhalter's interpolation (Stat Med 2005;24:1185-1202, appendix):
                  r_p = the smallest r with F(r) >= p under Bin(n, p0); alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1));
                  the limit is (r_p - alpha + c) / n. Spiegelhalter's published form has c = 0: it spreads the mass
                  of each count r over [r - 1, r], so at whole counts a unit is below the lower limit when
                  P(X <= r) < 1 - p but above the upper one already when P(X > r) < 1 - p; one tail counts the
                  observed value and the other does not (at p0 = 0.8, n = 20 a unit with 20 of 20, P = 1.15%, is
                  "above the 99.8% limit"). Here c = 1/2 (`mid_p=True`, the default): the mass of r is spread over
                  [r - 1/2, r + 1/2], so both tails are the mid-P tails P(X < r) + P(X = r) / 2 (Lancaster, JASA
                  1961;56:223-34) and the limits are centred on the target. The interpolation convention decides
                  how often an in-control unit falls outside (Manktelow & Seaton, PLoS ONE 2012;7:e45723).
  beta_binomial   The exact limits for an overdispersed measure: the count is beta-binomial, a binomial whose p
                  varies between units with mean p0 and variance tau^2 (Spiegelhalter's additive random effect, so
                  var(r / n) = s^2 + tau^2 (n - 1) / n); same interpolation. It tends to `random_effects` for large
                  n and p0 away from 0 and 1, and to `exact` as tau^2 -> 0.
  random_effects  Spiegelhalter's additive random-effects limits, p0 +/- z sqrt(s^2 + tau^2), s^2 = p0(1-p0)/n
                  (Spiegelhalter, QSHC 2005;14:347-51).
  scaled          The multiplicative alternative, p0 +/- z sqrt(phi s^2).
  auto (default)  `exact` (or `beta_binomial` when the overdispersion check says the units vary more than chance
                  allows) for every unit whenever the counts are whole numbers; `wilson` (or `random_effects`) only
                  for weighted, non-whole counts, where no exact distribution exists (and `random_effects` for an
                  overdispersed measure with a denominator above 100,000). Why not a per-unit switch
                  by a rule of thumb such as n p0 (1 - p0) > 9 (Schader & Schmid, Am Stat 1989;43:23-4): at the 99.8%
                  level the normal limits fail well inside that rule, since the binomial is skewed. At p0 = 0.02,
                  n = 600 (n p0 (1 - p0) = 11.8) an in-control unit lies above the normal upper limit with
                  probability 0.28%, not 0.1%, and at p0 = 0.8, n = 30 the normal upper limit is above 100%. The exact
                  limits are right at every n and converge to the normal ones as n grows, so nothing is lost by
                  using them throughout, and the funnel has no seam where the method changes.

P-values (`p_values`) are two-sided and consistent with the limits: 2 min(lower tail, upper tail) of the same
(interpolated) distribution, so a unit is outside the 95% limits exactly when p < 0.05 and outside the 99.8% limits
exactly when p < 0.002. `benjamini_hochberg` controls the false discovery rate over any family of them.

Overdispersion check: z_i = (y_i - p0) / s_i; the z_i are Winsorised at their 10th and 90th percentiles (so a few
true outliers do not inflate the estimate); phi = mean(z^2); overdispersed when I * phi exceeds the 95th percentile
of chi-squared on I - 1 degrees of freedom; then tau^2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w), w_i = 1/s_i^2.

Suppressed counts (known only to lie in [r_lo, r_hi], e.g. 1 to 5) are interval-censored, not dropped: the target
is the maximum-likelihood p0 in which such a unit contributes P(r_lo <= R <= r_hi) (`censored_target`; with no
interval it is the pooled sum(r) / sum(n)); in the overdispersion check it contributes the expected value of its
(Winsorised) z and z^2 given its interval under Bin(n, p0), which leaves phi unbiased under the null. Its flag is
given only when every count in the interval gives the same flag (`classify_interval`), and its p-value is the
largest over the interval (`interval_p_values`), a valid, conservative p-value.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from statsmodels.stats.multitest import multipletests

LEVELS = {"95%": 0.975, "99.8%": 0.999}  # label -> one-sided probability (PHEindicatormethods: 0.975 and 0.999)
LIMIT_COLUMNS = ["lower_998", "lower_95", "upper_95", "upper_998"]
FLAGS = ("high (99.8%)", "high (95%)", "within", "low (95%)", "low (99.8%)")
UNDETERMINED = "undetermined"  # a suppressed count whose interval straddles a limit
METHODS = ("auto", "wilson", "exact", "beta_binomial", "random_effects", "scaled")
EXACT = ("exact", "beta_binomial")
METHOD_LABEL = {
    "wilson": "Wilson score limits around the target (PHE Fingertips method)",
    "exact": "exact binomial limits (Spiegelhalter's interpolation, mid-P)",
    "beta_binomial": "exact beta-binomial limits: binomial variation plus the variation between authorities "
    "(Spiegelhalter's random effect), with Spiegelhalter's interpolation, mid-P",
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


def _whole(n: np.ndarray) -> np.ndarray:
    if np.any(n != np.round(n)):
        raise ValueError("exact limits need whole-number denominators")
    return n


def _beta_params(p0: float, tau2: float) -> tuple[float, float]:
    """Beta(a, b) with mean p0 and variance tau^2 (the intra-unit correlation rho = tau^2 / (p0 (1 - p0)) is kept
    below 1, as any variance of true proportions must be)."""
    rho = min(tau2 / (p0 * (1 - p0)), 0.99)
    size = 1 / rho - 1
    return p0 * size, (1 - p0) * size


def _pmf_cdf_sf(r, n, p0: float, tau2: float):
    """P(X = r), P(X <= r - 1) and P(X > r) for whole r, binomial (tau2 = 0) or beta-binomial; the upper tail from
    the survival function, so that tiny p-values keep their precision."""
    if tau2 <= 0:
        dist = stats.binom(n, p0)
    else:
        dist = stats.betabinom(n, *_beta_params(p0, tau2))
    return dist.pmf(r), np.where(r > 0, dist.cdf(r - 1), 0.0), dist.sf(r)


def _exact_one_side(n: np.ndarray, p0: float, prob: float, tau2: float = 0.0, c: float = 0.5) -> np.ndarray:
    """Spiegelhalter's interpolated quantile (r_p - alpha + c) / n at cumulative probability `prob`."""
    if tau2 <= 0:
        r = stats.binom.ppf(prob, n, p0)
    else:
        r = _table_ppf(n, p0, tau2, prob)
    # guard against the quantile search landing one step off through rounding
    for _ in range(3):
        pmf, below, _ = _pmf_cdf_sf(r, n, p0, tau2)
        down = (r > 0) & (below >= prob)
        r = np.where(down, r - 1, r)
        pmf, below, _ = _pmf_cdf_sf(r, n, p0, tau2)
        up = below + pmf < prob
        r = np.where(up, r + 1, r)
    pmf, below, _ = _pmf_cdf_sf(r, n, p0, tau2)
    alpha = (below + pmf - prob) / pmf
    return np.clip((r - alpha + c) / n, 0, 1)


def _table_ppf(n: np.ndarray, p0: float, tau2: float, prob: float) -> np.ndarray:
    """The beta-binomial quantile from its cumulated probabilities, one table per distinct n (scipy's generic
    search is a hundred times slower and the funnel needs hundreds of denominators)."""
    a, b = _beta_params(p0, tau2)
    out = np.empty(n.shape)
    for m in np.unique(n):
        cdf = np.cumsum(stats.betabinom.pmf(np.arange(m + 1), m, a, b))
        out[n == m] = min(int(np.searchsorted(cdf, prob)), int(m))
    return out


def exact_limits(n, p0: float, p: float = 0.975, *, tau2: float = 0.0, mid_p: bool = True):
    """Exact limits (binomial, or beta-binomial when tau2 > 0) with Spiegelhalter's interpolation: lower at 1 - p,
    upper at p; `mid_p=False` gives the published form (see the module's docstring for the difference).

    >>> lo, hi = exact_limits([30], 0.8, 0.999)
    >>> round(float(hi[0]), 4)  # below 100%: 30 of 30 can be flagged high (mid-P 0.8^30 / 2 < 0.001)
    0.9897
    """
    n = _whole(_arrays(n, p0))
    c = 0.5 if mid_p else 0.0
    return _exact_one_side(n, p0, 1 - p, tau2, c), _exact_one_side(n, p0, p, tau2, c)


def limits(n, p0: float, method: str = "wilson", tau2: float = 0.0, phi: float = 1.0) -> pd.DataFrame:
    """The four limits (`LIMIT_COLUMNS`) at each denominator for one method (not `auto`)."""
    out = {}
    for label, p in LEVELS.items():
        if method == "wilson":
            lo, hi = wilson_limits(n, p0, p)
        elif method == "exact":
            lo, hi = exact_limits(n, p0, p)
        elif method == "beta_binomial":
            lo, hi = exact_limits(n, p0, p, tau2=tau2)
        elif method == "random_effects":
            lo, hi = random_effects_limits(n, p0, p, tau2=tau2)
        elif method == "scaled":
            lo, hi = random_effects_limits(n, p0, p, phi=max(phi, 1.0))
        else:
            raise ValueError(f"unknown funnel method {method!r}; use one of {', '.join(METHODS[1:])}")
        tag = label.rstrip("%").replace(".", "")
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
    return pd.DataFrame(out, index=np.asarray(n, dtype=float).reshape(-1))[LIMIT_COLUMNS]


BETA_BINOMIAL_MAX_N = 100_000  # its quantiles come from tables as long as n; beyond, the normal form is as good


def choose_method(method: str, overdispersed: bool, whole: bool, n_max: float = 0) -> str:
    """What `auto` means for one measure: exact wherever the counts allow it (see the module's docstring), with the
    random effect when the units are overdispersed (normal beyond `BETA_BINOMIAL_MAX_N`, where tables would be
    too long and tau^2 dominates the binomial part anyway)."""
    if method not in METHODS:
        raise ValueError(f"unknown funnel method {method!r}; use one of {', '.join(METHODS)}")
    if method != "auto":
        return method
    if overdispersed:
        return "beta_binomial" if whole and n_max <= BETA_BINOMIAL_MAX_N else "random_effects"
    return "exact" if whole else "wilson"


# ----------------------------------------------------------------------------------------------------------------
# P-values and false-discovery control
# ----------------------------------------------------------------------------------------------------------------


def p_values(r, n, p0: float, method: str, tau2: float = 0.0, phi: float = 1.0, *, mid_p: bool = True):
    """Two-sided p-values consistent with `limits(method)`: 2 min(lower tail, upper tail), at most 1. For the exact
    methods the tails are those of the interpolated distribution (mid-P at whole counts); for the others, of the
    normal with the method's standard error."""
    r, n = np.asarray(r, dtype=float), _arrays(n, p0)
    if method in EXACT:
        lower, upper = _exact_tails(r, _whole(n), p0, tau2 if method == "beta_binomial" else 0.0, mid_p)
    else:
        var = p0 * (1 - p0) / n
        if method == "random_effects":
            var = var + tau2
        elif method == "scaled":
            var = max(phi, 1.0) * var
        z = (r / n - p0) / np.sqrt(var)
        lower, upper = stats.norm.cdf(z), stats.norm.sf(z)
    return np.minimum(1.0, 2 * np.minimum(lower, upper))


def _exact_tails(x: np.ndarray, n: np.ndarray, p0: float, tau2: float, mid_p: bool):
    """Lower and upper tails at count x of the distribution whose quantiles are the interpolated limits: the mass of
    each whole count r spread evenly over [r - 1 + c, r + c] (c = 1/2 for mid-P, 0 for the published form)."""
    c = 0.5 if mid_p else 0.0
    r = np.clip(np.ceil(x - c), 0, n)
    pmf, below, above = _pmf_cdf_sf(r, n, p0, tau2)
    lower = below + np.clip(x - (r - 1 + c), 0, 1) * pmf
    upper = above + np.clip(r + c - x, 0, 1) * pmf
    return lower, upper


def interval_p_values(r_lo, r_hi, n, p0: float, method: str, tau2: float = 0.0, phi: float = 1.0) -> np.ndarray:
    """The largest two-sided p-value over the whole counts from r_lo to r_hi (at most six apart): significant only if
    every count the unit may have is."""
    r_lo, r_hi = np.asarray(r_lo, dtype=float), np.asarray(r_hi, dtype=float)
    worst = p_values(r_lo, n, p0, method, tau2, phi)
    for k in range(1, int(np.max(r_hi - r_lo, initial=0)) + 1):
        r = np.minimum(r_lo + k, r_hi)
        worst = np.maximum(worst, p_values(r, n, p0, method, tau2, phi))
    return worst


def benjamini_hochberg(p, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Which p-values are discoveries at false discovery rate q (Benjamini & Hochberg, JRSS B 1995;57:289-300) and
    the BH-adjusted p-values, via statsmodels' `multipletests(method="fdr_bh")`."""
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return np.zeros(0, dtype=bool), np.zeros(0)
    reject, adjusted, _, _ = multipletests(p, alpha=q, method="fdr_bh")
    return reject, adjusted


# ----------------------------------------------------------------------------------------------------------------
# Suppressed counts: the target
# ----------------------------------------------------------------------------------------------------------------


def _interval_counts(r_lo: np.ndarray, r_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each unit the whole counts of its interval, as a padded matrix and a mask of the real entries."""
    width = int(np.max(r_hi - r_lo, initial=0)) + 1
    ks = r_lo[:, None] + np.arange(width)[None, :]
    return ks, ks <= r_hi[:, None]


def censored_log_likelihood(p: float, r_lo, r_hi, n) -> float:
    """Binomial log-likelihood of a common p in which a unit known only to lie in [r_lo, r_hi] contributes
    log P(r_lo <= R <= r_hi) (the constant binomial coefficients of the exact counts left out)."""
    r_lo, r_hi, n = (np.asarray(a, dtype=float) for a in (r_lo, r_hi, n))
    exact = r_lo == r_hi
    ll = float(np.sum(r_lo[exact] * np.log(p) + (n[exact] - r_lo[exact]) * np.log1p(-p)))
    if (~exact).any():
        ks, real = _interval_counts(r_lo[~exact], r_hi[~exact])
        logpmf = np.where(real, stats.binom.logpmf(ks, n[~exact][:, None], p), -np.inf)
        ll += float(np.sum(special.logsumexp(logpmf, axis=1)))
    return ll


def censored_target(r_lo, n, r_hi=None) -> float:
    """The maximum-likelihood common proportion when some counts are known only as intervals; with none, the pooled
    sum(r) / sum(n). The estimate lies between the pooled proportions with every interval at its bottom and at its
    top (the score equation makes p a weighted mean of the units' expected counts), which bounds the search."""
    r_lo, n = np.asarray(r_lo, dtype=float), np.asarray(n, dtype=float)
    r_hi = r_lo if r_hi is None else np.asarray(r_hi, dtype=float)
    low, high = r_lo.sum() / n.sum(), r_hi.sum() / n.sum()
    if high == low:
        return float(low)
    eps = 1e-12
    fit = optimize.minimize_scalar(
        lambda p: -censored_log_likelihood(p, r_lo, r_hi, n),
        bounds=(max(low, eps), min(high, 1 - eps)),
        method="bounded",
        options={"xatol": 1e-12},
    )
    return float(fit.x)


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


def _censored_z2(r_lo, r_hi, n, p0: float, winsor: tuple[float, float]) -> np.ndarray:
    """Each unit's Winsorised z^2; for an interval its expected value given the interval under Bin(n, p0). The
    Winsorising percentiles are taken over the exact z and the intervals' expected z."""
    ks, real = _interval_counts(r_lo, r_hi)
    w = np.where(real, stats.binom.pmf(ks, n[:, None], p0), 0.0)
    w = w / w.sum(axis=1, keepdims=True)
    zk = (ks / n[:, None] - p0) / np.sqrt(p0 * (1 - p0) / n[:, None])
    centre = np.sum(w * zk, axis=1)
    lo, hi = np.percentile(centre, [100 * winsor[0], 100 * winsor[1]])
    return np.sum(w * np.clip(zk, lo, hi) ** 2, axis=1)


def overdispersion(
    r, n, p0: float, winsor: tuple[float, float] = (0.10, 0.90), level: float = 0.95, *, r_hi=None
) -> Dispersion:
    """Winsorised phi, the chi-squared test of I * phi on I - 1 degrees of freedom, and tau^2 when overdispersed.
    With `r_hi`, `r` holds the bottoms of the counts' intervals (equal to `r_hi` where the count is exact)."""
    n = _arrays(n, p0)
    r = np.asarray(r, dtype=float)
    units = len(n)
    if units < 2:
        return Dispersion(units, float("nan"), float("nan"), float("nan"), False, 0.0, winsor)
    if r_hi is None or np.array_equal(r, np.asarray(r_hi, dtype=float)):
        z = z_scores(r, n, p0)
        lo, hi = np.percentile(z, [100 * winsor[0], 100 * winsor[1]])
        z2 = np.clip(z, lo, hi) ** 2
    else:
        z2 = _censored_z2(r, np.asarray(r_hi, dtype=float), n, p0, winsor)
    phi = float(np.mean(z2))
    statistic = units * phi
    critical = float(stats.chi2.ppf(level, units - 1))
    over = bool(statistic > critical)
    tau2 = 0.0
    if over:
        w = n / (p0 * (1 - p0))
        tau2 = max(0.0, float((statistic - (units - 1)) / (w.sum() - (w**2).sum() / w.sum())))
    return Dispersion(units, phi, float(statistic), critical, over, tau2, winsor)


# ----------------------------------------------------------------------------------------------------------------
# Flags
# ----------------------------------------------------------------------------------------------------------------


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


def classify_interval(y_lo, y_hi, lim: pd.DataFrame) -> np.ndarray:
    """The flag of a proportion known only to lie in [y_lo, y_hi]: the flag every value in it gets, or
    `UNDETERMINED`. Flags are ordered along y, so the two ends decide."""
    lo, hi = classify(y_lo, lim), classify(y_hi, lim)
    return np.where(lo == hi, lo, UNDETERMINED)
