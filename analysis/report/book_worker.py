"""A Jupyter Book process started before its book is staged (see `html_build.Waiting`).

It loads Jupyter Book, Sphinx and the extensions Jupyter Book configures (about a second and a half, nearly all of
a prose-only rebuild's Jupyter Book time) on the other core while the build readies the chapters, then reads the
`jupyter-book` arguments as one JSON line on stdin and builds. An empty line (the build stopped first) exits.
"""

from __future__ import annotations

import importlib
import json
import sys

from jupyter_book import config
from jupyter_book.cli.main import main

LOADED_LATER = (
    "sphinx_multitoc_numbering",
    "sphinx_jupyterbook_latex",
    "sphinx.builders.html",
    "analysis.report.rewrite_all",
)


def _load_extensions() -> None:
    for name in [*config.get_default_sphinx_config()["extensions"], *LOADED_LATER]:
        importlib.import_module(name)


if __name__ == "__main__":
    _load_extensions()
    line = sys.stdin.readline()
    if not line.strip():
        sys.exit(0)
    main(json.loads(line), prog_name="jupyter-book")  # click exits with Jupyter Book's own status
