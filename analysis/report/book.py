"""Chapters and book: papermill executes each chapter with the run parameters, then Jupyter Book 1 builds HTML
from the executed notebooks without re-executing them, with warnings as errors.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import hashlib
import json
import logging
import multiprocessing
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import jupytext
import nbclient.exceptions
import nbformat
import pandas as pd
import yaml
from tqdm import tqdm
from traitlets.config import Config

from analysis import paths
from analysis.errors import UserError
from analysis.privacy import safe_text
from analysis.report import html_build
from analysis.report.toc import toc_chapters

log = logging.getLogger("adversity_report")
logging.getLogger("papermill").setLevel(logging.WARNING)
HIDDEN_TAGS = ("parameters", "injected-parameters")
ALT = re.compile(r"\[\[alt:(\w+)\]\]")
READY = "ready"  # in the chapters cache: each chapter as last readied, named by its source text, study and code


CACHE, REPO, TOC = paths.CACHE, paths.REPO, paths.BOOK_TOC
EXTRA = "_extra"  # staged files copied as they are to the root of the site


class Renderable(Protocol):
    """What the book needs of a prepared study or comparison: its parameters, its published tables (and the other
    tables its pages show, each with its CSV), and a way to save itself where the chapters will open it."""

    params: dict
    tables: dict[str, pd.DataFrame]

    def page_tables(self) -> dict[str, pd.DataFrame]: ...

    def save(self, folder: Path) -> None: ...


def executable(files: list[str]) -> list[str]:
    """The toc entries that are chapter notebooks (jupytext sources), as opposed to plain pages."""
    return [f for f in files if f.startswith(("book/chapters/", "book/compare/"))]


def _chapter_key(chapter, study_dir: Path, code: str) -> str:
    """What an executed chapter's outputs depend on: its code cells (source and tags), the prepared study and the
    code. Not its prose: a prose-only edit reuses the outputs (`_with_prose`)."""
    h = hashlib.sha256()
    for cell in chapter.cells:
        if cell.cell_type == "code":
            h.update(json.dumps([cell.source, cell.metadata.get("tags", [])]).encode())
    h.update((study_dir / "study.json").read_bytes())
    h.update(code.encode())
    return h.hexdigest()[:24]


def _with_prose(executed, chapter):
    """The chapter's current text with the outputs of an earlier run whose code cells were the same: each code
    cell in order takes its executed twin; papermill's injected parameters follow the parameters cell."""

    def injected(c) -> bool:
        return "injected-parameters" in c.metadata.get("tags", [])

    done = iter([c for c in executed.cells if c.cell_type == "code" and not injected(c)])
    extra = [c for c in executed.cells if injected(c)]
    cells = []
    for cell in chapter.cells:
        cells.append(next(done) if cell.cell_type == "code" else cell)
        if "parameters" in cell.metadata.get("tags", []):
            cells += extra
    executed.cells = cells
    return executed


CELL_TIMEOUT_S = 1800  # no chapter cell should run this long; a hung kernel must not hang the build
KERNEL_RETRIES = 1  # a kernel that dies before replying (out of memory, killed) gets one more chance


def _paths(source: str, study_dir: Path, out_root: Path, code: str, cache: Path):
    """A chapter's source (read by jupytext), where its executed notebook goes, and where its cached twin is."""
    out_dir = out_root / Path(source).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    chapter = jupytext.read(REPO / f"{source}.md")
    cached = cache / "chapters" / f"{_chapter_key(chapter, study_dir, code)}.ipynb"
    return chapter, out_dir / f"{Path(source).name}.ipynb", cached


def reuse_chapter(source: str, study_dir: Path, out_root: Path, code: str, cache: Path = CACHE) -> float | None:
    """A chapter whose code cells are unchanged, on an unchanged study, readied from its outputs in `cache` (a
    prose-only edit re-runs no chapter and starts no worker); an unchanged chapter is copied as it was last readied.
    Returns seconds taken, or None when not cached."""
    t0 = time.perf_counter()
    ready = _ready_path(source, study_dir, code, cache)
    if ready.is_file():
        out_path = out_root / Path(source).parent / f"{Path(source).name}.ipynb"
        out_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ready, out_path)
        return time.perf_counter() - t0
    chapter, out_path, cached = _paths(source, study_dir, out_root, code, cache)
    if not cached.is_file():
        return None
    executed = _with_prose(nbformat.read(cached, as_version=4), chapter)
    _finish(executed, Path(source).name)
    nbformat.write(executed, out_path)
    _keep_ready(out_path, ready)
    return time.perf_counter() - t0


