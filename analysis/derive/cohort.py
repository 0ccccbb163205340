"""The cohort: one row per child whose first EHC needs assessment request falls in the study window.

Every threshold uses calendar ages (`ages`): "before 5" means before the fifth birthday. A child is observed from
birth when their birth falls on or after `records_start`, the date the authority's social care records begin; only
then can "no adversity documented before 5" mean that none was recorded, rather than that the records had not yet
begun. Identifiers stop here: rows are keyed by a keyed hash of the SEND person and carry month of birth, not birth
date.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from analysis.derive import ages, social_care
from analysis.derive.adversity import NOTES_SOURCE
from analysis.derive.sensitivity import sensitivity_thresholds
from analysis.privacy.pseudonymise import pseudonym

YEAR_DAYS = ages.YEAR_DAYS
AGE_BANDS = ([0, 5, 11, 16, 26], ["Under 5", "5 to 10", "11 to 15", "16 and over"])  # completed years at request


@dataclasses.dataclass
class CohortResult:
    cohort: pd.DataFrame  # one row per child, pseudonymised
    child_events: pd.DataFrame  # adversity events of cohort children before their index, pseudonymised
    flow: pd.DataFrame  # selection steps with counts
    service_use: dict  # aggregate service use of children with early adversity, for the cost chapter
    excluded: pd.DataFrame  # pseudonymised children left out of the cohort, and why (internal edition only)
    flow_members: list[pd.Series]  # the pseudonymised children of each step (for the disclosure registry only)
    service_members: dict[str, pd.Series]  # the pseudonymised children behind each service use count (likewise)


class _Selection:
    """The selection flow and the children left out along the way, step by step."""

    def __init__(self) -> None:
        self.flow: list[tuple[str, pd.Series]] = []
        self.excluded: list[pd.DataFrame] = []

    def step(self, label: str, ids: pd.Series) -> None:
        self.flow.append((label, pd.Series(ids, dtype=object).drop_duplicates()))

    def exclude(self, reason: str, ids: pd.Series) -> None:
        self.step(f"excluded: {reason}", ids)
        self.excluded.append(pd.DataFrame({"person_table_id": ids, "reason": reason}))


@dataclasses.dataclass(frozen=True)
class Window:
    """The dates a cohort is built within: requests in [start, end]; social care records held from records_start."""

    start: pd.Timestamp
    end: pd.Timestamp
    records_start: pd.Timestamp


def build(
    tables: dict[str, pd.DataFrame],
    crosswalk: pd.DataFrame,
    adversity: pd.DataFrame,
    window: Window,
    key: bytes,
    age_threshold: int,
) -> CohortResult:
    """Build the cohort table and the selection flow."""
    sel = _Selection()
    first = _first_requests(tables, window.start, window.end, sel)
    c = _children(tables, first, window, age_threshold)
    xw = crosswalk.set_index("person_table_id")
    c["pers_person_id"] = c["person_table_id"].map(xw["pers_person_id"])
    c["link_method"] = c["person_table_id"].map(xw["method"]).fillna("not linked")
    c["match_probability"] = c["person_table_id"].map(xw["match_probability"])
    sel.step("linked to a social care record", c.loc[c["pers_person_id"].notna(), "person_table_id"])
    social_care.known_before(c, tables)
    for route in social_care.ROUTES:  # age at the first event of each kind before the request (for the timelines)
        slug = route.replace(" ", "_")
        c[f"age_first_{slug}"] = ages.decimal_years(c.pop(f"first_{slug}_date"), c["dob"])
    c["first_csc_age"] = ages.decimal_years(c["first_csc_date"], c["dob"])
    ev = _adversity_before_index(c, adversity, age_threshold)
    service_use = _service_use(c, tables, window.end)
    return _pseudonymised(c, ev, sel, key, service_use)


def _first_requests(
    tables: dict[str, pd.DataFrame], study_start: pd.Timestamp, study_end: pd.Timestamp, sel: _Selection
) -> pd.DataFrame:
    """Each child's first request in the window, for children with no earlier request and a birth date."""
    person = tables["sen2_person"].drop_duplicates("person_table_id").set_index("person_table_id")
    req = tables["sen2_requests"].dropna(subset=["received_date"])
    first_any = req.groupby("person_table_id")["received_date"].min()
    in_window = req[(req["received_date"] >= study_start) & (req["received_date"] <= study_end)]
    first = in_window.sort_values(["person_table_id", "received_date", "requests_table_id"]).drop_duplicates(
        "person_table_id"
    )
    sel.step("Children in the SEND extract", tables["sen2_person"]["person_table_id"])
    sel.step("with an EHC needs assessment request in the study window", first["person_table_id"])
    prior = first["person_table_id"].map(first_any) < first["received_date"]
    sel.exclude("an earlier request before the study window", first.loc[prior, "person_table_id"])
    first = first[~prior].assign(
        dob=lambda f: f["person_table_id"].map(person["person_birth_date"]),
        sex=lambda f: f["person_table_id"].map(person["sex"]),
        ethnicity=lambda f: f["person_table_id"].map(person["ethnicity"]) if "ethnicity" in person else pd.NA,
    )
    no_dob = first["dob"].isna()
    sel.exclude("no birth date", first.loc[no_dob, "person_table_id"])
    first = first[~no_dob]
    sel.step("Cohort: first request in the window", first["person_table_id"])
    return first


