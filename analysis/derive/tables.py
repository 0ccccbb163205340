"""Every published table, as its raw numbers and what each column is (`registry.TableSpec`).

Each builder returns `(frame, spec)`: the frame holds the true counts, and the spec says which units each count
counts (codes in the disclosure registry: `units`, aligned with the cohort's rows) and which columns are derived from
them. The registry, not the builder, decides what is hidden (`derive.published`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.contract import codes
from analysis.derive import adversity, ages
from analysis.privacy import disclosure
from analysis.privacy.registry import TableSpec

AGE_BANDS = [
    (0, 1, "Under 1"),
    (1, 3, "1 to 2"),
    (3, 5, "3 to 4"),
    (5, 8, "5 to 7"),
    (8, 11, "8 to 10"),
    (11, 26, "11 and over"),
]
AGE_BANDS_COARSE = [(0, 3, "Under 3"), (3, 5, "3 to 4"), (5, 11, "5 to 10"), (11, 26, "11 and over")]
Built = tuple[pd.DataFrame, TableSpec]
SHARE = ("Share", "Lower 95%", "Upper 95%")


def table_one(cohort: pd.DataFrame, units: np.ndarray) -> Built:
    """Table 1: the cohort by sex, age at request, primary need and assessment outcome."""
    rows, members = [], []
    for name, col, labels in (
        ("Sex", "sex", codes.SEX),
        ("Age at request", "age_band", None),
        ("Primary need", "primary_need", codes.SEN_TYPE_LABEL),
        ("Assessment outcome", "ehcna_outcome", None),
    ):
        counts = cohort[col].value_counts(sort=False)
        if not isinstance(cohort[col].dtype, pd.CategoricalDtype):  # ordered bands keep their order
            counts = counts.rename_axis("key").reset_index(name="n").sort_values(["n", "key"], ascending=[False, True])
            counts = counts.set_index("key")["n"]
        for category, n in counts.items():
            label = labels.get(str(category), str(category)) if labels else str(category)
            rows.append({"Characteristic": name, "Category": label, "Children": int(n)})
            members.append(units[(cohort[col] == category).to_numpy()])
    t = pd.DataFrame(rows, columns=["Characteristic", "Category", "Children"])
    t["Percent"] = (t["Children"] / max(len(cohort), 1) * 100).round(1)
    return t, TableSpec(("Characteristic", "Category"), {"Children": members}, derived={"Percent": ("Children",)})


def first_adversity_age(cohort: pd.DataFrame, units: np.ndarray, age_threshold: int, bands=AGE_BANDS) -> Built:
    """Children with adversity by their age (completed years) when it was first documented."""
    adv = cohort["has_adversity"].to_numpy(bool)
    years = cohort["first_adversity_age_years"].astype(float).to_numpy()
    rows, members = [], []
    for lo, hi, label in bands:
        sel = adv & (years >= lo) & (years < hi)
        row = {"Age band": label, "Age band starts": lo, "Age band ends before": hi, "Children": int(sel.sum())}
        rows.append(row | {"Before threshold": hi <= age_threshold})
        members.append(units[sel])
    t = pd.DataFrame(rows)
    t.insert(4, "Share", t["Children"] / adv.sum() if adv.any() else float("nan"))
    spec = TableSpec(
        ("Age band",),
        {"Children": members},
        derived={"Share": ("Children",)},
        exempt={
            "Before threshold": "a label: whether the band ends before the threshold age",
            "Age band starts": "a label: the band's first year of age",
            "Age band ends before": "a label: the year of age the band stops before",
        },
    )
    return t, spec


def csc_routes(cohort: pd.DataFrame, units: np.ndarray) -> Built:
    """How children were known to social care before their request (a child may have several routes)."""
    cols = [c for c in cohort.columns if c.startswith("route_")]
    t = pd.DataFrame(
        {
            "Route": [c.removeprefix("route_").replace("_", " ").capitalize() for c in cols],
            "Children": [int(cohort[c].sum()) for c in cols],
        }
    )
    return t, TableSpec(("Route",), {"Children": [units[cohort[c].to_numpy(bool)] for c in cols]})


def flow(steps: list[tuple[str, np.ndarray]]) -> Built:
    """The selection flow: each step with the children it holds (`steps`: label and their codes)."""
    t = pd.DataFrame({"Step": [s for s, _ in steps], "Children": [len(m) for _, m in steps]})
    return t, TableSpec(("Step",), {"Children": [m for _, m in steps]})


def sensitivity(variants: list[dict], units: np.ndarray) -> Built:
    """Sensitivity analyses: each share with its counts; hidden before any other table when something must be."""
    t = pd.DataFrame([{k: v for k, v in r.items() if k not in ("hits", "among")} for r in variants])
    spec = share_spec(("Analysis", "Measure"), variants, units, priority=0.5)
    return t, spec


def share_spec(label: tuple[str, ...], rows: list[dict], units: np.ndarray, priority: float = 1) -> TableSpec:
    """The spec of a table of shares: "Children" counts `hits & among`, "Of" counts `among` (boolean masks)."""
    return TableSpec(
        label,
        {"Children": [units[r["hits"] & r["among"]] for r in rows], "Of": [units[r["among"]] for r in rows]},
        derived={c: ("Children", "Of") for c in SHARE},
        priority=priority,
    )


def _share_rows(label: str, rows: list[tuple[str, np.ndarray, np.ndarray]], units: np.ndarray) -> Built:
    """Rows of (category, hits, among) as counts and a share."""
    t = pd.DataFrame(
        {label: [r[0] for r in rows], "Children": [int((r[1] & r[2]).sum()) for r in rows]}
        | {"Of": [int(r[2].sum()) for r in rows]}
    )
    t["Share"] = t["Children"] / t["Of"].where(t["Of"] > 0)
    spec = TableSpec(
        (label,),
        {"Children": [units[h & a] for _, h, a in rows], "Of": [units[a] for _, _, a in rows]},
        derived={"Share": ("Children", "Of")},
    )
    return t, spec


def domain_counts(cohort: pd.DataFrame, units: np.ndarray) -> Built:
    """Children by the number of adversity domains documented before their request."""
    n = cohort["n_domains"].clip(upper=4).to_numpy()
    t = pd.DataFrame(
        {"Domains": ["None", "1", "2", "3", "4 or more"], "Children": [int((n == k).sum()) for k in range(5)]}
    )
    return t, TableSpec(("Domains",), {"Children": [units[n == k] for k in range(5)]})


def prevalence_by_need(cohort: pd.DataFrame, units: np.ndarray) -> Built:
    """Share of children with adversity documented before their request, by primary need."""
    adv = cohort["has_adversity"].to_numpy(bool)
    need = cohort["primary_need"].to_numpy()
    order = cohort["primary_need"].value_counts().sort_index(kind="stable")
    order = sorted(order.index, key=lambda k: (-order[k], str(k)))
    rows = [(codes.SEN_TYPE_LABEL.get(k, k), adv, need == k) for k in order]
    return _share_rows("Primary need", rows, units)


def domain_combinations(cohort: pd.DataFrame, units: np.ndarray, labels: dict[str, str], threshold: int) -> Built:
    """Combinations of domains among children with adversity; combinations of fewer than `threshold` children
    are pooled as "other combinations"."""
    cols = [c for c in cohort.columns if c.startswith("domain_")]
    adv = cohort["has_adversity"].to_numpy(bool)
    combo = pd.Series(
        [
            " + ".join(labels[c.removeprefix("domain_")] for c, has in zip(cols, r) if has)
            for r in cohort[cols].to_numpy(bool)
        ]
    )
    counts = combo[adv].value_counts()
    big = counts[counts >= threshold]
    rows = [(k, adv & (combo == k).to_numpy()) for k in big.index]
    other = adv & ~combo.isin(big.index).to_numpy()
    if other.any():
        rows.append(("other combinations", other))
    t = pd.DataFrame({"Combination": [k for k, _ in rows], "Children": [int(m.sum()) for _, m in rows]})
    return t, TableSpec(("Combination",), {"Children": [units[m] for _, m in rows]})


LEAD_BANDS = [
    (0, 1, "Under 1 year"),
    (1, 2, "1 to 2 years"),
    (2, 3, "2 to 3 years"),
    (3, 5, "3 to 5 years"),
    (5, 99, "5 years or more"),
]
LEAD_BANDS_COARSE = [(0, 2, "Under 2 years"), (2, 5, "2 to 5 years"), (5, 99, "5 years or more")]


def years(dates: pd.Series, pooled: bool = False) -> pd.Series:
    """The year of each date, or pairs of years ("2016 to 2017") counted from the first year present.

    >>> years(pd.Series(pd.to_datetime(["2016-05-01", "2017-02-01", "2018-09-01"])), pooled=True).tolist()
    ['2016 to 2017', '2016 to 2017', '2018 to 2019']
    """
    y = dates.dt.year
    if not pooled:
        return y
    first = y.min() + (y - y.min()) // 2 * 2
    return first.astype(int).astype(str) + " to " + (first + 1).astype(int).astype(str)


def lead_time(cohort: pd.DataFrame, units: np.ndarray, bands=LEAD_BANDS) -> Built:
    """Children with adversity by the time from its first documentation to the request."""
    lt = cohort["lead_time_years"].to_numpy(float)
    sel = [(lt >= lo) & (lt < hi) for lo, hi, _ in bands]  # NaN (no adversity) is in no band
    t = pd.DataFrame({"Lead time": [b[2] for b in bands], "Children": [int(m.sum()) for m in sel]})
    return t, TableSpec(("Lead time",), {"Children": [units[m] for m in sel]})


EVENT_KINDS = [
    ("First contact with social care", "age_first_contact"),
    ("First referral", "age_first_referral"),
    ("First assessment", "age_first_assessment"),
    ("First child in need plan", "age_first_child_in_need_plan"),
    ("First child protection plan", "age_first_child_protection_plan"),
    ("First looked after", "age_first_looked_after"),
    ("First adversity documented", "first_adversity_age"),
    ("EHC needs assessment request", "age_at_index"),
]


def event_ages(cohort: pd.DataFrame, units: np.ndarray) -> Built:
    """The order of events by age: for each kind of first event before the request, the median age and quartiles
    among the children who had one (an aggregate swimlane); statistics of groups of at least the threshold."""
    rows, members = [], []
    for label, col in EVENT_KINDS:
        a = cohort[col] if col in cohort else pd.Series(np.nan, index=cohort.index)
        has = a.notna().to_numpy()
        v = a[has].astype(float)
        rows.append(
            {
                "Event": label,
                "Children": int(has.sum()),
                "Median age": float(v.median()) if has.any() else np.nan,
                "Lower quartile": float(v.quantile(0.25)) if has.any() else np.nan,
                "Upper quartile": float(v.quantile(0.75)) if has.any() else np.nan,
            }
        )
        members.append(units[has])
    stats = ("Median age", "Lower quartile", "Upper quartile")
    return pd.DataFrame(rows), TableSpec(("Event",), {"Children": members}, statistics=dict.fromkeys(stats, "Children"))


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


def completeness(typed: dict[str, pd.DataFrame], threshold: int) -> Built:
    """Share of records with a value, for the fields linkage and the measures rely on, by year where the table
    has a date. These count rows of the extract, not children: a year of fewer than `threshold` rows is not shown."""
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
    why = "rows of the extract (records, not children), shown for years of at least the threshold of rows"
    spec = TableSpec(("Field", "Year"), {}, exempt={"Records": why, "Complete": why})
    return pd.DataFrame(rows, columns=["Field", "Year", "Records", "Complete"]), spec


def upn_coverage(sen2_person: pd.DataFrame, requests: pd.DataFrame, units_of) -> Built:
    """SEND children with a UPN, by age at their first request: UPNs are issued at school entry, so linkage by
    UPN alone would miss the youngest children (`units_of`: SEND person ids to registry codes)."""
    first = requests.groupby("person_table_id")["received_date"].min()
    p = sen2_person.drop_duplicates("person_table_id").set_index("person_table_id")
    age = ages.completed_years(pd.Series(first), p["person_birth_date"].reindex(first.index)).to_numpy(float)
    has = p["upn"].reindex(first.index).notna().to_numpy()
    rows = [
        (label, has, (age >= lo) & (age < hi))
        for lo, hi, label in ((0, 5, "Under 5"), (5, 11, "5 to 10"), (11, 26, "11 and over"))
    ]
    return _share_rows("Age at first request", rows, units_of(pd.Series(first.index)))


def linkage_by(cohort: pd.DataFrame, units: np.ndarray, groups: pd.Series, label: str) -> Built:
    """Cohort children linked to a social care record, by a grouping of the cohort (age band, year of request)."""
    linked = (cohort["link_method"] != "not linked").to_numpy()
    if isinstance(groups.dtype, pd.CategoricalDtype):  # bands in their order, those with any child
        keys = [k for k in groups.cat.categories if (groups == k).any()]
    else:
        keys = sorted(groups.dropna().unique())
    sel = [(groups == k).to_numpy() for k in keys]
    t = pd.DataFrame(
        {label: [str(k) for k in keys], "Children": [int(m.sum()) for m in sel]}
        | {"Linked": [int((m & linked).sum()) for m in sel]}
    )
    return t, TableSpec((label,), {"Children": [units[m] for m in sel], "Linked": [units[m & linked] for m in sel]})


def linkage_by_method(crosswalk: pd.DataFrame, methods: tuple[str, ...], send_people: int, units_of) -> Built:
    """Links by method, in pass order, with the share of SEND people each pass linked."""
    groups = [(m, crosswalk["method"] == m) for m in methods] + [("all methods", crosswalk["method"].notna())]
    t = pd.DataFrame({"method": [g for g, _ in groups], "linked": [int(s.sum()) for _, s in groups]})
    t["share_of_send_people"] = t["linked"] / max(send_people, 1)
    units = units_of(crosswalk["person_table_id"])
    spec = TableSpec(
        ("method",), {"linked": [units[s.to_numpy()] for _, s in groups]}, derived={"share_of_send_people": ("linked",)}
    )
    return t, spec


def linkage_weights(weights: pd.Series | None, width: float = 5.0) -> Built:
    """Candidate pairs scored by Splink, by match weight band (the units are pairs, not children)."""
    if weights is None or weights.empty:
        return pd.DataFrame({"Match weight from": [], "Pairs": []}), TableSpec(("Match weight from",), {"Pairs": []})
    w = weights.to_numpy(float)
    edges = np.arange(np.floor(w.min() / width) * width, w.max() + width, width)
    band = np.clip(np.searchsorted(edges, w, side="right") - 1, 0, len(edges) - 2)
    sel = [np.flatnonzero(band == i) for i in range(len(edges) - 1)]
    t = pd.DataFrame({"Match weight from": edges[:-1], "Pairs": [len(m) for m in sel]})
    return t, TableSpec(("Match weight from",), {"Pairs": sel}, universe="pairs")


def validation_summary(problems: pd.DataFrame) -> Built:
    """Validation problems by table, column, rule and severity, with the number of rows each affects."""
    spec = TableSpec(
        ("Table", "Column", "Rule", "Severity"),
        {},
        exempt={"Rows": "rows of the extract with a problem: the authority's own data quality, not children"},
    )
    if problems.empty:
        return pd.DataFrame({"Table": [], "Column": [], "Rule": [], "Severity": [], "Rows": []}), spec
    g = problems.groupby(["table", "column", "rule", "severity"]).size().reset_index(name="Rows")
    return g.rename(columns={"table": "Table", "column": "Column", "rule": "Rule", "severity": "Severity"}), spec


def coding_frame(events: pd.DataFrame, table: pd.DataFrame) -> Built:
    """The coding frame with the events each code contributed (`table`: `adversity.code_counts`); the units are
    coded events, not children."""
    source = events["source"].map(adversity.EVENT_SOURCE)
    members = [
        np.flatnonzero(((source == s) & (events["code"] == c)).to_numpy()) if pd.notna(n) else np.array([], int)
        for s, c, n in zip(table["Source"], table["Code"], table["Events"])
    ]
    return table, TableSpec(("Source", "Code", "Domain"), {"Events": members}, universe="events")


def costs(table: pd.DataFrame, contributors: dict[str, np.ndarray]) -> Built:
    """The cost table: each item's quantity and estimates describe the children who used it (`contributors`, by
    item), so they are shown only for at least the threshold of children; the total only when every item is (it
    is the smallest item's group that decides). The episodes, years and weeks are not counts of children; prices
    and sources come from the unit costs file."""
    items = [i for i in table["item"] if i != "total"]
    smallest = min((contributors[i] for i in items), key=len, default=np.array([], dtype=np.int64))
    group = [smallest if item == "total" else contributors[item] for item in table["item"]]
    value = ("quantity", "central", "low", "high")
    spec = TableSpec(
        ("item", "primary_need"),
        {"children using it": group},
        statistics=dict.fromkeys(value, "children using it"),
        groups=("children using it",),
        exempt=dict.fromkeys(
            (
                "label",
                "quantity_label",
                "unit",
                "unit_cost",
                "price_year",
                "unit_cost_in_base",
                "price_base",
                "source",
                "example",
                "notes",
            ),
            "from the unit costs file",
        ),  # fmt: skip
    )
    return table, spec


def measure_rows(ms: list[dict], label: str, first=None) -> pd.DataFrame:
    """Measures (already through disclosure control) as a table: label, children, of, share and its interval."""
    rows = [
        {
            **(first(m) if first else {}),
            label: m.get("label") or m.get("band") or m["description"],
            "Children": m["numerator"],
            "Of": m["denominator"],
            "Share": m["value"],
            "Lower 95%": m["interval"][0],
            "Upper 95%": m["interval"][1],
        }
        for m in ms
    ]
    hidden = np.array([bool(m["suppressed"]) for m in ms], dtype=bool)
    # a hidden measure's counts are None: whole-number columns, not floats ("34", never "34.0")
    frame = pd.DataFrame(rows).astype({"Children": "Int64", "Of": "Int64"})
    return disclosure.hide_cells(frame, hidden, ("Children", "Of", *SHARE))


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
    """The before-N share by age at request, and for all ages (the main measure: the strata's total)."""
    main = measures["first_adversity_before_5"]
    return measure_rows(
        [*measures["first_adversity_before_5_by_age_at_request"], {**main, "label": "All (main measure)"}],
        "Age at request",
    )


def before_threshold_definitions(measures: dict) -> pd.DataFrame:
    """The before-N share three ways: the main measure, standardised to the age-at-request mix, and under the
    reference study's definition. A table of its own: its rows are alternatives, not parts of a total, and a reader
    (or the scan) must not add them up."""
    rows = [
        {**measures["first_adversity_before_5"], "label": "Main measure"},
        {**measures["first_adversity_before_5_standardised"], "label": "Standardised to the age-at-request mix"},
        {**measures["first_adversity_before_5_reference"], "label": "Reference study's definition"},
    ]
    return measure_rows(rows, "Definition")
