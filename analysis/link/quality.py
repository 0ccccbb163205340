"""How good the linkage is: match rates, the weight distribution, and precision and recall against ground truth
where it exists (synthetic data) or Splink's own estimate where it does not. Aggregates only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.link import error
from analysis.link.passes import Linkage


def quality(linkage: Linkage, truth_dir: Path | None, age: pd.Series | None = None) -> dict:
    """Headline linkage quality, as written to OUT/linkage.json. `age`: each SEND person's age at first request, by
    person_table_id (error.age_at_request), for the estimates by age band."""
    age = pd.Series(dtype=float) if age is None else age
    table = error.recall_table(linkage, age)
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
        "recall_under_5_at_request": None,
        "recall_5_plus_at_request": None,
        "estimated_recall": error.estimated_recall(table) if linkage.blind is not None else None,
        "threshold_sweep": error.sweep(linkage),
        "_recall_table": table,
    }
    if truth_dir is None:
        return out
    truth = pd.read_csv(Path(truth_dir) / "person_links.csv", dtype={"pers_person_id": str, "person_table_id": str})
    keys = ["pers_person_id", "person_table_id"]
    true_links = len(linkage.crosswalk.merge(truth[keys], on=keys))
    found = truth.merge(linkage.crosswalk[keys], on=keys, how="left", indicator=True)
    hit = found["_merge"] == "both"
    young = found["age_first_known_to_csc"] < 5
    young_at_request = age.reindex(found["person_table_id"]).to_numpy() < 5
    out.update(
        {
            "precision": true_links / len(linkage.crosswalk) if len(linkage.crosswalk) else None,
            "recall": float(hit.mean()) if len(found) else None,
            "recall_under_5": float(hit[young].mean()) if young.any() else None,
            "recall_5_plus": float(hit[~young].mean()) if (~young).any() else None,
            "recall_under_5_at_request": float(hit[young_at_request].mean()) if young_at_request.any() else None,
            "recall_5_plus_at_request": float(hit[~young_at_request].mean()) if (~young_at_request).any() else None,
        }
    )
    return out
