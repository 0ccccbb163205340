"""The walk over a built site, handing each file to the reader for its format."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from analysis.privacy.scan.findings import Findings
from analysis.privacy.scan.html_pages import read_html
from analysis.privacy.scan.json_files import read_json
from analysis.privacy.scan.notebooks import read_notebook
from analysis.privacy.scan.tables import read_csv, read_xlsx
from analysis.privacy.scan.text import read_text

TEXT_SUFFIXES = {".txt", ".md", ".svg", ".xml", ".js", ".rst"}
VENDOR_DIRS = {"_static"}  # theme scripts, fonts and translations: only data-like files are read there


def read_file(f: Findings, path: Path, vendor: bool = False) -> None:
    """One file, by its suffix. In a vendor folder only data-like files and the search index (which holds the words
    of every page) are read: theme scripts cannot have come from the extract."""
    s = path.suffix.lower()
    if s in (".html", ".htm"):
        read_html(f, path)
    elif s in (".csv", ".tsv"):
        read_csv(f, path)
    elif s == ".xlsx":
        read_xlsx(f, path)
    elif s == ".json":
        read_json(f, path)
    elif s == ".ipynb":
        read_notebook(f, path)
    elif s in TEXT_SUFFIXES and (not vendor or path.name.startswith("searchindex")):
        read_text(f, path)


def walk(folder: Path) -> Iterator[tuple[Path, bool]]:
    """Every file under `folder` in a fixed order, and whether it is in a vendor folder."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        vendor = any(part in VENDOR_DIRS for part in Path(dirpath).relative_to(folder).parts)
        for f in sorted(filenames):
            yield Path(dirpath) / f, vendor