def _ready_path(source: str, study_dir: Path, code: str, cache: Path) -> Path:
    """Where the readied chapter made from exactly this source text, study and code is kept (parsing and checking
    eleven notebooks takes a second; copying them, milliseconds)."""
    h = hashlib.sha256((REPO / f"{source}.md").read_bytes())
    h.update((study_dir / "study.json").read_bytes())
    h.update(code.encode())
    return cache / "chapters" / READY / Path(source).name / f"{h.hexdigest()[:24]}.ipynb"


def _keep_ready(readied: Path, ready: Path) -> None:
    """Keep a readied chapter for the next build, and only the last one of each chapter."""
    shutil.rmtree(ready.parent, ignore_errors=True)
    ready.parent.mkdir(parents=True)
    tmp = ready.with_suffix(".tmp")  # a build stopped while copying leaves no half notebook to reuse
    shutil.copyfile(readied, tmp)
    tmp.replace(ready)


def execute_chapter(source: str, study_dir: Path, out_root: Path, code: str, cache: Path = CACHE) -> float:
    """Run one chapter (a toc entry such as book/chapters/summary) with papermill and ready it for readers,
    unless `reuse_chapter` finds it in `cache`. `code` is the version of the code the chapters import. Returns
    seconds taken."""
    t0 = time.perf_counter()
    reused = reuse_chapter(source, study_dir, out_root, code, cache)
    if reused is not None:
        return reused
    name = Path(source).name
    chapter, out_path, cached = _paths(source, study_dir, out_root, code, cache)
    _kernel_dirs(cache)
    _run_chapter(source, chapter, study_dir, out_path)
    executed = nbformat.read(out_path, as_version=4)
    executed.metadata["adversity_report"] = {"chapter": name}  # so a cached notebook says which chapter it is
    cached.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed, cached.with_suffix(".tmp"))  # as executed: the prose is put in on every use
    cached.with_suffix(".tmp").rename(cached)
    _finish(executed, name)
    nbformat.write(executed, out_path)
    _keep_ready(out_path, _ready_path(source, study_dir, code, cache))
    return time.perf_counter() - t0


def _kernel_dirs(cache: Path) -> None:
    """Kernels keep what they cache (matplotlib's font list, IPython's profile, connection files) under the build's
    cache, never in the user's home: a build writes nothing outside its output folder. Set in the worker process
    that starts the kernels, which inherit it."""
    for var, sub in (("MPLCONFIGDIR", "matplotlib"), ("IPYTHONDIR", "ipython"), ("JUPYTER_RUNTIME_DIR", "runtime")):
        (cache / "kernels" / sub).mkdir(parents=True, exist_ok=True)
        os.environ[var] = str(cache / "kernels" / sub)


def _run_chapter(source: str, chapter, study_dir: Path, out_path: Path) -> None:
    """papermill on one chapter, with a time limit per cell and one retry when the kernel dies. The kernel talks
    over Unix sockets in a private temporary folder (IPC), never over TCP in plain text."""
    import papermill  # loaded by a chapter that runs, not by a prose-only rebuild

    name = Path(source).name
    for attempt in range(KERNEL_RETRIES + 1):
        try:
            with tempfile.TemporaryDirectory(prefix="ar-kernel-") as sockets:
                config = Config()
                config.KernelManager.transport = "ipc"
                config.KernelManager.ip = str(Path(sockets) / "k")
                # a busy machine can take more than the default 5 s to stop a kernel; the kernel then got an
                # interrupt and printed "KeyboardInterrupt caught in kernel" to the console
                config.KernelManager.shutdown_wait_time = 30.0
                papermill.execute_notebook(
                    chapter,
                    str(out_path),
                    parameters={"study_dir": str(study_dir)},
                    kernel_name="python3",
                    cwd=str(out_path.parent),
                    progress_bar=False,
                    log_output=False,
                    start_timeout=300,
                    execution_timeout=CELL_TIMEOUT_S,
                    config=config,
                )
            return
        except papermill.PapermillExecutionError as exc:
            raise UserError(f"Chapter '{name}' failed to execute: {exc.ename}: {exc.evalue}.") from None
        except nbclient.exceptions.CellTimeoutError:
            raise UserError(f"Chapter '{name}' ran a cell for more than {CELL_TIMEOUT_S} s and was stopped.") from None
        except nbclient.exceptions.DeadKernelError:
            if attempt == KERNEL_RETRIES:
                raise UserError(f"Chapter '{name}': its Python kernel died twice (out of memory?).") from None
            log.warning("Chapter %s: the kernel died; trying once more", name)


