"""The headline measures: defined once, computed here, written to measures.json and glued into the book."""

from __future__ import annotations

import pandas as pd

from analysis.derive.adversity import CodingFrame
from analysis.derive.cohort import domain_columns
from analysis.stats.proportions import Proportion


def _measure(name: str, description: str, num: int, den: int, **extra) -> dict:
    p = Proportion(int(num), int(den))
    return {
        "name": name,
        "description": description,
        "numerator": p.numerator,
        "denominator": p.denominator,
        "value": p.value,
        "interval": list(p.interval),
        **extra,
    }


def headline(cohort: pd.DataFrame, frame: CodingFrame, age_threshold: int) -> dict:
    """The reference study's three measures, plus the prevalence of each domain."""
    n = len(cohort)
    adv = cohort[cohort["has_adversity"]]
    domains = []
    for col in domain_columns(cohort):
        d = col.removeprefix("domain_")
        domains.append(
            _measure(
                d,
                f"Children with {frame.label(d).lower()} documented before the request",
                cohort[col].sum(),
                n,
                label=frame.label(d),
            )
        )
    domains.sort(key=lambda m: (-m["numerator"], m["name"]))
    for rank, m in enumerate(domains, start=1):
        m["rank"] = rank
    return {
        "cohort_size": n,
        "known_to_csc": _measure(
            "known_to_csc",
            "Children known to children's social care before their request",
            cohort["known_to_csc"].sum(),
            n,
        ),
        "with_adversity": _measure(
            "with_adversity", "Children with adversity documented before their request", len(adv), n
        ),
        "first_adversity_before_5": _measure(
            "first_adversity_before_5",
            f"Of children with documented adversity, those whose first was documented before age {age_threshold}",
            adv["first_adversity_before_threshold"].sum(),
            len(adv),
            age_threshold=age_threshold,
        ),
        "first_adversity_before_5_fully_observed": _measure(
            "first_adversity_before_5_fully_observed",
            "As above, for children born inside the data window (early childhood fully observed)",
            adv.loc[adv["early_childhood_observed"], "first_adversity_before_threshold"].sum(),
            int(adv["early_childhood_observed"].sum()),
            age_threshold=age_threshold,
        ),
        "domains": domains,
    }


def base_rates(pop: pd.DataFrame, age_threshold: int) -> dict:
    """Population base rates to set beside the case-series shares (coded adversity only, every child in the
    denominator), for children born inside the data window so that early childhood is fully observed."""
    observed = pop[pop["early_childhood_observed"]]
    return {
        "population_early_adversity": _measure(
            "population_early_adversity",
            f"Children born inside the data window with adversity documented before age {age_threshold}",
            observed["early_adversity"].sum(),
            len(observed),
            age_threshold=age_threshold,
        ),
        "population_ehc_plan": _measure(
            "population_ehc_plan", "Children in the denominator with an EHC plan", pop["ehc_plan"].sum(), len(pop)
        ),
    }
