"""Effect measures from two risks, and how strong unmeasured confounding would have to be to explain one away.

Risks here are cumulative incidences with their variances (Aalen-Johansen). The risk ratio's interval is built on
the log scale by the delta method, var(log RR) = var1 / r1^2 + var0 / r0^2; the risk difference's on the natural
scale, var(RD) = var1 + var0 (the two groups are independent).

E-values (VanderWeele and Ding, Ann Intern Med 2017;167:268-74): the minimum strength of association, on the risk
ratio scale, that an unmeasured confounder would need with both exposure and outcome to explain away an estimate,
E = RR + sqrt(RR (RR - 1)) for RR >= 1 (1/RR first when RR < 1); for the interval, the E-value of the limit
nearer 1, or 1 when the interval includes 1. An odds ratio approximates a risk ratio only when the outcome is rare
(under 15%); for a common outcome it is converted first with RR ~ sqrt(OR) (VanderWeele 2017).
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def risk_ratio(r1: float, var1: float, r0: float, var0: float) -> tuple[float, float, float]:
    """Risk ratio r1 / r0 with a 95% interval (delta method on the log scale); NaNs when a risk is zero.

    >>> tuple(round(x, 4) for x in risk_ratio(0.2, 0.0004, 0.1, 0.0001))
    (2.0, 1.5158, 2.6388)
    """
    if r1 <= 0 or r0 <= 0:
        return (math.nan, math.nan, math.nan)
    rr = r1 / r0
    se = math.sqrt(var1 / r1**2 + var0 / r0**2)
    return (rr, rr * math.exp(-Z95 * se), rr * math.exp(Z95 * se))


def risk_difference(r1: float, var1: float, r0: float, var0: float) -> tuple[float, float, float]:
    """Risk difference r1 - r0 with a 95% interval.

    >>> tuple(round(x, 4) for x in risk_difference(0.2, 0.0004, 0.1, 0.0001))
    (0.1, 0.0562, 0.1438)
    """
    rd = r1 - r0
    se = math.sqrt(var1 + var0)
    return (rd, rd - Z95 * se, rd + Z95 * se)


def e_value(rr: float) -> float:
    """The E-value of a risk ratio.

    >>> round(e_value(3.9), 2), e_value(1.0), round(e_value(0.5), 2)
    (7.26, 1.0, 3.41)
    """
    if not math.isfinite(rr) or rr <= 0:
        return math.nan
    rr = 1 / rr if rr < 1 else rr
    return rr + math.sqrt(rr * (rr - 1))


def e_value_interval(low: float, high: float) -> float:
    """The E-value of a risk ratio's interval: of the limit nearer 1, or 1 when the interval includes 1."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return math.nan
    if low <= 1 <= high:
        return 1.0
    return e_value(low if low > 1 else high)


def odds_ratio_as_risk_ratio(odds_ratio: float, common_outcome: bool) -> float:
    """An odds ratio on the risk ratio scale for E-values: itself for a rare outcome, its square root for a common one.

    >>> odds_ratio_as_risk_ratio(4.0, common_outcome=True), odds_ratio_as_risk_ratio(4.0, common_outcome=False)
    (2.0, 4.0)
    """
    return math.sqrt(odds_ratio) if common_outcome else odds_ratio
