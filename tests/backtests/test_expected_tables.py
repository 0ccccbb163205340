"""Back test against committed expected tables: any change that moves a published number on the sample extract
shows up here as a failing diff. After an intended change, regenerate with
`UPDATE_EXPECTED=1 .venv/bin/python -m pytest tests/backtests/test_expected_tables.py` and review the diff before
committing."""

import os

import pandas as pd
import pytest

from analysis import pipeline
from analysis.params import load_params
from analysis.paths import EXAMPLE_PARAMS, REPO, SAMPLE_EXTRACT

EXPECTED = REPO / "tests" / "fixtures" / "expected"
TABLES = (
    "table_1",
    "domain_prevalence",
    "first_adversity_age",
    "csc_routes",
    "selection_flow",
    "domain_counts",
    "lead_time",
    "sensitivity",
    "comparison_prevalence",
    "odds_ratios",
    "known_tiers",
    "before_threshold_by_age",
    "before_threshold_definitions",
    "landmark_flow",
    "cumulative_incidence",
    "coding_frame",
)


@pytest.fixture(scope="module")
def published() -> dict[str, pd.DataFrame]:
    study = pipeline.prepare(load_params(EXAMPLE_PARAMS), SAMPLE_EXTRACT)
    return {name: study.tables[name] for name in TABLES}


@pytest.mark.parametrize("name", TABLES)
def test_published_table_matches_the_committed_expectation(published, name):
    path = EXPECTED / f"{name}.csv"
    if os.environ.get("UPDATE_EXPECTED"):
        published[name].to_csv(path, index=False, lineterminator="\n")
    expected = pd.read_csv(path, dtype=str, keep_default_na=False)
    got = pd.read_csv(pd.io.common.StringIO(published[name].to_csv(index=False)), dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(_numbers(got), _numbers(expected), rtol=1e-9)


def _numbers(t: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns as floats (so 1e-9 rounding differences between platforms pass), the rest as text."""
    out = t.copy()
    for col in out.columns:
        conv = pd.to_numeric(out[col], errors="coerce")
        if conv.notna().all() and len(out):
            out[col] = conv.astype(float)
    return out
