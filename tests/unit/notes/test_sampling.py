"""The review sampling plan: sample sizes for ±5 points, strata per domain, children already reviewed count,
and a blank blinded sheet."""

import pandas as pd

from analysis.notes.sampling import SHEET_COLUMNS, review_plan, sample_size, write_review_sheet
from analysis.synth.la import DOMAINS


def test_sample_size_gives_the_half_width():
    from scipy.stats import norm

    for expected in (0.5, 0.8, 0.9, 0.95):
        n = sample_size(0.05, expected)
        assert norm.ppf(0.975) * (expected * (1 - expected) / n) ** 0.5 <= 0.05
        assert norm.ppf(0.975) * (expected * (1 - expected) / (n - 1)) ** 0.5 > 0.05  # the smallest such n


def test_plan_fills_each_stratum(synthetic):
    children = synthetic["persons"]["person_id"]
    plan, summary = review_plan(synthetic["coded"], children, DOMAINS, half_width=0.1, not_mentioned=10)
    assert plan["person_id"].is_unique
    assert (summary[["reviewed", "for a rarer domain", "planned"]].sum(axis=1) >= summary["needed"]).all()
    assert (summary["needed"] <= summary["children"]).all()
    assert (summary["reviewed"] == 0).all()  # nobody was reviewed before: a child drawn for a rarer domain is not
    assert summary["for a rarer domain"].sum() > 0
    # the children already planned count: a second plan with them as reviewed proposes nobody new
    again, _ = review_plan(
        synthetic["coded"], children, DOMAINS, reviewed=plan["person_id"], half_width=0.1, not_mentioned=10
    )
    assert again.empty


def test_review_sheet_is_blank_and_blinded(synthetic, tmp_path):
    plan, _ = review_plan(synthetic["coded"], synthetic["persons"]["person_id"], DOMAINS, half_width=0.2)
    sheet = write_review_sheet(plan, list(DOMAINS), tmp_path / "sheet.csv")
    read = pd.read_csv(tmp_path / "sheet.csv", dtype=str, keep_default_na=False)
    assert list(read.columns) == SHEET_COLUMNS
    assert len(read) == plan["person_id"].nunique() * len(DOMAINS) == len(sheet)
    assert (read[SHEET_COLUMNS[2:]] == "").all().all()
    assert "stratum" not in read.columns
