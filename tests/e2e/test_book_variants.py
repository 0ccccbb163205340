"""The book builds without warnings on other authorities and other parameters, and follows the parameters with no
code change (slow: each case is a full build)."""

import re

import pytest
import yaml

from analysis import cli
from analysis.paths import EXAMPLE_PARAMS
from analysis.synth.case_series import generate_case_series
from analysis.synth.la import generate
from analysis.synth.write import write

pytestmark = pytest.mark.slow


def _text(path):
    s = path.read_text()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", s[s.index("<main") : s.index("</main>")]))


def _build(tmp_path, la, changes: dict) -> tuple:
    write(la, tmp_path / "la")
    params = {**yaml.safe_load(EXAMPLE_PARAMS.read_text()), **changes}
    path = tmp_path / "params.yml"
    path.write_text(yaml.safe_dump(params))
    out = tmp_path / "out"
    assert (
        cli.main(["build", "--params", str(path), "--extract", str(tmp_path / "la" / "extract"), "--out", str(out)])
        == 0
    )
    return out, params


def test_a_500_child_authority_with_another_name_window_and_age(tmp_path):
    out, _ = _build(
        tmp_path,
        generate(500, 6, 3),
        {"la_name": "Little Borough", "age_threshold": 3, "study_window": {"start": "2020-04-01", "end": "2026-03-31"}},
    )
    summary = _text(out / "html" / "book" / "chapters" / "summary.html")
    assert "Little Borough" in summary and "April 2020 to March 2026" in summary
    assert "before age 3" in summary and "before age 5" not in summary
    assert "Little Borough" in (out / "html" / "book" / "chapters" / "methods.html").read_text()


def test_the_reference_case_series_in_the_internal_edition(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVERSITY_REPORT_KEY", "test-key-7f3a9c2e4b8d1f6a0c5e9b2d7a4f8c1e3b6d9a2f")
    out, _ = _build(
        tmp_path,
        generate_case_series(100, 54, 43, 34, seed=1),
        {"la_name": "Case Series Borough", "edition": "internal", "disclosure": {"threshold": 5}},
    )
    pages = list((out / "html" / "book" / "chapters").glob("*.html"))
    assert pages and all("INTERNAL EDITION" in p.read_text() for p in pages)
    summary = _text(out / "html" / "book" / "chapters" / "summary.html")
    assert "54 of 100 (54.0%" in summary and "34 of 43 (79.1%" in summary
    quality = _text(out / "html" / "book" / "chapters" / "data_quality.html")
    assert "No child was left out of the cohort." in quality  # the internal list, empty for this case series
    assert "Timelines of individual children (internal edition only)" in _text(
        out / "html" / "book" / "chapters" / "timelines.html"
    )
