"""Disclosure control on random tables: after `protect`, no small count is shown and the attacker recovers
nothing; zero stays; derived values follow their counts."""

import numpy as np
import pandas as pd
import pytest

from analysis.privacy import registry, render
from analysis.privacy.attack import Attacker
from analysis.privacy.disclosure import SUPPRESSED, hide_cells, is_small, primary, safe_count
from analysis.privacy.protect import protect
from analysis.privacy.registry import Registry, TableSpec


def _table(seed: int):
    """Groups (A, B, C) of categories with random counts, and each group's total published as a cell too."""
    rng = np.random.default_rng(seed)
    n = rng.choice([0, 1, 3, 7, 9, 10, 15, 40, 120], 12)
    groups = rng.choice(list("ABC"), 12)
    start = np.concatenate([[0], np.cumsum(n)[:-1]])
    members = [np.arange(s, s + k) for s, k in zip(start, n)]
    return pd.DataFrame({"g": groups, "k": [f"cat{i}" for i in range(12)], "n": n}), members


@pytest.mark.parametrize("seed", range(40))
def test_no_small_count_shown_and_nothing_recoverable(seed):
    t, members = _table(seed)
    reg = Registry(10)
    registry.table(reg, "t", t, TableSpec(("g", "k"), {"n": members}))
    for g in "ABC":
        in_g = [m for m, gg in zip(members, t["g"]) if gg == g]
        if in_g:
            reg.count(f"total|{g}", "children", np.concatenate(in_g), priority=2)
    audit = protect(reg)
    out = render.table(reg, "t")
    shown = pd.to_numeric(out["n"].where(out["n"] != SUPPRESSED), errors="coerce")
    assert not shown.between(1, 9).any(), "a count from 1 to 9 was published"
    assert (out.loc[t["n"].between(1, 9), "n"] == SUPPRESSED).all()
    assert audit.clean and Attacker(reg).first_round() == []
    totals = [reg.cells[f"total|{g}"] for g in "ABC" if f"total|{g}" in reg.cells]
    assert all(q.shown for q in totals if not is_small(q.value, 10))  # totals are hidden last: never here


def test_zero_is_not_small_and_large_tables_are_untouched():
    t = pd.DataFrame({"k": ["a", "b", "c"], "n": [0, 25, 30], "pct": [0.0, 45.5, 54.5]})
    reg = Registry(10)
    registry.table(
        reg, "t", t, TableSpec(("k",), {"n": [[], np.arange(25), np.arange(25, 55)]}, derived={"pct": ("n",)})
    )
    protect(reg)
    pd.testing.assert_frame_equal(render.table(reg, "t"), t)


def test_derived_values_follow_their_counts():
    t = pd.DataFrame({"k": ["a", "b", "c"], "n": [4, 20, 30], "pct": [7.4, 37.0, 55.6]})
    spec = TableSpec(("k",), {"n": [np.arange(4), np.arange(4, 24), np.arange(24, 54)]}, derived={"pct": ("n",)})
    reg = Registry(10)
    registry.table(reg, "t", t, spec)
    reg.count("total", "children", np.arange(54), priority=2)
    protect(reg)
    assert render.table(reg, "t")["pct"].tolist() == [SUPPRESSED, SUPPRESSED, 55.6]


def test_small_counts_and_primary():
    assert [safe_count(n, 10) for n in (0, 1, 9, 10)] == [0, SUPPRESSED, SUPPRESSED, 10]
    assert [is_small(n, 10) for n in (0, 1, 9, 10)] == [False, True, True, False]
    out = primary(pd.DataFrame({"n": [3, 0, 40], "pct": [5.0, 0.0, 95.0]}), "n", 10, ("pct",))
    assert out["pct"].tolist() == [SUPPRESSED, 0.0, 95.0]
    assert hide_cells(pd.DataFrame({"n": [1, 2]}), np.array([True, False]), ("n",))["n"].tolist() == [SUPPRESSED, 2]