def _glued_text(nb) -> dict[str, str]:
    """Every text value a chapter glued, by key."""
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook")
            if meta and meta["mime_prefix"] + "text/plain" in o.get("data", {}):
                text = o["data"][meta["mime_prefix"] + "text/plain"]
                try:
                    value = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    value = text
                out[meta["name"]] = str(value)
    return out


def _finish(nb, name: str) -> None:
    """Ready an executed chapter for readers: hide the parameter cells, put computed alt text into figures
    (`[[alt:key]]` in the chapter's text becomes the value glued as `key`, plain text that Sphinx escapes), and
    add the chapter's code in a closed "show the code" panel for reviewers. Cell ids follow the cells' order, so
    an unchanged chapter is written byte for byte as before (Jupyter Book and the scan's memo then pass over it)."""
    nb.metadata["adversity_report"] = {"chapter": name}  # so a cached notebook says which chapter it is
    glued = _glued_text(nb)
    code = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if any(t in tags for t in HIDDEN_TAGS):
            if "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]
            continue
        if cell.cell_type == "code":
            code.append(cell.source.strip())
        elif cell.cell_type == "markdown" and "[[alt:" in cell.source:

            def alt(match: re.Match) -> str:
                if match.group(1) not in glued:
                    raise UserError(f"Chapter '{name}' asks for alt text '{match.group(1)}' but does not glue it.")
                # quoted: the figure's `:alt:` option would read a "#" as the start of a comment
                return json.dumps(" ".join(glued[match.group(1)].split()), ensure_ascii=False)

            cell.source = ALT.sub(alt, cell.source)
    body = "\n\n".join(code)
    nb.cells.append(
        nbformat.v4.new_markdown_cell(f"::::{{dropdown}} Show the code for this chapter\n```python\n{body}\n```\n::::")
    )
    for i, cell in enumerate(nb.cells):  # jupytext and nbformat make random ids: the same chapter, the same bytes
        cell.id = f"{name[:40]}-{i}"


def execute_all(study_dir: Path, out_root: Path, code: str, toc: Path = TOC, cache: Path = CACHE) -> dict[str, float]:
    """Execute every chapter, in parallel where cores allow. The seconds each took go to the build log and to
    `run_times.json` beside the study, not into the book: two builds of the same inputs give the same pages."""
    times: dict[str, float] = {}
    sources = []
    for f in executable(toc_chapters(toc)):  # cached chapters first, here: no worker starts for a prose edit
        reused = reuse_chapter(f, study_dir, out_root, code, cache)
        if reused is None:
            sources.append(f)
        else:
            times[Path(f).name] = reused
    if sources:
        _execute_in_workers(sources, times, study_dir, out_root, code, cache)
    (study_dir / "run_times.json").write_text(json.dumps(times, indent=1, sort_keys=True))
    return times


def _execute_in_workers(sources: list[str], times: dict, study_dir: Path, out_root: Path, code: str, cache: Path):
    """Chapters to run, one kernel each, in parallel where cores allow; the seconds each took go into `times`."""
    workers = max(1, min(len(sources), os.cpu_count() or 1))
    # forkserver, not fork: the parent has run DuckDB (Splink) threads, and forking a threaded process can crash
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        futures = {pool.submit(execute_chapter, f, study_dir, out_root, code, cache): Path(f).name for f in sources}
        for fut in tqdm(cf.as_completed(futures), total=len(futures), desc="Chapters", unit="chapter", disable=None):
            times[futures[fut]] = fut.result()