def _children(tables: dict[str, pd.DataFrame], first: pd.DataFrame, window: Window, age_threshold: int) -> pd.DataFrame:
    """One row per cohort child: request, demographics, primary need, outcome, ages and what the records observe."""
    c = pd.DataFrame(
        {
            "person_table_id": first["person_table_id"].to_numpy(),
            "index_date": first["received_date"].to_numpy(),
            "dob": first["dob"].to_numpy(),
            "sex": first["sex"].to_numpy(),
            "ethnicity": first["ethnicity"].to_numpy(),
            "primary_need": first["person_table_id"].map(_primary_need(tables)).fillna("no plan").to_numpy(),
            "ehcna_outcome": _outcome(tables, first).to_numpy(),
        }
    )
    c["age_at_index"] = ages.decimal_years(c["index_date"], c["dob"])
    c["age_at_index_years"] = ages.completed_years(c["index_date"], c["dob"])
    c["requested_at_threshold_or_over"] = ~ages.before_age(c["index_date"], c["dob"], age_threshold)
    c["birth_month"] = c["dob"].dt.to_period("M").astype(str)
    c["birth_year"] = c["dob"].dt.year
    c["years_csc_data_before_index"] = (c["index_date"] - window.records_start).dt.days.clip(lower=0) / YEAR_DAYS
    c["observed_from_birth"] = c["dob"] >= window.records_start
    return c


