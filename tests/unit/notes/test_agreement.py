"""The coder against the synthetic truth (F1 >= 0.90 per domain) and against the synthetic manual review
(kappa >= 0.80), each with its interval; and the statistics against statsmodels."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa
from statsmodels.stats.proportion import proportion_confint

from analysis.notes.agreement import AGREEMENT_COLUMNS, agreement, f1_interval, from_review, kappa, pooled
from analysis.synth.la import DOMAINS


def _print(table: pd.DataFrame, title: str) -> None:
    cols = ["domain", "tp", "fp", "fn", "precision", "recall", "f1", "f1_low", "f1_high", "kappa", "kappa_low",
            "date_agreement"]  # fmt: skip
    print(f"\n{title}\n" + table[cols].round(3).to_string(index=False))


def test_f1_against_the_truth(synthetic):
    children = synthetic["persons"]["person_id"]
    table = agreement(synthetic["first"], synthetic["notes"].truth, children, DOMAINS)
    _print(table, "coder vs truth")
    assert list(table.columns) == AGREEMENT_COLUMNS
    assert (table["f1"] >= 0.90).all(), table
    assert (table["f1_low"] <= table["f1"]).all() and (table["f1"] <= table["f1_high"]).all()
    assert (table["recall_low"] < table["recall_high"]).all()
    assert (table["date_agreement"] >= 0.85).all()


def test_kappa_against_the_synthetic_review(synthetic):
    notes = synthetic["notes"]
    reviewed = notes.notes["person_id"].unique()  # the generator's reviewer read every child
    table = agreement(synthetic["first"], from_review(notes.review), reviewed, DOMAINS)
    _print(table, "coder vs synthetic review")
    assert (table["kappa"] >= 0.80).all(), table
    assert (table["kappa_low"] < table["kappa"]).all() and (table["kappa"] < table["kappa_high"]).all()


def test_counts_and_intervals_match_statsmodels():
    children = [f"c{i}" for i in range(100)]
    coded = pd.DataFrame({"person_id": children[:30], "domain": "x", "date": pd.Timestamp("2020-01-01")})
    ref = pd.DataFrame({"person_id": children[5:40], "domain": "x", "date": pd.Timestamp("2020-01-20")})
    ref.loc[ref.index[:3], "date"] = pd.Timestamp("2021-01-01")
    row = agreement(coded, ref, children).iloc[0]
    assert (row.tp, row.fp, row.fn, row.tn) == (25, 5, 10, 60)
    assert row.precision == pytest.approx(25 / 30) and row.recall == pytest.approx(25 / 35)
    assert row.f1 == pytest.approx(2 * 25 / (2 * 25 + 5 + 10))
    low, high = proportion_confint(25, 30, method="wilson")
    assert (row.precision_low, row.precision_high) == pytest.approx((low, high))
    reference = cohens_kappa(np.array([[60, 5], [10, 25]]))
    assert row.kappa == pytest.approx(reference.kappa)
    assert (row.kappa_low, row.kappa_high) == pytest.approx((reference.kappa_low, reference.kappa_upp))
    # kappa by hand: observed 0.85, expected 0.3*0.35 + 0.7*0.65
    assert row.kappa == pytest.approx((0.85 - (0.3 * 0.35 + 0.7 * 0.65)) / (1 - (0.3 * 0.35 + 0.7 * 0.65)))
    assert (row.dates_compared, row.dates_within) == (25, 22)


def test_f1_interval_covers_and_is_reproducible():
    assert f1_interval(80, 10, 10, 900) == f1_interval(80, 10, 10, 900)
    low, high = f1_interval(80, 10, 10, 900)
    assert low < 160 / 180 < high
    assert np.isnan(kappa(0, 0, 0, 50)[0])


def test_the_pooled_row_sums_the_cells_over_domains_and_agrees_with_statsmodels():
    """Two domains of 50 children: 3 and 4 disagreements each (too few to show alone), 7 of 100 pairs pooled."""
    children = [f"p{i}" for i in range(50)]
    day = pd.Timestamp("2020-01-01")
    coded = pd.DataFrame(
        [(c, "da", day) for c in children[:20]] + [(c, "mh", day) for c in children[:15]],
        columns=["person_id", "domain", "date"],
    )
    ref = pd.DataFrame(
        [(c, "da", day) for c in children[3:20]] + [(c, "mh", day) for c in children[:19]],
        columns=["person_id", "domain", "date"],
    )
    table = agreement(coded, ref, children, ["da", "mh"])
    row = pooled(table, "All domains").iloc[0]
    tp, fp, fn, tn = 17 + 15, 3 + 0, 0 + 4, 30 + 31
    assert (row["domain"], row["children"], row["tp"], row["fp"], row["fn"], row["tn"]) == (
        "All domains",
        50,
        tp,
        fp,
        fn,
        tn,
    )
    assert row["precision"] == pytest.approx(tp / (tp + fp)) and row["recall"] == pytest.approx(tp / (tp + fn))
    assert row["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    expected = cohens_kappa(np.array([[tn, fp], [fn, tp]]))
    assert (row["kappa"], row["kappa_low"], row["kappa_high"]) == pytest.approx(
        (expected.kappa, expected.kappa_low, expected.kappa_upp)
    )
    assert (row["dates_compared"], row["dates_within"], row["date_agreement"]) == (tp, tp, 1.0)
    assert pooled(table.iloc[:0]).empty
