"""The population comparison: the landmark study's tables, measures and the facts the chapter states, each with the
resident children it counts (for the disclosure registry).

Without a resident population table nothing is computed: the chapter says why (`population.WHY_NOT`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.derive import landmark, population
from analysis.derive.adversity import CodingFrame
from analysis.derive.measures import MEMBERS
from analysis.derive.study import ComparisonInfo
from analysis.privacy.registry import TableSpec
from analysis.stats import survival
from analysis.stats.proportions import wilson

CIF_COLUMNS = {
    "age": "Age",
    "cumulative_incidence": "Cumulative incidence",
    "lower": "Lower 95%",
    "upper": "Upper 95%",
    "at_risk": "Children followed",
}
CIF_VALUES = ("Cumulative incidence", "Lower 95%", "Upper 95%")
REQUESTS = "requests by this age"  # a count the curve reveals without showing it as a column
TWO_BY_TWO = ("exposed, request", "exposed, no request", "unexposed, request", "unexposed, no request")
PREVALENCE = ["Exposure", "Group", "Children", "With exposure", "Share", "Lower 95%", "Upper 95%"]


def empty_tables() -> dict[str, tuple[pd.DataFrame, TableSpec]]:
    """The comparison's tables without a population: headers only, so the downloads say what would be there."""
    return {
        "landmark_flow": (pd.DataFrame(columns=["Step", "Children"]), TableSpec(("Step",), {"Children": []})),
        "comparison_prevalence": (pd.DataFrame(columns=PREVALENCE), _prevalence_spec([], [])),
        "odds_ratios": (pd.DataFrame(columns=landmark.OR_COLUMNS), _or_spec([])),
        "cumulative_incidence": (pd.DataFrame(columns=[*CIF_COLUMNS.values(), "Group"]), _cif_spec([], [], [])),
    }


def compare(pop: pd.DataFrame | None, units, frame: CodingFrame, design: landmark.Design, threshold: int) -> dict:
    """Tables (frame and spec), measures (with their members), the chapter's facts (with theirs) and what the
    chapter states, for the landmark comparison; `units` are the resident children's codes in the registry."""
    if pop is None:
        info = ComparisonInfo(False, population.WHY_NOT, design.landmark, design.horizon, None, [], None)
        return {"tables": empty_tables(), "measures": {}, "info": info, "facts": {}}
    f, steps = landmark.eligible(pop, design)
    u = np.asarray(units)[f.index.to_numpy()]
    early = f"Adversity before age {design.landmark}"
    exposures = [("early_adversity", early)] + [
        (c, frame.label(c.removeprefix("domain_"))) for c in sorted(f) if c.startswith("domain_")
    ]
    cif = landmark.incidence(f, design)
    ors = landmark.odds_ratios(f, exposures, min_exposed=threshold)
    risks = landmark.risks_at_horizon(f, cif, design)
    imd = bool(f["imd_decile"].notna().all()) if len(f) else False
    followed = f["followed_to_horizon"].to_numpy(bool)
    info = ComparisonInfo(
        available=True,
        why_not=None,
        landmark_age=design.landmark,
        horizon_age=design.horizon,
        eligible=len(f),
        adjusted_for=["sex", "birth year"] + (["deprivation decile"] if imd else []),
        followed_to_horizon=int(followed.sum()),
    )
    flow = pd.DataFrame({"Step": [s for s, _ in steps], "Children": [int(m.sum()) for _, m in steps]})
    tables = {
        "landmark_flow": (flow, TableSpec(("Step",), {"Children": [np.asarray(units)[m] for _, m in steps]})),
        "comparison_prevalence": _prevalence(f, u, exposures),
        "odds_ratios": _odds_ratios(ors, f, u, exposures),
        "cumulative_incidence": _incidence(cif, f, u, design),
    }
    measures = landmark.measures(risks, ors, design, early)
    for m in measures.values():
        m[MEMBERS] = _risk_members(f, u, design)
    facts = {"comparison.eligible": u, "comparison.followed_to_horizon": u[followed]}
    return {"tables": tables, "measures": measures, "info": info, "facts": facts}


