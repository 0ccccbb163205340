"""The scan's memo: a rebuild reads only the files whose bytes changed, and reports exactly what a scan without
the memo reports: a finding kept in the memo is reported again, a leak planted in a changed file is found, and a
memo made against other identifiers, another threshold or another version of the code is not used."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.paths import SAMPLE_EXTRACT
from analysis.privacy.scan import Memo, load_identifiers, scan, site

CLEAN = "<p>Of 1,200 children, 300 were known to social care.</p>"
LEAK = "<p>Only 3 children were known.</p>"


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The files the scan reads (rather than takes from the memo), by name."""
    seen: list[str] = []
    real = site.read_data

    def counted(f, page, name, data, vendor=False):
        seen.append(name)
        return real(f, page, name, data, vendor)

    monkeypatch.setattr(site, "read_data", counted)
    return seen


def _site(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "out" / "html"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _scan(root: Path, memo: Memo | None, threshold: int = 10) -> pd.DataFrame:
    return scan(root, SAMPLE_EXTRACT, threshold, memo=memo)


def test_a_rebuild_reads_only_changed_files_and_reports_what_a_full_scan_does(tmp_path, reads):
    root = _site(tmp_path, {"a.html": CLEAN, "b.html": LEAK, "c.html": CLEAN.replace("300", "310")})
    memo = Memo(tmp_path / "cache" / "scan_memo.json", code="v1")
    first = _scan(root, memo)
    assert sorted(reads) == ["a.html", "b.html", "c.html"] and memo.path.is_file()
    reads.clear()
    again = _scan(root, memo)
    assert reads == []  # nothing changed: every file's findings come from the memo
    pd.testing.assert_frame_equal(again, first)
    assert list(again["page"]) == ["b.html"]  # the leak found last time is refused again
    (root / "a.html").write_text(LEAK.replace("3 children", "4 children"))  # a prose edit that leaks
    changed = _scan(root, memo)
    assert reads == ["a.html"]
    pd.testing.assert_frame_equal(changed, _scan(root, None))
    assert sorted(changed["page"]) == ["a.html", "b.html"]


def test_identical_bytes_under_another_name_are_still_read(tmp_path, reads):
    """The memo knows a file by its name and bytes: the same bytes as a .csv are judged as a table, not a page."""
    root = _site(tmp_path, {"a.html": CLEAN})
    memo = Memo(tmp_path / "memo.json", code="v1")
    _scan(root, memo)
    (root / "a.txt").write_text(CLEAN)
    reads.clear()
    _scan(root, memo)
    assert reads == ["a.txt"]


@pytest.mark.parametrize("change", ["threshold", "code", "identifiers", "corrupt"])
def test_a_memo_from_another_context_is_not_used(tmp_path, reads, change):
    root = _site(tmp_path, {"a.html": CLEAN, "b.html": LEAK})
    memo = Memo(tmp_path / "memo.json", code="v1")
    _scan(root, memo)
    reads.clear()
    threshold = 3 if change == "threshold" else 10
    if change == "code":
        memo = Memo(memo.path, code="v2")
    if change == "corrupt":
        memo.path.write_text('{"context": [1, 2], "files": 3')
    ids = load_identifiers(SAMPLE_EXTRACT, threshold, allow=["Synthetic Borough"] if change == "identifiers" else [])
    found = scan(root, SAMPLE_EXTRACT, threshold, memo=memo, identifiers=ids)
    assert sorted(reads) == ["a.html", "b.html"]
    assert list(found["page"]) == (["b.html"] if threshold == 10 else [])  # 3 is no count below 3


def test_a_rebuild_does_not_load_the_installed_packages_hashes_for_unchanged_theme_files(tmp_path, monkeypatch):
    """Telling a theme file that is an installed package's own copy (`vendor.pristine`) reads every package's
    RECORD (most of a second): a theme file the memo already judged, pristine or not, needs none of it."""
    import docutils

    shipped = (Path(docutils.__file__).parent / "writers" / "html5_polyglot" / "minimal.css").read_text()
    root = _site(tmp_path, {"a.html": CLEAN, "_static/minimal.css": shipped, "_static/x.js": "var a = 1;"})
    memo = Memo(tmp_path / "memo.json", code="v1")
    first = _scan(root, memo)
    checked: list[int] = []
    real = site.pristine
    monkeypatch.setattr(site, "pristine", lambda data: checked.append(len(data)) or real(data))
    pd.testing.assert_frame_equal(_scan(root, memo), first)
    assert checked == []
    (root / "_static" / "x.js").write_text("var a = 2;")  # a changed theme file is checked again
    _scan(root, memo)
    assert len(checked) == 1
