"""Statistical disclosure control: the one place that says what is small and writes the suppression symbol.

The rule: a count from 1 to below the threshold is small (zero is not: it reveals nothing about a child). Which
cells a report hides is decided over everything it publishes at once by the registry and its attacker
(`privacy.registry`, `privacy.attack`, `privacy.protect`), which call `hide_cells` here; `summary` shows a statistic
of a group only for groups of at least the threshold; `primary` and `safe_count` serve the many-authority
comparison, which republishes counts authorities have already released. Readers of published tables ask
`is_suppressed(value)`; nothing else compares against the symbol.
"""

from __future__ import annotations

import pandas as pd

SUPPRESSED = "c"  # the GSS symbol DfE uses for a confidential value
WRITTEN_FORMS = frozenset({SUPPRESSED, f"[{SUPPRESSED}]"})  # how authorities write it in what they send


def is_small(n, threshold: int) -> bool:
    """A count from 1 to below the threshold (zero is not small: it reveals nothing about a child).

    >>> is_small(3, 10), is_small(0, 10), is_small(10, 10)
    (True, False, False)
    """
    return 1 <= n < threshold


def is_suppressed(value) -> bool:
    """Whether a published cell holds the suppression symbol rather than a value."""
    return isinstance(value, str) and value == SUPPRESSED


def numeric(values: pd.Series) -> pd.Series:
    """A published column as numbers, suppressed cells as NaN (for drawing or ordering)."""
    as_object = values.astype(object)
    return pd.to_numeric(as_object.where(as_object != SUPPRESSED), errors="coerce")


def shown(values: pd.Series) -> pd.Series:
    """Which cells of a published column hold a value (not the suppression symbol)."""
    return values.astype(object) != SUPPRESSED


def safe_count(n: int, threshold: int) -> int | str:
    """A single published count: suppressed when small."""
    return SUPPRESSED if is_small(n, threshold) else int(n)


def primary(table: pd.DataFrame, count: str, threshold: int, derived: tuple[str, ...] = ()) -> pd.DataFrame:
    """Primary suppression only, for tables whose rows do not add up to a published total (overlapping groups,
    rates, or separate exposures): small counts and the values derived from them.

    >>> primary(pd.DataFrame({"n": [3, 0, 40], "pct": [5.0, 0.0, 95.0]}), "n", 10, ("pct",))["pct"].tolist()
    ['c', 0.0, 95.0]
    """
    values = numeric(table[count])
    hide = values.between(1, threshold - 1).fillna(False).to_numpy(dtype=bool)  # missing is not small
    return hide_cells(table, hide, (count, *derived))


def summary(values: pd.Series, threshold: int, statistic) -> object:
    """A statistic of a group of values, or the symbol unless the group has at least `threshold` members (a median
    of three children is nearly a child's own value; an empty group has no statistic to show)."""
    return statistic(values) if len(values) >= threshold else SUPPRESSED


def hide_cells(table: pd.DataFrame, rows, columns: tuple[str, ...]) -> pd.DataFrame:
    """The table with the given columns of the given rows (a boolean mask) suppressed."""
    out = table.copy()
    for col in columns:
        out[col] = out[col].astype(object)
        out.loc[rows, col] = SUPPRESSED
    return out
