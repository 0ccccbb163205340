"""The resident child population: the denominator for base rates and the landmark comparison.

Only the authority's own `population` table can be this denominator. Without it there is none: every child known
to either service is not a population (it selects on the outcome and on the exposure, a collider, and reversed the
odds ratios on test authorities), so the report says plainly why the comparison is not shown rather than fall back
to it. Adversity here comes from coded records (assessment factors, child protection categories, primary need) and,
when the authority supplied them, from case notes coded by rule (`derive.case_notes`): any child known to social care
has case notes, whether or not they later had an assessment request, so they count for every child alike. The manual
case review is left out: it covers children who had an assessment request, so counting it would find adversity in
one group only. Everything is computed at child level before pseudonymisation and leaves as aggregates only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.derive import ages, social_care
from analysis.derive.cohort import Window, child_events

SOURCE = "the resident child population supplied by the authority"
WHY_NOT = (
    "The authority supplied no resident population table, so there is no denominator for a comparison: the children "
    "known to either service are not a population (they were selected for the very things being compared), and "
    "figures built on them would mislead. Supply the `population` table to see this chapter's comparison."
)


def population(
    tables: dict[str, pd.DataFrame], crosswalk: pd.DataFrame, adversity: pd.DataFrame, window: Window, landmark: int
) -> pd.DataFrame | None:
    """One row per resident child with the dates, covariates and coded adversity the comparison needs; None when
    the authority supplied no population table."""
    if "population" not in tables or tables["population"].empty:
        return None
    pop = _supplied(tables["population"], crosswalk[["pers_person_id", "person_table_id"]])
    pop = pop.dropna(subset=["dob"]).reset_index(drop=True)
    req = tables["sen2_requests"].dropna(subset=["received_date"])
    pop["first_request"] = pop["person_table_id"].map(req.groupby("person_table_id")["received_date"].min())
    pop["birth_year"] = pop["dob"].dt.year
    pop["observed_from_birth"] = pop["dob"] >= window.records_start
    pop["landmark_date"] = ages.birthday(pop["dob"], landmark)
    _coded_before_landmark(pop, adversity)
    csc = social_care.events(tables)
    referral_tier = csc[csc["route"].isin(social_care.TIERS[social_care.HEADLINE_TIER])]
    pop["known_to_csc_in_window"] = pop["pers_person_id"].isin(
        referral_tier.loc[referral_tier["date"].between(window.start, window.end), "pers_person_id"]
    )
    return pop


def _supplied(p: pd.DataFrame, xw: pd.DataFrame) -> pd.DataFrame:
    """The authority's population table, with either id filled from the linkage where the LA left it blank."""
    pop = pd.DataFrame(
        {
            "pers_person_id": p["pers_person_id"],
            "person_table_id": p["person_table_id"],
            "dob": p["birth_date"],
            "sex": p["sex"],
            "imd_decile": p["imd_decile"],
            "entry": pd.to_datetime(p["entry_date"]),
            "exit": pd.to_datetime(p["exit_date"]),
        }
    )
    pop["pers_person_id"] = pop["pers_person_id"].fillna(
        pop["person_table_id"].map(xw.set_index("person_table_id")["pers_person_id"])
    )
    pop["person_table_id"] = pop["person_table_id"].fillna(
        pop["pers_person_id"].map(xw.set_index("pers_person_id")["person_table_id"])
    )
    return pop


def _coded_before_landmark(pop: pd.DataFrame, adversity: pd.DataFrame) -> None:
    """Adversity from coded records and case notes documented before each child's landmark birthday, any and per
    domain (in place); never the manual review, which covers one group only."""
    coded = adversity[adversity["source"] != "case review"]
    keys = (
        pop[["pers_person_id", "person_table_id", "dob"]]
        .assign(index_date=pop["landmark_date"])
        .rename_axis("pop_row")
        .reset_index()
    )
    ev = child_events(keys, coded, key="pop_row")
    ev = ev[ev["date"] < ev["index_date"]]
    pop["early_adversity"] = _flagged(len(pop), ev["pop_row"])
    for d, rows in ev.groupby("domain")["pop_row"]:
        pop[f"domain_{d}"] = _flagged(len(pop), rows)


def _flagged(n: int, rows: pd.Series) -> np.ndarray:
    """A boolean column of n rows, true at the given row positions."""
    out = np.zeros(n, dtype=bool)
    out[rows.to_numpy(np.int64)] = True
    return out
