"""Which children a reviewer should read next, so that each domain's precision and recall can be estimated to a
chosen half-width (±5 points by default), and the blank, blinded review sheet for them.

Per domain, the children fall in three strata by what the coder did: *affirmed* (the coder counts the domain:
their review estimates precision), *mentioned, not counted* (the lexicon found a mention the rules discounted:
negated, hypothetical, before birth, another person's; this is where the coder's misses gather), and *not
mentioned*. Each stratum needs n = z² p(1 − p) / h² reviewed children (Wilson-style normal approximation) at the
expected proportion p; the not-mentioned stratum gets a smaller fixed check. Children are read whole, so a child
drawn for one domain counts for every domain; rare domains are drawn first, and children already reviewed count.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.privacy import safe_text

PLAN_COLUMNS = ["order", "person_id", "domain", "stratum"]
# reviewed: read in an earlier review; for a rarer domain: drawn in this plan for a domain planned before this one
# (a child is read whole, so counts for every domain); planned: drawn for this domain and stratum
SUMMARY_COLUMNS = ["domain", "stratum", "children", "needed", "reviewed", "for a rarer domain", "planned"]
SHEET_COLUMNS = ["person_id", "domain", "found", "date_first_documented", "reviewer", "comment"]
STRATA = ("affirmed", "mentioned, not counted", "not mentioned")


def sample_size(half_width: float = 0.05, expected: float = 0.5, confidence: float = 0.95) -> int:
    """Children to review for a proportion near `expected` to be estimated to ± `half_width`.

    >>> sample_size(0.05, 0.5), sample_size(0.05, 0.9)
    (385, 139)
    """
    z = norm.ppf(0.5 + confidence / 2)
    return math.ceil(z * z * expected * (1 - expected) / half_width**2)


def strata(coded: pd.DataFrame, children, domains) -> pd.DataFrame:
    """Each child's stratum for each domain (person_id, domain, stratum)."""
    children = pd.Index(pd.unique(pd.Series(list(children), dtype=object)))
    hits = coded[coded["affirmed"].astype(bool)]
    affirmed = set(zip(hits["person_id"], hits["domain"]))
    mentioned = set(zip(coded["person_id"], coded["domain"]))
    rows = [
        (p, d, STRATA[0] if (p, d) in affirmed else STRATA[1] if (p, d) in mentioned else STRATA[2])
        for d in domains
        for p in children
    ]
    return pd.DataFrame(rows, columns=["person_id", "domain", "stratum"])


def review_plan(
    coded: pd.DataFrame,
    children,
    domains,
    reviewed=(),
    half_width: float = 0.05,
    expected: float = 0.9,
    not_mentioned: int = 50,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The children to read next, in order (PLAN_COLUMNS: the domain and stratum that brought each in), and per
    domain and stratum how many children there are, are needed, were reviewed before, were drawn for a rarer domain
    and are planned (SUMMARY_COLUMNS)."""
    rng = np.random.default_rng(seed)
    table = strata(coded, children, domains)
    before = {str(p) for p in reviewed}
    taken = set(before)
    plan, summary = [], []
    need = {STRATA[0]: sample_size(half_width, expected), STRATA[1]: sample_size(half_width, expected)}
    need[STRATA[2]] = not_mentioned
    sizes = table[table["stratum"] == STRATA[0]].groupby("domain").size().reindex(list(domains), fill_value=0)
    for domain in sizes.sort_values(kind="stable").index:  # rare domains first
        for stratum in STRATA:
            pool = table.loc[(table["domain"] == domain) & (table["stratum"] == stratum), "person_id"].astype(str)
            have, earlier = int(pool.isin(taken).sum()), int(pool.isin(before).sum())
            wanted = min(need[stratum], len(pool))
            fresh = pool[~pool.isin(taken)].to_numpy()
            add = list(rng.permutation(fresh)[: max(0, wanted - have)])
            plan += [(p, domain, stratum) for p in add]
            taken.update(add)
            summary.append((domain, stratum, len(pool), wanted, earlier, have - earlier, len(add)))
    out = pd.DataFrame(plan, columns=["person_id", "domain", "stratum"])
    out.insert(0, "order", range(1, len(out) + 1))
    return out[PLAN_COLUMNS], pd.DataFrame(summary, columns=SUMMARY_COLUMNS)


def write_review_sheet(plan: pd.DataFrame, domains, path: Path, seed: int = 0) -> pd.DataFrame:
    """A blank review sheet: one row per planned child and domain (a reviewer records absence as well as
    presence), children in random order and without the coder's result or stratum (blinded). Written
    formula-safe; it holds child identifiers, so it belongs with the private data."""
    people = np.random.default_rng(seed).permutation(plan["person_id"].drop_duplicates().to_numpy())
    sheet = pd.DataFrame([(p, d) for p in people for d in domains], columns=SHEET_COLUMNS[:2])
    for col in SHEET_COLUMNS[2:]:
        sheet[col] = ""
    safe_text.write_csv(sheet, Path(path))
    return sheet
