"""The book's table of contents: chapter names in reading order (read by the build and by table numbering)."""

from __future__ import annotations

from pathlib import Path

import yaml

from analysis import paths


def toc_chapters(toc_path: Path = paths.BOOK_TOC) -> list[str]:
    """Chapter names in reading order, from a toc (the report's root _toc.yml by default)."""
    toc = yaml.safe_load(toc_path.read_text())
    return [toc["root"]] + [
        c["file"] for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]) for c in part["chapters"]
    ]
