"""Figures draw from disclosure-controlled tables of any size without failing or warning."""

import warnings

import matplotlib
import pandas as pd
import pytest

from analysis.report import figures

matplotlib.use("Agg")


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [("Parental separation", 20)],
        [("Parental separation", 20), ("other combinations", "c")],
        [("Domestic abuse + Neglect", 11), ("Neglect", 15)],
    ],
)
def test_upset_copes_with_few_combinations(rows):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = figures.upset(pd.DataFrame(rows, columns=["Combination", "Children"]))
    assert fig.axes


def test_completeness_and_swimlane_with_everything_suppressed():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures.completeness(pd.DataFrame({"Field": ["a"], "Year": ["2020"], "Records": ["c"], "Complete": ["c"]}))
        figures.swimlane(
            pd.DataFrame(
                {
                    "Event": ["EHC needs assessment request"],
                    "Children": ["c"],
                    "Median age": ["c"],
                    "Lower quartile": ["c"],
                    "Upper quartile": ["c"],
                }
            )
        )
