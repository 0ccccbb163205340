"""The comparison cohort: children with and without an EHC plan, and the adversity documented for each.

Without a `population` table the denominator is every child known to either service, a limitation the book
states: children known to neither service are missing, which overstates prevalence in both groups.
"""

from __future__ import annotations

import pandas as pd

from analysis.stats import Proportion, odds_ratio


def compare(tables: dict[str, pd.DataFrame], crosswalk: pd.DataFrame, adversity: pd.DataFrame,
            age_threshold: int) -> dict:
    """Aggregate comparison of children with and without an EHC plan (no child-level output)."""
    send = tables["sen2_person"][["person_table_id", "person_birth_date"]].drop_duplicates("person_table_id")
    csc = tables["ssd_person"][["pers_person_id", "pers_dob"]].drop_duplicates("pers_person_id")
    people = send.merge(crosswalk[["person_table_id", "pers_person_id"]], on="person_table_id", how="outer")
    people = people.merge(csc, on="pers_person_id", how="outer")
    people["dob"] = people["person_birth_date"].fillna(people["pers_dob"])
    asm = tables["sen2_assessment"].merge(tables["sen2_requests"][["requests_table_id", "person_table_id"]],
                                          on="requests_table_id")
    with_plan = set(asm.loc[asm["assessment_outcome"] == "Y", "person_table_id"])
    people["ehc_plan"] = people["person_table_id"].isin(with_plan)
    ev = adversity.merge(people[["pers_person_id", "dob"]].dropna(subset=["pers_person_id"]), on="pers_person_id")
    early = ev[(ev["date"] - ev["dob"]).dt.days / 365.25 < age_threshold]
    people["any_adversity"] = people["pers_person_id"].isin(ev["pers_person_id"])
    people["early_adversity"] = people["pers_person_id"].isin(early["pers_person_id"])
    groups = {}
    for label, g in (("with an EHC plan", people[people["ehc_plan"]]),
                     ("without an EHC plan", people[~people["ehc_plan"]])):
        groups[label] = {"children": len(g),
                         "any_adversity": Proportion(int(g["any_adversity"].sum()), len(g)),
                         "early_adversity": Proportion(int(g["early_adversity"].sum()), len(g))}
    a, b = groups["with an EHC plan"], groups["without an EHC plan"]
    or_, ci = odds_ratio(a["early_adversity"].numerator, a["children"], b["early_adversity"].numerator, b["children"])
    table = pd.DataFrame([
        {"Group": k, "Children": v["children"],
         "Any adversity": v["any_adversity"].numerator, "Any adversity %": 100 * v["any_adversity"].value,
         "Early adversity": v["early_adversity"].numerator, "Early adversity %": 100 * v["early_adversity"].value}
        for k, v in groups.items()])
    return {"table": table, "odds_ratio_early": or_, "odds_ratio_early_ci": ci,
            "denominator": "children known to either service (no population table supplied)"}
