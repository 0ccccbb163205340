"""A synthetic case series: N children with an EHC needs assessment request and chosen headline counts (the
reference study: 54 of 100 known to CSC; 34 of the 43 with adversity had it first documented before age five).

The pipeline's own definitions (`analysis.cohort`, `analysis.adversity`) give exactly the counts asked for, because
each child is in one group and its records are built to match:

  early   known to CSC; first adversity (an assessment factor) documented before age five
  late    known to CSC; every adversity documented at age five or later
  known   known to CSC without adversity: a contact, perhaps a referral, at most an assessment with factor 21
  other   not known before the request; a quarter have CSC records that must not count: early help before it,
          a contact on or after the request day with adversity after it, separation documented on the request day

Linkage is exact (one UPN on both sides of every child with CSC records; names are unique). Events fall inside the
window and after birth, and the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import defaultdict

import numpy as np
import pandas as pd

from analysis.contract import schema
from analysis.errors import UserError
from analysis.synth import la as synth

YEAR = synth.YEAR_DAYS
MARGIN = 30  # days kept clear at each end of the window
# Each child's first (coded) adversity in these shares; some have a second coded domain, and parental separation and
# imprisonment come from the case review, so domestic abuse, parental mental illness and separation are commonest.
PRIMARY = {
    "domestic_abuse": 0.42,
    "parental_mental_illness": 0.30,
    "parental_substance_misuse": 0.10,
    "neglect": 0.09,
    "emotional_abuse": 0.05,
    "physical_abuse": 0.03,
    "sexual_abuse": 0.01,
}
SECOND = {"domestic_abuse": ("parental_mental_illness", 0.25), "parental_mental_illness": ("domestic_abuse", 0.3)}
REVIEWED = {"parental_separation": 0.35, "parental_imprisonment": 0.05}
ABUSE = ("domestic_abuse", "neglect", "emotional_abuse", "physical_abuse", "sexual_abuse")
NAMES = [(s, f, sn) for s in ("F", "M") for f in synth.FORENAMES[s] for sn in synth.SURNAMES]


def _check(n: int, known: int, with_adversity: int, adversity_before_5: int, years: int) -> None:
    """Raise UserError unless the counts can be realised."""
    for flag, v in (
        ("--case-series", n),
        ("--known", known),
        ("--with-adversity", with_adversity),
        ("--adversity-before-5", adversity_before_5),
        ("--years", years),
    ):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise UserError(f"{flag} must be a whole number of 0 or more (got {v!r}).")
    for bad, message in (
        (
            not 1 <= n <= len(NAMES),
            f"--case-series must be from 1 to {len(NAMES)} children (got {n}): names are kept "
            "unique so that linkage is exact. Use --children for a whole synthetic LA.",
        ),
        (known > n, f"--known ({known}) cannot be more than the case series ({n})."),
        (
            with_adversity > known,
            f"--with-adversity ({with_adversity}) cannot be more than --known ({known}): "
            "adversity is documented in social care records, so those children are known to CSC.",
        ),
        (
            adversity_before_5 > with_adversity,
            f"--adversity-before-5 ({adversity_before_5}) cannot be more than "
            f"--with-adversity ({with_adversity}), of which it is a part.",
        ),
        (years < 2, f"--years must be at least 2 (got {years}) so the window holds early childhood and a request."),
    ):
        if bad:
            raise UserError(message)


def _n(delta: np.timedelta64) -> int:
    return int(delta // np.timedelta64(1, "D"))


def _quota(shares: dict[str, float], total: int) -> list[str]:
    """`total` labels in the given shares (largest remainder), in a fixed order."""
    raw = np.array(list(shares.values())) * total / sum(shares.values())
    k = np.floor(raw).astype(int)
    k[np.argsort(-(raw - k), kind="stable")[: total - k.sum()]] += 1
    return list(np.repeat(list(shares), k))


def generate_case_series(
    n: int,
    known: int,
    with_adversity: int,
    adversity_before_5: int,
    seed: int,
    extract_date: dt.date = synth.DEFAULT_EXTRACT_DATE,
    years: int = 10,
) -> synth.SyntheticLA:
    """An extract of `n` EHCNA children of whom exactly `known` are known to CSC before their request,
    `with_adversity` have adversity documented before it, and `adversity_before_5` of those first before age 5."""
    _check(n, known, with_adversity, adversity_before_5, years)
    rng = np.random.default_rng(seed)
    end = np.datetime64(extract_date, "D")
    start = np.datetime64(dt.date(extract_date.year - years, extract_date.month, extract_date.day), "D") + 1
    cap = (_n(end - start) - 2 * MARGIN) / YEAR - 0.25  # the longest span of one child's events, in years
    days = lambda k: np.timedelta64(int(k), "D")  # noqa: E731
    ri = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    close = lambda d: d if d <= end else None  # noqa: E731  (end dates after the extract date are blank)
    tri = lambda lo, mode, hi: lo if hi - lo < 1e-9 else float(rng.triangular(lo, min(max(mode, lo), hi), hi))  # noqa

    group = rng.permutation(
        np.repeat(
            ["early", "late", "known", "other"],
            [adversity_before_5, with_adversity - adversity_before_5, known - with_adversity, n - known],
        )
    )
    weight = np.array([0.32 if s == "F" else 0.68 for s, _, _ in NAMES])  # about two in three requests are boys
    pick = rng.choice(len(NAMES), n, replace=False, p=weight / weight.sum())
    sex, fore, sur = (np.array([NAMES[i][j] for i in pick]) for j in range(3))
    ethnicity, postcode = rng.choice(synth.ETHNICITY, n, p=synth.ETHNICITY_P), synth._postcodes(rng, n)
    upn = np.char.add("A", np.char.zfill(rng.permutation(n).astype(str), 12))
    adv = np.flatnonzero(np.isin(group, ["early", "late"]))
    primary = dict(zip(adv, rng.permutation(_quota(PRIMARY, adv.size))))
    domains = {i: [d] for i, d in primary.items()}
    for d, (extra, share) in SECOND.items():
        having = [i for i in adv if primary[i] == d]
        domains.update({i: [d, extra] for i in having[: round(share * len(having))]})
    reviewed = {d: set(rng.choice(adv, round(s * adv.size), replace=False)) for d, s in REVIEWED.items()}

    rows: dict[str, list[dict]] = defaultdict(list)
    add = lambda table, **values: rows[table].append(values)  # noqa: E731
    counters: dict[str, itertools.count] = defaultdict(lambda: itertools.count(1))
    new_id = lambda prefix: f"{prefix}{next(counters[prefix]):07d}"  # noqa: E731
    links, documented, first_csc, req_date, birth = [], [], {}, {}, {}

    def referral(i, pid, contact, factors, need):
        """A referral a few days after the contact and, if `factors` is given, an assessment recording them."""
        ref, r = new_id("R"), contact + days(ri(0, 4))
        add(
            "ssd_cin_episodes",
            cine_referral_id=ref,
            cine_person_id=pid,
            cine_referral_date=r,
            cine_cin_primary_need_code=need,
            cine_referral_source_code=rng.choice(["6", "2A", "3B", "3A", "1A"]),
            cine_close_date=close(r + days(ri(20, 400))),
        )
        if factors is None:
            return ref, None, None
        asm, s = new_id("A"), r + days(ri(0, 9))
        auth = s + days(ri(10, 44))
        if synth._collection_year(np.array([auth]))[0] <= 2020:  # the old physical and sexual abuse codes
            factors = [{"18C": "18A", "19C": "19A"}.get(c, c) for c in factors]
        add(
            "ssd_cin_assessments",
            cina_assessment_id=asm,
            cina_person_id=pid,
            cina_referral_id=ref,
            cina_assessment_start_date=s,
            cina_assessment_auth_date=auth,
        )
        add(
            "ssd_assessment_factors",
            cinf_table_id=new_id("F"),
            cinf_assessment_id=asm,
            cinf_assessment_factors_json=json.dumps(sorted(factors)),
        )
        documented.extend((i, synth.CODE_DOMAIN[c], auth) for c in factors if c in synth.CODE_DOMAIN)
        return ref, s, auth

    for i, g in enumerate(group):
        # ages in years: t0 at the first CSC contact, req at the request; events span ages e0 to e1
        record, eh = g != "other" or rng.random() < 0.25, None
        if g == "early":
            t0 = tri(max(0.05, 2.3 - cap), 0.8, 4.6)  # the assessment is authorised within 57 days: before 4.8
            req = e1 = tri(max(2.0, t0 + 0.3), 5.5, min(16.0, t0 + cap))
        elif g == "late":
            t0 = tri(5.05, 7.0, 15.7)
            req = e1 = tri(t0 + 0.3, t0 + 1.5, min(16.0, t0 + cap))
        elif g == "known":
            req = e1 = tri(2.0, 5.5, 16.0)
            t0 = tri(max(0.05, req - cap), req - 1.0, req - 0.2)
        else:
            req = tri(2.0, 5.5, 16.0)
            t0 = req + (0 if rng.random() < 0.3 else tri(0.1, 0.4, 1.0))  # known on or after the request day
            eh = tri(max(0.05, t0 + 0.2 - cap), req - 1.0, req - 0.1) if record and rng.random() < 0.5 else None
            e1 = t0 + 0.2 if record else req
        e0 = min(t0, req, eh or req) if record else req
        lo = start + MARGIN - days(round(e0 * YEAR))
        dob = lo + days(ri(0, _n(end - MARGIN - days(round(e1 * YEAR)) - lo)))
        q, contact = dob + days(round(req * YEAR)), dob + days(round(t0 * YEAR))
        sid, pid, has_upn = new_id("S"), new_id("P") if record else None, record or req >= 4
        req_date[i], birth[i] = q, dob
        add(
            "sen2_person",
            person_table_id=sid,
            upn=upn[i] if has_upn else None,
            upn_unknown=None if has_upn else "UN1",
            forename=fore[i],
            surname=sur[i],
            person_birth_date=dob,
            sex=sex[i],
            ethnicity=ethnicity[i],
            postcode=postcode[i],
        )
        if record:
            add(
                "ssd_person",
                pers_person_id=pid,
                pers_upn=upn[i],
                pers_forename=fore[i],
                pers_surname=sur[i],
                pers_sex=sex[i],
                pers_ethnicity=ethnicity[i],
                pers_dob=dob,
                pers_postcode=postcode[i],
            )
            add(
                "ssd_contacts",
                cont_contact_id=new_id("C"),
                cont_person_id=pid,
                cont_contact_date=contact,
                cont_contact_source_code=rng.choice(["6", "2A", "3B", "3A", "1A", "5A", "8"]),
            )
            links.append((pid, sid, _n(contact - dob) / YEAR))
            first_csc[i] = contact
        if g in ("early", "late"):
            codes_ = [synth.FACTOR_CODE[d] for d in domains[i]]
            codes_ += ["3A"] if "domestic_abuse" in domains[i] and rng.random() < 0.4 else []
            ref, s, auth = referral(i, pid, contact, codes_, "N1" if primary[i] in ABUSE else "N4")
            cat = synth.CP_CATEGORY.get(primary[i])
            if cat:  # abuse or neglect: a section 47 enquiry, then a child protection plan
                s47, cp = s + days(ri(0, 4)), auth + days(ri(10, 29))
                add(
                    "ssd_s47_enquiry",
                    s47e_s47_enquiry_id=new_id("Y"),
                    s47e_referral_id=ref,
                    s47e_person_id=pid,
                    s47e_s47_start_date=s47,
                    s47e_s47_end_date=close(s47 + days(ri(5, 29))),
                )
                if cp <= end:
                    add(
                        "ssd_cp_plans",
                        cppl_cp_plan_id=new_id("CP"),
                        cppl_referral_id=ref,
                        cppl_person_id=pid,
                        cppl_cp_plan_start_date=cp,
                        cppl_cp_plan_end_date=close(cp + days(ri(90, 599))),
                        cppl_cp_plan_initial_category=cat,
                        cppl_cp_plan_latest_category=cat,
                    )
                    documented.append((i, primary[i], cp))
            for d in (d for d, chosen in reviewed.items() if i in chosen):
                when = auth + days(ri(0, _n(q - auth) - 1))  # found by case review, before the request
                add(
                    "adversity_review",
                    review_id=new_id("V"),
                    person_id=pid,
                    adversity_type=d,
                    date_first_documented=when,
                    source_document_type=rng.choice(["case_note", "health_record"]),
                    reviewer="SYN",
                )
                documented.append((i, d, when))
        elif g == "known" and rng.random() < 0.65:  # a referral; perhaps an assessment finding no factors
            referral(
                i, pid, contact, ["21"] if rng.random() < 0.7 else None, str(rng.choice(["N2", "N4", "N5", "N6"]))
            )  # N3/N8 would count as adversity
        elif g == "other" and record:  # early help before the request and adversity after it: neither counts
            if eh is not None:
                h = dob + days(round(eh * YEAR))
                add(
                    "ssd_early_help_episodes",
                    earl_episode_id=new_id("H"),
                    earl_person_id=pid,
                    earl_episode_start_date=h,
                    earl_episode_end_date=close(h + days(ri(60, 299))),
                    earl_episode_reason="Family support",
                )
            referral(i, pid, contact, [str(rng.choice(["3B", "4B"]))], "N4")
            if rng.random() < 0.3:  # separation first documented on the request day: not before it
                add(
                    "adversity_review",
                    review_id=new_id("V"),
                    person_id=pid,
                    adversity_type="parental_separation",
                    date_first_documented=q,
                    source_document_type="education_record",
                    reviewer="SYN",
                )
                documented.append((i, "parental_separation", q))

        # SEND: the request, the decisions to assess and to issue a plan, and the plan's type of need
        qid, decided, issued = new_id("Q"), q + days(ri(20, 41)), q + days(ri(84, 209))
        outcome = "A" if decided > end else "Y" if rng.random() < 0.78 else "N"
        add(
            "sen2_requests",
            requests_table_id=qid,
            person_table_id=sid,
            received_date=q,
            request_source=rng.choice(["Parent", "School", "Health", "Other"], p=[0.45, 0.4, 0.1, 0.05]),
            request_outcome=outcome,
            request_outcome_date=close(decided),
        )
        if outcome != "Y":
            continue
        aid, result = new_id("E"), "A" if issued > end else "Y" if rng.random() < 0.92 else "N"
        add(
            "sen2_assessment",
            assessment_table_id=aid,
            requests_table_id=qid,
            assessment_outcome=result,
            assessment_outcome_date=close(issued),
            week20="1" if rng.random() < 0.05 else "0",
        )
        if result != "Y":
            continue
        ap = new_id("AP")
        add("sen2_named_plan", named_plan_table_id=new_id("NP"), assessment_table_id=aid, start_date=issued)
        add(
            "sen2_active_plans",
            active_plans_table_id=ap,
            requests_table_id=qid,
            last_review=min(issued + days(365), end),
        )
        p = np.array([w * (2.0 if k == "SEMH" and g in ("early", "late") else 1.0) for k, w in synth.NEED_P.items()])
        needs = rng.choice(list(synth.NEED_P), 2, replace=False, p=p / p.sum())
        for rank, need in enumerate(needs[: 2 if rng.random() < 0.4 else 1], start=1):
            add(
                "sen2_sen_need",
                sen_need_table_id=new_id("N"),
                active_plans_table_id=ap,
                sen_type=need,
                sen_type_rank=str(rank),
            )

    tables = {
        t.name: pd.DataFrame(rows[t.name])
        .reindex(columns=t.column_names)
        .astype({c.name: "datetime64[ns]" for c in t.columns if c.kind == schema.DATE})
        for t in schema.TABLES
        if t.name != "population"
    }  # a case series has no resident population
    truth_measures, events = _truth(documented, req_date, birth, first_csc)
    wanted = {"known_to_csc": known, "with_adversity": with_adversity, "first_adversity_before_5": adversity_before_5}
    if any(truth_measures[k] != v for k, v in wanted.items()):  # a bug in this module, never the user's input
        raise RuntimeError(f"the case series came out as {truth_measures}, not {wanted}")
    events.insert(0, "person_table_id", tables["sen2_person"]["person_table_id"].to_numpy()[events.pop("child")])
    truth = {
        "person_links": pd.DataFrame(links, columns=["pers_person_id", "person_table_id", "age_first_known_to_csc"]),
        "documented_adversity": events.sort_values(["person_table_id", "date", "domain"], ignore_index=True),
    }
    return synth.SyntheticLA(tables, truth, {"cohort": n, **truth_measures}, extract_date)


def _truth(documented: list[tuple], req_date: dict, birth: dict, first_csc: dict) -> tuple[dict, pd.DataFrame]:
    """Headline measures from the generator's own records, and the adversity documented before each request."""
    ev = pd.DataFrame(documented, columns=["child", "domain", "date"])
    ev = ev[ev["date"] < ev["child"].map(req_date)].reset_index(drop=True)
    first = ev.groupby("child")["date"].min()
    ages = [_n(d - birth[c]) / YEAR for c, d in first.items()]
    domains = ev.drop_duplicates(["child", "domain"])["domain"].value_counts()
    measures = {
        "known_to_csc": int(sum(d < req_date[i] for i, d in first_csc.items())),
        "with_adversity": int(first.size),
        "first_adversity_before_5": sum(a < 5 for a in ages),
        "domains": {k: int(v) for k, v in sorted(domains.items())},
    }
    return measures, ev.astype({"date": "datetime64[ns]"})
