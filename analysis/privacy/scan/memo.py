"""What the last scan judged, kept for the next build into the same folder.

A prose edit changes a page or two, the PDF and the search index; every other published file is byte for byte what
the last build published. A file's findings depend only on its name, its bytes and what it is judged against (the
extract's identifiers, the threshold, the edition and the scan's own code), so a rebuild takes them from the memo
and reads only the files whose bytes changed. Every file is still hashed and every finding still reported: a file
that was refused last time is refused again. A memo made against anything else (another extract, threshold,
edition or version of the code) is ignored.

The memo lives in the build's private cache (OUT/.cache): it holds findings as the scan reports them, with every
identifier masked. It is JSON, so a planted file can at worst make the scan read everything again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from importlib import metadata
from pathlib import Path

from analysis.privacy.scan.identifiers import Identifiers

READERS = ("lxml", "openpyxl", "pypdfium2", "python-docx")  # libraries whose reading of a file decides its findings
Judged = dict[tuple[str, bool, bytes], tuple[str, list[dict]]]  # (name, vendor, sha256) -> (page, findings)


@dataclasses.dataclass(frozen=True)
class Memo:
    """Where the memo is kept, and the version of the code that judged it."""

    path: Path
    code: str


def context(ids: Identifiers, threshold: int, edition: str, code: str) -> str:
    """A digest of everything besides a file's bytes that decides its findings."""
    readers = [_version(r) for r in READERS]
    return hashlib.sha256(json.dumps([ids.digest, threshold, edition, code, readers]).encode()).hexdigest()


def load(memo: Memo, ctx: str) -> Judged:
    """The files judged by the last scan in this context; none when there is no memo, it is unreadable or it was
    made in another context."""
    try:
        saved = json.loads(memo.path.read_text(encoding="utf-8"))
        if saved.get("context") != ctx:
            return {}
        return {(n, bool(v), bytes.fromhex(d)): (page, list(rows)) for n, v, d, page, rows in saved["files"]}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def save(memo: Memo, ctx: str, judged: Judged, seen: set) -> None:
    """Keep what this scan judged (only the files it saw, so the memo never outgrows the site), atomically."""
    files = [[n, v, d.hex(), page, rows] for (n, v, d), (page, rows) in judged.items() if (n, v, d) in seen]
    memo.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = memo.path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"context": ctx, "files": files}), encoding="utf-8")
    tmp.replace(memo.path)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""
