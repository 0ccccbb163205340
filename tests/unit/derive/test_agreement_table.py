"""The agreement table's disclosure spec: the pooled row (child and domain pairs) is hidden with the children
reviewed, which it shows as every domain does: seven children judged in twelve domains are 84 pairs, and no pooled
precision may stand beside a hidden count of seven."""

import numpy as np
import pandas as pd

from analysis.derive import case_notes
from analysis.privacy import disclosure, registry, render
from analysis.privacy.protect import protect
from analysis.privacy.registry import Registry


def _table(children: int, domains: int = 12) -> pd.DataFrame:
    kids = np.arange(children)
    tp = [kids[: children // 2]] * domains  # half the children agreed positive in each domain
    none = [np.array([], dtype=np.int64)] * domains
    per_column = [[kids] * domains, tp, none, none, tp]  # children reviewed, then the CELLS
    pairs = [[case_notes._pairs(c, j) for j, c in enumerate(col)] for col in per_column]
    per_column = [[*col, col[0] if i == 0 else None] for i, col in enumerate(per_column)]
    pairs = [[*col, np.concatenate(col)] for col in pairs]
    frame = pd.DataFrame({c: [0.9] * (domains + 1) for c in case_notes.AGREEMENT_COLUMNS[2:]})
    frame.insert(0, "Children reviewed", children)
    frame.insert(0, "Domain", [f"d{j}" for j in range(domains)] + [case_notes.ALL_DOMAINS])
    reg = Registry(10)
    registry.table(reg, "agreement", frame, case_notes._spec(per_column, pairs))
    protect(reg)
    return render.table(reg, "agreement")


def test_few_children_hide_the_pooled_row_though_its_pairs_are_many():
    out = _table(7)
    pooled = out.iloc[-1]
    assert all(disclosure.is_suppressed(pooled[c]) for c in case_notes.AGREEMENT_COLUMNS[1:])


def test_enough_children_show_the_pooled_row():
    out = _table(40)
    assert out.iloc[-1]["Precision"] == 0.9 and out.iloc[-1]["Children reviewed"] == 40
