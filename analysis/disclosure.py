"""Statistical disclosure control for published tables.

Primary suppression: counts from 1 to below the threshold. Secondary suppression: where a group has exactly one
suppressed cell, the next smallest cell in that group (a zero only if nothing else is left) is suppressed too, so no suppressed cell can be recovered by
subtraction from the group total. Percentages of suppressed cells are suppressed with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUPPRESSED = "c"  # the GSS symbol DfE uses for a confidential value


def suppress(table: pd.DataFrame, count: str, threshold: int, group: str | None = None,
             derived: tuple[str, ...] = ()) -> pd.DataFrame:
    """Suppress `count` (and the `derived` columns on the same rows). Returns a table of strings for publication.

    >>> t = pd.DataFrame({"sex": ["F", "M", "U"], "n": [40, 57, 3]})
    >>> suppress(t, "n", 10)["n"].tolist()
    ['c', 57, 'c']
    """
    counts = table[count].to_numpy()
    hide = (counts >= 1) & (counts < threshold)
    keys = table[group] if group else pd.Series(0, index=table.index)
    for _, idx in table.groupby(keys, sort=False).groups.items():
        pos = table.index.get_indexer(idx)
        while _recoverable(hide[pos]) and (~hide[pos]).any():
            # hide the smallest other cell; a zero only when no other cell is left, since a group of one small
            # count and zeros would otherwise give the count away through its total
            open_ = pos[~hide[pos]]
            nonzero = open_[counts[open_] > 0]
            pick = nonzero if nonzero.size else open_
            hide[pick[np.argmin(counts[pick])]] = True
    out = table.copy()
    for col in (count, *derived):
        out[col] = out[col].astype(object)
        out.loc[hide, col] = SUPPRESSED
    return out


def _recoverable(hidden: np.ndarray) -> bool:
    """A single hidden cell in a group with a known total can be recovered by subtraction."""
    return hidden.sum() == 1


def safe_count(n: int, threshold: int) -> int | str:
    """A single published count: suppressed when from 1 to below the threshold."""
    return SUPPRESSED if 1 <= n < threshold else int(n)


def primary(table: pd.DataFrame, count: str, threshold: int, derived: tuple[str, ...] = ()) -> pd.DataFrame:
    """Primary suppression only, for tables whose rows do not add up to a published total (overlapping groups,
    rates, or separate exposures): counts from 1 to below the threshold and the values derived from them.

    >>> primary(pd.DataFrame({"n": [3, 0, 40], "pct": [5.0, 0.0, 95.0]}), "n", 10, ("pct",))["pct"].tolist()
    ['c', 0.0, 95.0]
    """
    values = pd.to_numeric(table[count].astype(object).where(table[count].astype(object) != SUPPRESSED),
                           errors="coerce")
    hide = values.between(1, threshold - 1).fillna(False).to_numpy(dtype=bool)  # missing is not small
    out = table.copy()
    for col in (count, *derived):
        out[col] = out[col].astype(object)
        out.loc[hide, col] = SUPPRESSED
    return out


def shares(table: pd.DataFrame, numerator: str, denominator: str, threshold: int,
           derived: tuple[str, ...] = ()) -> pd.DataFrame:
    """Suppress a share (its counts and `derived` columns) when the numerator, the denominator or the difference
    between them is from 1 to below the threshold: the rule for the headline measures, applied row by row.

    >>> t = pd.DataFrame({"n": [0, 5, 40], "d": [8, 60, 45], "p": [0.0, 0.08, 0.89]})
    >>> shares(t, "n", "d", 10, ("p",))["p"].tolist()
    ['c', 'c', 'c']
    """
    n, d = table[numerator], table[denominator]
    small = n.between(1, threshold - 1) | d.between(1, threshold - 1) | (d - n).between(1, threshold - 1)
    out = table.astype(object)
    out.loc[small.to_numpy(), [numerator, denominator, *derived]] = SUPPRESSED
    return out
