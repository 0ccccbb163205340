"""The comparison of many authorities' FOI returns: flags exactly the planted outliers after false-discovery control,
publishes through the same checks (slow: builds the comparison book)."""

import json

import pytest

from analysis import cli
from analysis.compare.comparison import flagged_las
from analysis.paths import EXAMPLE_PARAMS

pytestmark = pytest.mark.slow


def test_comparison_book_flags_the_planted_outliers(tmp_path):
    assert cli.main(["synth", "--returns", "150", "--seed", "4", "--out", str(tmp_path / "synth")]) == 0
    out = tmp_path / "out"
    assert (
        cli.main(
            [
                "build",
                "--params",
                str(EXAMPLE_PARAMS),
                "--compare",
                str(tmp_path / "synth" / "returns"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert (out / "html" / "index.html").is_file() and (out / "tables" / "returns.csv").is_file()
    planted = json.loads((tmp_path / "synth" / "truth" / "outliers.json").read_text())["outliers"]
    flagged = flagged_las(out / "compare.json")
    found = {m: sorted(o["la_code"] for o in los) for m, los in planted.items()}
    # after the false-discovery control across 12 measures x 150 authorities: exactly the planted outliers
    assert {m: v for m, v in flagged.items() if v} == found
    summary = json.loads((out / "compare.json").read_text())
    assert summary["multiplicity"]["q"] == 0.05 and "Benjamini-Hochberg" in summary["multiplicity"]["rule"]
    page = (out / "html" / "book" / "compare" / "authorities.html").read_text()
    assert "Funnel plot of" in page and "outside the 99.8% limits" in page
    assert "false discovery rate is controlled at q = 0.05" in page and "compared as that range" in page
