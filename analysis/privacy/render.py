"""Rendering for publication: every place showing a hidden count, or a statistic of a group too small or hidden,
gets the suppression symbol (tables), None and `suppressed` (measures) or the symbol (stated facts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.privacy import disclosure
from analysis.privacy.registry import Place, Registry


def hidden_places(reg: Registry) -> list[Place]:
    """Every place showing a hidden quantity, or a statistic of a group too small or hidden."""
    out = [p for q in reg.quantities.values() if q.published and not q.shown for p in q.places]
    out += [p for p, group in reg.statistics if (group.published and not group.shown) or group.value < reg.threshold]
    return out


def table(reg: Registry, name: str) -> pd.DataFrame:
    """The table as published: the symbol in every hidden place."""
    t = reg.tables[name]
    hide = {}
    for p in hidden_places(reg):
        if p.artefact == "table" and p.name == name:
            for col in (c for c in p.columns if c in t.columns):  # a count the table reveals but does not show
                hide.setdefault(col, np.zeros(len(t), dtype=bool))[p.row] = True
    out = t.copy()
    for col, rows in hide.items():
        out = disclosure.hide_cells(out, rows, (col,))
    return out


def measure(reg: Registry, name: str) -> dict:
    """The measure as published: hidden fields None, with `suppressed` and the threshold."""
    m = dict(reg.measures[name])
    fields = {c for p in hidden_places(reg) if p.artefact == "measure" and p.name == name for c in p.columns}
    if not fields:
        return {**m, "suppressed": False}
    for f in ("numerator", "denominator", "value"):
        if f in m:
            m[f] = None
    for f in ("interval", "e_value"):
        if isinstance(m.get(f), list):
            m[f] = [None] * len(m[f])
    if "counts" in m:
        m["counts"] = {k: None for k in m["counts"]}
    if "linkage_bias" in m:
        m["linkage_bias"] = None
    return {**m, "suppressed": True, "threshold": reg.threshold}


def fact(reg: Registry, key: str):
    hidden = any(p.artefact == "fact" and p.name == key for p in hidden_places(reg))
    return disclosure.SUPPRESSED if hidden else reg.facts[key]
