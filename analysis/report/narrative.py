"""Numbers as words: the formats every chapter uses, so prose and tables agree.

>>> pct(0.54)
'54.0%'
>>> share({"numerator": 54, "denominator": 100, "value": 0.54, "interval": [0.4426, 0.6344]})
'54 of 100 (54.0%; 95% CI 44.3% to 63.4%)'
"""

from __future__ import annotations

import math
import re

from analysis.privacy import disclosure


def pct(x: float, digits: int = 1) -> str:
    if disclosure.is_suppressed(x):
        return "a suppressed share"
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
    return v if disclosure.is_suppressed(v) else pct(v)


def odds_ratio_sentence(table, exposure: str) -> str:
    """The crude and adjusted odds ratios for one exposure, as a sentence (or why there are none)."""
    t = table[table["Exposure"] == exposure].set_index("Model") if len(table) else table
    if len(t) < 2:
        return f"There were too few children to estimate odds ratios for {exposure.lower()}."
    c, a = t.loc["crude"], t.loc["adjusted"]
    return (
        f"Children with {exposure.lower()} had {c['Odds ratio']:.2f} times the odds of having an EHC plan "
        f"(95% CI {c['Lower 95%']:.2f} to {c['Upper 95%']:.2f}); after adjustment, "
        f"{a['Odds ratio']:.2f} (95% CI {a['Lower 95%']:.2f} to {a['Upper 95%']:.2f})."
    )


def count_of(table, column: str, rows) -> str:
    """The sum of a count column over some rows, or 'a suppressed number of' if any of them is suppressed."""
    values = table.loc[rows, column]
    if any(disclosure.is_suppressed(v) for v in values):
        return "a small, suppressed number of"
    return count(int(sum(values)))


def top_combination(combinations) -> str:
    """The commonest combination of two or more domains, as words."""
    multi = combinations[
        combinations["Combination"].str.contains(r" \+ ") & (disclosure.shown(combinations["Children"]))
    ]
    if multi.empty:
        return "no combination was common enough to show"
    row = multi.sort_values("Children", ascending=False).iloc[0]
    return f"{row['Combination'].replace(' + ', ' with ').lower()} ({count(int(row['Children']))} children)"


def highest_share(table, label: str) -> str:
    """Which category has the highest (unsuppressed) share, as a sentence fragment."""
    t = table[disclosure.shown(table["Share"])]
    if t.empty:
        return "Numbers by type of need are too small to show"
    row = t.sort_values("Share", ascending=False).iloc[0]
    which = f"{label.lower()} was {str(row[label]).lower()}"
    return f"Adversity was most often documented for children whose {which} ({pct(row['Share'])})"


def event_order(events) -> str:
    """The typical order of first events, as a sentence."""
    t = events[disclosure.shown(events["Median age"])]
    if t.empty:
        return "Numbers are too small to show the order of events"
    t = t.sort_values("Median age")
    steps = [f"{str(r['Event']).lower()} (median age {float(r['Median age']):.1f})" for _, r in t.iterrows()]
    return "Typically, " + listing(steps) + ", in that order"


def flow_sentence(flow) -> str:
    """The selection flow as a sentence: each step with its count."""

    def children(n) -> str:
        return n if disclosure.is_suppressed(n) else count(int(n))

    parts = [f"{str(r['Step']).lower()} {children(r['Children'])}" for _, r in flow.iterrows()]
    return "; ".join(parts)


def lowest_completeness(table) -> str:
    """The least complete field, as a sentence fragment."""
    t = table[disclosure.shown(table["Complete"])]
    if t.empty:
        return "too few records to judge completeness"
    row = t.sort_values("Complete").iloc[0]
    when = "" if row["Year"] == "All years" else f" in {row['Year']}"
    return f"the least complete is {row['Field']}, {pct(row['Complete'])} complete{when}"


def largest(table, label: str, lead: str = "the largest group is") -> str:
    """The largest category of a count table (a `label` column and a 'Children' column), as words.

    >>> import pandas as pd
    >>> largest(pd.DataFrame({"Route": ["Contact", "Referral"], "Children": [40, "c"]}), "Route", "the commonest is")
    'the commonest is contact (40 children)'
    """
    t = table[disclosure.shown(table["Children"])]
    if t.empty:
        return "numbers are too small to show"
    row = t.sort_values("Children", ascending=False).iloc[0]
    return f"{lead} {str(row[label]).lower()} ({count(int(row['Children']))} children)"


def incidence_at(table, age: int) -> str:
    """Cumulative incidence by group at an age, as words."""
    if len(table) == 0:
        return "too few children could be followed"
    t = table[(table["Age"] == age) & (disclosure.shown(table["Cumulative incidence"]))]
    if t.empty:
        return f"numbers at age {age} are too small to show"
    return f"by age {age}, " + listing(
        [
            f"{pct(float(r['Cumulative incidence']))} of children with "
            f"{str(r['Group'])[0].lower() + str(r['Group'])[1:]}"
            for _, r in t.iterrows()
        ]
    )


def cost_sentence(costs, age: int) -> str:
    """The cost of need (a `Costs` section, or None), as a sentence."""
    if costs is None:
        return "No unit costs were given, so no costs are estimated (set unit_costs in the parameters file)."
    if costs.suppressed or not costs.table:
        return "Too few children had early adversity to estimate costs."
    total = dict(zip(costs.table["columns"], costs.table["data"][-1]))
    return (
        f"For the {count(int(costs.children))} children whose adversity was first documented before age {age}, "
        f"services recorded here cost an estimated £{total['central']:,.0f} over the study years (range "
        f"£{total['low']:,.0f} to £{total['high']:,.0f})."
    )


def recommendation(rec, measures: dict) -> str:
    """A recommendation's text with each measure it cites (`{name}`) written out as 'n of N (p%; ...)'."""
    return re.sub(r"\{(\w+)\}", lambda m: share(measures[m.group(1)]), rec.text)


def linkage_quality(lk) -> str:
    """How good the linkage was, as sentences: precision and recall against synthetic ground truth where it
    exists, otherwise Splink's own estimate; and whether the probabilistic pass ran."""
    if lk.precision is not None:
        text = (
            f"Against the known true links of this synthetic authority, precision was {pct(lk.precision)} "
            f"and recall {pct(lk.recall)}: {pct(lk.recall_under_5)} for children first known to social care "
            f"before age five and {pct(lk.recall_5_plus)} for older children."
        )
    else:
        text = (
            "No true links are known for real data; Splink's own estimate of precision (the mean match "
            f"probability of accepted links) is {pct(lk.expected_precision)}."
        )
    if lk.probabilistic_pass != "ran":
        text += f" The probabilistic pass did {lk.probabilistic_pass}."
    return text


SOURCE_KINDS = {
    "ssd": "Standard Safeguarding Dataset tables and SEN2 modules",
    "returns": "the Children in Need census and SEN2 returns",
    "templates": "the project's extract templates",
}


def source_kind(kind: str) -> str:
    """What the extract was made of, in words."""
    return SOURCE_KINDS[kind]
