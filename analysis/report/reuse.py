"""Files made from the prepared study alone (the Word briefing, the workbook of tables), kept in the build's private
cache and copied byte for byte into the next build of the same study.

A prose edit changes neither file, yet making the briefing loads matplotlib, seaborn and scipy (about three
CPU-seconds on a two-core machine that is also running Sphinx) and the workbook takes openpyxl half a second. The
folder is named by the prepared study (its cache key covers the extract, the parameters, the code, the rules and
the hashing key) and by the versions of the libraries that write the files; only the last study's folder is kept.
A copy is a file this code made from those inputs before; it is scanned again by the publish gate like any other.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
from collections.abc import Callable
from pathlib import Path

FOLDER = "documents"  # in the build's private cache
LIBRARIES = ("python-docx", "openpyxl", "matplotlib", "seaborn", "pandas")  # what writes the files


class Reuse:
    """Where the files made from one prepared study are kept. `study_dir` is the folder the study was loaded from
    (its name is its cache key); a study from anywhere else, or no `cache`, reuses nothing."""

    def __init__(self, cache: Path | None, study_dir: Path | None) -> None:
        known = cache is not None and study_dir is not None and Path(study_dir).parent == Path(cache)
        self.folder = Path(cache) / FOLDER / _key(Path(study_dir).name) if known else None

    def has(self, name: str) -> bool:
        """Whether a file of this name made from this study is kept."""
        return self.folder is not None and (self.folder / name).is_file()

    def made(self, dest: Path, make: Callable[[Path], object]) -> Path:
        """`dest`, copied from the kept file of its name, or made by `make(dest)` and kept for the next build."""
        kept = self.folder / dest.name if self.folder is not None else None
        if kept is not None and kept.is_file():
            shutil.copyfile(kept, dest)
            return dest
        make(dest)
        if kept is not None:
            self._keep(dest, kept)
        return dest

    def _keep(self, made: Path, kept: Path) -> None:
        for other in kept.parent.parent.glob("*"):  # one study's files kept: the last one built
            if other != kept.parent:
                shutil.rmtree(other, ignore_errors=True)
        kept.parent.mkdir(parents=True, exist_ok=True)
        tmp = kept.with_name(kept.name + ".tmp")  # a build stopped while copying leaves no half file to reuse
        shutil.copyfile(made, tmp)
        tmp.replace(kept)


def _key(study: str) -> str:
    versions = [f"{name}=={_version(name)}" for name in LIBRARIES]
    return hashlib.sha256("|".join([study, *versions]).encode()).hexdigest()[:20]


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"
