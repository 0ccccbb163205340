"""How good the linkage is: match rates, the weight distribution, and precision and recall against ground truth
where it exists (synthetic data) or Splink's own estimate where it does not. Aggregates only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.link.passes import Linkage
from analysis.privacy import disclosure


def quality(linkage: Linkage, truth_dir: Path | None) -> dict:
    """Headline linkage quality, as written to OUT/linkage.json."""
    out = {
        "match_rate": len(linkage.crosswalk) / max(linkage.send_people, 1),
        "send_people": linkage.send_people,
        "csc_people": linkage.csc_people,
        "linked": len(linkage.crosswalk),
        "expected_precision": linkage.expected_precision(),
        "probabilistic_pass": linkage.probabilistic_note,
        "precision": None,
        "recall": None,
        "recall_under_5": None,
        "recall_5_plus": None,
    }
    if truth_dir is None:
        return out
    truth = pd.read_csv(Path(truth_dir) / "person_links.csv", dtype={"pers_person_id": str, "person_table_id": str})
    keys = ["pers_person_id", "person_table_id"]
    true_links = len(linkage.crosswalk.merge(truth[keys], on=keys))
    found = truth.merge(linkage.crosswalk[keys], on=keys, how="left", indicator=True)
    hit = found["_merge"] == "both"
    young = found["age_first_known_to_csc"] < 5
    out.update(
        {
            "precision": true_links / len(linkage.crosswalk) if len(linkage.crosswalk) else None,
            "recall": float(hit.mean()) if len(found) else None,
            "recall_under_5": float(hit[young].mean()) if young.any() else None,
            "recall_5_plus": float(hit[~young].mean()) if (~young).any() else None,
        }
    )
    return out


def public(quality_: dict, threshold: int) -> dict:
    """Linkage quality as published: the counts and the match rate built on them go through disclosure control
    (precision and recall against synthetic ground truth are kept: they describe the method)."""
    counts = {k: quality_[k] for k in ("send_people", "csc_people", "linked", "match_rate")}
    return {**quality_, **disclosure.counts_and_share(counts, "send_people", "linked", "match_rate", threshold)}


def by_group(cohort: pd.DataFrame, column: str, label: str) -> pd.DataFrame:
    """Share of cohort children linked to a social care record, by a cohort column (e.g. age band, year)."""
    g = cohort.assign(linked=cohort["link_method"] != "not linked").groupby(column, observed=True)["linked"]
    return pd.DataFrame(
        {label: g.size().index.astype(str), "Children": g.size().to_numpy(), "Linked": g.sum().to_numpy().astype(int)}
    )


def weight_histogram(weights: pd.Series | None, width: float = 5.0) -> pd.DataFrame:
    """Candidate pairs scored by Splink, by match weight band."""
    if weights is None or weights.empty:
        return pd.DataFrame({"Match weight from": [], "Pairs": []})
    edges = np.arange(np.floor(weights.min() / width) * width, weights.max() + width, width)
    counts, edges = np.histogram(weights, bins=edges)
    return pd.DataFrame({"Match weight from": edges[:-1], "Pairs": counts})
