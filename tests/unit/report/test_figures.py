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


def test_the_national_trend_is_legible_on_a_phone():
    """Every word of the four-panel trend stays at 9 px or more when the SVG is shown 390 px wide (it was 6 px)."""
    from analysis.derive import national
    from analysis.ingest import national as national_files
    from analysis.paths import REPO
    from analysis.report import national_figures

    release = national_files.read_release(REPO / "tests" / "fixtures" / "national")
    _, tables = national.national_context(release, "931", ("825",))
    fig = national_figures.national_trend(tables["national_trend"])
    fig.canvas.draw()  # tick labels get their text when drawn
    scale = 390 / (fig.get_size_inches()[0] * 96)  # CSS px per inch on screen: 96
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip() and t.get_visible()]
    assert len(texts) > 20
    smallest = min(t.get_fontsize() * 96 / 72 * scale for t in texts)
    assert smallest >= 9, smallest
