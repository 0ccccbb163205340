"""The one publish path: a refused build leaves its reasons in OUT; the next build that publishes clears them."""

from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.report import publish


def _make(work: Path) -> Path:
    stage = work / "publish"
    (stage / "html").mkdir(parents=True)
    (stage / "html" / "index.html").write_text("<p>ok</p>")
    return stage


def _refuse(stage: Path, work: Path) -> None:
    (work / "disclosure_findings.csv").write_text("page,kind\nindex.html,small count\n")
    raise UserError("refused")


def test_a_refusals_reasons_stay_until_a_build_publishes(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(UserError):
        publish.release(out, _make, _refuse, ("html",))
    assert (out / "disclosure_findings.csv").is_file() and not (out / "html").exists()
    publish.release(out, _make, lambda stage, work: None, ("html",))
    assert not (out / "disclosure_findings.csv").exists()
    assert (out / "html" / "index.html").read_text() == "<p>ok</p>"
