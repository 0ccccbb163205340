"""Statistical disclosure control: the one place that decides what is small and writes the suppression symbol.

Every published number goes through a function here. The rule: a count from 1 to below the threshold is
suppressed ("small"; zero is not small), and so is anything that would give it away:

- `suppress` (primary and secondary): where a group has exactly one suppressed cell, the next smallest cell in that
  group (a zero only if nothing else is left) is suppressed too, so no cell can be recovered from the group total.
- `primary`: primary suppression only, for rows that do not add up to a published total.
- `shares` and `measure`: a share is suppressed when its numerator, its denominator or the difference between them
  is small.
- `summary`: a statistic of a group (median, completeness) is shown only for groups of at least the threshold.
- `incidence`: a cumulative incidence is not shown where it rests on few events or few children still followed.

Percentages and intervals derived from a suppressed count are suppressed with it. Readers of published tables
ask `is_suppressed(value)`; nothing else compares against the symbol.
"""

from __future__ import annotations

import numpy as np
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


def suppress(
    table: pd.DataFrame, count: str, threshold: int, group: str | None = None, derived: tuple[str, ...] = ()
) -> pd.DataFrame:
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
    return hide_cells(table, hide, (count, *derived))


def _recoverable(hidden: np.ndarray) -> bool:
    """A single hidden cell in a group with a known total can be recovered by subtraction."""
    return hidden.sum() == 1


def primary(table: pd.DataFrame, count: str, threshold: int, derived: tuple[str, ...] = ()) -> pd.DataFrame:
    """Primary suppression only, for tables whose rows do not add up to a published total (overlapping groups,
    rates, or separate exposures): small counts and the values derived from them.

    >>> primary(pd.DataFrame({"n": [3, 0, 40], "pct": [5.0, 0.0, 95.0]}), "n", 10, ("pct",))["pct"].tolist()
    ['c', 0.0, 95.0]
    """
    values = numeric(table[count])
    hide = values.between(1, threshold - 1).fillna(False).to_numpy(dtype=bool)  # missing is not small
    return hide_cells(table, hide, (count, *derived))


def shares(
    table: pd.DataFrame, numerator: str, denominator: str, threshold: int, derived: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Suppress a share (its counts and `derived` columns) when the numerator, the denominator or the difference
    between them is small: the rule for the headline measures, applied row by row.

    >>> t = pd.DataFrame({"n": [0, 5, 40], "d": [8, 60, 45], "p": [0.0, 0.08, 0.89]})
    >>> shares(t, "n", "d", 10, ("p",))["p"].tolist()
    ['c', 'c', 'c']
    """
    n, d = table[numerator], table[denominator]
    small = n.between(1, threshold - 1) | d.between(1, threshold - 1) | (d - n).between(1, threshold - 1)
    out = table.astype(object)
    out.loc[small.to_numpy(), [numerator, denominator, *derived]] = SUPPRESSED
    return out


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


def measure(m: dict, threshold: int) -> dict:
    """A published measure with disclosure control applied. A share (numerator, denominator) is suppressed when
    either, or their difference, is small; an estimate built on several groups (`counts`: children and events per
    group, e.g. a risk ratio) when any count, or any group's children without the event, is small."""
    if "counts" in m:
        c = m["counts"]
        pairs = [(c[k], c[k.replace("_requests", "_children")]) for k in c if k.endswith("_requests")]
        small = any(is_small(v, threshold) for v in c.values()) or any(is_small(n - e, threshold) for e, n in pairs)
    else:
        small = any(
            is_small(v, threshold) for v in (m["numerator"], m["denominator"], m["denominator"] - m["numerator"])
        )
    return _suppressed(m, threshold) if small else {**m, "suppressed": False}


def _suppressed(m: dict, threshold: int) -> dict:
    hidden = {k: None for k in ("numerator", "denominator", "value") if k in m}
    hidden.update({k: [None] * len(v) for k, v in m.items() if k in ("interval", "e_value") and isinstance(v, list)})
    if "counts" in m:
        hidden["counts"] = {k: None for k in m["counts"]}
    return {**m, **hidden, "suppressed": True, "threshold": threshold}


def measures(all_measures: dict, threshold: int) -> dict:
    """Every measure of a measures mapping (single measures and lists of them) through `measure`; then a measure
    that `rests_on` others (a standardised share built from strata) is suppressed when any of them is."""
    out = {}
    for k, v in all_measures.items():
        if isinstance(v, dict) and ("numerator" in v or "counts" in v):
            out[k] = measure(v, threshold)
        elif isinstance(v, list):
            out[k] = [measure(m, threshold) for m in v]
        else:
            out[k] = v
    hidden = {
        m["name"]
        for v in out.values()
        for m in (v if isinstance(v, list) else [v])
        if isinstance(m, dict) and m.get("suppressed")
    }
    for k, v in out.items():
        if isinstance(v, dict) and set(v.get("rests_on", ())) & hidden and not v["suppressed"]:
            out[k] = _suppressed(v, threshold)
    return out


def counts_and_share(counts: dict, total: str, part: str, share: str, threshold: int) -> dict:
    """A record of counts with a share of `part` in `total` (e.g. linkage: linked of SEND people): every count and
    the share are suppressed when any count, or the difference between `total` and `part`, is small."""
    values = [v for k, v in counts.items() if k != share]
    if any(is_small(v, threshold) for v in values) or is_small(counts[total] - counts[part], threshold):
        return {**counts, **{k: SUPPRESSED for k in counts}}
    return dict(counts)


def incidence(table: pd.DataFrame, threshold: int, events: str, at_risk: str, values: tuple[str, ...]) -> pd.DataFrame:
    """A cumulative incidence table: values resting on few events, or on few children still followed, are not
    shown, and small numbers followed are suppressed."""
    small = table[events].between(1, threshold - 1) | (table[at_risk] < threshold)
    out = hide_cells(table, small.to_numpy(), values)
    out[at_risk] = [safe_count(n, threshold) for n in out[at_risk]]
    return out