def banners(study: Renderable) -> list[str]:
    """What every page says above its content: that the data are synthetic (but for the national chapter's figures,
    which are DfE's published statistics even for a synthetic authority), and that an edition is internal."""
    said = []
    if study.params.get("synthetic") and getattr(study, "national", None) is not None:
        said.append(
            "SYNTHETIC DATA: every number about this authority's children describes made-up children, except in "
            "the national context chapter, which shows the Department for Education's published statistics."
        )
    elif study.params.get("synthetic"):
        said.append("SYNTHETIC DATA: every number describes made-up children, not a real authority.")
    if study.params["edition"] == "internal":
        said.append("INTERNAL EDITION: contains pseudonymised child-level information. Not for publication.")
    return said


def stage(study: Renderable, work: Path, toc: Path = TOC) -> Path:
    """Lay out a buildable book: config, toc, static files, plain pages and the executed notebooks."""
    src = work / "book_stage"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    params = study.params
    config["title"] = f"Adversity before SEND: {params['la_name']}"
    if said := banners(study):  # on every page (set where _config.yml sets the theme options)
        config["sphinx"]["config"]["html_theme_options"]["announcement"] = " ".join(said)
    config["sphinx"]["config"]["html_extra_path"] = [EXTRA]
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.copy(toc, src / "_toc.yml")
    for folder, dest in (("_templates", "_templates"), ("book/_static", "_static")):  # _static: the theme CSS fixes
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, src / dest)
    entries = toc_chapters(toc)
    for folder in {Path(f).parent for f in executable(entries)}:  # each figure's table, downloadable beside it
        data = src / folder / "data"
        data.mkdir(parents=True)
        for name, table in study.tables.items():
            safe_text.write_csv(table, data / f"{name}.csv")
    extra = src / EXTRA / "tables"  # every table's CSV at the site's root (html_extra_path), linked under each table
    extra.mkdir(parents=True)
    for name, table in {**study.tables, **study.page_tables()}.items():
        safe_text.write_csv(table, extra / f"{name}.csv")
    for f in entries:
        if f not in executable(entries):
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / f"{f}.md", src / f"{f}.md")
    return src


def execute(study: Renderable, work: Path, code: str, toc: Path = TOC, cache: Path = CACHE) -> Path:
    """Save the study in work/study, stage the book and execute its chapters against it (executed chapters are
    kept in `cache`). Returns the staged source folder, ready for `html_build`."""
    work = work.resolve()
    study.save(work / "study")
    src = stage(study, work, toc)
    times = execute_all(work / "study", src, code, toc, cache)
    log.info("Chapters executed: %s", ", ".join(f"{k} {v:.1f} s" for k, v in sorted(times.items())))
    return src


def render(
    study: Renderable,
    work: Path,
    code: str,
    toc: Path = TOC,
    cache: Path = CACHE,
    waiting: html_build.Waiting | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> Path:
    """Execute the chapters and build the HTML (incrementally, when `cache` holds the same book built from the same
    study and code: see `html_build`), in the `waiting` Jupyter Book process if the caller started one early, else
    in one started now to load while the chapters are readied. `meanwhile` is called once the chapters are ready,
    as Jupyter Book starts to build on the other core. Returns the html folder."""
    own = waiting is None
    waiting = html_build.Waiting() if own else waiting
    try:
        src = execute(study, work, code, toc, cache)
        if meanwhile is not None:
            meanwhile()
        depends = (work.resolve() / "study" / "study.json").read_bytes() + code.encode()
        return html_build.build_html_again(src, work, depends, cache, waiting)
    finally:
        if own:
            waiting.close()


def export_notebooks(dest: str | Path) -> list[Path]:
    """Write each chapter as an unexecuted .ipynb (for nbval, which runs them with their default parameters)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for f in executable(toc_chapters()) + executable(toc_chapters(paths.COMPARE_TOC)):
        path = dest / f"{Path(f).name}.ipynb"
        jupytext.write(jupytext.read(REPO / f"{f}.md"), path)
        written.append(path)
    return written
