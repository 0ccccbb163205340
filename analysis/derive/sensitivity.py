"""Sensitivity analyses of the headline measures: do they hold when the weakest links, the partly observed
children or the age threshold change?"""

from __future__ import annotations

import pandas as pd

from analysis.stats.proportions import Proportion

KNOWN = "Known to social care before the request"
EARLY = "First adversity before the threshold age, of those with adversity"


def _rows(name: str, cohort: pd.DataFrame, known: pd.Series, adversity_age: pd.Series, threshold: float) -> list[dict]:
    has = adversity_age.notna()
    out = []
    for measure, p in (
        (KNOWN, Proportion(int(known.sum()), len(cohort))),
        (EARLY, Proportion(int((adversity_age[has] < threshold).sum()), int(has.sum()))),
    ):
        out.append(
            {
                "Analysis": name,
                "Measure": measure,
                "Children": p.numerator,
                "Of": p.denominator,
                "Share": p.value,
                "Lower 95%": p.interval[0],
                "Upper 95%": p.interval[1],
            }
        )
    return out


def headline_variants(cohort: pd.DataFrame, age_threshold: int) -> pd.DataFrame:
    """The two headline shares under the main analysis and each sensitivity analysis (one row per share)."""
    rows = _rows("Main analysis", cohort, cohort["known_to_csc"], cohort["first_adversity_age"], age_threshold)
    exact = cohort["link_method"] != "probabilistic"
    rows += _rows(
        "Excluding probabilistic links",
        cohort,
        cohort["known_to_csc"] & exact,
        cohort["first_adversity_age"].where(exact),
        age_threshold,
    )
    observed = cohort[cohort["early_childhood_observed"]]
    rows += _rows(
        "Children born inside the data window",
        observed,
        observed["known_to_csc"],
        observed["first_adversity_age"],
        age_threshold,
    )
    for t in sorted({max(1, age_threshold - 2), age_threshold + 2} - {age_threshold}):
        rows += _rows(
            f"Age threshold {t} instead of {age_threshold}",
            cohort,
            cohort["known_to_csc"],
            cohort["first_adversity_age"],
            t,
        )
    return pd.DataFrame(rows)
