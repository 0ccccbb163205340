"""Publishing a build: one at a time, all or nothing. Both builds (one authority, and the comparison of many)
publish through `release`: lock, stage, gate (the disclosure scan), atomic swap.

Each build is staged in full, scanned, and then made live by swapping one symbolic link (`OUT/current`), which
is atomic: readers see the previous site or the new one, never a mixture, and a build that fails or is killed
leaves the previous site untouched. `OUT/html`, `OUT/tables` and the JSON files are fixed links through
`current`. A lock refuses a second build into the same folder while one is running.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.errors import UserError

ARTEFACTS = ("html", "tables", "measures.json", "linkage.json", "linkage_model.json")
KEEP_RELEASES = 2


@contextlib.contextmanager
def lock(out: Path):
    """Hold OUT/.lock for the length of a build; refuse clearly if another build holds it."""
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / ".lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise UserError(f"Another build is already writing to {out} ({holder}); wait for it to finish.") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"build {os.getpid()} started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    handle.flush()
    try:
        yield
    finally:
        handle.truncate(0)
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def stage_build(tables: dict[str, pd.DataFrame], work: Path, html: Path, files: dict[str, object]) -> Path:
    """Lay out everything a build publishes in work/publish: the site, the published tables as CSV, and the JSON
    `files` (name -> value). Returns the staging folder, ready to scan and publish."""
    stage = work / "publish"
    stage.mkdir()
    html.rename(stage / "html")
    (stage / "tables").mkdir()
    for name, t in tables.items():
        t.to_csv(stage / "tables" / f"{name}.csv", index=False, lineterminator="\n")
    for name, value in files.items():
        (stage / name).write_text(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")
    return stage


def release(
    out: Path, make: Callable[[Path], Path], gate: Callable[[Path, Path], None], artefacts: tuple[str, ...] = ARTEFACTS
) -> Path:
    """The one way a build reaches readers: hold OUT's lock, let `make(work)` lay the build out under OUT/.work
    and return the staging folder, let `gate(stage, work)` refuse it (by raising), then swap it in atomically.
    Returns the release folder; OUT's live site is unchanged unless every step succeeds."""
    with lock(out):
        work = out / ".work"
        shutil.rmtree(work, ignore_errors=True)
        stage = make(work)
        gate(stage, work)
        return publish(stage, out, artefacts)


def publish(stage: Path, out: Path, artefacts: tuple[str, ...] = ARTEFACTS) -> Path:
    """Make the staged build (a folder holding `artefacts`) live in OUT. Returns the release folder."""
    releases = out / ".releases"
    releases.mkdir(parents=True, exist_ok=True)
    release = releases / f"{time.time_ns()}"
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
        if link.is_dir():  # a site from before releases were used
            shutil.rmtree(link)
        elif link.exists():
            link.unlink()
        link.symlink_to(Path("current") / name)
    for old in sorted(releases.iterdir(), key=lambda p: int(p.name))[:-KEEP_RELEASES]:
        shutil.rmtree(old, ignore_errors=True)
    return release
