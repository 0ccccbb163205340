"""A Jupyter Book process started before its book is staged (see `html_build.Waiting`).

While the build readies the chapters, it reads a one-page book with the report's configuration (Sphinx's `dummy`
builder, which writes nothing) and throws the result away: Jupyter Book, Sphinx, the theme and every extension
(MyST-NB, IPython's lexers, jupyter-cache's database layer, ...) are then loaded, more than a second of a prose-only
rebuild spent on the other core. Writing the page as well would only compile templates that the real build's own
Sphinx compiles again. Then it reads the `jupyter-book` arguments as one JSON line on stdin and builds the book.
An empty line (the build stopped first) exits.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

from jupyter_book.cli.main import main


def warm_up(config: Path) -> None:
    """Read a one-page book with `config` in a temporary folder, saying nothing; what it finds is no concern of
    the real build's, which reports its own warnings."""
    with tempfile.TemporaryDirectory(prefix="book-warm-up-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        (src / "_config.yml").write_text(config.read_text())
        (src / "_toc.yml").write_text("format: jb-book\nroot: index\n")
        (src / "index.md").write_text("# Warm-up\n\nA page.\n")
        args = ["build", str(src), "--builder", "custom", "--custom-builder", "dummy"]
        args += ["--path-output", str(Path(tmp) / "out")]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            with contextlib.suppress(Exception, SystemExit):
                main(args, prog_name="jupyter-book", standalone_mode=False)


def build(args: list[str]) -> int:
    """Jupyter Book's exit status for these arguments (click ends every run with SystemExit)."""
    try:
        main(args, prog_name="jupyter-book")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    warm_up(Path(sys.argv[1]))
    line = sys.stdin.readline()
    if not line.strip():
        sys.exit(0)
    status = build(json.loads(line))
    sys.stdout.flush()
    sys.stderr.flush()
    # every file is written and closed by now; tearing down Sphinx's objects would keep the build waiting ~0.3 s
    os._exit(status)
