"""Case notes in a whole build (issue 20): with notes supplied, the ten-year comparison includes parental separation
(which no CIN code records, so without notes it comes only from the manual review, read for the requesting cohort
alone and so left out of the comparison), and the adversity chapter reports the coder's agreement with the review.
The same synthetic authority built without its case notes is the control. Slow: two whole builds.

Size: 25,000 children, seed 3: about 300 children reviewed. With a good coder a domain's disagreements are a
handful of children at any size up to the 60,000 of `make book`, so each domain's F1 and kappa are mostly withheld;
the last row pools every domain (child and domain pairs), whose disagreements pass the threshold from about 250
children reviewed. That row is what this test requires to be shown."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.derive.case_notes import AGREEMENT_COLUMNS
from analysis.paths import EXAMPLE_PARAMS
from analysis.privacy import disclosure

pytestmark = pytest.mark.slow

CHILDREN, SEED = 25_000, 3
KEY = "test-key-7f3a9c2e4b8d1f6a0c5e9b2d7a4f8c1e3b6d9a2f"
SEPARATION = "Parental separation"
COMPARISON_TITLE = "Exposure to adversity with and without an EHC plan"
AGREEMENT_TITLE = "The case-note coder against the manual review"


@pytest.fixture(scope="module")
def authority(tmp_path_factory) -> Path:
    """A synthetic authority with case notes for every social care person and a review that reads them."""
    folder = tmp_path_factory.mktemp("notes_la")
    args = ["synth", "--children", str(CHILDREN), "--seed", str(SEED), "--notes", "--out", str(folder)]
    assert cli.main(args) == 0
    assert (folder / "extract" / "case_notes.csv").is_file()
    return folder


def _build(extract: Path, truth: Path, out: Path) -> Path:
    with pytest.MonkeyPatch.context() as mp:  # the key is set for this build only, not for later tests
        mp.setenv("ADVERSITY_REPORT_KEY", KEY)
        args = ["build", "--params", str(EXAMPLE_PARAMS), "--extract", str(extract), "--truth", str(truth)]
        rc = cli.main([*args, "--out", str(out)])
    assert rc == 0, f"the build failed: see {out / 'build.log'} and {out / 'disclosure_findings.csv'}"
    return out


@pytest.fixture(scope="module")
def with_notes(authority, tmp_path_factory) -> Path:
    return _build(authority / "extract", authority / "truth", tmp_path_factory.mktemp("with_notes") / "out")


@pytest.fixture(scope="module")
def without_notes(authority, tmp_path_factory) -> Path:
    """The same authority with its case notes left out of the extract (the review stays)."""
    folder = tmp_path_factory.mktemp("without_notes")
    extract = folder / "extract"
    shutil.copytree(authority / "extract", extract)
    (extract / "case_notes.csv").unlink()
    return _build(extract, authority / "truth", folder / "out")


def _page(out: Path, chapter: str) -> str:
    return (out / "html" / "book" / "chapters" / f"{chapter}.html").read_text()


def _table(html: str, title: str) -> pd.DataFrame | None:
    """The one table of a page whose caption holds `title` (cells as text), or None when there is none."""
    try:
        found = pd.read_html(io.StringIO(html), match=title, flavor="lxml", keep_default_na=False, thousands=None)
    except ValueError:  # "No tables found matching pattern"
        return None
    assert len(found) == 1, f"{len(found)} tables titled {title!r}"
    t = found[0].astype(str)
    t.columns = [str(c) for c in t.columns]
    return t


def _shown(cells) -> list[float]:
    """The cells that show a number (not suppressed, not blank)."""
    out = []
    for c in cells:
        s = str(c).strip()
        if s and s.lower() != "nan" and not disclosure.is_suppressed(s):
            out.append(float(s))
    return out


def test_the_comparison_includes_parental_separation_with_notes(with_notes):
    prev = _table(_page(with_notes, "comparison"), COMPARISON_TITLE)
    assert prev is not None, "no comparison table"
    assert SEPARATION in set(prev["Exposure"]), list(prev["Exposure"])
    row = prev[prev["Exposure"] == SEPARATION].iloc[0]
    # 'n (p%; low to high)' for a group whose count is shown; the group without a request is large enough
    assert not disclosure.is_suppressed(row["Without a request"].strip()), row.to_dict()
    assert int(row["Without a request"].split(" (")[0].replace(",", "")) >= 10, row.to_dict()
    csv = pd.read_csv(with_notes / "tables" / "comparison_prevalence.csv", dtype=str)
    assert SEPARATION in set(csv["Exposure"])


def test_the_adversity_chapter_reports_the_coders_agreement(with_notes):
    html = _page(with_notes, "adversity")
    assert "How adversity was found" in html
    agreement = _table(html, AGREEMENT_TITLE)
    assert agreement is not None, "no agreement table in the adversity chapter"
    assert list(agreement.columns) == AGREEMENT_COLUMNS
    assert SEPARATION in set(agreement["Domain"])  # the domain the notes add is validated too
    assert all(int(n.replace(",", "")) >= 10 for n in agreement["Children reviewed"])
    # the last row pools every domain: a domain's few disagreements hide its own row, not the pooled one
    assert agreement["Domain"].iloc[-1] == "All domains"
    pooled = _shown(agreement.iloc[-1][["F1", "Kappa", "Kappa lower 95%", "Kappa upper 95%"]])
    assert len(pooled) == 4 and all(0.8 <= v <= 1 for v in pooled), agreement.iloc[-1].to_dict()
    figures = _shown(agreement["F1"]) + _shown(agreement["Kappa"])
    assert all(0 <= v <= 1 for v in figures)
    text = " ".join(html.split())
    assert f"over all domains together, kappa was {pooled[1]:.2f}" in text
    published = pd.read_csv(with_notes / "tables" / "case_note_agreement.csv", dtype=str, keep_default_na=False)
    assert list(published.columns) == AGREEMENT_COLUMNS
    assert _shown(published["F1"]) + _shown(published["Kappa"])


def test_without_notes_the_comparison_leaves_separation_out(without_notes):
    prev = _table(_page(without_notes, "comparison"), COMPARISON_TITLE)
    assert prev is not None, "no comparison table"
    assert SEPARATION not in set(prev["Exposure"]), list(prev["Exposure"])
    csv = pd.read_csv(without_notes / "tables" / "comparison_prevalence.csv", dtype=str)
    assert SEPARATION not in set(csv["Exposure"])
    # and there is no agreement to report
    assert _table(_page(without_notes, "adversity"), AGREEMENT_TITLE) is None
    published = without_notes / "tables" / "case_note_agreement.csv"
    assert not published.exists() or pd.read_csv(published).empty
