"""A prose-only edit executes no chapter; a code edit does. One small chapter, run for real once with papermill."""

import nbformat
import pytest

from analysis.report import book

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

```{{code-cell}} ipython3
:tags: [parameters, remove-cell]
study_dir = ""
```

{prose}

```{{code-cell}} ipython3
print({code})
```
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setattr(book, "REPO", tmp_path / "repo")
    (tmp_path / "repo" / "book" / "chapters").mkdir(parents=True)
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "study.json").write_text("{}")
    return tmp_path


def _write(repo, prose: str, code: str) -> None:
    (repo / "repo" / "book" / "chapters" / "x.md").write_text(CHAPTER.format(prose=prose, code=code))


def _run(repo):
    book.execute_chapter("book/chapters/x", repo / "study", repo / "out", "v1", cache=repo / "cache")
    return nbformat.read(repo / "out" / "book" / "chapters" / "x.ipynb", as_version=4)


def test_a_prose_edit_reuses_the_outputs_and_a_code_edit_does_not(repo, monkeypatch):
    _write(repo, "First words.", "6 * 7")
    first = _run(repo)
    assert "42" in str(first.cells)
    runs = []
    real = book._run_chapter
    monkeypatch.setattr(book, "_run_chapter", lambda *a: runs.append(a) or real(*a))
    _write(repo, "Second words, longer.\n\nAnd a new paragraph.", "6 * 7")
    second = _run(repo)
    assert runs == []
    text = str(second.cells)
    assert "Second words" in text and "First words" not in text and "42" in text
    # papermill's injected parameters stay right after the parameters cell
    tags = [c.metadata.get("tags", []) for c in second.cells if c.cell_type == "code"]
    assert "parameters" in tags[0] and "injected-parameters" in tags[1]
    _write(repo, "Second words, longer.", "6 * 9")
    third = _run(repo)
    assert len(runs) == 1 and "54" in str(third.cells)


def test_when_every_chapter_is_cached_no_worker_process_starts(repo, monkeypatch):
    _write(repo, "First words.", "6 * 7")
    _run(repo)
    toc = repo / "repo" / "_toc.yml"
    toc.write_text("format: jb-book\nroot: book/chapters/x\n")
    monkeypatch.setattr(book, "_execute_in_workers", lambda *a: pytest.fail("a worker pool was started"))
    _write(repo, "Other words.", "6 * 7")
    times = book.execute_all(repo / "study", repo / "out", "v1", toc=toc, cache=repo / "cache")
    assert list(times) == ["x"]
    assert "Other words" in str(nbformat.read(repo / "out" / "book" / "chapters" / "x.ipynb", as_version=4).cells)


def test_an_unchanged_chapter_is_copied_as_last_readied_and_any_change_readies_it_again(repo, monkeypatch):
    _write(repo, "First words.", "6 * 7")
    _run(repo)
    out = repo / "out" / "book" / "chapters" / "x.ipynb"
    first = out.read_bytes()
    real = book._paths
    monkeypatch.setattr(book, "_paths", lambda *a: pytest.fail("an unchanged chapter was parsed again"))
    _run(repo)
    assert out.read_bytes() == first
    monkeypatch.setattr(book, "_paths", real)
    _write(repo, "Other words.", "6 * 7")  # prose: readied again from the executed outputs
    assert "Other words" in str(_run(repo).cells)
    ready = sorted((repo / "cache" / "chapters" / book.READY / "x").iterdir())
    assert len(ready) == 1 and ready[0].read_bytes() == out.read_bytes()  # only the last one is kept

    def executed(*a):
        raise RuntimeError("executed")

    monkeypatch.setattr(book, "_run_chapter", executed)
    (repo / "study" / "study.json").write_text('{"another": "study"}')
    with pytest.raises(RuntimeError, match="executed"):
        _run(repo)  # another study: executed again, not copied
