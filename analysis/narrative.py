"""Numbers as words: the formats every chapter uses, so prose and tables agree.

>>> pct(0.54)
'54.0%'
>>> share({"numerator": 54, "denominator": 100, "value": 0.54, "interval": [0.4426, 0.6344]})
'54 of 100 (54.0%; 95% CI 44.3% to 63.4%)'
"""

from __future__ import annotations

import math


def pct(x: float, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "not available"
    return f"{100 * x:.{digits}f}%"


def count(n) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def share(m: dict) -> str:
    """A measure as 'n of N (p%; 95% CI a% to b%)', or a statement that it is suppressed."""
    if m.get("suppressed"):
        return f"fewer than {m['threshold']} children (suppressed)"
    if not m["denominator"]:
        return "no children"
    low, high = m["interval"]
    return f"{count(m['numerator'])} of {count(m['denominator'])} ({pct(m['value'])}; 95% CI {pct(low)} to {pct(high)})"


def years(x: float) -> str:
    return "not available" if x is None or math.isnan(x) else f"{x:.1f} years"


def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def cell_pct(v) -> str:
    """A table cell holding a proportion, or the suppression symbol.

    >>> cell_pct(0.125), cell_pct("c")
    ('12.5%', 'c')
    """
    return v if isinstance(v, str) else pct(v)


def odds_ratio_sentence(table, exposure: str) -> str:
    """The crude and adjusted odds ratios for one exposure, as a sentence (or why there are none)."""
    t = table[table["Exposure"] == exposure].set_index("Model") if len(table) else table
    if len(t) < 2:
        return f"There were too few children to estimate odds ratios for {exposure.lower()}."
    c, a = t.loc["crude"], t.loc["adjusted"]
    return (f"Children with {exposure.lower()} had {c['Odds ratio']:.2f} times the odds of having an EHC plan "
            f"(95% CI {c['Lower 95%']:.2f} to {c['Upper 95%']:.2f}); after adjustment, "
            f"{a['Odds ratio']:.2f} (95% CI {a['Lower 95%']:.2f} to {a['Upper 95%']:.2f}).")
