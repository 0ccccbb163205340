"""How far each headline could move under the linkage error estimated on the UPN subset: a probabilistic bias
analysis (Lash, Fox and Fink 2009; Doidge and Harron 2019 for linkage).

Each draw takes, for each age band, a recall from its posterior on the gold pairs, so a number of true pairs the
passes without a UPN missed; each missed child moves from the outcome rate of unlinked children of that band to
that of children linked without a UPN (the assumption: missed links resemble the links that were made, band by band).
Each probabilistic link is, in the same draw, false with one minus its match probability, moving that child the
other way. The result is the headline's distribution over draws: its median and 95% interval. Missed links that
cluster with the exposure (a surname changed after separation, a refuge move) would push further than this.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.link import error

OTHER = ("name and birth date", "probabilistic")  # links made without a shared identifier
SEED = 20240518


def analyser(cohort: pd.DataFrame, table: pd.DataFrame | None) -> Callable[[np.ndarray, np.ndarray], dict] | None:
    """A function of a measure's masks (hits, among) giving its bias analysis; None without gold pairs."""
    if table is None or not table["_n"].sum() or cohort.empty:
        return None
    rng = np.random.default_rng(SEED)
    bands = error.band(cohort["age_at_index"]).to_numpy()
    labels = table["band"].to_numpy()
    method = cohort["link_method"].to_numpy()
    other = np.isin(method, OTHER)
    unlinked = method == "not linked"
    missed = error.missed_draws(table, pd.Series(bands[other]).value_counts(), rng)  # draws x bands
    prob = method == "probabilistic"
    false = rng.random((error.DRAWS, int(prob.sum()))) < (1 - cohort["match_probability"].to_numpy(float)[prob])
    band_of_prob = pd.Index(labels).get_indexer(bands[prob])

    def corrected(y: np.ndarray) -> np.ndarray:
        linked_rate = np.array([_mean(y[other & (bands == b)]) for b in labels])
        unlinked_rate = np.array([_mean(y[unlinked & (bands == b)]) for b in labels])
        gained = missed @ (linked_rate - unlinked_rate)
        lost = false @ (y[prob] - unlinked_rate[band_of_prob])
        return y.sum() + gained - lost

    def bias(hits: np.ndarray, among: np.ndarray) -> dict:
        among = np.asarray(among, dtype=bool)
        y = np.asarray(hits, dtype=bool) & among
        with np.errstate(invalid="ignore", divide="ignore"):
            share = corrected(y.astype(float)) / corrected(among.astype(float))
        share = share[np.isfinite(share)]
        if share.size == 0:
            return {"median": None, "interval": [None, None], "draws": error.DRAWS}
        low, mid, high = np.percentile(share, [2.5, 50, 97.5])
        return {
            "median": round(float(mid), 3),
            "interval": [round(float(low), 3), round(float(high), 3)],
            "draws": error.DRAWS,
        }

    return bias


def _mean(y: np.ndarray) -> float:
    return float(y.mean()) if y.size else 0.0
