"""Running text: plain-text files, and the checks every reader applies to prose ('N of M', 'N children' and
'N (x%)' statements, and pseudonymised child keys), since a count or a key leaks as easily in a sentence as in a
table."""

from __future__ import annotations

import re

from analysis.privacy.scan.counts import N_CHILDREN, N_OF_M, N_SHARE, NOT_A_COUNT_BEFORE, whole
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
    """Counts in running text (glued values end up here): 'N of M', and a small N in 'N children' ("Only 3
    children", "3 more pupils") or beside its share ("3 (2.9%)"), unless the words before make N an age, a year, a
    school year, a rank or a limit ("aged 3 children", "Year 6 pupils", "fewer than 5 children")."""
    if f.threshold <= 1:
        return
    for m in N_OF_M.finditer(text):
        n_of_m(f, page, m, where)
    for pattern, what in ((N_CHILDREN, "a number of children"), (N_SHARE, "a count beside its share")):
        for m in pattern.finditer(text):
            n = whole(m.group(1))
            if f.small(n) and not NOT_A_COUNT_BEFORE.search(text[max(0, m.start() - 40) : m.start()]):
                said = " ".join(m.group(0).split())
                f.add(page, "small count", said, f"{where}: '{said}' is {what} from 1 to {f.threshold - 1}")


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


def read_text(
    f: Findings, page: str, text: str, where: str = "the file", known: frozenset[str] = frozenset(), counts=False
) -> None:
    """Identifiers in any text; counts too when it is prose written for readers (`counts`), not code or styles."""
    f.identifiers(page, text, where, known)
    if counts:
        prose(f, page, text, where)
        child_keys(f, page, text, where)
