"""Files made from the prepared study alone are made once per study and copied byte for byte after that: another
study, another version of the libraries that write them, or a study from outside the cache makes them afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.report import documents, reuse
from analysis.report.reuse import Reuse


@pytest.fixture
def cache(tmp_path) -> Path:
    for key in ("study_a", "study_b"):
        (tmp_path / "cache" / key).mkdir(parents=True)
    return tmp_path / "cache"


def _maker(calls: list[str], text: str):
    def make(path: Path) -> None:
        calls.append(path.name)
        path.write_text(text)

    return make


def test_a_file_is_made_once_per_study_and_copied_after(cache, tmp_path):
    calls: list[str] = []
    first, second = tmp_path / "one" / "briefing.docx", tmp_path / "two" / "briefing.docx"
    first.parent.mkdir(), second.parent.mkdir()
    Reuse(cache, cache / "study_a").made(first, _maker(calls, "made from study a"))
    again = Reuse(cache, cache / "study_a")
    assert again.has("briefing.docx") and not again.has("tables.xlsx")
    again.made(second, _maker(calls, "made again"))
    assert calls == ["briefing.docx"] and second.read_text() == "made from study a"


def test_another_study_makes_it_afresh_and_only_the_last_study_is_kept(cache, tmp_path):
    calls: list[str] = []
    dest = tmp_path / "briefing.docx"
    Reuse(cache, cache / "study_a").made(dest, _maker(calls, "a"))
    Reuse(cache, cache / "study_b").made(dest, _maker(calls, "b"))
    assert calls == ["briefing.docx", "briefing.docx"] and dest.read_text() == "b"
    assert not Reuse(cache, cache / "study_a").has("briefing.docx")
    assert len(list((cache / reuse.FOLDER).iterdir())) == 1


def test_another_version_of_a_writing_library_makes_it_afresh(cache, tmp_path, monkeypatch):
    calls: list[str] = []
    Reuse(cache, cache / "study_a").made(tmp_path / "tables.xlsx", _maker(calls, "old"))
    real = reuse._version
    monkeypatch.setattr(reuse, "_version", lambda name: "99.0" if name == "openpyxl" else real(name))
    assert not Reuse(cache, cache / "study_a").has("tables.xlsx")


@pytest.mark.parametrize("where", ["elsewhere", "none"])
def test_a_study_from_outside_the_cache_reuses_and_keeps_nothing(cache, tmp_path, where):
    calls: list[str] = []
    study = tmp_path / "study_a" if where == "elsewhere" else None
    for _ in range(2):
        Reuse(cache, study).made(tmp_path / "briefing.docx", _maker(calls, "x"))
    assert calls == ["briefing.docx", "briefing.docx"] and not (cache / reuse.FOLDER).exists()


def test_a_kept_briefing_loads_no_chart_libraries(cache, tmp_path, monkeypatch):
    """The briefing's chart libraries (matplotlib, seaborn, scipy) are neither warmed up nor imported for a study
    whose briefing is kept."""
    kept = Reuse(cache, cache / "study_a")
    kept.made(tmp_path / documents.BRIEFING, _maker([], "the kept briefing"))
    started = []
    monkeypatch.setattr(documents.threading, "Thread", lambda **kw: started.append(kw) or pytest.fail("warmed"))
    documents.warm_up(kept)
    assert started == []
    monkeypatch.setattr(documents, "_brief", lambda *a: pytest.fail("the briefing was made again"))
    stage = tmp_path / "stage"
    (stage / "html").mkdir(parents=True)
    written = documents.write(None, stage, Path("_toc.yml"), print_pdf=False, reuse=kept)
    assert written == [stage / documents.BRIEFING]
    assert (stage / "html" / documents.DOWNLOADS / documents.BRIEFING).read_text() == "the kept briefing"
