"""The true value of every headline of the issue 16 definitions, from what a synthetic authority's generator knows:
who each record belongs to, true birth dates, every event it wrote, the population and its latent request and
leaving dates. Written independently of the pipeline (no code is shared with `analysis.derive`), so that a back test
compares two implementations of the same definitions, not one with itself.

Conventions: "before" is strict; ages and thresholds use calendar birthdays (29 February birthdays fall on 1 March
in common years); every count-based truth is a numerator and a denominator.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")
TIERS = ("contact", "referral", "assessment", "child_in_need")  # cumulative: each tier and those above it
AGE_BANDS = {"5-10": (5, 10), "11-15": (11, 15), "16-25": (16, 25)}  # age at request, calendar years
RESIDENT_FROM_BIRTH = 90 * DAY  # entry within this of birth counts as resident from birth
HORIZONS = (6, 7, 8, 9, 10)


@dataclasses.dataclass
class Knowledge:
    """What the generator knows, by child (arrays indexed 0 to n - 1) and by event (frames with a `child` column)."""

    dob: np.ndarray  # true birth dates, datetime64[D]
    entry: np.ndarray  # the date the child joined the area's population (the birth date for those born here)
    exit: np.ndarray  # the date the child left, as the population table would hold it (far future: never)
    latent_exit: np.ndarray  # when the child would leave, had the extract not ended the records
    study_start: np.datetime64
    records_start: np.datetime64
    extract_date: np.datetime64
    requests: pd.DataFrame  # recorded EHCNA requests: child, date
    latent_requests: pd.DataFrame  # every request the child would make, extract date or not: child, date
    csc: pd.DataFrame  # social care events: child, date, tier (a TIERS entry or "early_help"), n2 (bool)
    documented: pd.DataFrame  # documented adversity: child, domain, date, source, coded (False: the case review)
    population_table: bool  # whether the extract holds the population table


def nth_birthday(dob: np.ndarray, n) -> np.ndarray:
    """The Nth birthday (English law: a 29 February birthday is 1 March in a common year).

    >>> nth_birthday(np.array(["2016-02-29", "2016-02-29", "2015-06-30"], dtype="datetime64[D]"), np.array([5, 8, 1]))
    array(['2021-03-01', '2024-02-29', '2016-06-30'], dtype='datetime64[D]')
    """
    d = pd.DatetimeIndex(dob)
    year = d.year.to_numpy() + np.asarray(n)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    moved = (d.month == 2) & (d.day == 29) & ~leap
    parts = pd.DataFrame(
        {"year": year, "month": np.where(moved, 3, d.month), "day": np.where(moved, 1, d.day)}, index=range(d.size)
    )
    return pd.to_datetime(parts).to_numpy().astype("datetime64[D]")


def age_on(dob: np.ndarray, date: np.ndarray) -> np.ndarray:
    """Age in whole calendar years on a date: the number of birthdays reached.

    >>> age_on(np.array(["2016-02-29", "2016-02-29"], dtype="datetime64[D]"),
    ...        np.array(["2021-02-28", "2021-03-01"], dtype="datetime64[D]"))
    array([4, 5])
    """
    years = pd.DatetimeIndex(date).year.to_numpy() - pd.DatetimeIndex(dob).year.to_numpy()
    return years - (np.asarray(date, dtype="datetime64[D]") < nth_birthday(dob, years)).astype(int)


def share(numerator: int, denominator: int) -> dict:
    """A count-based truth: numerator, denominator and their ratio (None when the denominator is 0)."""
    n, d = int(numerator), int(denominator)
    return {"numerator": n, "denominator": d, "share": n / d if d else None}


def headlines(k: Knowledge, landmark_age: int = 5, horizon_age: int = 8) -> dict:
    """Every headline of the issue 16 definitions (see /tmp/work/spec16.md), as one JSON-ready dict."""
    cohort = _cohort(k)
    return {
        "definitions": "issue 16",
        "study_window": {"start": str(k.study_start), "end": str(k.extract_date)},
        "records_start": str(k.records_start),
        "extract_date": str(k.extract_date),
        "population_table": k.population_table,
        "cohort": len(cohort),
        **_known(k, cohort),
        **_adversity(k, cohort),
        **_base_rates(k, cohort),
        "landmark": _landmark(k, landmark_age, horizon_age),
    }


def _cohort(k: Knowledge) -> pd.DataFrame:
    """By cohort child: the index date (first recorded request), birth date, whether observed from birth, the 5th
    birthday, and the calendar age at the request."""
    first = k.requests.groupby("child")["date"].min()
    child = first.index.to_numpy()
    index = first.to_numpy().astype("datetime64[D]")
    dob = k.dob[child]
    return pd.DataFrame(
        {
            "index_date": index,
            "observed": dob >= k.records_start,
            "fifth": nth_birthday(dob, 5),
            "age": age_on(dob, index),
        },
        index=pd.Index(child, name="child"),
    )


def _before_index(events: pd.DataFrame, cohort: pd.DataFrame) -> pd.DataFrame:
    """Events of cohort children dated strictly before their index date."""
    ev = events.merge(cohort[["index_date"]], left_on="child", right_index=True)
    return ev[ev["date"].to_numpy().astype("datetime64[D]") < ev["index_date"].to_numpy().astype("datetime64[D]")]


def _known(k: Knowledge, cohort: pd.DataFrame) -> dict:
    """Known to social care before the request at each cumulative tier, early help on its own, and the referral
    tier without the events of referrals for the child's own disability (N2)."""
    ev = _before_index(k.csc, cohort)
    n = len(cohort)
    rank = ev["tier"].map({t: i for i, t in enumerate(TIERS)})
    tiers = {f"{t}_or_above": share(ev.loc[rank >= i, "child"].nunique(), n) for i, t in enumerate(TIERS)}
    tiers["early_help"] = share(ev.loc[ev["tier"] == "early_help", "child"].nunique(), n)
    return {
        "known_to_csc": tiers["referral_or_above"],
        "known_to_csc_tiers": tiers,
        "known_to_csc_excluding_n2": share(ev.loc[(rank >= 1) & ~ev["n2"].astype(bool), "child"].nunique(), n),
    }


