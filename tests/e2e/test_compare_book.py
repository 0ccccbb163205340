"""The comparison of many authorities' FOI returns: flags the planted outliers, publishes through the same checks
(slow: builds the comparison book)."""

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
    for measure, las in found.items():
        assert set(las) <= set(flagged[measure]), measure
    others = sum(len(set(v) - set(found.get(m, []))) for m, v in flagged.items())
    assert others <= 3  # 12 measures x 150 authorities at 99.8%: about 3.6 chance flags expected at most
    page = (out / "html" / "book" / "compare" / "authorities.html").read_text()
    assert "Funnel plot of" in page and "outside the 99.8% limits" in page
