"""Sensitivity analyses of the headline measures: do they hold when the weakest links, the partly observed
children or the age threshold change?"""

from __future__ import annotations

import pandas as pd

from analysis.stats import Proportion


def _row(name: str, cohort: pd.DataFrame, known: pd.Series, adversity_age: pd.Series, threshold: float) -> dict:
    k = Proportion(int(known.sum()), len(cohort))
    has = adversity_age.notna()
    e = Proportion(int((adversity_age[has] < threshold).sum()), int(has.sum()))
    return {"Analysis": name, "Known to CSC": k.numerator, "Cohort": k.denominator, "Known %": k.value,
            "Known lower": k.interval[0], "Known upper": k.interval[1],
            "Early adversity": e.numerator, "With adversity": e.denominator, "Early %": e.value,
            "Early lower": e.interval[0], "Early upper": e.interval[1]}


def headline_variants(cohort: pd.DataFrame, age_threshold: int) -> pd.DataFrame:
    """The two headline shares under the main analysis and each sensitivity analysis."""
    rows = [_row("Main analysis", cohort, cohort["known_to_csc"], cohort["first_adversity_age"], age_threshold)]
    exact = cohort["link_method"] != "probabilistic"
    rows.append(_row("Excluding probabilistic links", cohort, cohort["known_to_csc"] & exact,
                     cohort["first_adversity_age"].where(exact), age_threshold))
    observed = cohort[cohort["early_childhood_observed"]]
    rows.append(_row("Children born inside the data window", observed, observed["known_to_csc"],
                     observed["first_adversity_age"], age_threshold))
    for t in sorted({max(1, age_threshold - 2), age_threshold + 2} - {age_threshold}):
        rows.append(_row(f"Age threshold {t} instead of {age_threshold}", cohort, cohort["known_to_csc"],
                         cohort["first_adversity_age"], t))
    return pd.DataFrame(rows)
