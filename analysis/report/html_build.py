"""Jupyter Book 1 builds the HTML from the staged, executed chapters, with warnings as errors.

A build into an OUT that already holds a build of the same study, code and pages reuses Sphinx's own incremental
build: the staged book is mirrored into a folder of the private cache, rewriting only the files whose bytes changed,
so Sphinx reads again only the pages a prose edit touched (it still writes every page: see `rewrite_all`). The
folder is named by everything else a page can depend on (the study, the code, the configuration, the table of
contents and the list of staged files), so a build of other data, code or pages starts afresh and nothing from
another build can be left among the pages. A build that fails, or was stopped, leaves no folder to reuse: Sphinx
would not warn again about a page it did not read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE, STDOUT

from analysis import paths
from analysis.errors import UserError

REUSE = "book"  # in the build's private cache: the mirrored book and Sphinx's output
DONE = ".built"  # written into a reusable folder once Jupyter Book has finished cleanly


def jupyter_book_command(src: Path, work: Path) -> list[str]:
    """The strict Jupyter Book build of a staged book (warnings are errors), output under work/book_out."""
    return [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(src),
        "--builder",
        "html",
        "-W",
        "-n",
        "--keep-going",
        "--path-output",
        str(work / "book_out"),
    ]


class Waiting:
    """A Jupyter Book process started before the book is staged: it loads Sphinx and its extensions on the other
    core while the chapters are readied (`book_worker`, with the report's `config`), and builds when `run` hands it
    its arguments. `close` ends it if it was never used (the build stopped first)."""

    def __init__(self, config: Path = paths.REPO / "_config.yml") -> None:
        cmd = [sys.executable, "-m", "analysis.report.book_worker", str(config)]
        self.proc = subprocess.Popen(cmd, stdin=PIPE, stdout=PIPE, stderr=STDOUT, text=True)

    def run(self, cmd: list[str]) -> tuple[int, str]:
        """Jupyter Book's exit status and output for `cmd` (a `jupyter_book_command`)."""
        out, _ = self.proc.communicate(json.dumps(cmd[1:]) + "\n")
        return self.proc.returncode, out

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def build_html(src: Path, work: Path, waiting: Waiting | None = None) -> Path:
    """Build the HTML from the staged, executed chapters without re-executing them (in the `waiting` process, if
    one was started). Returns the html folder."""
    work = work.resolve()
    cmd = jupyter_book_command(src, work)
    if waiting is None:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        status, log = proc.returncode, proc.stdout + proc.stderr
    else:
        status, log = waiting.run(cmd)
    if status != 0:
        (work / "book_build.log").write_text(log)
        warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
        raise UserError(
            "The book did not build cleanly (warnings are errors):\n  "
            + "\n  ".join(warnings[:20])
            + f"\nFull log: {work.parent / 'book_build.log'}"
        )
    return work / "book_out" / "_build" / "html"


def build_html_again(src: Path, work: Path, depends: bytes, cache: Path, waiting: Waiting | None = None) -> Path:
    """`build_html` in the cache's reusable folder for this book (see the module docstring), the pages copied to
    work/book_out. `depends` is what the pages rest on besides the staged files (the study and the code)."""
    folder = cache / REUSE / _key(src, depends)
    if not (folder / DONE).is_file():
        shutil.rmtree(folder, ignore_errors=True)
    for other in (cache / REUSE).glob("*"):  # one book kept: the last one built
        if other != folder:
            shutil.rmtree(other, ignore_errors=True)
    (folder / DONE).unlink(missing_ok=True)
    mirror(src, folder / "src")
    try:
        html = build_html(folder / "src", folder, waiting)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    (folder / DONE).write_text("")
    dest = work.resolve() / "book_out" / "_build" / "html"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(html, dest)
    return dest


def _key(src: Path, depends: bytes) -> str:
    """What the pages depend on besides the chapters' text: `depends`, the configuration, the table of contents
    and the staged files' names."""
    h = hashlib.sha256(depends)
    for name in ("_config.yml", "_toc.yml"):
        h.update((src / name).read_bytes())
    h.update("\n".join(sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())).encode())
    return h.hexdigest()[:20]


def mirror(src: Path, dest: Path) -> None:
    """Make `dest` a copy of `src`, writing only the files whose bytes differ (Sphinx judges a page changed by its
    file's time) and removing what `src` no longer has."""
    wanted = {p.relative_to(src) for p in src.rglob("*") if p.is_file()}
    for rel in sorted(wanted):
        target, data = dest / rel, (src / rel).read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    for path in [p for p in dest.rglob("*") if p.is_file()]:
        if path.relative_to(dest) not in wanted:
            os.remove(path)
