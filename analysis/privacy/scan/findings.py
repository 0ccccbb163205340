"""The findings collector every reader writes to, with the settings they all judge by."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from analysis.privacy.scan.identifiers import Identifiers, mask, match

KINDS = ("identifier", "small count", "child-level row")
COLUMNS = ["page", "kind", "value", "detail"]


class Findings:
    """One row per finding, named by the page (relative to the site) a reader would see it on."""

    def __init__(self, root: Path, ids: Identifiers, threshold: int, edition: str, judged: dict | None = None) -> None:
        self.root, self.ids, self.threshold, self.edition = root, ids, threshold, edition
        self.rows: list[dict] = []
        # file already read (name, vendor, sha256) -> (its page, what was found); `judged` may come from the last
        # build's scan (`memo`); `seen` is every file this scan met
        self.judged: dict[tuple, tuple[str, list[dict]]] = {} if judged is None else judged
        self.seen: set[tuple] = set()

    def repeat(self, page: str, rows: list[dict], again: str) -> None:
        """A file read once already is judged again under another name: its findings, named by the new page."""
        for r in rows:
            where = again + r["page"][len(page) :] if r["page"].startswith(page) else r["page"]
            self.rows.append({**r, "page": where})

    def page(self, path: Path) -> str:
        return Path(os.path.relpath(path, self.root)).as_posix()

    def add(self, page: str, kind: str, value, detail: str) -> None:
        self.rows.append({"page": page, "kind": kind, "value": str(value), "detail": detail})

    def small(self, n) -> bool:
        """A whole number from 1 to below the threshold (a flag or a fraction is never a count)."""
        return isinstance(n, int) and not isinstance(n, bool) and 1 <= n < self.threshold

    def identifiers(self, page: str, text: str, where: str, known: frozenset[str] = frozenset()) -> None:
        """Every identifier value in a text, masked so the report of a leak does not leak it again (`known`: words
        of a vendor file's template, see `identifiers.match`)."""
        for (original, source, what), how in match(text, self.ids, known):
            hint = (
                " (a date published by design, such as the study window, can be allowed: see `allow`)"
                if what == "birth date"
                else ""
            )
            self.add(page, "identifier", f"{mask(original)} from {source}", f"{what} {how} in {where}{hint}")

    def has(self, page: str, kind: str) -> bool:
        return any(r["page"] == page and r["kind"] == kind for r in self.rows)

    def frame(self) -> pd.DataFrame:
        """The findings without repeats, in a stable order so two scans of one site compare equal."""
        found = pd.DataFrame(self.rows, columns=COLUMNS).drop_duplicates(ignore_index=True)
        return found.sort_values(["page", "kind", "value"], kind="stable", ignore_index=True)
