"""The committed corpus of broken extracts (tests/fixtures/broken/): each case overlays the corpus's own valid
base extract with a broken file, and must give its rule, file and row, exit 1, print no traceback, and build
nothing."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import cli
from analysis.paths import EXAMPLE_PARAMS, REPO

CORPUS = REPO / "tests" / "fixtures" / "broken"
BASE = CORPUS / "_base"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p != BASE)


def _extract(case: str, tmp_path: Path) -> tuple[Path, dict]:
    expected = yaml.safe_load((CORPUS / case / "expected.yml").read_text())
    dest = tmp_path / case
    shutil.copytree(BASE, dest)
    for name in expected["remove"]:
        (dest / name).unlink()
    for f in (CORPUS / case).iterdir():
        if f.name != "expected.yml":
            shutil.copy(f, dest / f.name)
    return dest, expected


def test_the_base_extract_is_valid(tmp_path, capsys):
    assert cli.main(["validate", str(BASE), "--extract-date", "2026-03-31", "--report", str(tmp_path / "r.csv")]) == 0


def test_the_corpus_covers_the_issue():
    assert {
        "missing_table",
        "missing_column",
        "extra_column",
        "wrong_type",
        "unparseable_date",
        "impossible_date",
        "duplicate_id",
        "orphan_row",
        "unknown_code",
        "empty_file",
        "wrong_encoding",
        "truncated_xlsx",
    } <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_validate_names_the_problem(case, tmp_path, capsys):
    extract, expected = _extract(case, tmp_path)
    report = tmp_path / "report.csv"
    rc = cli.main(["validate", str(extract), "--extract-date", "2026-03-31", "--report", str(report)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if "message" in expected:  # the extract cannot be read at all
        assert rc == 1 and expected["message"] in err and err.startswith("error: ")
        return
    problems = pd.read_csv(report, dtype=str, keep_default_na=False)
    hit = problems[
        (problems["file"] == expected["file"])
        & (problems["column"] == expected["column"])
        & (problems["rule"] == expected["rule"])
    ]
    assert len(hit) >= 1, problems.head().to_string()
    if "row" in expected:
        assert str(expected["row"]) in set(hit["row"])
    severity = expected.get("severity", "error")
    assert set(hit["severity"]) == {severity}
    assert rc == (1 if severity == "error" else 0)
    assert f"{expected['file'].split('.')[0]}.{expected['column']}: {expected['rule']}" in out


@pytest.mark.parametrize("case", [c for c in CASES if c != "extra_column"])
def test_build_refuses_and_publishes_nothing(case, tmp_path, capsys):
    """Nothing is published and the extract is untouched; the full validation report is in OUT, never beside the
    extract."""
    extract, expected = _extract(case, tmp_path)
    before = sorted((p.name, p.stat().st_size) for p in extract.iterdir())
    out = tmp_path / "out"
    rc = cli.main(["build", "--params", str(EXAMPLE_PARAMS), "--extract", str(extract), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert not (out / "html").exists() and not (out / "current").exists()
    assert sorted((p.name, p.stat().st_size) for p in extract.iterdir()) == before
    if "message" not in expected:  # an extract that could be read has its problems listed in OUT
        assert (out / "validation_report.csv").is_file() and str(out / "validation_report.csv") in err
