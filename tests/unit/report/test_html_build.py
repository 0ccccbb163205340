"""Jupyter Book's incremental rebuild: only changed files are rewritten into the reusable folder, a build of another
study or another set of pages starts afresh, and a failed build leaves nothing to reuse (Sphinx would not warn
again about a page it did not read again)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.report import html_build


def _book(src: Path, pages: dict[str, str]) -> Path:
    for name, text in {"_config.yml": "title: t\n", "_toc.yml": "root: index\n", **pages}.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    return src


def test_mirror_rewrites_only_what_changed_and_removes_what_went(tmp_path):
    src = _book(tmp_path / "src", {"a.md": "A", "b/c.md": "C", "gone.md": "G"})
    dest = tmp_path / "dest"
    html_build.mirror(src, dest)
    before = {p.name: p.stat().st_mtime_ns for p in dest.rglob("*.md")}
    time.sleep(0.01)
    (src / "a.md").write_text("A, edited")
    (src / "gone.md").unlink()
    html_build.mirror(src, dest)
    assert (dest / "a.md").read_text() == "A, edited" and (dest / "a.md").stat().st_mtime_ns > before["a.md"]
    assert (dest / "b/c.md").stat().st_mtime_ns == before["c.md"]  # unchanged: Sphinx reads it no more
    assert not (dest / "gone.md").exists()


@pytest.fixture
def builds(monkeypatch) -> list[Path]:
    """Jupyter Book replaced by a stand-in that writes one page per source (and fails on a source called 'bad')."""
    made: list[Path] = []

    def fake(src: Path, work: Path, waiting=None) -> Path:
        made.append(src)
        if (src / "bad.md").exists():
            raise UserError("The book did not build cleanly")
        html = work / "book_out" / "_build" / "html"
        html.mkdir(parents=True, exist_ok=True)
        for page in src.glob("*.md"):
            (html / f"{page.stem}.html").write_text(page.read_text())
        return html

    monkeypatch.setattr(html_build, "build_html", fake)
    return made


def test_the_same_book_is_rebuilt_in_place_and_another_afresh(tmp_path, builds):
    src, cache = _book(tmp_path / "src", {"index.md": "Hello"}), tmp_path / "cache"
    html = html_build.build_html_again(src, tmp_path / "w1", b"study 1", cache)
    assert (html / "index.html").read_text() == "Hello"
    (src / "index.md").write_text("Hello again")  # a prose edit: the same folder, built again
    html_build.build_html_again(src, tmp_path / "w2", b"study 1", cache)
    assert builds[0] == builds[1]
    html_build.build_html_again(src, tmp_path / "w3", b"study 2", cache)  # another study: a folder of its own
    (src / "more.md").write_text("More")
    html_build.build_html_again(src, tmp_path / "w4", b"study 2", cache)  # another page: and again
    assert len({*builds}) == 3
    assert [p.name for p in (cache / html_build.REUSE).iterdir()] == [builds[-1].parent.name]  # only the last kept
    assert (tmp_path / "w2" / "book_out/_build/html/index.html").read_text() == "Hello again"


def test_a_failed_build_leaves_nothing_to_reuse(tmp_path, builds):
    src, cache = _book(tmp_path / "src", {"index.md": "Hello", "bad.md": "!"}), tmp_path / "cache"
    with pytest.raises(UserError):
        html_build.build_html_again(src, tmp_path / "w", b"study", cache)
    assert list((cache / html_build.REUSE).iterdir()) == []


def test_a_folder_whose_build_was_stopped_is_not_reused(tmp_path, builds):
    src, cache = _book(tmp_path / "src", {"index.md": "Hello"}), tmp_path / "cache"
    html_build.build_html_again(src, tmp_path / "w1", b"study", cache)
    folder = builds[0].parent
    (folder / "stale.txt").write_text("left by a build that was killed")
    (folder / html_build.DONE).unlink()
    html_build.build_html_again(src, tmp_path / "w2", b"study", cache)
    assert not (folder / "stale.txt").exists()


def test_the_waiting_process_builds_when_asked_and_ends_when_not(tmp_path):
    waiting = html_build.Waiting()
    status, log = waiting.run(["jupyter-book", "build", str(tmp_path / "no-such-book")])
    assert status != 0 and "no-such-book" in log
    unused = html_build.Waiting()
    unused.close()
    assert unused.proc.poll() is not None  # stopped before it was used: no process left behind


REAL_BOOK = {
    "_config.yml": (
        "title: t\nonly_build_toc_files: true\nexecute:\n  execute_notebooks: 'off'\n"
        "sphinx:\n  extra_extensions: [analysis.report.rewrite_all]\n"
    ),
    "_toc.yml": "format: jb-book\nroot: index\nchapters:\n- file: other\n",
    "index.md": "# Home\n\n(kept)=\n## Kept\n\n(goes)=\n## Goes\n",
    "other.md": "# Other\n\nSee {ref}`goes` and {ref}`kept`.\n",
}


def test_an_edit_that_breaks_a_link_from_an_unchanged_page_still_fails_the_build(tmp_path):
    """Jupyter Book for real, twice in the same folder: the second build reads only the edited page, but every page
    is written again (`rewrite_all`), so the link the edit broke is still a warning, and so an error."""
    src, cache = tmp_path / "src", tmp_path / "cache"
    for name, text in REAL_BOOK.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    html = html_build.build_html_again(src, tmp_path / "w1", b"study", cache)
    assert 'href="index.html#goes"' in (html / "other.html").read_text()
    (src / "index.md").write_text("# Home\n\n(kept)=\n## Kept\n")  # a prose edit removes the heading
    with pytest.raises(UserError, match="goes"):
        html_build.build_html_again(src, tmp_path / "w2", b"study", cache)


def test_the_warm_up_loads_what_a_build_needs_and_says_nothing():
    """The waiting process reads a page with the report's configuration first: the modules Sphinx's extensions
    load only when a build starts (MyST-NB's Sphinx layer, jupyter-cache's database, the theme) are then loaded.
    In a fresh interpreter, so that nothing this test session imported counts."""
    code = (
        "import sys; from analysis import paths; from analysis.report import book_worker; "
        "wanted = {'myst_nb.sphinx_', 'jupyter_cache.cache.db', 'pydata_sphinx_theme'}; "
        "assert not wanted & set(sys.modules); book_worker.warm_up(paths.REPO / '_config.yml'); "
        "assert wanted <= set(sys.modules), wanted - set(sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
