"""Running text: plain-text files, and the checks every reader applies to prose ('N of M' statements and
pseudonymised child keys), since a count or a key leaks as easily in a sentence as in a table."""

from __future__ import annotations

import re
from pathlib import Path

from analysis.privacy.scan.counts import N_OF_M, whole
from analysis.privacy.scan.findings import Findings

PSEUDONYM = re.compile(r"\bc_[0-9a-f]{16}\b")


def n_of_m(f: Findings, page: str, m: re.Match, where: str) -> None:
    """'N of M' gives away N, M and the M - N left over: each must be zero or at least the threshold."""
    n, d = whole(m.group(1)), whole(m.group(2))
    if n is None or d is None:
        return
    for name, v in (("N", n), ("M", d), ("M - N", d - n)):
        if f.small(v):
            f.add(
                page,
                "small count",
                m.group(0),
                f"{where}: '{m.group(0)}' has {name} = {v}, a count from 1 to {f.threshold - 1}",
            )


def prose(f: Findings, page: str, text: str, where: str) -> None:
    """'N of M' statements in running text (glued shares end up here)."""
    for m in N_OF_M.finditer(text):
        n_of_m(f, page, m, where)


def child_keys(f: Findings, page: str, text: str, where: str) -> None:
    """Pseudonymised child keys anywhere in a text (public edition): once per page, as a table may have been
    reported already."""
    if f.edition != "public":
        return
    keys = set(PSEUDONYM.findall(text))
    if not keys:
        return
    if f.has(page, "child-level row"):
        return  # already reported for a table on this page
    f.add(
        page,
        "child-level row",
        f"{len(keys)} pseudonymised child keys",
        f"{where} holds pseudonymised child keys (c_ and 16 hex digits); the public edition publishes aggregates only",
    )


def read_text(f: Findings, path: Path) -> None:
    f.identifiers(f.page(path), path.read_text(encoding="utf-8", errors="replace"), "the file")
