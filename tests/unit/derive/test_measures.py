import math

import numpy as np
import pandas as pd
import pytest

from analysis.derive import measures, published, sensitivity
from analysis.privacy import render
from analysis.privacy.protect import protect
from analysis.privacy.registry import Registry
from analysis.stats.proportions import wilson


def _cohort() -> pd.DataFrame:
    """Eight children with adversity. A: not observed from birth. B: requested at 4. C-H: observed, requested at
    5 or over, at ages 6, 7, 12, 13, 17 and 9; C, D, E and H had their first adversity before 5."""
    rows = [
        # observed, age at request (completed years), first adversity before 5
        (False, 8, True),
        (True, 4, True),
        (True, 6, True),
        (True, 7, True),
        (True, 12, True),
        (True, 13, False),
        (True, 17, False),
        (True, 9, True),
    ]
    c = pd.DataFrame(rows, columns=["observed_from_birth", "age_at_index_years", "first_adversity_before_threshold"])
    c["has_adversity"] = True
    c["requested_at_threshold_or_over"] = c["age_at_index_years"] >= 5
    c["coded_adversity_before_threshold"] = c["first_adversity_before_threshold"]
    return c


def test_the_main_before_five_share_leaves_out_early_requests_and_unobserved_early_years():
    m = measures.before_threshold(_cohort(), 5)
    main, ref = m["first_adversity_before_5"], m["first_adversity_before_5_reference"]
    assert (main["numerator"], main["denominator"]) == (4, 6)  # C, D, E, H of C-H
    assert (ref["numerator"], ref["denominator"]) == (6, 8)  # the reference study's: every child with adversity
    assert main["interval"] == pytest.approx(list(wilson(4, 6)))


def test_the_strata_and_the_standardised_share():
    m = measures.before_threshold(_cohort(), 5)
    strata = {
        s["band"]: (s["numerator"], s["denominator"], s["weight"])
        for s in m["first_adversity_before_5_by_age_at_request"]
    }
    assert strata == {
        "5 to 10": (3, 3, 0.5),
        "11 to 15": (1, 2, pytest.approx(1 / 3)),
        "16 to 25": (0, 1, pytest.approx(1 / 6)),
    }
    std = m["first_adversity_before_5_standardised"]
    w, p, n = np.array([1 / 2, 1 / 3, 1 / 6]), np.array([1.0, 0.5, 0.0]), np.array([3, 2, 1])
    assert std["value"] == pytest.approx(float(w @ p))
    half = 1.959963984540054 * math.sqrt(float(np.sum(w**2 * p * (1 - p) / n)))
    assert std["interval"] == pytest.approx([max(0, w @ p - half), min(1, w @ p + half)])


def test_a_standardised_share_is_suppressed_with_any_stratum_it_rests_on():
    c = _cohort()
    m = measures.before_threshold(c, 5, units=np.arange(len(c)))
    reg = Registry(threshold=2)
    published._register_measures(reg, m)
    protect(reg)
    strata = [render.measure(reg, s["name"]) for s in m["first_adversity_before_5_by_age_at_request"]]
    assert strata[2]["suppressed"]  # 0 of 1: the denominator is small
    assert render.measure(reg, "first_adversity_before_5_standardised")["suppressed"]  # else it could be solved for


def test_sensitivity_rows_use_the_same_definitions():
    c = _cohort().assign(
        known_to_csc=[True] * 8,
        tier_contact=True,
        tier_assessment=True,
        known_excluding_own_disability=True,
        link_method=["UPN", "UPN", "probabilistic", "UPN", "UPN", "UPN", "UPN", "UPN"],
    )
    for t in sensitivity.sensitivity_thresholds(5):
        c[f"first_adversity_before_{t}"] = c["first_adversity_before_threshold"]
        c[f"requested_at_{t}_or_over"] = c["age_at_index_years"] >= t
    v = pd.DataFrame(sensitivity.headline_variants(c, 5)).set_index(["Analysis", "Measure"])[["Children", "Of"]]
    assert v.loc[("Main analysis", sensitivity.EARLY)].tolist() == [4, 6]
    assert v.loc[("Excluding probabilistic links", sensitivity.EARLY)].tolist() == [3, 5]
    assert v.loc[("Reference study's definition (every child with adversity)", sensitivity.EARLY)].tolist() == [6, 8]
    assert v.loc[("Age threshold 7 instead of 5", sensitivity.EARLY)].tolist() == [3, 5]
