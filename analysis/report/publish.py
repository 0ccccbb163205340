"""Publishing a build: one at a time, all or nothing, and only ever into a folder this tool owns. Both builds (one
authority, and the comparison of many) publish through `release`: claim OUT, lock, stage, gate (the disclosure
scan), atomic swap.

Each build is staged in full, scanned, and then made live by swapping one symbolic link (`OUT/current`), which
is atomic: readers see the previous site or the new one, never a mixture, and a build that fails or is killed
leaves the previous site untouched. `OUT/html`, `OUT/tables` and the JSON files are fixed links through
`current`. A lock refuses a second build into the same folder while one is running.

OUT is the user's choice, so it is checked before anything is written: never `/`, the home folder, the
repository itself or the extract (nor a folder inside the extract); an existing folder only when it is empty or
carries this tool's ownership marker. Within OUT only what the tool wrote is ever replaced or removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import filelock
import pandas as pd

from analysis import paths
from analysis.errors import UserError
from analysis.privacy import safe_text
from analysis.report import downloads
from analysis.report.reuse import Reuse

ARTEFACTS = (
    "html",
    "tables",
    "measures.json",
    "linkage.json",
    "linkage_model.json",
    "disclosure_audit.json",
    "disclosure_ledger.json",
    "tables.xlsx",
    "report.pdf",
    "briefing.docx",
)
KEEP_RELEASES = 2
MARKER = ".adversity-report"
MARKER_TEXT = "This folder is written by adversity-report. Its builds replace only what the tool wrote here.\n"


def claim(out: Path, protected: tuple[Path, ...] = ()) -> Path:
    """Check OUT is a folder this tool may write into, create it (with the ownership marker) if need be, and
    return it resolved. `protected` are the user's own folders (the extract) that OUT may not be nor lie in."""
    target = Path(out).expanduser().resolve()
    refused = {
        Path("/"): "the root folder",
        Path.home().resolve(): "your home folder",
        paths.REPO.resolve(): "the repository itself",
    }
    for folder in protected:
        folder = Path(folder).resolve()
        if target == folder or folder in target.parents:
            raise UserError(f"The output folder {out} is the extract folder or inside it; choose another folder.")
    if target in refused:
        raise UserError(f"The output folder {out} is {refused[target]}; choose a folder of its own for the report.")
    if target.is_file():
        raise UserError(f"The output folder {out} is a file; choose a folder.")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise UserError(
            f"The output folder {out} already holds files this tool did not write; choose an empty or new folder "
            "(nothing in it was changed)."
        )
    target.mkdir(parents=True, exist_ok=True)
    if not (target / MARKER).is_file():
        (target / MARKER).write_text(MARKER_TEXT)
    return target


@contextlib.contextmanager
def build_log(out: Path):
    """Everything the build logs also goes to OUT/build.log (replaced by each build), for the record."""
    handler = logging.FileHandler(out / "build.log", mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("adversity_report")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()


@contextlib.contextmanager
def lock(out: Path):
    """Hold OUT/.lock for the length of a build; refuse clearly if another build holds it (filelock: works where
    fcntl does not)."""
    out.mkdir(parents=True, exist_ok=True)
    held = filelock.FileLock(out / ".lock", timeout=0)
    try:
        held.acquire()
    except filelock.Timeout:
        raise UserError(f"Another build is already writing to {out}; wait for it to finish.") from None
    try:
        yield
    finally:
        held.release()


def stage_build(
    tables: dict[str, pd.DataFrame],
    work: Path,
    html: Path,
    files: dict[str, object],
    params: dict | None = None,
    reuse: Reuse | None = None,
) -> Path:
    """Lay out everything a build publishes in work/publish: the site, the published tables as CSV, and the JSON
    `files` (name -> value); with the run's `params`, the workbook (copied from `reuse` when it keeps one made from
    this study) and the download-all ZIP too. Returns the staging folder, ready to scan and publish."""
    stage = work / "publish"
    stage.mkdir()
    html.rename(stage / "html")
    (stage / "tables").mkdir()
    for name, t in tables.items():
        safe_text.write_csv(t, stage / "tables" / f"{name}.csv")
    for name, value in files.items():
        (stage / name).write_text(strict_json(value) + "\n")
    if params is not None:
        title = f"Adversity before SEND: {params['la_name']}"
        reuse = reuse or Reuse(None, None)
        reuse.made(stage / downloads.WORKBOOK, lambda path: downloads.write_workbook(tables, path, title))
        downloads.write_bundle(stage, downloads.guidance(params, list(tables)))
    return stage


def strict_json(value: object) -> str:
    """JSON any parser reads: a missing number (NaN, infinity) is null, never the bare `NaN` Python writes.

    >>> strict_json({"a": float("nan"), "b": [1.5, float("inf")]})
    '{\\n  "a": null,\\n  "b": [\\n    1.5,\\n    null\\n  ]\\n}'
    """

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(value), indent=2, sort_keys=True, default=str, allow_nan=False)


def release(
    out: Path,
    make: Callable[[Path], Path],
    gate: Callable[[Path, Path], None],
    artefacts: tuple[str, ...] = ARTEFACTS,
    protected: tuple[Path, ...] = (),
) -> Path:
    """The one way a build reaches readers: claim OUT, hold its lock, let `make(work)` lay the build out under
    OUT/.work and return the staging folder, let `gate(stage, work)` refuse it (by raising), then swap it in
    atomically. Returns the release folder; OUT's live site is unchanged unless every step succeeds, and the
    staging (which holds the prepared study) is removed however the build ends."""
    out = claim(out, protected)
    with lock(out):
        work = out / ".work"
        shutil.rmtree(work, ignore_errors=True)
        for stale in ("disclosure_findings.csv", "disclosure_audit_refused.json"):  # an earlier refusal's reasons
            (out / stale).unlink(missing_ok=True)
        try:
            stage = make(work)
            gate(stage, work)
            return publish(stage, out, artefacts)
        finally:
            for kept in ("disclosure_findings.csv", "book_build.log"):  # what the user needs to see why
                if (work / kept).is_file():
                    os.replace(work / kept, out / kept)
            shutil.rmtree(work, ignore_errors=True)


def publish(stage: Path, out: Path, artefacts: tuple[str, ...] = ARTEFACTS) -> Path:
    """Make the staged build (a folder holding `artefacts`) live in OUT. Returns the release folder."""
    releases = out / ".releases"
    releases.mkdir(parents=True, exist_ok=True)
    release = releases / f"{time.time_ns()}"
    for name in artefacts:  # check before anything moves, so a refusal changes nothing
        if (out / name).exists() and not (out / name).is_symlink():
            raise UserError(f"{out / name} is not a link this tool made; move it away and build again.")
    stage.rename(release)
    tmp = out / ".current.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(release.relative_to(out))
    os.replace(tmp, out / "current")  # the atomic step
    for name in artefacts:
        link = out / name
        if link.is_symlink():
            continue
        if link.exists():  # never replace what the tool did not write
            raise UserError(f"{link} is not a link this tool made; move it away and build again.")
        link.symlink_to(Path("current") / name)
    for old in sorted(releases.iterdir(), key=lambda p: int(p.name))[:-KEEP_RELEASES]:
        shutil.rmtree(old, ignore_errors=True)
    return release
