"""Every published table, built from the cohort and passed through disclosure control.

Each function returns a frame of display strings and numbers ready for the book and for OUT/tables/*.csv.
"""

from __future__ import annotations

import pandas as pd

from analysis.contract import codes
from analysis.derive import ages
from analysis.link import quality
from analysis.privacy import disclosure
from analysis.privacy.disclosure import shares, suppress

AGE_BANDS = [
    (0, 1, "Under 1"),
    (1, 3, "1 to 2"),
    (3, 5, "3 to 4"),
    (5, 8, "5 to 7"),
    (8, 11, "8 to 10"),
    (11, 26, "11 and over"),
]


def table_one(cohort: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Table 1: the cohort by sex, age at request, primary need and assessment outcome."""
    parts = []
    for name, col, labels in (
        ("Sex", "sex", codes.SEX),
        ("Age at request", "age_band", None),
        ("Primary need", "primary_need", codes.SEN_TYPE_LABEL),
        ("Assessment outcome", "ehcna_outcome", None),
    ):
        counts = cohort[col].value_counts(sort=False).rename_axis("Category").reset_index(name="Children")
        if not isinstance(cohort[col].dtype, pd.CategoricalDtype):  # ordered bands keep their order
            counts = counts.sort_values(["Children", "Category"], ascending=[False, True])
        counts["Category"] = counts["Category"].astype(str).map(lambda v, lab=labels: lab.get(v, v) if lab else v)
        counts.insert(0, "Characteristic", name)
        counts["Percent"] = counts["Children"] / len(cohort) * 100
        parts.append(counts)
    t = pd.concat(parts, ignore_index=True)
    t["Percent"] = t["Percent"].round(1)
    return suppress(t, "Children", threshold, group="Characteristic", derived=("Percent",))


def _published_cell(m: dict, value):
    """A cell of a measure already through disclosure control, as published."""
    return disclosure.SUPPRESSED if m["suppressed"] else value


def measure_rows(ms: list[dict], label: str, first: dict | None = None) -> pd.DataFrame:
    """Measures (already through disclosure control) as a table: label, children, of, share and its interval."""
    rows = [
        {
            **(first(m) if first else {}),
            label: m.get("label") or m.get("band") or m["description"],
            "Children": _published_cell(m, m["numerator"]),
            "Of": _published_cell(m, m["denominator"]),
            "Share": _published_cell(m, m["value"]),
            "Lower 95%": _published_cell(m, m["interval"][0]),
            "Upper 95%": _published_cell(m, m["interval"][1]),
        }
        for m in ms
    ]
    return pd.DataFrame(rows)


def domain_prevalence(measures: dict) -> pd.DataFrame:
    """Prevalence of each domain documented before the request, with Wilson 95% intervals."""
    t = measure_rows(measures["domains"], "Domain", first=lambda m: {"Rank": m["rank"]})
    columns = ["Rank", "Domain", "Children", "Cohort", "Share", "Lower 95%", "Upper 95%"]
    return t.rename(columns={"Of": "Cohort"}).reindex(columns=columns)


def known_tiers(measures: dict) -> pd.DataFrame:
    """Children known to social care before their request at each tier of involvement (cumulative)."""
    rows = [
        *measures["known_tiers"],
        measures["known_excluding_own_disability"],
        measures["early_help_before_request"],
        measures["early_help_only"],
    ]
    t = measure_rows(rows, "Known to social care")
    t["Known to social care"] = [m.get("label") or m["description"] for m in rows]
    return t


def before_threshold_by_age(measures: dict) -> pd.DataFrame:
    """The before-N share by age at request, then standardised and under the reference study's definition."""
    strata = measures["first_adversity_before_5_by_age_at_request"]
    t = measure_rows(strata, "Age at request")
    std = measures["first_adversity_before_5_standardised"]
    ref = measures["first_adversity_before_5_reference"]
    main = measures["first_adversity_before_5"]
    extra = measure_rows([main, std, ref], "Age at request")
    extra["Age at request"] = [
        "All (main measure)",
        "All, standardised to the age-at-request mix",
        "All children with adversity (reference study's definition)",
    ]
    return pd.concat([t, extra], ignore_index=True)


def first_adversity_age(cohort: pd.DataFrame, age_threshold: int, threshold: int) -> pd.DataFrame:
    """Children with adversity by their age (completed years) when it was first documented."""
    adv = cohort[cohort["has_adversity"]]
    years = adv["first_adversity_age_years"].astype(float)
    rows = []
    for lo, hi, label in AGE_BANDS:
        n = int(((years >= lo) & (years < hi)).sum())
        rows.append(
            {
                "Age band": label,
                "Children": n,
                "Share": n / len(adv) if len(adv) else float("nan"),
                "Before threshold": hi <= age_threshold,
            }
        )
    return suppress(pd.DataFrame(rows), "Children", threshold, derived=("Share",))


def csc_routes(cohort: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """How children were known to social care before their request (a child may have several routes)."""
    rows = [
        {"Route": c.removeprefix("route_").replace("_", " ").capitalize(), "Children": int(cohort[c].sum())}
        for c in cohort.columns
        if c.startswith("route_")
    ]
    # routes overlap, so no total can recover a suppressed cell: primary suppression only
    return disclosure.primary(pd.DataFrame(rows), "Children", threshold)


def flow(flow_df: pd.DataFrame, threshold: int) -> pd.DataFrame:
    return disclosure.primary(flow_df.rename(columns={"step": "Step", "children": "Children"}), "Children", threshold)


def sensitivity(variants: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Sensitivity analyses: a share is suppressed (with its counts) when its numerator, its denominator or the
    difference between them is from 1 to below the threshold, as for the headline measures."""
    return shares(variants, "Children", "Of", threshold, ("Share", "Lower 95%", "Upper 95%"))


def _share_rows(label: str, rows: list[tuple[str, int, int]], threshold: int) -> pd.DataFrame:
    """Rows of (category, n, N) with a share, through `disclosure.shares`."""
    t = pd.DataFrame(rows, columns=[label, "Children", "Of"]).assign(Share=lambda d: d["Children"] / d["Of"])
    return shares(t, "Children", "Of", threshold, ("Share",))


def domain_counts(cohort: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Children by the number of adversity domains documented before their request."""
    n = cohort["n_domains"].clip(upper=4)
    t = pd.DataFrame(
        {"Domains": ["None", "1", "2", "3", "4 or more"], "Children": [int((n == k).sum()) for k in range(5)]}
    )
    return suppress(t, "Children", threshold)


def prevalence_by_need(cohort: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Share of children with adversity documented before their request, by primary need."""
    rows = [
        (codes.SEN_TYPE_LABEL.get(need, need), int(g["has_adversity"].sum()), len(g))
        for need, g in cohort.groupby("primary_need")
    ]
    rows.sort(key=lambda r: -r[2])
    return _share_rows("Primary need", rows, threshold)


def domain_combinations(cohort: pd.DataFrame, labels: dict[str, str], threshold: int) -> pd.DataFrame:
    """Combinations of domains among children with adversity; combinations of fewer than `threshold` children
    are pooled as "other combinations" (suppressed too if the pool is small)."""
    cols = [c for c in cohort.columns if c.startswith("domain_")]
    adv = cohort[cohort["has_adversity"]]
    combo = adv[cols].apply(lambda r: " + ".join(labels[c.removeprefix("domain_")] for c in cols if r[c]), axis=1)
    counts = combo.value_counts()
    big = counts[counts >= threshold]
    rows = [{"Combination": k, "Children": int(v)} for k, v in big.items()]
    other = int(counts[counts < threshold].sum())
    if other:
        rows.append({"Combination": "other combinations", "Children": disclosure.safe_count(other, threshold)})
    return pd.DataFrame(rows, columns=["Combination", "Children"])


LEAD_BANDS = [
    (0, 1, "Under 1 year"),
    (1, 2, "1 to 2 years"),
    (2, 3, "2 to 3 years"),
    (3, 5, "3 to 5 years"),
    (5, 99, "5 years or more"),
]


def lead_time(cohort: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Children with adversity by the time from its first documentation to the request."""
    lt = cohort["lead_time_years"].dropna()
    t = pd.DataFrame(
        {
            "Lead time": [b[2] for b in LEAD_BANDS],
            "Children": [int(((lt >= lo) & (lt < hi)).sum()) for lo, hi, _ in LEAD_BANDS],
        }
    )
    return suppress(t, "Children", threshold)


def event_ages(cohort: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The order of events by age: for each kind of first event before the request, the median age and quartiles
    among the children who had one (an aggregate swimlane)."""
    kinds = [
        ("First contact with social care", "age_first_contact"),
        ("First referral", "age_first_referral"),
        ("First assessment", "age_first_assessment"),
        ("First child in need plan", "age_first_child_in_need_plan"),
        ("First child protection plan", "age_first_child_protection_plan"),
        ("First looked after", "age_first_looked_after"),
        ("First adversity documented", "first_adversity_age"),
        ("EHC needs assessment request", "age_at_index"),
    ]
    rows = []
    for label, col in kinds:
        a = cohort[col].dropna() if col in cohort else pd.Series(dtype=float)
        rows.append(
            {
                "Event": label,
                "Children": disclosure.safe_count(len(a), threshold),
                "Median age": disclosure.summary(a, threshold, lambda v: float(v.median())),
                "Lower quartile": disclosure.summary(a, threshold, lambda v: float(v.quantile(0.25))),
                "Upper quartile": disclosure.summary(a, threshold, lambda v: float(v.quantile(0.75))),
            }
        )
    return pd.DataFrame(rows)


COMPLETENESS = [
    ("ssd_person", "pers_upn", None),
    ("ssd_person", "pers_forename", None),
    ("ssd_person", "pers_postcode", None),
    ("ssd_cin_episodes", "cine_cin_primary_need_code", "cine_referral_date"),
    ("ssd_cin_assessments", "cina_assessment_auth_date", "cina_assessment_start_date"),
    ("sen2_person", "upn", None),
    ("sen2_person", "postcode", None),
    ("sen2_requests", "request_outcome", "received_date"),
]


def completeness(typed: dict[str, pd.DataFrame], threshold: int) -> pd.DataFrame:
    """Share of records with a value, for the fields linkage and the measures rely on, by year where the table
    has a date (records from fewer than `threshold` rows in a year are not shown)."""
    rows = []
    for table, col, date in COMPLETENESS:
        if table not in typed:
            continue
        t = typed[table]
        years = t[date].dt.year.astype("Int64").astype(str) if date else pd.Series("All years", index=t.index)
        for year, g in t.groupby(years):
            if year == "<NA>":
                continue
            rows.append(
                {
                    "Field": f"{table}.{col}",
                    "Year": year,
                    "Records": disclosure.safe_count(len(g), threshold),
                    "Complete": disclosure.summary(g[col], threshold, lambda v: float(v.notna().mean())),
                }
            )
    return pd.DataFrame(rows, columns=["Field", "Year", "Records", "Complete"])


def upn_coverage(sen2_person: pd.DataFrame, requests: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """SEND children with a UPN, by age at their first request: UPNs are issued at school entry, so linkage by
    UPN alone would miss the youngest children."""
    first = requests.groupby("person_table_id")["received_date"].min()
    p = sen2_person.drop_duplicates("person_table_id").set_index("person_table_id")
    age = ages.completed_years(pd.Series(first), p["person_birth_date"].reindex(first.index))
    has = p["upn"].reindex(first.index).notna()
    rows = [
        (label, int(has[(age >= lo) & (age < hi)].sum()), int(((age >= lo) & (age < hi)).sum()))
        for lo, hi, label in ((0, 5, "Under 5"), (5, 11, "5 to 10"), (11, 26, "11 and over"))
    ]
    return _share_rows("Age at first request", rows, threshold)


def linkage_by(cohort: pd.DataFrame, column, label: str, threshold: int) -> pd.DataFrame:
    """Cohort children linked to a social care record, by a cohort column (age band, year of request)."""
    t = quality.by_group(cohort, column, label)
    return suppress(suppress(t, "Children", threshold), "Linked", threshold)


def validation_summary(problems: pd.DataFrame) -> pd.DataFrame:
    """Validation problems by table, column, rule and severity, with the number of rows each affects."""
    if problems.empty:
        return pd.DataFrame({"Table": [], "Column": [], "Rule": [], "Severity": [], "Rows": []})
    g = problems.groupby(["table", "column", "rule", "severity"]).size().reset_index(name="Rows")
    return g.rename(columns={"table": "Table", "column": "Column", "rule": "Rule", "severity": "Severity"})
