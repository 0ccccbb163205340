"""Linkage error estimated from the UPN subset, and the bias analysis built on it, against hand-made linkages whose
answers are known."""

import numpy as np
import pandas as pd
import pytest

from analysis.derive import linkage_bias
from analysis.link import error
from analysis.link.passes import Linkage


def _linkage(upn_found: dict[str, tuple[int, int]], other: dict[str, int], probs=None) -> tuple[Linkage, pd.Series]:
    """A linkage with, per age band, (found, gold) UPN pairs and `other` links made by name; ages by band."""
    age_of = {"Under 5": 3.0, "5 to 10": 7.0, "11 and over": 13.0}
    rows, blind, ages = [], [], {}
    for b, (found, gold) in upn_found.items():
        for i in range(gold):
            sid = f"S-{b}-u{i}"
            rows.append((f"P-{b}-u{i}", sid, "UPN", 1.0))
            blind.append((0.9, sid, i < found, False))
            ages[sid] = age_of[b]
    for b, n in other.items():
        for i in range(n):
            sid = f"S-{b}-o{i}"
            p = 1.0 if probs is None else probs
            rows.append((f"P-{b}-o{i}", sid, "probabilistic" if probs is not None else "name and birth date", p))
            ages[sid] = age_of[b]
    xw = pd.DataFrame(rows, columns=["pers_person_id", "person_table_id", "method", "match_probability"])
    lk = Linkage(
        xw,
        send_people=len(xw),
        csc_people=len(xw),
        threshold=0.9,
        blind=pd.DataFrame(blind, columns=["threshold", "person_table_id", "found", "wrong"]),
    )
    return lk, pd.Series(ages)


def test_recall_by_band_and_overall():
    lk, age = _linkage(
        {"Under 5": (0, 0), "5 to 10": (40, 50), "11 and over": (90, 100)}, {"5 to 10": 80, "11 and over": 180}
    )
    table = error.recall_table(lk, age).set_index("band")
    assert table.loc["5 to 10", "recall"] == pytest.approx(0.8)
    assert table.loc["11 and over", "recall"] == pytest.approx(0.9)
    assert table.loc["Under 5", "pooled"] and table.loc["Under 5", "recall"] == pytest.approx(130 / 150)
    est = error.estimated_recall(table.reset_index())
    # 150 certain links; 80 found of 100 true, 180 of 200 true: (150 + 260) / (150 + 300)
    assert est["value"] == pytest.approx(410 / 450)
    assert est["interval"][0] < est["value"] < est["interval"][1]


def test_the_estimate_recovers_a_known_recall():
    """Recall 0.8 without a UPN in every band: 1,000 non-UPN pairs of which 800 were found."""
    lk, age = _linkage({"5 to 10": (160, 200), "11 and over": (240, 300)}, {"5 to 10": 400, "11 and over": 400})
    est = error.estimated_recall(error.recall_table(lk, age))
    assert est["value"] == pytest.approx((500 + 800) / (500 + 1000))


def test_bias_analysis_is_neutral_without_error_and_moves_up_when_links_are_missed():
    lk, age = _linkage({"5 to 10": (100, 100), "11 and over": (100, 100)}, {"5 to 10": 100})
    cohort = pd.DataFrame(
        {
            "age_at_index": [7.0] * 400,
            "link_method": ["name and birth date"] * 100 + ["not linked"] * 300,
            "match_probability": [1.0] * 100 + [np.nan] * 300,
        }
    )
    known = np.r_[np.ones(100, bool), np.zeros(300, bool)]  # every linked child known, no unlinked child
    every = np.ones(400, bool)
    perfect = linkage_bias.analyser(cohort, error.recall_table(lk, age))(known, every)
    assert perfect["interval"][1] - perfect["interval"][0] < 0.01 and perfect["median"] == pytest.approx(
        0.25, abs=0.005
    )
    lk, age = _linkage({"5 to 10": (50, 100), "11 and over": (100, 100)}, {"5 to 10": 100})
    half = linkage_bias.analyser(cohort, error.recall_table(lk, age))(known, every)
    # recall 0.5: 100 more true pairs, each known: 200 of 400
    assert half["median"] == pytest.approx(0.5, abs=0.02) and half["interval"][0] < 0.5 < half["interval"][1]


def test_false_probabilistic_links_move_the_share_down():
    lk, age = _linkage({"5 to 10": (100, 100)}, {})
    cohort = pd.DataFrame(
        {
            "age_at_index": [7.0] * 200,
            "link_method": ["probabilistic"] * 100 + ["not linked"] * 100,
            "match_probability": [0.8] * 100 + [np.nan] * 100,
        }
    )
    known = np.r_[np.ones(100, bool), np.zeros(100, bool)]
    b = linkage_bias.analyser(cohort, error.recall_table(lk, age))(known, np.ones(200, bool))
    assert b["median"] == pytest.approx(0.4, abs=0.01)  # a fifth of the 100 known are false links


def test_sweep_reads_recall_and_wrong_links():
    lk, _ = _linkage({"5 to 10": (3, 4)}, {})
    lk.sweep = pd.DataFrame({"threshold": [0.9], "links": [2], "mean_probability": [0.95], "pairs": [np.array([0, 1])]})
    (row,) = error.sweep(lk)
    assert row == {
        "threshold": 0.9,
        "links": 2,
        "expected_precision": 0.95,
        "recall_without_upn": 0.75,
        "wrong_link_rate": 0.0,
    }
