"""Linkage error on real data, where no truth exists (Harron et al. 2017; Doidge and Harron 2019).

Children who hold a UPN in both sources are linked by it, with certainty. The same children, linked again by names,
birth date, sex and postcode alone (their UPN withheld), show how often those passes find a true pair: that is the
recall of the links made without a UPN, estimated on a gold-standard subset. Recall depends on age (young children
rarely hold a UPN and often differ in name or address), so it is estimated by age band at first request; a band with
too few gold pairs borrows the pooled estimate, and says so.

From it: the recall of the whole crosswalk, with an interval; the links and estimated precision at each threshold;
and draws of the number of true pairs each band missed, which the derive stage turns into a bias analysis of each
headline. Aggregates only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.link.passes import Linkage
from analysis.stats.proportions import wilson

BANDS = ((0.0, 5.0, "Under 5"), (5.0, 11.0, "5 to 10"), (11.0, 200.0, "11 and over"))
MIN_GOLD = 30  # a band with fewer gold pairs than this borrows the pooled recall
CERTAIN = ("LA crosswalk", "UPN")  # links by an identifier both sources hold: their recall is not in doubt
DRAWS = 2000


def age_at_request(sen2_person: pd.DataFrame, requests: pd.DataFrame) -> pd.Series:
    """Each SEND person's age in years at their first request (missing with no request), by person_table_id."""
    first = requests.groupby("person_table_id")["received_date"].min()
    dob = sen2_person.drop_duplicates("person_table_id").set_index("person_table_id")["person_birth_date"]
    return ((first.reindex(dob.index) - dob).dt.days / 365.25).rename("age")


def band(age: pd.Series) -> pd.Series:
    """The age band of each age (ages before 0 or missing join the youngest and oldest bands: none is dropped)."""
    edges = [b[0] for b in BANDS[1:]]
    idx = np.searchsorted(edges, age.fillna(BANDS[-1][0]).to_numpy(float), side="right")
    return pd.Series(np.array([b[2] for b in BANDS])[idx], index=age.index)


def recall_table(linkage: Linkage, age: pd.Series) -> pd.DataFrame:
    """By age band: gold pairs, how many the passes without a UPN found again at the run's threshold, that recall
    with its Wilson interval (or the pooled one, `pooled`), and the links made without a shared identifier."""
    xw = linkage.crosswalk.assign(band=lambda d: band(age.reindex(d["person_table_id"])).to_numpy())
    blind = _blind_at(linkage, linkage.threshold)
    blind = blind.assign(band=band(age.reindex(blind["person_table_id"])).to_numpy())
    found, gold = int(blind["found"].sum()), len(blind)
    rows = []
    for label in [b[2] for b in BANDS]:
        g = blind[blind["band"] == label]
        pooled = len(g) < MIN_GOLD
        f, n = (found, gold) if pooled else (int(g["found"].sum()), len(g))
        low, high = wilson(f, n) if n else (None, None)
        rows.append(
            {
                "band": label,
                "gold": len(g),
                "found": int(g["found"].sum()),
                "recall": f / n if n else None,
                "low": low,
                "high": high,
                "pooled": pooled,
                "other_links": int(((xw["band"] == label) & ~xw["method"].isin(CERTAIN)).sum()),
                "certain_links": int(((xw["band"] == label) & xw["method"].isin(CERTAIN)).sum()),
                "_f": f,
                "_n": n,
            }
        )
    return pd.DataFrame(rows)


def estimated_recall(table: pd.DataFrame) -> dict:
    """The recall of the whole crosswalk: certain links count as found; each band's other links are the share
    `recall` of the true pairs without a shared identifier, so those pairs number other / recall."""

    def overall(r: pd.Series) -> float | None:
        if table["other_links"].sum() and (r.isna() | (r <= 0)).any():
            return None
        found = table["certain_links"].sum() + table["other_links"].sum()
        true = table["certain_links"].sum() + (table["other_links"] / r.where(table["other_links"] > 0, 1)).sum()
        return float(found / true) if true else None

    return {
        "value": overall(table["recall"]),
        "interval": [overall(table["low"]), overall(table["high"])],
        "gold_pairs": int(table["gold"].sum()),  # by band only as shares: a band's count may be small
        "by_age_band": [
            {k: row[k] for k in ("band", "recall", "low", "high", "pooled")} for _, row in table.iterrows()
        ],
    }


def sweep(linkage: Linkage) -> list[dict]:
    """At each threshold: the probabilistic links made, Splink's estimate of their precision, and the recall and the
    wrong-link rate of the passes without a UPN on the gold pairs."""
    if linkage.sweep is None:
        return []
    blind = linkage.blind.groupby("threshold")[["found", "wrong"]].mean()
    out = linkage.sweep.drop(columns="pairs").join(blind, on="threshold")
    out = out.rename(
        columns={"mean_probability": "expected_precision", "found": "recall_without_upn", "wrong": "wrong_link_rate"}
    )
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in out.astype(object).to_dict("records")]


def missed_draws(table: pd.DataFrame, other: pd.Series, rng: np.random.Generator, draws: int = DRAWS) -> np.ndarray:
    """Draws (draws × bands) of the true pairs each band missed among `other` links made without a shared
    identifier (by band), with each band's recall drawn from its Jeffreys posterior."""
    f, n = table["_f"].to_numpy(float), table["_n"].to_numpy(float)
    r = rng.beta(f + 0.5, n - f + 0.5, size=(draws, len(table)))
    links = other.reindex(table["band"]).fillna(0).to_numpy(float)
    return links * (1 / np.clip(r, 1e-6, 1) - 1)


def gold_pairs(linkage: Linkage, ssd_person: pd.DataFrame, sen2_person: pd.DataFrame, age: pd.Series) -> pd.DataFrame:
    """The UPN-linked pairs at the run's threshold, one row each: person_table_id, found (without the UPN), the SEND
    record's sex and ethnicity, the age band at first request, and whether the two records' postcodes differ."""
    blind = _blind_at(linkage, linkage.threshold)[["person_table_id", "found"]]
    send = sen2_person.drop_duplicates("person_table_id").set_index("person_table_id")
    pers = linkage.crosswalk.set_index("person_table_id")["pers_person_id"].reindex(blind["person_table_id"])
    csc_post = ssd_person.drop_duplicates("pers_person_id").set_index("pers_person_id")["pers_postcode"]

    def postcode(s: pd.Series) -> pd.Series:
        return s.astype("string").str.upper().str.replace(r"\s", "", regex=True)

    return blind.assign(
        sex=send["sex"].reindex(blind["person_table_id"]).to_numpy(),
        ethnicity=send["ethnicity"].reindex(blind["person_table_id"]).to_numpy() if "ethnicity" in send else pd.NA,
        band=band(age.reindex(blind["person_table_id"])).to_numpy(),
        moved=(
            postcode(send["postcode"].reindex(blind["person_table_id"])).to_numpy()
            != postcode(csc_post.reindex(pers.to_numpy())).to_numpy()
        ),
    ).reset_index(drop=True)


def _blind_at(linkage: Linkage, threshold: float) -> pd.DataFrame:
    if linkage.blind is None:
        return pd.DataFrame(columns=["threshold", "person_table_id", "found", "wrong"])
    return linkage.blind[linkage.blind["threshold"] == threshold]
