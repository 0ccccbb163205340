"""Statistics used by the book, each delegated to a reference implementation (statsmodels)."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Proportion:
    """A proportion with its Wilson 95% interval."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float:
        return self.numerator / self.denominator if self.denominator else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.numerator, self.denominator)


def wilson(numerator: int, denominator: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval (statsmodels).

    >>> tuple(round(x, 4) for x in wilson(54, 100))
    (0.4426, 0.6344)
    """
    if denominator == 0:
        return (float("nan"), float("nan"))
    from statsmodels.stats.proportion import proportion_confint  # loaded on first use: a cached build needs none

    low, high = proportion_confint(numerator, denominator, alpha=alpha, method="wilson")
    return (float(low), float(high))


def odds_ratio(exposed_cases: int, exposed_total: int, unexposed_cases: int, unexposed_total: int):
    """Crude odds ratio with a 95% interval (statsmodels Table2x2; 0.5 added to every cell if any is zero)."""
    table = np.array(
        [[exposed_cases, exposed_total - exposed_cases], [unexposed_cases, unexposed_total - unexposed_cases]],
        dtype=float,
    )
    from statsmodels.stats.contingency_tables import Table2x2

    t = Table2x2(table, shift_zeros=True)
    low, high = t.oddsratio_confint()
    return float(t.oddsratio), (float(low), float(high))
