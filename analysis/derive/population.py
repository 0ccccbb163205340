"""The comparison cohort: every child in the area, with and without an EHC plan, over the study years.

The denominator is the `population` table when the LA supplies one. Without it, the denominator is every child
known to either service, a limitation the book states: children known to neither service are missing, which
overstates adversity in both groups. Adversity here comes from coded records only (assessment factors and child
protection plans): the manual case review covers children who had an assessment request, so counting it would
find adversity in one group only. Everything is computed at child level before pseudonymisation and returned
as aggregates only.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from analysis.derive.adversity import CodingFrame
from analysis.stats import survival
from analysis.stats.proportions import Proportion, odds_ratio

YEAR_DAYS = 365.25


def population(
    tables: dict[str, pd.DataFrame],
    crosswalk: pd.DataFrame,
    adversity: pd.DataFrame,
    study_start: pd.Timestamp,
    study_end: pd.Timestamp,
    age_threshold: int,
) -> tuple[pd.DataFrame, str]:
    """One row per child in the denominator, with plan, first request, adversity and covariates."""
    xw = crosswalk[["pers_person_id", "person_table_id"]]
    if "population" in tables and len(tables["population"]):
        pop, source = _supplied(tables["population"], xw), "the resident child population supplied by the authority"
    else:
        pop = _known_to_either(tables, xw)
        source = "every child known to either service (no population table was supplied)"
    pop = pop.dropna(subset=["dob"]).reset_index(drop=True)
    pop["entry"] = pd.to_datetime(pop["entry"])
    pop["exit"] = pd.to_datetime(pop["exit"])

    req = tables["sen2_requests"]
    in_window = req[(req["received_date"] >= study_start) & (req["received_date"] <= study_end)]
    pop["first_request"] = pop["person_table_id"].map(in_window.groupby("person_table_id")["received_date"].min())
    asm = tables["sen2_assessment"].merge(req[["requests_table_id", "person_table_id"]], on="requests_table_id")
    pop["ehc_plan"] = pop["person_table_id"].isin(asm.loc[asm["assessment_outcome"] == "Y", "person_table_id"])
    _adversity_flags(pop, adversity, study_end, age_threshold)
    pop["birth_cohort"] = (
        (pop["dob"].dt.year // 3 * 3).astype(str) + "-" + (pop["dob"].dt.year // 3 * 3 + 2).astype(str)
    )
    pop["early_childhood_observed"] = pop["dob"] >= study_start
    return pop, source


def _supplied(p: pd.DataFrame, xw: pd.DataFrame) -> pd.DataFrame:
    """The authority's population table, with either id filled from the linkage where the LA left it blank."""
    pop = pd.DataFrame(
        {
            "pers_person_id": p["pers_person_id"],
            "person_table_id": p["person_table_id"],
            "dob": p["birth_date"],
            "sex": p["sex"],
            "imd_decile": p["imd_decile"],
            "entry": p["entry_date"],
            "exit": p["exit_date"],
        }
    )
    pop["pers_person_id"] = pop["pers_person_id"].fillna(
        pop["person_table_id"].map(xw.set_index("person_table_id")["pers_person_id"])
    )
    pop["person_table_id"] = pop["person_table_id"].fillna(
        pop["pers_person_id"].map(xw.set_index("pers_person_id")["person_table_id"])
    )
    return pop


def _known_to_either(tables: dict[str, pd.DataFrame], xw: pd.DataFrame) -> pd.DataFrame:
    """Every child known to either service, once each (linked children once)."""
    send = tables["sen2_person"][["person_table_id", "person_birth_date", "sex"]].drop_duplicates("person_table_id")
    csc = tables["ssd_person"][["pers_person_id", "pers_dob", "pers_sex"]].drop_duplicates("pers_person_id")
    pop = send.merge(xw, on="person_table_id", how="outer").merge(csc, on="pers_person_id", how="outer")
    return pd.DataFrame(
        {
            "pers_person_id": pop["pers_person_id"],
            "person_table_id": pop["person_table_id"],
            "dob": pop["person_birth_date"].fillna(pop["pers_dob"]),
            "sex": pop["sex"].fillna(pop["pers_sex"]),
            "imd_decile": pd.NA,
            "entry": pd.NaT,
            "exit": pd.NaT,
        }
    )


def _adversity_flags(pop: pd.DataFrame, adversity: pd.DataFrame, study_end: pd.Timestamp, age_threshold: int) -> None:
    """Any, early and per-domain coded adversity for each child (in place). The case review covers requesting
    children only, so it is left out here: counting it would find adversity in one group only."""
    coded = adversity[adversity["source"] != "case review"]
    # each event carries its child's row in pop, so flags are set by position, not by matching text ids again
    people = pop[["pers_person_id", "dob"]].dropna(subset=["pers_person_id"]).rename_axis("pop_row").reset_index()
    ev = coded.merge(people, on="pers_person_id")
    ev = ev[ev["date"] <= study_end]
    early = ev[(ev["date"] - ev["dob"]).dt.days / YEAR_DAYS < age_threshold]
    pop["any_adversity"] = _flagged(len(pop), ev["pop_row"])
    pop["early_adversity"] = _flagged(len(pop), early["pop_row"])
    for d, rows in ev.groupby("domain")["pop_row"]:
        pop[f"domain_{d}"] = _flagged(len(pop), rows)


def _flagged(n: int, rows: pd.Series) -> np.ndarray:
    """A boolean column of n rows, true at the given row positions."""
    out = np.zeros(n, dtype=bool)
    out[rows.to_numpy(np.int64)] = True
    return out


