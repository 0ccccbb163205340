"""Files the book's theme ships into `_static`: which are untouched copies of installed packages' files, and which
words a generated one's template already held.

A vendor file byte-identical to a file an installed package records (with its sha256, in the package's RECORD)
is third-party code and cannot hold the extract, so it is not read; any other file in a vendor folder (edited,
added, or generated from a template, such as `language_data.js`) is searched for identifiers, except that a single
word its template already contains ("Porter" in the Porter stemmer) is not taken for a child's name.
"""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import importlib.metadata
from collections import defaultdict
from pathlib import Path

from analysis import paths
from analysis.privacy.scan.identifiers import tokenise

TEMPLATE_SUFFIXES = ("", "_t", ".jinja", "_t.jinja")  # how Sphinx and its extensions name static templates


@functools.lru_cache(maxsize=1)
def _installed() -> tuple[frozenset[str], dict[str, list[Path]]]:
    """The sha256 of every file installed packages record, and their files by name (read once, in ~0.1 s)."""
    hashes: set[str] = set()
    by_name: dict[str, list[Path]] = defaultdict(list)
    for dist in importlib.metadata.distributions():
        record = dist.read_text("RECORD") or ""
        for row in csv.reader(record.splitlines()):
            if len(row) >= 2 and row[1].startswith("sha256="):
                hashes.add(row[1].removeprefix("sha256="))
                by_name[row[0].rsplit("/", 1)[-1]].append(Path(str(dist.locate_file(row[0]))))
    return frozenset(hashes), dict(by_name)


def pristine(data: bytes) -> bool:
    """Whether these bytes are exactly a file some installed package ships."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return digest in _installed()[0]


@functools.lru_cache(maxsize=256)
def template_words(name: str) -> frozenset[str]:
    """The words of the installed templates (and the book's own `_static` file) a vendor file of this name is made
    from: they were written before any data was seen."""
    by_name = _installed()[1]
    sources = [p for suffix in TEMPLATE_SUFFIXES for p in by_name.get(name + suffix, [])]
    sources.append(paths.REPO / "book" / "_static" / name)
    words: set[str] = set()
    for path in sources:
        if path.is_file():
            words.update(tokenise(path.read_text(encoding="utf-8", errors="replace")))
    return frozenset(words)
