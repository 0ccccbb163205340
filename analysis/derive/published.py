"""What a build publishes, decided in one place: every table, measure and stated fact is registered with the units
it counts (`privacy.registry`), the attacker-driven suppression runs over all of them at once (`privacy.protect`),
and only then is anything rendered. Tables that only lay out measures (domain prevalence, tiers, the before-N share
by age) are built from the rendered measures, so they cannot disagree with them.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from analysis.derive import tables
from analysis.derive.measures import MEMBERS
from analysis.privacy import ledger, registry, render
from analysis.privacy.protect import Audit, protect
from analysis.privacy.registry import Registry


@dataclasses.dataclass(frozen=True)
class Fact:
    """A number a chapter states: a count of `members`, or a statistic of the registered cell `group`."""

    value: object
    members: np.ndarray | None = None
    group: str | None = None
    universe: str = "children"


COARSENABLE = ("first_adversity_age", "lead_time", "linkage_by_year", "linkage_weights")
TOO_MUCH_HIDDEN = 1 / 3  # a banded table hiding more of its counts than this is coarsened instead


@dataclasses.dataclass
class Published:
    measures: dict
    tables: dict[str, pd.DataFrame]
    facts: dict[str, object]
    audit: Audit
    ledger: dict[str, int]


def publish(
    reg: Registry,
    measures: dict,
    built: dict[str, tuple[pd.DataFrame, object]],
    facts: dict[str, Fact],
    previous: dict[str, int] | None = None,
) -> Published:
    """Register everything, protect it against the attacker (and the previous edition's ledger), and render."""
    for name, (frame, spec) in built.items():
        registry.table(reg, name, frame, spec)
    _register_measures(reg, measures)
    for key, f in facts.items():
        registry.fact(reg, key, f.value, f.universe, f.members, f"facts|{f.group}" if f.group else None)
    audit = protect(reg, previous)
    shown = _render_measures(reg, measures)
    rendered = {name: render.table(reg, name) for name in built}
    rendered |= {
        "domain_prevalence": tables.domain_prevalence(shown),
        "known_tiers": tables.known_tiers(shown),
        "before_threshold_by_age": tables.before_threshold_by_age(shown),
        "before_threshold_definitions": tables.before_threshold_definitions(shown),
    }
    return Published(shown, rendered, {k: render.fact(reg, k) for k in facts}, audit, ledger.published_counts(reg))


def _each_measure(measures: dict):
    for v in measures.values():
        for m in v if isinstance(v, list) else [v]:
            if isinstance(m, dict) and "name" in m:
                yield m


HEADLINES = (  # the report's headlines and the reference study's own (known = a contact or more)
    "known_to_csc",
    "with_adversity",
    "first_adversity_before_5",
    "first_adversity_before_5_reference",
    "known_contact",
)


def _register_measures(reg: Registry, measures: dict) -> None:
    """Measures are hidden after tables to protect another cell, and the headlines last of all."""
    for m in _each_measure(measures):
        priority = 3 if m["name"] in HEADLINES else 2
        registry.measure(reg, {k: v for k, v in m.items() if k != MEMBERS}, m[MEMBERS], priority=priority)
    for m in _each_measure(measures):
        if m.get("rests_on"):
            registry.rests_on(reg, m["name"], m["rests_on"])


def _render_measures(reg: Registry, measures: dict) -> dict:
    out = {}
    for k, v in measures.items():
        if isinstance(v, list):
            out[k] = [render.measure(reg, m["name"]) for m in v]
        elif isinstance(v, dict) and "name" in v:
            out[k] = render.measure(reg, v["name"])
        else:
            out[k] = render.fact(reg, k) if k in reg.facts else v
    return out


def coarsened(attempt) -> Published:
    """Publish (`attempt(coarse)` with no table coarsened); where a banded table would hide more than a third of its
    counts, publish again with those tables in wider bands. The audit lists the tables coarsened."""
    out = attempt(frozenset())
    over = frozenset(t for t in COARSENABLE if _hidden_share(out.audit, t) > TOO_MUCH_HIDDEN)
    if over:
        out = attempt(over)
    out.audit = dataclasses.replace(out.audit, coarsened=sorted(over))
    return out


def _hidden_share(audit: Audit, table: str) -> float:
    counts = audit.by_table.get(table, {})
    total = counts.get("shown", 0) + counts.get("hidden", 0)
    return counts.get("hidden", 0) / total if total else 0.0
