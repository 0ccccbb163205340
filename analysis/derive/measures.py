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
- Base rates, like with like (coded records and any case notes, never the manual review, which covers the cohort
  only; children observed from birth): the share of resident children
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


MEMBERS = "_members"  # the units each count counts, for the disclosure registry; never published


def measure(name: str, description: str, hits, among, units=None, bias=None, **extra) -> dict:
    """A proportion as published: numerator (`hits` among `among`, boolean masks of one frame), denominator, value
    and Wilson 95% interval; with `units` (the frame's codes in the disclosure registry) the members of each count;
    with `bias` (linkage_bias.analyser) how far linkage error could move it."""
    hits, among = np.asarray(hits, dtype=bool), np.asarray(among, dtype=bool)
    p = Proportion(int((hits & among).sum()), int(among.sum()))
    empty = p.denominator == 0  # no children to count: no value (null in JSON, blank in a table), not NaN
    out = {
        "name": name,
        "description": description,
        "numerator": p.numerator,
        "denominator": p.denominator,
        "value": None if empty else p.value,
        "interval": [None, None] if empty else list(p.interval),
        **extra,
    }
    if bias is not None and not empty:
        out["linkage_bias"] = bias(hits, among)
    if units is not None:
        out[MEMBERS] = {"numerator": np.asarray(units)[hits & among], "denominator": np.asarray(units)[among]}
    return out


def headline(cohort: pd.DataFrame, frame: CodingFrame, age: int, units=None, bias=None) -> dict:
    """Every measure computed from the cohort (`units`: each child's code in the disclosure registry; `bias`: the
    linkage bias analysis, given to the headlines)."""
    everyone = np.ones(len(cohort), dtype=bool)

    def share(name, description, column, **extra):
        told = bias if name in BIASED else None
        return measure(name, description, cohort[column], everyone, units, told, **extra)

    out = {
        "cohort_size": len(cohort),
        "known_to_csc": share(
            "known_to_csc",
            "Children known to children's social care (a referral or more) before their request",
            "known_to_csc",
            tier=social_care.HEADLINE_TIER,
        ),
        "known_tiers": [
            share(f"known_{t.replace(' ', '_')}", social_care.TIER_LABEL[t], f"tier_{t.replace(' ', '_')}", tier=t)
            for t in social_care.TIERS
        ],
        "known_excluding_own_disability": share(
            "known_excluding_own_disability",
            "Known to children's social care, leaving out referrals for the "
            "child's own disability (N2) and what followed them",
            "known_excluding_own_disability",
        ),
        "early_help_before_request": share(
            "early_help_before_request", "Children with early help before their request", "early_help_before_index"
        ),
        "early_help_only": share(
            "early_help_only", "Children known only through early help before their request", "early_help_only"
        ),
        "with_adversity": share(
            "with_adversity", "Children with adversity documented before their request", "has_adversity"
        ),
        "review_coverage": share("review_coverage", "Children with a case review finding of any kind", "reviewed"),
        "domains": _domains(cohort, frame, units),
    }
    out.update(before_threshold(cohort, age, units, bias))
    return out


def _domains(cohort: pd.DataFrame, frame: CodingFrame, units) -> list[dict]:
    everyone = np.ones(len(cohort), dtype=bool)
    domains = [
        measure(
            c.removeprefix("domain_"),
            f"Children with {frame.label(c.removeprefix('domain_')).lower()} documented before the request",
            cohort[c],
            everyone,
            units,
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


BIASED = ("known_to_csc", "with_adversity")  # with the before-N main and reference measures


def before_threshold(cohort: pd.DataFrame, age: int, units=None, bias=None) -> dict:
    """The before-N share: main, reference, by age at request and standardised; and the coded share among
    requesting children (the like-with-like partner of the population base rate)."""
    early = cohort["first_adversity_before_threshold"].fillna(False).astype(bool)
    eligible = cohort["observed_from_birth"] & cohort["requested_at_threshold_or_over"]
    main = cohort["has_adversity"] & eligible
    years = cohort["age_at_index_years"]
    strata = [
        measure(
            f"first_adversity_before_{age}_requested_{lo}_to_{hi - 1}",
            f"As the main measure, for requests at ages {label}",
            early,
            main & years.between(lo, hi - 1),
            units,
            age_threshold=age,
            band=label,
            weight=float(years[eligible].between(lo, hi - 1).mean()) if eligible.any() else 0.0,
        )
        for lo, hi, label in REQUEST_STRATA
    ]
    return {
        "first_adversity_before_5": measure(
            "first_adversity_before_5",
            f"Of children observed from birth who requested at {age} or over and had "
            f"adversity documented before their request, those whose first was documented before age {age}",
            early,
            main,
            units,
            bias,
            age_threshold=age,
        ),
        "first_adversity_before_5_reference": measure(
            "first_adversity_before_5_reference",
            f"The reference study's definition: of every child with adversity "
            f"documented before their request, those whose first was before age {age}",
            early,
            cohort["has_adversity"],
            units,
            bias,
            age_threshold=age,
        ),
        "first_adversity_before_5_by_age_at_request": strata,
        "first_adversity_before_5_standardised": standardised(strata, early, main, age, units),
        "cohort_early_adversity_coded": measure(
            "cohort_early_adversity_coded",
            f"Children observed from birth who requested at {age} or over with adversity before age {age} in coded "
            "records or case notes (not the manual review)",
            cohort["coded_adversity_before_threshold"],
            eligible,
            units,
            age_threshold=age,
        ),
    }


def standardised(strata: list[dict], early, main, age: int, units=None) -> dict:
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
        early,
        main,
        units,
        age_threshold=age,
    )
    if used.any():
        out.update(value=value, interval=[max(0.0, value - half), min(1.0, value + half)])
    else:
        out.update(value=None, interval=[None, None])
    out["rests_on"] = [s["name"] for s in strata]  # suppressed with any of them: else it would give one away
    return out


def base_rates(pop: pd.DataFrame | None, age: int, end: pd.Timestamp, units=None) -> dict:
    """Population base rates (coded adversity, children observed from birth who reached N by the extract date and
    were resident at it), and the share of resident children known to social care in the window. Nothing without a
    population table (`units`: each resident child's code in the disclosure registry)."""
    if pop is None:
        return {}
    reached = (
        pop["observed_from_birth"]
        & (pop["landmark_date"] <= end)
        & (pop["exit"].isna() | (pop["exit"] > pop["landmark_date"]))
    )
    return {
        "population_early_adversity": measure(
            "population_early_adversity",
            f"Resident children observed from birth who reached age {age}, with adversity before it in coded records "
            "or case notes",
            pop["early_adversity"],
            reached,
            units,
            age_threshold=age,
        ),
        "population_known_to_csc": measure(
            "population_known_to_csc",
            "Resident children with a referral or more to children's social care in the study window",
            pop["known_to_csc_in_window"],
            np.ones(len(pop), dtype=bool),
            units,
        ),
    }