def _adversity(k: Knowledge, cohort: pd.DataFrame) -> dict:
    """Adversity documented before the request, and whether the first was before the 5th birthday: the main
    definition, the reference study's, by age at request, and directly standardised."""
    ev = _before_index(k.documented, cohort)
    first = ev.groupby("child")["date"].min().reindex(cohort.index)
    has = first.notna().to_numpy()
    early = has & (first.to_numpy().astype("datetime64[D]") < cohort["fifth"].to_numpy())
    later = (cohort["index_date"] >= cohort["fifth"]).to_numpy()  # requested at 5 or over
    main = has & later & cohort["observed"].to_numpy()
    age = cohort["age"].to_numpy()
    strata = {b: share((early & main & _band(age, b)).sum(), (main & _band(age, b)).sum()) for b in AGE_BANDS}
    standard = later & cohort["observed"].to_numpy()
    domains = ev.drop_duplicates(["child", "domain"])["domain"].value_counts()
    return {
        "with_adversity": share(has.sum(), len(cohort)),
        "first_adversity_before_5": share((early & main).sum(), main.sum()),
        "first_adversity_before_5_reference": share(early.sum(), has.sum()),
        "first_adversity_before_5_by_age_at_request": strata,
        "first_adversity_before_5_standardised": _standardised(strata, age[standard]),
        "domains": {str(d): int(c) for d, c in sorted(domains.items())},
    }


def _band(age: np.ndarray, band: str) -> np.ndarray:
    low, high = AGE_BANDS[band]
    return (age >= low) & (age <= high)


def _standardised(strata: dict, standard_ages: np.ndarray) -> dict:
    """Stratum shares weighted by the age-at-request mix of every cohort child observed from birth who requested at
    5 or over. A band with weight but no children with adversity has no share: the spec does not say what then, so
    `value` reweights the bands that have one and `complete` says whether any weight was left out."""
    counts = {b: int(_band(standard_ages, b).sum()) for b in AGE_BANDS}
    total = sum(counts.values())
    weights = {b: (c / total if total else 0.0) for b, c in counts.items()}
    usable = [b for b in AGE_BANDS if weights[b] > 0 and strata[b]["denominator"] > 0]
    mass = sum(weights[b] for b in usable)
    return {
        "value": sum(weights[b] * strata[b]["share"] for b in usable) / mass if mass else None,
        "complete": bool(total) and all(strata[b]["denominator"] > 0 for b in AGE_BANDS if weights[b] > 0),
        "weights": weights,
        "standard_counts": counts,
    }


