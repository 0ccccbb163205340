"""The publish gate reads the extract's identifiers once, when the build says the book is ready to be built (or when
its first scan needs them), not while the build is still reading the study; and it preloads the installed packages'
hashes only for a first build, which has every theme file to judge."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.params import load_params
from analysis.paths import REPO, SAMPLE_EXTRACT
from analysis.privacy import scan


@pytest.fixture
def calls(monkeypatch) -> list[tuple]:
    """Each time the gate starts reading identifiers: (thread name, whether it preloads the packages' hashes)."""
    seen: list[tuple] = []
    real = scan._identifiers

    def counted(extract_dir, threshold, allow, vendor=True):
        seen.append((threading.current_thread().name, vendor))
        return real(extract_dir, threshold, allow, vendor)

    monkeypatch.setattr(scan, "_identifiers", counted)
    return seen


def _staged(tmp_path: Path) -> tuple[Path, Path]:
    stage, work = tmp_path / "publish", tmp_path / "work"
    (stage / "html").mkdir(parents=True)
    (stage / "html" / "index.html").write_text("<p>Of 1,200 children, 300 were known to social care.</p>")
    (work / "book_stage" / "book" / "chapters").mkdir(parents=True)
    return stage, work


def test_identifiers_are_read_once_on_a_thread_when_asked_and_not_before(tmp_path, calls):
    params = load_params(REPO / "data_templates" / "params.example.yml")
    gate = scan.gate(params, SAMPLE_EXTRACT, "chapters")
    assert calls == []  # building the gate reads nothing
    gate.read_identifiers()
    gate.read_identifiers()
    gate(*_staged(tmp_path))  # a clean site passes
    assert calls == [("scan-identifiers", True)]


def test_a_gate_nobody_started_reads_them_for_its_scan(tmp_path, calls):
    params = load_params(REPO / "data_templates" / "params.example.yml")
    stage, work = _staged(tmp_path)
    (stage / "html" / "leak.html").write_text("<p>Only 3 children were known.</p>")
    with pytest.raises(UserError, match="leak.html"):
        scan.gate(params, SAMPLE_EXTRACT, "chapters")(stage, work)
    assert len(calls) == 1


def test_the_packages_hashes_are_preloaded_only_without_a_memo(tmp_path, calls):
    params = load_params(REPO / "data_templates" / "params.example.yml")
    memo = scan.Memo(tmp_path / "cache" / "scan_memo.json", "v1")
    stage, work = _staged(tmp_path)
    scan.gate(params, SAMPLE_EXTRACT, "chapters", memo)(stage, work)  # a first build: every theme file is new
    scan.gate(params, SAMPLE_EXTRACT, "chapters", memo)(stage, work)  # a rebuild: the memo judged them
    assert [vendor for _, vendor in calls] == [True, False]
