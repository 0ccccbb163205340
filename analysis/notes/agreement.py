"""How far the coder agrees with people: per domain, over the children a reference (a manual review, or the
synthetic truth) covers, precision, recall, F1 and Cohen's kappa with 95% intervals, and agreement on the date
first documented (within 30 days).

Intervals: Wilson for precision, recall and date agreement (`analysis.stats.proportions`, statsmodels); for kappa
the asymptotic standard error of statsmodels' `cohens_kappa`; for F1 a bootstrap over children (multinomial on the
four cells, which is the same as resampling children for one domain).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.stats.proportions import wilson

AGREEMENT_COLUMNS = [
    "domain",
    "children",
    "tp",
    "fp",
    "fn",
    "tn",
    "precision",
    "precision_low",
    "precision_high",
    "recall",
    "recall_low",
    "recall_high",
    "f1",
    "f1_low",
    "f1_high",
    "kappa",
    "kappa_low",
    "kappa_high",
    "dates_compared",
    "dates_within",
    "date_agreement",
    "date_low",
    "date_high",
]


def f1_interval(tp: int, fp: int, fn: int, tn: int, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval for F1, resampling children (a multinomial over the four cells)."""
    n = tp + fp + fn + tn
    if n == 0 or tp == 0:
        return (float("nan"), float("nan"))
    cells = np.random.default_rng(seed).multinomial(n, np.array([tp, fp, fn, tn]) / n, size=draws)
    denominator = 2 * cells[:, 0] + cells[:, 1] + cells[:, 2]
    f1 = np.divide(2 * cells[:, 0], denominator, out=np.zeros(draws), where=denominator > 0)
    low, high = np.quantile(f1, [0.025, 0.975])
    return (float(low), float(high))


def kappa(tp: int, fp: int, fn: int, tn: int) -> tuple[float, float, float]:
    """Cohen's kappa with its 95% interval (statsmodels; rows the reference, columns the coder)."""
    if len({tp + fp, fn + tn} - {0}) < 2 and len({tp + fn, fp + tn} - {0}) < 2:
        return (float("nan"),) * 3  # one rater says one thing throughout: kappa is not defined
    from statsmodels.stats.inter_rater import cohens_kappa  # heavy: loaded only when there are notes to judge

    try:
        res = cohens_kappa(np.array([[tn, fp], [fn, tp]]))
    except (ZeroDivisionError, FloatingPointError, ValueError):
        return (float("nan"),) * 3
    return (float(res.kappa), float(res.kappa_low), float(res.kappa_upp))


def _cells(coded: pd.DataFrame, reference: pd.DataFrame, children: pd.Index, domain: str):
    c = coded[coded["domain"] == domain].drop_duplicates("person_id").set_index("person_id")["date"]
    r = reference[reference["domain"] == domain].drop_duplicates("person_id").set_index("person_id")["date"]
    said_c = children.isin(c.index)
    said_r = children.isin(r.index)
    both = children[said_c & said_r]
    days = (pd.to_datetime(c.reindex(both)) - pd.to_datetime(r.reindex(both))).abs().dt.days.to_numpy()
    counts = [int((said_c & said_r).sum()), int((said_c & ~said_r).sum()), int((~said_c & said_r).sum())]
    return counts + [len(children) - sum(counts)], days


def agreement(
    coded: pd.DataFrame, reference: pd.DataFrame, children, domains=None, within_days: int = 30, seed: int = 0
) -> pd.DataFrame:
    """Coder against reference per domain (AGREEMENT_COLUMNS). `coded` and `reference` have person_id, domain and
    date (one row per child and domain: `coder.first_documented` for the coder); `children` are the children the
    reference covers (a child the reference read and found nothing in counts as a negative)."""
    children = pd.Index(pd.unique(pd.Series(list(children), dtype=object)))
    coded = coded[coded["person_id"].isin(children)]
    reference = reference[reference["person_id"].isin(children)]
    domains = list(domains) if domains is not None else sorted(set(coded["domain"]) | set(reference["domain"]))
    rows = []
    for domain in domains:
        (tp, fp, fn, tn), days = _cells(coded, reference, children, domain)
        rows.append(_row(domain, len(children), tp, fp, fn, tn, len(days), int((days <= within_days).sum()), seed))
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def pooled(table: pd.DataFrame, label: str = "all", seed: int = 0) -> pd.DataFrame:
    """One row over every domain of an `agreement` table: its cells summed over child and domain pairs (each child
    judged once per domain), so the figures a domain's few disagreements would reveal on their own can be shown
    together. Pairs of one child are not independent: the intervals are a little too narrow."""
    if table.empty:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    cells = [int(v) for v in table[["tp", "fp", "fn", "tn", "dates_compared", "dates_within"]].sum()]
    return pd.DataFrame([_row(label, int(table["children"].iloc[0]), *cells, seed)], columns=AGREEMENT_COLUMNS)


def _row(domain, children: int, tp: int, fp: int, fn: int, tn: int, compared: int, within: int, seed: int) -> tuple:
    """One row of AGREEMENT_COLUMNS from the four cells and the dates compared."""
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else (float("nan") if not (fp or fn) else 0.0)
    return (domain, children, tp, fp, fn, tn, precision, *wilson(tp, tp + fp), recall, *wilson(tp, tp + fn),
            f1, *f1_interval(tp, fp, fn, tn, seed=seed), *kappa(tp, fp, fn, tn), compared, within,
            within / compared if compared else float("nan"), *wilson(within, compared))  # fmt: skip


def from_review(review: pd.DataFrame) -> pd.DataFrame:
    """An `adversity_review` table (person_id, adversity_type, date_first_documented) as a reference: person_id,
    domain, date, the earliest date where a child has two rows for one domain."""
    ref = pd.DataFrame(
        {
            "person_id": review["person_id"],
            "domain": review["adversity_type"],
            "date": pd.to_datetime(review["date_first_documented"]),
        }
    )
    return ref.sort_values("date").drop_duplicates(["person_id", "domain"]).reset_index(drop=True)