def _primary_need(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """SEN2 records type of need only on active plans: each child's primary need from their earliest plan."""
    req = tables["sen2_requests"].dropna(subset=["received_date"])
    need = (
        tables["sen2_sen_need"]
        .merge(tables["sen2_active_plans"][["active_plans_table_id", "requests_table_id"]], on="active_plans_table_id")
        .merge(req[["requests_table_id", "person_table_id", "received_date"]], on="requests_table_id")
    )
    return (
        need[need["sen_type_rank"] == "1"]
        .sort_values(["person_table_id", "received_date"])
        .drop_duplicates("person_table_id")
        .set_index("person_table_id")["sen_type"]
    )


def _outcome(tables: dict[str, pd.DataFrame], first: pd.DataFrame) -> pd.Series:
    """The outcome of each first request: the assessment's, or the request's own when it was not assessed."""
    asm = tables["sen2_assessment"].drop_duplicates("requests_table_id").set_index("requests_table_id")
    outcome = first["requests_table_id"].map(asm["assessment_outcome"])
    outcome = outcome.where(
        outcome.notna(), first["request_outcome"].map({"N": "not assessed", "W": "withdrawn", "A": "awaiting decision"})
    )
    return (
        outcome.map({"Y": "plan issued", "N": "no plan", "A": "awaiting decision", "W": "withdrawn", "H": "historical"})
        .fillna(outcome)
        .fillna("awaiting decision")
    )


def child_events(c: pd.DataFrame, adversity: pd.DataFrame, key: str = "person_table_id") -> pd.DataFrame:
    """Every adversity event of the given children (`c`: pers_person_id, person_table_id, dob, index_date and the
    column `key` naming each child once), matched on the social care person or, for case review findings recorded
    against the SEND person, on the SEND person; each event once per child."""
    keys = c[list(dict.fromkeys(["pers_person_id", "person_table_id", "index_date", "dob", key]))]
    by_csc = adversity.drop(columns="person_table_id").merge(
        keys.dropna(subset=["pers_person_id"]), on="pers_person_id"
    )
    by_send = (
        adversity.dropna(subset=["person_table_id"])
        .drop(columns="pers_person_id")
        .merge(keys.dropna(subset=["person_table_id"]), on="person_table_id")
    )
    ev = pd.concat([by_csc, by_send], ignore_index=True)
    return ev.drop_duplicates([key, "domain", "date", "source", "code"], ignore_index=True)


def _adversity_before_index(c: pd.DataFrame, adversity: pd.DataFrame, age_threshold: int) -> pd.DataFrame:
    """Adversity documented before the index date only: first date and age, domains (in place); the events."""
    ev = child_events(c, adversity)
    c["reviewed"] = c["person_table_id"].isin(ev.loc[ev["source"] == "case review", "person_table_id"])
    ev = ev[ev["date"] < ev["index_date"]].copy()
    ev["age"] = ages.decimal_years(ev["date"], ev["dob"])
    first_adv = ev.groupby("person_table_id")["date"].min()
    c["first_adversity_date"] = c["person_table_id"].map(first_adv)
    c["first_adversity_age"] = ages.decimal_years(c["first_adversity_date"], c["dob"])
    c["first_adversity_age_years"] = ages.completed_years(c["first_adversity_date"], c["dob"])
    c["has_adversity"] = c["first_adversity_date"].notna()
    c["first_adversity_before_threshold"] = c["has_adversity"] & ages.before_age(
        c["first_adversity_date"], c["dob"], age_threshold
    )
    for other in sensitivity_thresholds(age_threshold):  # the other thresholds of the sensitivity analyses
        c[f"first_adversity_before_{other}"] = c["has_adversity"] & ages.before_age(
            c["first_adversity_date"], c["dob"], other
        )
        c[f"requested_at_{other}_or_over"] = ~ages.before_age(c["index_date"], c["dob"], other)
    if (ev["source"] == NOTES_SOURCE).any():  # the sensitivity analysis without the case notes
        first_without = ev[ev["source"] != NOTES_SOURCE].groupby("person_table_id")["date"].min()
        without = c["person_table_id"].map(first_without)
        c["has_adversity_without_notes"] = without.notna()
        c["first_adversity_before_threshold_without_notes"] = without.notna() & ages.before_age(
            without, c["dob"], age_threshold
        )
    coded = ev[ev["source"] != "case review"]
    c["coded_adversity_before_threshold"] = c["person_table_id"].isin(
        coded.loc[ages.before_age(coded["date"], coded["dob"], age_threshold), "person_table_id"]
    )
    c["lead_time_years"] = (c["index_date"] - c["first_adversity_date"]).dt.days / YEAR_DAYS
    domains = ev.drop_duplicates(["person_table_id", "domain"])
    wide = pd.crosstab(domains["person_table_id"], domains["domain"]).astype(bool)
    for d in wide.columns:
        c[f"domain_{d}"] = c["person_table_id"].isin(wide.index[wide[d]])
    c["n_domains"] = c["person_table_id"].map(wide.sum(axis=1)).fillna(0).astype(int)
    return ev


def _pseudonymised(c: pd.DataFrame, ev: pd.DataFrame, sel: _Selection, key: bytes, service_use: dict) -> CohortResult:
    """Identifiers replaced by keyed hashes and dropped: what leaves this module."""
    c.insert(0, "child", pseudonym(c["person_table_id"], key, "c_"))
    ev["child"] = pseudonym(ev["person_table_id"], key, "c_")
    c["age_band"] = pd.cut(c["age_at_index_years"].astype(float), AGE_BANDS[0], right=False, labels=AGE_BANDS[1])
    c = c.drop(columns=["person_table_id", "pers_person_id", "dob"])
    child_events = ev[["child", "domain", "source", "age"]].sort_values(["child", "age", "domain"], ignore_index=True)
    c = c.sort_values(["index_date", "child"], ignore_index=True)
    excluded = pd.concat(sel.excluded, ignore_index=True)
    excluded = pd.DataFrame({"child": pseudonym(excluded["person_table_id"], key, "c_"), "reason": excluded["reason"]})
    flow = pd.DataFrame({"step": [s for s, _ in sel.flow], "children": [len(ids) for _, ids in sel.flow]})
    members = [pseudonym(ids, key, "c_") for _, ids in sel.flow]
    service = {k: pseudonym(v, key, "c_") for k, v in service_use.pop("members").items()}
    return CohortResult(c, child_events, flow, service_use, excluded, members, service)


def domain_columns(cohort: pd.DataFrame) -> list[str]:
    return sorted(c for c in cohort.columns if c.startswith("domain_"))


def lead_time_summary(cohort: pd.DataFrame) -> dict[str, float]:
    """Median and quartiles of the lead time from first adversity to the request, in years."""
    lt = cohort["lead_time_years"].dropna()
    if lt.empty:
        return {"median": np.nan, "q1": np.nan, "q3": np.nan, "n": 0}
    return {
        "median": float(lt.median()),
        "q1": float(lt.quantile(0.25)),
        "q3": float(lt.quantile(0.75)),
        "n": int(lt.size),
    }


def _service_use(c: pd.DataFrame, tables: dict[str, pd.DataFrame], study_end: pd.Timestamp) -> dict:
    """Service use, within the study window, of cohort children whose first adversity was documented before the
    age threshold: child-years with an EHC plan, CIN episodes (referrals) and weeks looked after."""
    early = c[c["first_adversity_before_threshold"].fillna(False).astype(bool)]
    plans = (
        tables["sen2_named_plan"]
        .merge(tables["sen2_assessment"][["assessment_table_id", "requests_table_id"]], on="assessment_table_id")
        .merge(tables["sen2_requests"][["requests_table_id", "person_table_id"]], on="requests_table_id")
        if "sen2_named_plan" in tables
        else pd.DataFrame(columns=["person_table_id", "start_date", "cease_date"])
    )
    plans = plans[plans["person_table_id"].isin(early["person_table_id"])]
    plan_years = (
        (
            (plans["cease_date"].fillna(study_end).clip(upper=study_end) - plans["start_date"])
            .dt.days.clip(lower=0)
            .sum()
            / YEAR_DAYS
        )
        if len(plans)
        else 0.0
    )
    referrals = tables["ssd_cin_episodes"]
    cin = int(referrals["cine_person_id"].isin(early["pers_person_id"].dropna()).sum())
    cla = tables["ssd_cla_episodes"]
    cla = cla[cla["clae_person_id"].isin(early["pers_person_id"].dropna())]
    weeks = (
        (
            (
                cla["clae_cla_episode_ceased_date"].fillna(study_end).clip(upper=study_end)
                - cla["clae_cla_episode_start_date"]
            )
            .dt.days.clip(lower=0)
            .sum()
            / 7
        )
        if len(cla)
        else 0.0
    )
    members = {
        "children": early["person_table_id"],
        "ehc_plan": pd.Series(plans["person_table_id"].unique()),
        "cin_episode": early.loc[early["pers_person_id"].isin(referrals["cine_person_id"]), "person_table_id"],
        "cla_week": early.loc[early["pers_person_id"].isin(cla["clae_person_id"]), "person_table_id"],
    }
    return {
        "children": len(early),
        "ehc_plan": float(plan_years),
        "cin_episode": cin,
        "cla_week": float(weeks),
        "members": members,
    }
