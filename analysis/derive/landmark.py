"""The population comparison as a landmark study (the target trial a randomised comparison would emulate).

Eligible are resident children observed from birth to the landmark (their fifth birthday by default): born on or
after the date the social care records begin, resident from birth, still resident at the landmark, the landmark
before the extract date, and no EHC needs assessment request on or before it (so every eligible child is followed
for at least a day, and the flow's last step is exactly the children analysed). Exposure and confounders are fixed
at the landmark: coded adversity documented before it; sex, birth year and deprivation decile. The outcome is a first
request after the landmark; leaving the area is a competing event and the extract date censors follow-up. Exposure
is never counted after the landmark, so no child is classed by what happened after their outcome.

Risks are Aalen-Johansen cumulative incidences by age in each exposure group; at the horizon age they give a risk
ratio and a risk difference with delta-method intervals (`stats.effects`). Odds ratios, crude and adjusted, come from
logistic regression among children followed to the horizon (or with a request before it), with E-values for the
adjusted estimates. Times are calendar ages (completed years plus the fraction of the year of life, in units of
365.25 days for the estimator), and "by age H" means before the Hth birthday, for the curves and the fixed-horizon
outcome alike: the children still followed at H are then exactly the followed children without a request.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd

from analysis.derive import ages
from analysis.stats import effects, survival

RESIDENT_FROM_BIRTH_DAYS = 90  # a birth registered in the area, entered a few weeks late, is resident from birth
COMMON_OUTCOME = 0.15  # above this the odds ratio is converted before an E-value (VanderWeele 2017)


@dataclasses.dataclass(frozen=True)
class Design:
    landmark: int  # age at which exposure is fixed
    horizon: int  # age at which risks are compared
    end: pd.Timestamp  # the extract date


def eligible(pop: pd.DataFrame, design: Design) -> tuple[pd.DataFrame, list[tuple[str, np.ndarray]]]:
    """The eligible children with their follow-up (entry, exit in days since birth, event; the index is the row of
    `pop`), and the selection flow: each step's label and which rows of `pop` it keeps."""
    L = design.landmark
    keep = np.ones(len(pop), dtype=bool)
    steps = [("Children in the resident population table", keep.copy())]
    rules = [
        ("born on or after the start of the social care records", pop["observed_from_birth"]),
        (
            "resident from birth",
            pop["entry"].isna() | ((pop["entry"] - pop["dob"]).dt.days <= RESIDENT_FROM_BIRTH_DAYS),
        ),
        (f"reached their {_ordinal(L)} birthday before the extract date", pop["landmark_date"] < design.end),
        (f"still resident at their {_ordinal(L)} birthday", pop["exit"].isna() | (pop["exit"] > pop["landmark_date"])),
        (
            f"no request on or before their {_ordinal(L)} birthday: eligible",
            ~(pop["first_request"] <= pop["landmark_date"]),
        ),
    ]
    for label, rule in rules:
        keep &= rule.to_numpy(bool)
        steps.append((label, keep.copy()))
    return _follow_up(pop[keep].copy(), design), steps


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _follow_up(f: pd.DataFrame, design: Design) -> pd.DataFrame:
    """Entry at the landmark, exit at the first of a request, leaving and the extract date; and the fixed-horizon
    outcome for children followed to the horizon."""
    never = pd.Timestamp.max
    request = f["first_request"].fillna(never)
    leave = f["exit"].fillna(never)
    stop = pd.concat([request, leave, pd.Series(design.end, index=f.index)], axis=1).min(axis=1)
    f["event"] = np.where(
        request <= stop, survival.EVENT, np.where(leave <= stop, survival.COMPETING, survival.CENSORED)
    )
    f["entry_days"] = float(design.landmark) * survival.YEAR_DAYS  # the landmark birthday, exactly
    f["exit_days"] = ages.calendar_years(stop, f["dob"]).to_numpy() * survival.YEAR_DAYS
    horizon = ages.birthday(f["dob"], design.horizon)
    outcome = request < horizon  # "by age H": before the Hth birthday, as the curves count it
    f["followed_to_horizon"] = (outcome & (request <= leave) & (request <= design.end)) | (
        (horizon <= design.end) & (leave >= horizon)
    )
    f["request_by_horizon"] = outcome & (request <= leave)
    return f  # every eligible child is followed for at least a day: the flow's last step is the analysed set


