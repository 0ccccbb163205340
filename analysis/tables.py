"""Every published table, built from the cohort and passed through disclosure control.

Each function returns a frame of display strings and numbers ready for the book and for OUT/tables/*.csv.
"""

from __future__ import annotations

import pandas as pd

from analysis import codes
from analysis.disclosure import SUPPRESSED, suppress

AGE_BANDS = [(0, 1, "Under 1"), (1, 3, "1 to 2"), (3, 5, "3 to 4"), (5, 8, "5 to 7"), (8, 11, "8 to 10"),
             (11, 26, "11 and over")]


def table_one(cohort: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Table 1: the cohort by sex, age at request, primary need and assessment outcome."""
    parts = []
    for name, col, labels in (("Sex", "sex", codes.SEX), ("Age at request", "age_band", None),
                              ("Primary need", "primary_need", codes.SEN_TYPE_LABEL),
                              ("Assessment outcome", "ehcna_outcome", None)):
        counts = cohort[col].value_counts(sort=False).rename_axis("Category").reset_index(name="Children")
        if not isinstance(cohort[col].dtype, pd.CategoricalDtype):  # ordered bands keep their order
            counts = counts.sort_values(["Children", "Category"], ascending=[False, True])
        counts["Category"] = counts["Category"].astype(str).map(lambda v: labels.get(v, v) if labels else v)
        counts.insert(0, "Characteristic", name)
        counts["Percent"] = counts["Children"] / len(cohort) * 100
        parts.append(counts)
    t = pd.concat(parts, ignore_index=True)
    t["Percent"] = t["Percent"].round(1)
    return suppress(t, "Children", threshold, group="Characteristic", derived=("Percent",))


def domain_prevalence(measures: dict) -> pd.DataFrame:
    """Prevalence of each domain documented before the request, with Wilson 95% intervals."""
    rows = [{"Rank": m["rank"], "Domain": m["label"], "Children": m["numerator"] if not m["suppressed"] else "c",
             "Cohort": m["denominator"] if not m["suppressed"] else "c",
             "Share": m["value"] if not m["suppressed"] else "c",
             "Lower 95%": m["interval"][0] if not m["suppressed"] else "c",
             "Upper 95%": m["interval"][1] if not m["suppressed"] else "c"} for m in measures["domains"]]
    return pd.DataFrame(rows, columns=["Rank", "Domain", "Children", "Cohort", "Share", "Lower 95%", "Upper 95%"])


def first_adversity_age(cohort: pd.DataFrame, age_threshold: int, threshold: int) -> pd.DataFrame:
    """Children with adversity by age band at its first documentation."""
    adv = cohort[cohort["has_adversity"]]
    rows = []
    for lo, hi, label in AGE_BANDS:
        n = int(((adv["first_adversity_age"] >= lo) & (adv["first_adversity_age"] < hi)).sum())
        rows.append({"Age band": label, "Children": n, "Share": n / len(adv) if len(adv) else float("nan"),
                     "Before threshold": hi <= age_threshold})
    return suppress(pd.DataFrame(rows), "Children", threshold, derived=("Share",))


def csc_routes(cohort: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """How children were known to social care before their request (a child may have several routes)."""
    rows = [{"Route": c.removeprefix("route_").replace("_", " ").capitalize(), "Children": int(cohort[c].sum())}
            for c in cohort.columns if c.startswith("route_")]
    # routes overlap, so no total can recover a suppressed cell: primary suppression only
    t = pd.DataFrame(rows)
    t["Children"] = [("c" if 1 <= n < threshold else n) for n in t["Children"]]
    return t


def flow(flow_df: pd.DataFrame, threshold: int) -> pd.DataFrame:
    t = flow_df.rename(columns={"step": "Step", "children": "Children"})
    t["Children"] = [("c" if 1 <= n < threshold else n) for n in t["Children"]]
    return t


def sensitivity(variants: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Sensitivity analyses: a share is suppressed (with its counts) when its numerator, its denominator or the
    difference between them is from 1 to below the threshold, as for the headline measures."""
    n, d = variants["Children"], variants["Of"]
    small = n.between(1, threshold - 1) | d.between(1, threshold - 1) | (d - n).between(1, threshold - 1)
    t = variants.astype(object)
    t.loc[small, ["Children", "Of", "Share", "Lower 95%", "Upper 95%"]] = SUPPRESSED
    return t
