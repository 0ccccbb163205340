"""The population comparison, disclosure-controlled: the landmark study's tables, measures and what the chapter says.

Without a resident population table nothing is computed: the chapter says why (`population.WHY_NOT`).
"""

from __future__ import annotations

import pandas as pd

from analysis.derive import landmark, population
from analysis.derive.adversity import CodingFrame
from analysis.derive.study import ComparisonInfo
from analysis.privacy import disclosure
from analysis.stats.proportions import wilson

CIF_COLUMNS = {
    "age": "Age",
    "cumulative_incidence": "Cumulative incidence",
    "lower": "Lower 95%",
    "upper": "Upper 95%",
    "at_risk": "Children followed",
}


EMPTY_TABLES = {
    "landmark_flow": pd.DataFrame(columns=["Step", "Children"]),
    "comparison_prevalence": pd.DataFrame(
        columns=["Exposure", "Group", "Children", "With exposure", "Share", "Lower 95%", "Upper 95%"]
    ),
    "odds_ratios": pd.DataFrame(columns=landmark.OR_COLUMNS),
    "cumulative_incidence": pd.DataFrame(columns=[*CIF_COLUMNS.values(), "Group"]),
}


def compare(pop: pd.DataFrame | None, frame: CodingFrame, design: landmark.Design, threshold: int) -> dict:
    """Tables, measures and the chapter's facts of the landmark comparison (all empty without a population)."""
    if pop is None:  # nothing is computed; the tables stay empty so their downloads hold only headers
        info = ComparisonInfo(False, population.WHY_NOT, design.landmark, design.horizon, None, [], None)
        return {"tables": {k: t.copy() for k, t in EMPTY_TABLES.items()}, "measures": {}, "info": info}
    f, steps = landmark.eligible(pop, design)
    early = f"Adversity before age {design.landmark}"
    exposures = [("early_adversity", early)] + [
        (c, frame.label(c.removeprefix("domain_"))) for c in sorted(f) if c.startswith("domain_")
    ]
    cif = landmark.incidence(f, design)
    ors = landmark.odds_ratios(f, exposures, min_exposed=threshold)
    risks = landmark.risks_at_horizon(f, cif, design)
    imd = bool(f["imd_decile"].notna().all()) if len(f) else False
    info = ComparisonInfo(
        available=True,
        why_not=None,
        landmark_age=design.landmark,
        horizon_age=design.horizon,
        eligible=disclosure.safe_count(len(f), threshold),
        adjusted_for=["sex", "birth year"] + (["deprivation decile"] if imd else []),
        followed_to_horizon=disclosure.safe_count(int(f["followed_to_horizon"].sum()), threshold),
    )
    tables = {
        "landmark_flow": disclosure.primary(pd.DataFrame(steps, columns=["Step", "Children"]), "Children", threshold),
        "comparison_prevalence": _prevalence(landmark.prevalence(f, exposures), threshold),
        "odds_ratios": _odds_ratios(ors, landmark.followed(f), exposures, threshold),
        "cumulative_incidence": _incidence(cif, threshold),
    }
    return {"tables": tables, "measures": landmark.measures(risks, ors, design, early), "info": info}


def _incidence(cif: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Cumulative incidence as published: not shown where it rests on few requests or few children still followed."""
    if cif.empty:
        return pd.DataFrame(columns=[*CIF_COLUMNS.values(), "Group"])
    cif = disclosure.incidence(cif, threshold, "events", "at_risk", ("cumulative_incidence", "lower", "upper"))
    return cif.drop(columns=["events", "variance"]).rename(columns=CIF_COLUMNS)


def _prevalence(prev: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Each exposure's share among children with and without a request by the horizon, with intervals."""
    iv = [wilson(k, n) for k, n in zip(prev["With exposure"], prev["Children"])]
    prev = prev.assign(
        Share=[k / n if n else float("nan") for k, n in zip(prev["With exposure"], prev["Children"])],
        **{"Lower 95%": [a for a, _ in iv], "Upper 95%": [b for _, b in iv]},
    )
    return disclosure.shares(prev, "With exposure", "Children", threshold, ("Share", "Lower 95%", "Upper 95%"))


def _odds_ratios(ors: pd.DataFrame, followed: pd.DataFrame, exposures: list, threshold: int) -> pd.DataFrame:
    """Odds ratios as published: an exposure whose 2x2 table among followed children has a small cell is left out
    (an odds ratio and its interval can give a small cell back)."""
    keep = []
    y = followed["request_by_horizon"]
    for col, label in exposures:
        x = followed[col]
        cells = [int((x & y).sum()), int((x & ~y).sum()), int((~x & y).sum()), int((~x & ~y).sum())]
        if not any(disclosure.is_small(n, threshold) for n in cells):
            keep.append(label)
    return ors[ors["Exposure"].isin(keep)].reset_index(drop=True)