def _first_coded(k: Knowledge) -> np.ndarray:
    """By child, the date coded adversity (not the case review) was first documented; far future when never."""
    coded = k.documented[k.documented["coded"].astype(bool)]
    first = np.full(k.dob.size, np.datetime64("2200-01-01", "D"))
    np.minimum.at(first, coded["child"].to_numpy(), coded["date"].to_numpy().astype("datetime64[D]"))
    return first


def _base_rates(k: Knowledge, cohort: pd.DataFrame) -> dict:
    """Coded adversity documented before the 5th birthday: among the population observed from birth who reached 5
    by the extract date and were resident at 5 (and, as a variant, still resident at the extract date); and among
    cohort children observed from birth who requested at 5 or over."""
    fifth = nth_birthday(k.dob, 5)
    early = _first_coded(k) < fifth
    eligible = (k.dob >= k.records_start) & (fifth <= k.extract_date)
    at_five = eligible & (k.exit > fifth)
    at_extract = eligible & (k.exit > k.extract_date)
    c = cohort[cohort["observed"] & (cohort["index_date"] >= cohort["fifth"])].index.to_numpy()
    return {
        "population_early_adversity": share((early & at_five).sum(), at_five.sum()),
        "population_early_adversity_resident_at_extract": share((early & at_extract).sum(), at_extract.sum()),
        "cohort_early_adversity_coded": share(early[c].sum(), c.size),
    }


def _landmark(k: Knowledge, landmark_age: int, horizon_age: int) -> dict:
    """The landmark comparison's truth: among eligible children, the share with a request before the horizon
    birthday and before leaving, by coded adversity documented before the landmark, from latent dates."""
    landmark = nth_birthday(k.dob, landmark_age)
    first_request = np.full(k.dob.size, np.datetime64("2200-01-01", "D"))
    lat = k.latent_requests
    np.minimum.at(first_request, lat["child"].to_numpy(), lat["date"].to_numpy().astype("datetime64[D]"))
    eligible = (
        (k.dob >= k.records_start)
        & (k.entry <= k.dob + RESIDENT_FROM_BIRTH)
        & (landmark <= k.extract_date)
        & (k.latent_exit > landmark)
        & (first_request >= landmark)
    )
    exposed = _first_coded(k) < landmark
    out = {"landmark_age": landmark_age, "horizon_age": horizon_age, "eligible": int(eligible.sum())}
    by = {h: _risks(k, eligible, exposed, first_request, h) for h in sorted({*HORIZONS, horizon_age})}
    out.update(by[horizon_age])
    out["by_horizon_age"] = {str(h): v for h, v in by.items()}
    return out


def _risks(k: Knowledge, eligible: np.ndarray, exposed: np.ndarray, first_request: np.ndarray, horizon: int) -> dict:
    """Risk of a request before the horizon birthday (and before leaving) in each exposure group."""
    event = (first_request < nth_birthday(k.dob, horizon)) & (first_request < k.latent_exit)
    groups = {
        "exposed": share((event & eligible & exposed).sum(), (eligible & exposed).sum()),
        "unexposed": share((event & eligible & ~exposed).sum(), (eligible & ~exposed).sum()),
    }
    r1, r0 = groups["exposed"]["share"], groups["unexposed"]["share"]
    return {
        **groups,
        "risk_ratio": r1 / r0 if r1 is not None and r0 else None,
        "risk_difference": r1 - r0 if r1 is not None and r0 is not None else None,
    }


# --- events from the tables, read with the generator's knowledge of who each record belongs to ---------------------

_CSC = (  # table, person column, date column, tier, the column naming the referral the event belongs to
    ("ssd_contacts", "cont_person_id", "cont_contact_date", "contact", None),
    ("ssd_early_help_episodes", "earl_person_id", "earl_episode_start_date", "early_help", None),
    ("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "referral", "cine_referral_id"),
    ("ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date", "assessment", "cina_referral_id"),
    ("ssd_cin_plans", "cinp_person_id", "cinp_cin_plan_start_date", "child_in_need", "cinp_referral_id"),
    ("ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date", "child_in_need", "s47e_referral_id"),
    ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "child_in_need", "cppl_referral_id"),
    ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", "child_in_need", None),
)