def incidence(f: pd.DataFrame, design: Design) -> pd.DataFrame:
    """Cumulative incidence of a request by age, for children with and without adversity before the landmark."""
    at = list(range(design.landmark + 1, 19))
    parts = []
    for label, exposed in (
        (f"Adversity before age {design.landmark}", True),
        (f"No adversity before age {design.landmark}", False),
    ):
        g = f[f["early_adversity"] == exposed]
        if len(g):
            parts.append(
                survival.cumulative_incidence(g["entry_days"], g["exit_days"], g["event"], at).assign(Group=label)
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def risks_at_horizon(f: pd.DataFrame, cif: pd.DataFrame, design: Design) -> dict:
    """The two risks at the horizon age, their ratio and difference with 95% intervals, and the counts they rest on
    (children at the landmark and requests by the horizon, in each group)."""
    at = cif[cif["age"] == design.horizon].set_index("Group")
    groups = list(at.index)
    if len(groups) < 2:
        return {}
    exposed, unexposed = at.iloc[0], at.iloc[1]  # incidence() puts the exposed group first
    r1, v1, r0, v0 = (
        exposed["cumulative_incidence"],
        exposed["variance"],
        unexposed["cumulative_incidence"],
        unexposed["variance"],
    )
    rr, rd = effects.risk_ratio(r1, v1, r0, v0), effects.risk_difference(r1, v1, r0, v0)
    counts = {
        "exposed_children": int(f["early_adversity"].sum()),
        "exposed_requests": int(exposed["events"]),
        "unexposed_children": int((~f["early_adversity"]).sum()),
        "unexposed_requests": int(unexposed["events"]),
    }
    return {
        "risk_exposed": (r1, exposed["lower"], exposed["upper"]),
        "risk_unexposed": (r0, unexposed["lower"], unexposed["upper"]),
        "risk_ratio": rr,
        "risk_difference": rd,
        "e_value": (effects.e_value(rr[0]), effects.e_value_interval(rr[1], rr[2])),
        "counts": counts,
    }


def followed(f: pd.DataFrame) -> pd.DataFrame:
    """Children followed to the horizon (or with a request before it): the fixed-horizon analysis set."""
    return f[f["followed_to_horizon"]]


def prevalence(f: pd.DataFrame, exposures: list[tuple[str, str]]) -> pd.DataFrame:
    """Each exposure's prevalence among followed children with and without a request by the horizon (counts)."""
    g = followed(f)
    rows = []
    for col, label in exposures:
        for group, sel in (
            ("With a request", g["request_by_horizon"]),
            ("Without a request", ~g["request_by_horizon"]),
        ):
            rows.append(
                {
                    "Exposure": label,
                    "Group": group,
                    "Children": int(sel.sum()),
                    "With exposure": int((g[col] & sel).sum()),
                }
            )
    return pd.DataFrame(rows, columns=["Exposure", "Group", "Children", "With exposure"])


def odds_ratios(f: pd.DataFrame, exposures: list[tuple[str, str]], min_exposed: int) -> pd.DataFrame:
    """Crude and adjusted odds ratios of a request by the horizon for each exposure fixed at the landmark, among
    followed children, with the E-value of each adjusted estimate and its interval. Adjusted for sex and birth year,
    and for deprivation decile where the population table has it. Exposures with fewer than `min_exposed` exposed
    children with a request are not modelled."""
    g = followed(f)
    y = g["request_by_horizon"].to_numpy(bool).astype(np.int64)
    covariates = ["sex", "birth_year"] + (["imd_decile"] if g["imd_decile"].notna().all() else [])
    groups = g.groupby(covariates, dropna=False, sort=True)
    pattern = groups.ngroup().to_numpy(np.int64)
    levels = groups.size().index.to_frame(index=False).astype(str)  # the text C() sees, as for one row per child
    common = y.mean() > COMMON_OUTCOME if len(y) else False
    rows = []
    for col, label in exposures:
        x = g[col].to_numpy(bool).astype(np.int64)
        if int((x & y).sum()) < min_exposed or len(np.unique(x)) < 2:
            continue
        for model, terms in (("crude", []), ("adjusted", covariates)):
            cells = _cells(x, y, pattern if terms else np.zeros_like(pattern), levels[terms] if terms else None)
            or_, low, high = _logit_or(cells, terms)
            rows.append(_or_row(label, model, or_, low, high, common))
    return pd.DataFrame(rows, columns=OR_COLUMNS)


OR_COLUMNS = ["Exposure", "Model", "Odds ratio", "Lower 95%", "Upper 95%", "E-value", "E-value (interval)"]


def _or_row(label: str, model: str, or_: float, low: float, high: float, common: bool) -> dict:
    as_rr = [effects.odds_ratio_as_risk_ratio(v, common) for v in (or_, low, high)]
    evalue = (
        (effects.e_value(as_rr[0]), effects.e_value_interval(as_rr[1], as_rr[2]))
        if model == "adjusted"
        else (np.nan, np.nan)
    )
    return dict(zip(OR_COLUMNS, (label, model, or_, low, high, *evalue)))


def _cells(x: np.ndarray, y: np.ndarray, pattern: np.ndarray, levels: pd.DataFrame | None) -> pd.DataFrame:
    """Counts of children in each (covariate pattern, exposure, outcome) cell that has any."""
    counts = np.bincount((pattern * 2 + x) * 2 + y)
    cell = np.flatnonzero(counts)
    out = pd.DataFrame({"y": cell % 2, "x": cell // 2 % 2, "n": counts[cell]})
    if levels is not None:
        out = pd.concat([out, levels.iloc[cell // 4].reset_index(drop=True)], axis=1)
    return out


def _logit_or(cells: pd.DataFrame, terms: list[str]) -> tuple[float, float, float]:
    """Logistic regression of the outcome on x (+ categorical terms), fitted to the table of covariate patterns with
    frequency weights: the same estimates as one row per child, in a fraction of the time."""
    import statsmodels.api as sm  # loaded when a model is fitted, not by every build that reads a cached study
    import statsmodels.formula.api as smf

    formula = "y ~ x" + "".join(f" + C({t})" for t in terms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perfect-prediction chatter on sparse strata
        fit = smf.glm(formula, data=cells, family=sm.families.Binomial(), freq_weights=cells["n"]).fit()
    low, high = np.exp(fit.conf_int().loc["x"])
    return float(np.exp(fit.params["x"])), float(low), float(high)


def measures(risks: dict, ors: pd.DataFrame, design: Design, early_label: str) -> dict:
    """The landmark estimates for measures.json: the two risks, their ratio and difference, the E-value of the risk
    ratio, and the adjusted odds ratio for early adversity with its E-value. Each carries the counts it rests on."""
    if not risks:
        return {}
    c = risks["counts"]
    exposed = {"exposed_children": c["exposed_children"], "exposed_requests": c["exposed_requests"]}
    unexposed = {"unexposed_children": c["unexposed_children"], "unexposed_requests": c["unexposed_requests"]}
    where = f"by age {design.horizon}, of children without a request at their landmark birthday (age {design.landmark})"
    out = {
        "landmark_risk_exposed": _estimate(
            "landmark_risk_exposed",
            f"Risk of a request {where}, with coded adversity before the landmark",
            risks["risk_exposed"],
            exposed,
        ),
        "landmark_risk_unexposed": _estimate(
            "landmark_risk_unexposed", f"Risk of a request {where}, without", risks["risk_unexposed"], unexposed
        ),
        "landmark_risk_ratio": _estimate(
            "landmark_risk_ratio",
            "Risk ratio (with over without)",
            risks["risk_ratio"],
            c,
            e_value=list(risks["e_value"]),
        ),
        "landmark_risk_difference": _estimate(
            "landmark_risk_difference", "Risk difference (with minus without)", risks["risk_difference"], c
        ),
    }
    adjusted = ors[(ors["Exposure"] == early_label) & (ors["Model"] == "adjusted")] if len(ors) else ors
    if len(adjusted):
        r = adjusted.iloc[0]
        out["landmark_adjusted_odds_ratio"] = _estimate(
            "landmark_adjusted_odds_ratio",
            "Odds ratio of a request by the horizon, adjusted for sex, birth year and deprivation where known",
            (r["Odds ratio"], r["Lower 95%"], r["Upper 95%"]),
            c,
            e_value=[float(r["E-value"]), float(r["E-value (interval)"])],
        )
    for m in out.values():
        m.update(landmark_age=design.landmark, horizon_age=design.horizon)
    return out


def _estimate(name: str, description: str, est: tuple, counts: dict, **extra) -> dict:
    value, low, high = (float(v) for v in est)
    return {
        "name": name,
        "description": description,
        "value": value,
        "interval": [low, high],
        "counts": dict(counts),
        **extra,
    }