def prevalence_by_plan(pop: pd.DataFrame, frame: CodingFrame, age_threshold: int) -> pd.DataFrame:
    """Prevalence of each domain (and of any and early adversity) among children with and without a plan."""
    exposures = [("any_adversity", "Any adversity"), ("early_adversity", f"Adversity before age {age_threshold}")]
    exposures += [(c, frame.label(c.removeprefix("domain_"))) for c in sorted(pop) if c.startswith("domain_")]
    rows = []
    for col, label in exposures:
        for group, g in (("With an EHC plan", pop[pop["ehc_plan"]]), ("Without an EHC plan", pop[~pop["ehc_plan"]])):
            p = Proportion(int(g[col].sum()), len(g))
            rows.append(
                {
                    "Exposure": label,
                    "Group": group,
                    "Children": len(g),
                    "With exposure": p.numerator,
                    "Share": p.value,
                    "Lower 95%": p.interval[0],
                    "Upper 95%": p.interval[1],
                }
            )
    return pd.DataFrame(rows)


def odds_ratios(pop: pd.DataFrame, frame: CodingFrame, age_threshold: int, min_exposed: int = 5) -> pd.DataFrame:
    """Crude and adjusted odds ratios of having an EHC plan, for each exposure (statsmodels logistic regression).

    Adjusted for sex and three-year birth cohort, and for deprivation decile where the population table has it.
    Exposures with fewer than `min_exposed` exposed children with a plan are not modelled.
    """
    plan = pop["ehc_plan"].to_numpy(bool).astype(np.int64)
    covariates = ["sex", "birth_cohort"] + (["imd_decile"] if pop["imd_decile"].notna().all() else [])
    # every child's covariate pattern, found once: each model is then fitted to counts of (pattern, exposure, plan)
    groups = pop.groupby(covariates, dropna=False, sort=True)
    pattern = groups.ngroup().to_numpy(np.int64)
    levels = groups.size().index.to_frame(index=False).astype(str)  # the text C() sees, as for one row per child
    exposures = [("early_adversity", f"Adversity before age {age_threshold}"), ("any_adversity", "Any adversity")]
    exposures += [(c, frame.label(c.removeprefix("domain_"))) for c in sorted(pop) if c.startswith("domain_")]
    rows = []
    for col, label in exposures:
        x = pop[col].to_numpy(bool).astype(np.int64)
        if int((x & plan).sum()) < min_exposed or len(np.unique(x)) < 2:
            continue
        for model, terms in (("crude", []), ("adjusted", covariates)):
            cells = _cells(x, plan, pattern if terms else np.zeros_like(pattern), levels[terms] if terms else None)
            or_, (low, high), p = _logit_or(cells, terms)
            rows.append(
                {"Exposure": label, "Model": model, "Odds ratio": or_, "Lower 95%": low, "Upper 95%": high, "p": p}
            )
    return pd.DataFrame(rows, columns=["Exposure", "Model", "Odds ratio", "Lower 95%", "Upper 95%", "p"])


def _cells(x: np.ndarray, plan: np.ndarray, pattern: np.ndarray, levels: pd.DataFrame | None) -> pd.DataFrame:
    """Counts of children in each (covariate pattern, exposure, plan) cell that has any."""
    counts = np.bincount((pattern * 2 + x) * 2 + plan)
    cell = np.flatnonzero(counts)
    out = pd.DataFrame({"plan": cell % 2, "x": cell // 2 % 2, "n": counts[cell]})
    if levels is not None:
        out = pd.concat([out, levels.iloc[cell // 4].reset_index(drop=True)], axis=1)
    return out


def _logit_or(cells: pd.DataFrame, terms: list[str]) -> tuple[float, tuple[float, float], float]:
    """Logistic regression of plan on x (+ categorical terms), fitted to the table of covariate patterns with
    frequency weights: the same estimates as one row per child, in a fraction of the time."""
    formula = "plan ~ x" + "".join(f" + C({t})" for t in terms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perfect-prediction chatter on sparse strata
        fit = smf.glm(formula, data=cells, family=sm.families.Binomial(), freq_weights=cells["n"]).fit()
    low, high = np.exp(fit.conf_int().loc["x"])
    return float(np.exp(fit.params["x"])), (float(low), float(high)), float(fit.pvalues["x"])


def cumulative_incidence_by_exposure(
    pop: pd.DataFrame, age_threshold: int, study_start: pd.Timestamp, study_end: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Cumulative incidence of a first request from the landmark age, for children with and without adversity
    documented before it (exposure is fixed at the landmark, which avoids immortal time)."""
    frame, excluded = survival.landmark_frame(pop, age_threshold, study_start, study_end)
    ages = [a for a in range(age_threshold + 1, 19)]
    parts = []
    for label, exposed in (
        ("Adversity before age " + str(age_threshold), True),
        ("No adversity before age " + str(age_threshold), False),
    ):
        f = frame[pop.loc[frame.index, "early_adversity"] == exposed]
        if f.empty:
            continue
        parts.append(survival.cumulative_incidence(f["entry"], f["exit"], f["event"], ages).assign(Group=label))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out, excluded


def crude_plan_odds_ratio(pop: pd.DataFrame) -> tuple[float, tuple[float, float]]:
    """The crude odds ratio of a plan for early adversity from the 2x2 table (a check on the regression)."""
    a = pop[pop["early_adversity"]]
    b = pop[~pop["early_adversity"]]
    return odds_ratio(int(a["ehc_plan"].sum()), len(a), int(b["ehc_plan"].sum()), len(b))