def csc_events(tables: dict[str, pd.DataFrame], child_of: dict[str, int], cla_referral: np.ndarray) -> pd.DataFrame:
    """Every social care event with its tier and whether it belongs to a referral for the child's own disability
    (N2). The extract's CLA episodes carry no referral id: the generator knows the referral each followed."""
    ref = tables["ssd_cin_episodes"]
    n2 = set(ref.loc[ref["cine_cin_primary_need_code"] == "N2", "cine_referral_id"])
    parts = []
    for name, person, date, tier, ref_col in _CSC:
        t = tables[name]
        refs = t[ref_col].to_numpy() if ref_col else (cla_referral if name == "ssd_cla_episodes" else None)
        parts.append(
            pd.DataFrame(
                {
                    "child": t[person].map(child_of).to_numpy(dtype=int),
                    "date": t[date].to_numpy().astype("datetime64[D]"),
                    "tier": tier,
                    "n2": np.isin(refs, list(n2)) if refs is not None and n2 else False,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@dataclasses.dataclass
class Codes:
    """How the generator reads the codes it writes (its own truth, independent of the coding frame YAML)."""

    factor: dict[str, str]  # assessment factor code -> domain
    cp: dict[str, str]  # child protection category -> domain
    need: dict[str, str]  # CIN primary need -> domain


def documented_events(
    tables: dict[str, pd.DataFrame], child_of_pers: dict[str, int], child_of_sen: dict[str, int], codes: Codes
) -> pd.DataFrame:
    """Adversity as the records document it, by source, each dated by its source's rule: factors at the
    assessment's authorisation, categories at the plan's start, primary need at the referral or the start of care,
    the case review at the date first documented (the case review is the one source that is not coded)."""
    asm = tables["ssd_cin_assessments"].set_index("cina_assessment_id")
    fac = tables["ssd_assessment_factors"]
    fac = fac.assign(code=fac["cinf_assessment_factors_json"].map(_json_list))
    fac = fac.explode("code").dropna(subset=["code"])
    cp, ref, cla = tables["ssd_cp_plans"], tables["ssd_cin_episodes"], tables["ssd_cla_episodes"]
    parts = [
        _coded(
            fac["cinf_assessment_id"].map(asm["cina_person_id"]),
            fac["code"],
            codes.factor,
            fac["cinf_assessment_id"].map(asm["cina_assessment_auth_date"]),
        ),
        _coded(cp["cppl_person_id"], cp["cppl_cp_plan_initial_category"], codes.cp, cp["cppl_cp_plan_start_date"]),
        _coded(ref["cine_person_id"], ref["cine_cin_primary_need_code"], codes.need, ref["cine_referral_date"]),
        _coded(
            cla["clae_person_id"], cla["clae_cla_primary_need_code"], codes.need, cla["clae_cla_episode_start_date"]
        ),
    ]
    sources = ("factor", "cp", "need", "need")
    out = pd.concat(
        [p.assign(child=p["person"].map(child_of_pers), source=s) for p, s in zip(parts, sources)], ignore_index=True
    )
    if "adversity_review" in tables:
        rv = tables["adversity_review"]
        child = rv["person_id"].map(child_of_pers).fillna(rv["person_table_id"].map(child_of_sen))
        review = pd.DataFrame(
            {"child": child, "domain": rv["adversity_type"], "date": rv["date_first_documented"], "source": "review"}
        )
        out = pd.concat([out, review], ignore_index=True)
    out["date"] = out["date"].to_numpy().astype("datetime64[D]")
    out["coded"] = out["source"] != "review"
    return out[["child", "domain", "date", "source", "coded"]].astype({"child": int}).reset_index(drop=True)


def _json_list(text) -> list[str]:
    return [] if pd.isna(text) else json.loads(text)


def _coded(person: pd.Series, code: pd.Series, mapping: dict[str, str], date: pd.Series) -> pd.DataFrame:
    """Events from one coded field: the codes the generator reads as adversity."""
    out = pd.DataFrame({"person": person.to_numpy(), "domain": code.map(mapping).to_numpy(), "date": date.to_numpy()})
    return out.dropna(subset=["domain"])