def _risk_members(f: pd.DataFrame, u: np.ndarray, design: landmark.Design) -> dict[str, np.ndarray]:
    """The children each count of the landmark estimates counts: each group, and its requests by the horizon."""
    exposed = f["early_adversity"].to_numpy(bool)
    request = _requests_by(f, design.horizon)
    return {
        "exposed_children": u[exposed],
        "exposed_requests": u[exposed & request],
        "unexposed_children": u[~exposed],
        "unexposed_requests": u[~exposed & request],
    }


def _requests_by(f: pd.DataFrame, age: float) -> np.ndarray:
    """Children whose follow-up ended in a request before age `age` (as the cumulative incidence counts them)."""
    return ((f["event"] == survival.EVENT) & (f["exit_days"] < age * survival.YEAR_DAYS)).to_numpy()


def _incidence(cif: pd.DataFrame, f: pd.DataFrame, u: np.ndarray, design: landmark.Design):
    """The curve of each group: children still followed at each age, and the requests by then that the curve
    reveals; later ages are hidden before earlier ones."""
    if cif.empty:
        return pd.DataFrame(columns=[*CIF_COLUMNS.values(), "Group"]), _cif_spec([], [], [])
    exposed = f["early_adversity"].to_numpy(bool)
    entry, exit_ = f["entry_days"].to_numpy(), f["exit_days"].to_numpy()
    followed, requests, priority = [], [], []
    for group, age in zip(cif["Group"], cif["age"]):
        in_group = exposed if group.startswith("Adversity") else ~exposed
        t = age * survival.YEAR_DAYS
        followed.append(u[in_group & (entry < t) & (exit_ >= t)])
        requests.append(u[in_group & _requests_by(f, age)])
        priority.append(1 + 1 / age)
    table = cif.drop(columns=["events", "variance"]).rename(columns=CIF_COLUMNS)
    return table, _cif_spec(followed, requests, priority)


def _cif_spec(followed: list, requests: list, priority: list) -> TableSpec:
    return TableSpec(
        ("Group", "Age"),
        {"Children followed": followed, REQUESTS: requests},
        derived=dict.fromkeys(CIF_VALUES, ("Children followed", REQUESTS)),
        priority=priority or 1,
    )


def _prevalence(f: pd.DataFrame, u: np.ndarray, exposures: list[tuple[str, str]]):
    """Each exposure's share among followed children with and without a request by the horizon, with intervals."""
    followed = f["followed_to_horizon"].to_numpy(bool)
    request = f["request_by_horizon"].to_numpy(bool)
    rows, masks = [], []
    for col, label in exposures:
        x = f[col].to_numpy(bool)
        for group, sel in (("With a request", followed & request), ("Without a request", followed & ~request)):
            k, n = int((x & sel).sum()), int(sel.sum())
            low, high = wilson(k, n)
            rows.append([label, group, n, k, k / n if n else None, low if n else None, high if n else None])
            masks.append((sel, x & sel))
    return pd.DataFrame(rows, columns=PREVALENCE), _prevalence_spec([u[a] for a, _ in masks], [u[b] for _, b in masks])


def _prevalence_spec(groups: list, exposed: list) -> TableSpec:
    return TableSpec(
        ("Exposure", "Group"),
        {"Children": groups, "With exposure": exposed},
        derived=dict.fromkeys(("Share", "Lower 95%", "Upper 95%"), ("Children", "With exposure")),
    )


def _odds_ratios(ors: pd.DataFrame, f: pd.DataFrame, u: np.ndarray, exposures: list):
    """Odds ratios reveal the 2x2 table of followed children they rest on: each row is hidden with any of its
    cells."""
    g = f["followed_to_horizon"].to_numpy(bool)
    y = f["request_by_horizon"].to_numpy(bool)
    column = dict((label, col) for col, label in exposures)
    cells = []
    for label in ors["Exposure"]:
        x = f[column[label]].to_numpy(bool)
        cells.append([u[g & x & y], u[g & x & ~y], u[g & ~x & y], u[g & ~x & ~y]])
    return ors.reset_index(drop=True), _or_spec(cells)


def _or_spec(cells: list[list[np.ndarray]]) -> TableSpec:
    values = [c for c in landmark.OR_COLUMNS if c not in ("Exposure", "Model")]
    return TableSpec(
        ("Exposure", "Model"),
        {name: [row[i] for row in cells] for i, name in enumerate(TWO_BY_TWO)},
        derived=dict.fromkeys(values, TWO_BY_TWO),
    )
