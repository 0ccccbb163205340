"""The headline measures: defined once, computed here, written to measures.json and glued into the book.

Every share is of the cohort of first EHC needs assessment requests in the study window unless it says otherwise.
"Before age N" is calendar: before the Nth birthday. "Observed from birth": born on or after the start of the social
care records, so that no adversity recorded before N means none was recorded, not that records had not begun.

- known_to_csc: a referral, assessment, child in need plan, section 47 enquiry, protection plan or care before the
  request (the referral tier, as the CIN census and the FOI template count); the other tiers, early help and the
  analysis without referrals for the child's own disability are given beside it.
- first_adversity_before_5 (main): of children with adversity documented before their request who were observed
  from birth and requested on or after their Nth birthday, those whose first was documented before it. Children
  who requested before N would count by construction, and children born before the records would count as "later"
  only because their early years are unseen. The reference study's definition (every child with adversity) is kept
  as `first_adversity_before_5_reference`; the main share is also given by age at request and standardised to the
  age-at-request mix of every child observed from birth who requested at N or over (direct standardisation).
- Base rates, like with like (coded records only, children observed from birth): the share of resident children
  who reached N with coded adversity before N (needs the population table), beside the same share among requesting
  children.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.derive import social_care
from analysis.derive.adversity import CodingFrame
from analysis.stats.proportions import Proportion

REQUEST_STRATA = ((5, 11, "5 to 10"), (11, 16, "11 to 15"), (16, 26, "16 to 25"))  # completed years at request


def measure(name: str, description: str, num: int, den: int, **extra) -> dict:
    """A proportion as published: numerator, denominator, value and Wilson 95% interval."""
    p = Proportion(int(num), int(den))
    empty = p.denominator == 0  # no children to count: no value (null in JSON, blank in a table), not NaN
    return {
        "name": name,
        "description": description,
        "numerator": p.numerator,
        "denominator": p.denominator,
        "value": None if empty else p.value,
        "interval": [None, None] if empty else list(p.interval),
        **extra,
    }


def headline(cohort: pd.DataFrame, frame: CodingFrame, age: int) -> dict:
    """Every measure computed from the cohort."""
    n = len(cohort)
    out = {
        "cohort_size": n,
        "known_to_csc": measure(
            "known_to_csc",
            "Children known to children's social care (a referral or more) before their request",
            cohort["known_to_csc"].sum(),
            n,
            tier=social_care.HEADLINE_TIER,
        ),
        "known_tiers": [
            measure(
                f"known_{t.replace(' ', '_')}",
                social_care.TIER_LABEL[t],
                cohort[f"tier_{t.replace(' ', '_')}"].sum(),
                n,
                tier=t,
            )
            for t in social_care.TIERS
        ],
        "known_excluding_own_disability": measure(
            "known_excluding_own_disability",
            "Known to children's social care, leaving out referrals for the "
            "child's own disability (N2) and what followed them",
            cohort["known_excluding_own_disability"].sum(),
            n,
        ),
        "early_help_before_request": measure(
            "early_help_before_request",
            "Children with early help before their request",
            cohort["early_help_before_index"].sum(),
            n,
        ),
        "early_help_only": measure(
            "early_help_only",
            "Children known only through early help before their request",
            cohort["early_help_only"].sum(),
            n,
        ),
        "with_adversity": measure(
            "with_adversity",
            "Children with adversity documented before their request",
            cohort["has_adversity"].sum(),
            n,
        ),
        "review_coverage": measure(
            "review_coverage", "Children with a case review finding of any kind", cohort["reviewed"].sum(), n
        ),
        "domains": _domains(cohort, frame),
    }
    out.update(before_threshold(cohort, age))
    return out


def _domains(cohort: pd.DataFrame, frame: CodingFrame) -> list[dict]:
    n = len(cohort)
    domains = [
        measure(
            c.removeprefix("domain_"),
            f"Children with {frame.label(c.removeprefix('domain_')).lower()} documented before the request",
            cohort[c].sum(),
            n,
            label=frame.label(c.removeprefix("domain_")),
        )
        for c in domain_columns(cohort)
    ]
    domains.sort(key=lambda m: (-m["numerator"], m["name"]))
    for rank, m in enumerate(domains, start=1):
        m["rank"] = rank
    return domains


def domain_columns(frame: pd.DataFrame) -> list[str]:
    return sorted(c for c in frame.columns if c.startswith("domain_"))


def before_threshold(cohort: pd.DataFrame, age: int) -> dict:
    """The before-N share: main, reference, by age at request and standardised; and the coded share among
    requesting children (the like-with-like partner of the population base rate)."""
    adv = cohort[cohort["has_adversity"]]
    main = adv[adv["observed_from_birth"] & adv["requested_at_threshold_or_over"]]
    eligible = cohort[cohort["observed_from_birth"] & cohort["requested_at_threshold_or_over"]]
    strata = [
        measure(
            f"first_adversity_before_{age}_requested_{lo}_to_{hi - 1}",
            f"As the main measure, for requests at ages {label}",
            s["first_adversity_before_threshold"].sum(),
            len(s),
            age_threshold=age,
            band=label,
            weight=float(eligible["age_at_index_years"].between(lo, hi - 1).mean()) if len(eligible) else 0.0,
        )
        for lo, hi, label in REQUEST_STRATA
        for s in [main[main["age_at_index_years"].between(lo, hi - 1)]]
    ]
    return {
        "first_adversity_before_5": measure(
            "first_adversity_before_5",
            f"Of children observed from birth who requested at {age} or over and had "
            f"adversity documented before their request, those whose first was documented before age {age}",
            main["first_adversity_before_threshold"].sum(),
            len(main),
            age_threshold=age,
        ),
        "first_adversity_before_5_reference": measure(
            "first_adversity_before_5_reference",
            f"The reference study's definition: of every child with adversity "
            f"documented before their request, those whose first was before age {age}",
            adv["first_adversity_before_threshold"].sum(),
            len(adv),
            age_threshold=age,
        ),
        "first_adversity_before_5_by_age_at_request": strata,
        "first_adversity_before_5_standardised": standardised(strata, main, age),
        "cohort_early_adversity_coded": measure(
            "cohort_early_adversity_coded",
            f"Children observed from birth who requested at {age} or over with "
            f"adversity in coded records before age {age}",
            eligible["coded_adversity_before_threshold"].sum(),
            len(eligible),
            age_threshold=age,
        ),
    }


def standardised(strata: list[dict], main: pd.DataFrame, age: int) -> dict:
    """Direct standardisation of the stratum shares to the age-at-request mix (the strata's `weight`), with a
    normal interval from the strata's binomial variances. It rests on the main measure's children."""
    w = np.array([s["weight"] for s in strata], dtype=float)
    p = np.array([s["value"] if s["denominator"] else np.nan for s in strata], dtype=float)
    n = np.array([s["denominator"] for s in strata], dtype=float)
    used = (n > 0) & (w > 0)
    value = float(np.sum(w[used] * p[used]) / np.sum(w[used])) if used.any() else math.nan
    var = float(np.sum((w[used] / np.sum(w[used])) ** 2 * p[used] * (1 - p[used]) / n[used])) if used.any() else 0.0
    half = 1.959963984540054 * math.sqrt(var)
    out = measure(
        "first_adversity_before_5_standardised",
        f"The main measure standardised to the age-at-request mix "
        f"of every child observed from birth who requested at {age} or over",
        main["first_adversity_before_threshold"].sum(),
        len(main),
        age_threshold=age,
    )
    if used.any():
        out.update(value=value, interval=[max(0.0, value - half), min(1.0, value + half)])
    else:
        out.update(value=None, interval=[None, None])
    out["rests_on"] = [s["name"] for s in strata]  # suppressed with any of them: else it would give one away
    return out


def base_rates(pop: pd.DataFrame | None, age: int, end: pd.Timestamp) -> dict:
    """Population base rates (coded adversity, children observed from birth who reached N by the extract date and
    were resident at it), and the share of resident children known to social care in the window. Nothing without a
    population table."""
    if pop is None:
        return {}
    reached = pop[
        pop["observed_from_birth"]
        & (pop["landmark_date"] <= end)
        & (pop["exit"].isna() | (pop["exit"] > pop["landmark_date"]))
    ]
    return {
        "population_early_adversity": measure(
            "population_early_adversity",
            f"Resident children observed from birth who reached age {age}, with adversity in coded records before it",
            reached["early_adversity"].sum(),
            len(reached),
            age_threshold=age,
        ),
        "population_known_to_csc": measure(
            "population_known_to_csc",
            "Resident children with a referral or more to children's social care in the study window",
            pop["known_to_csc_in_window"].sum(),
            len(pop),
        ),
    }
