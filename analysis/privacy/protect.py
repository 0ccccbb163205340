"""Secondary suppression driven by the attacker: hide more until nothing hidden can be recovered.

Each round the attacker (`attack`) reports what it recovers and which shown cells it used; for each, the cheapest
cell whose hiding alone makes it safe is hidden (the lowest priority, then the smallest, then the latest registered:
a sensitivity analysis before a headline, a small cell before a large one, the later age of a curve before the
earlier), tried on the attacker's programme; failing that, the cheapest cell the attacker used. Hiding
only ever widens the bounds, so a count once shown safe stays safe and the rounds end. What the attacker still
recovers when nothing is left to hide is reported, and the build refuses to publish.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from analysis.privacy.registry import Quantity, Registry

if TYPE_CHECKING:  # the attacker (HiGHS, scipy) loads when a study is prepared, not when a cached one is read
    from analysis.privacy.attack import Attacker, Finding

MAX_ROUNDS = 500


@dataclasses.dataclass(frozen=True)
class Audit:
    """What disclosure control did, for OUT/disclosure_audit.json: counts of cells and keys, never a value."""

    threshold: int
    cells_published: int
    cells_suppressed: dict[str, int]  # by reason: primary, secondary, edition
    recoverable: list[dict]  # empty, or the build refuses
    rounds: int
    previous_edition: bool
    audited: int = 0  # hidden small counts, small differences and edition-protected cells the attacker bounded
    by_table: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)  # shown and hidden cells
    coarsened: list[str] = dataclasses.field(default_factory=list)  # tables published in wider bands instead
    routes: tuple[str, ...] = ("linear", "difference", "edition")

    @property
    def clean(self) -> bool:
        return not self.recoverable


def protect(reg: Registry, previous: dict[str, int] | None = None) -> Audit:
    """Hide cells until the attacker recovers nothing (or nothing is left to hide); the audit of the result."""
    from analysis.privacy.attack import Attacker, release_pinned

    attacker = Attacker(reg, previous)
    found, rounds = attacker.first_round(), 1
    while found and rounds < MAX_ROUNDS:
        hidden_now: set[int] = set()
        stuck = []
        for f in found:
            if f.route == "edition":
                attacker.hide(f.target, "edition")
                f.target.protect = True
            elif hidden_now & {id(q) for q in f.via}:
                continue  # a cell it used is already hidden this round: attack it again before hiding more
            elif (pick := _cheapest(f, attacker)) is None:
                stuck.append(f)
            else:
                attacker.hide(pick, "secondary")
                hidden_now.add(id(pick))
        if stuck and not hidden_now:
            found = stuck
            break
        found, rounds = attacker.linear(), rounds + 1
    if not found:
        release_pinned(attacker)
    return _audit(reg, found, rounds, previous is not None)


def _cheapest(f: Finding, attacker: Attacker) -> Quantity | None:
    """The cell to hide: the cheapest neighbouring shown cell whose hiding alone makes the target safe; failing
    that, the cheapest the attacker used (another round will hide more)."""
    rank = lambda q: (q.priority, q.value, -q.order)  # noqa: E731
    pick = attacker.first_that_protects(f.target, sorted(attacker.neighbours(f), key=rank))
    used = [q for q in f.via if q.shown]
    return pick or min(used, key=rank, default=None)


def _audit(reg: Registry, found: list[Finding], rounds: int, previous: bool) -> Audit:
    cells = list(reg.cells.values())
    reasons: dict[str, int] = {}
    by_table: dict[str, dict[str, int]] = {}
    for key, q in reg.cells.items():
        if q.hidden:
            reasons[q.hidden] = reasons.get(q.hidden, 0) + 1
        counts = by_table.setdefault(key.split("|")[0], {"shown": 0, "hidden": 0})
        counts["shown" if q.shown else "hidden"] += q.published
    return Audit(
        threshold=reg.threshold,
        cells_published=sum(q.shown for q in cells),
        cells_suppressed=dict(sorted(reasons.items())),
        recoverable=[f.describe() for f in found],
        rounds=rounds,
        previous_edition=previous,
        audited=sum(q.protect for q in reg.quantities.values()),
        by_table=dict(sorted(by_table.items())),
    )
