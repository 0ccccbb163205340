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

import dataclasses
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
    `with_adversity` have adversity documented before it, and `adversity_before_5` of those first before age 5.

    Every step draws from the one random generator, so they must run in this order (and the children one after
    another) for the same seed to give the same bytes."""
    _check(n, known, with_adversity, adversity_before_5, years)
    rng = np.random.default_rng(seed)
    end = np.datetime64(extract_date, "D")
    start = np.datetime64(dt.date(extract_date.year - years, extract_date.month, extract_date.day), "D") + 1
    cap = (_n(end - start) - 2 * MARGIN) / YEAR - 0.25  # the longest span of one child's events, in years
    group = _groups(rng, n, known, with_adversity, adversity_before_5)
    people = _people(rng, n)
    plan = _adversity_plan(rng, group)
    ex = _Extract(rng, end)
    for i, g in enumerate(group):
        child = _child(ex, i, g, start, cap)
        _person_records(ex, child, people)
        _csc_records(ex, child, plan)
        _send_records(ex, child)
    wanted = {"known_to_csc": known, "with_adversity": with_adversity, "first_adversity_before_5": adversity_before_5}
    return _assemble(ex, n, wanted, extract_date)


def _days(k: float) -> np.timedelta64:
    return np.timedelta64(int(k), "D")


@dataclasses.dataclass
class _Extract:
    """The rows written so far and what the generator knows about them, shared by the steps that add to them."""

    rng: np.random.Generator
    end: np.datetime64
    rows: dict[str, list[dict]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    counters: dict[str, itertools.count] = dataclasses.field(
        default_factory=lambda: defaultdict(lambda: itertools.count(1))
    )
    documented: list[tuple] = dataclasses.field(default_factory=list)  # (child, domain, date) the records show
    links: list[tuple] = dataclasses.field(default_factory=list)  # (CSC id, SEN2 id, age first known to CSC)
    first_csc: dict = dataclasses.field(default_factory=dict)  # child -> date of the first CSC contact
    req_date: dict = dataclasses.field(default_factory=dict)  # child -> date of the request
    birth: dict = dataclasses.field(default_factory=dict)  # child -> date of birth

    def add(self, table: str, **values) -> None:
        self.rows[table].append(values)

    def new_id(self, prefix: str) -> str:
        """The next id of a table, numbered from 1."""
        return f"{prefix}{next(self.counters[prefix]):07d}"

    def ri(self, lo: int, hi: int) -> int:
        """A whole number from `lo` to `hi`, both included."""
        return int(self.rng.integers(lo, hi + 1))

    def tri(self, lo: float, mode: float, hi: float) -> float:
        """A triangular draw with the mode kept in range; `lo`, without a draw, when the range is empty."""
        return lo if hi - lo < 1e-9 else float(self.rng.triangular(lo, min(max(mode, lo), hi), hi))

    def close(self, d: np.datetime64) -> np.datetime64 | None:
        """An end date as the extract holds it: blank if it falls after the extract date."""
        return d if d <= self.end else None


@dataclasses.dataclass
class _People:
    """Who each child is (arrays by child): unique names, so that linkage is exact, and one UPN for both sides."""

    sex: np.ndarray
    fore: np.ndarray
    sur: np.ndarray
    ethnicity: np.ndarray
    postcode: np.ndarray
    upn: np.ndarray


@dataclasses.dataclass
class _AdversityPlan:
    """For the children with adversity, which domains their records will show."""

    primary: dict  # child -> the first (coded) domain
    domains: dict  # child -> every coded domain
    reviewed: dict[str, set]  # review-only domain -> the children whose case review finds it


@dataclasses.dataclass
class _Child:
    """One child's group, key dates and ids."""

    i: int
    group: str
    record: bool  # has CSC records
    has_upn: bool  # on the SEN2 side
    dob: np.datetime64
    request: np.datetime64
    contact: np.datetime64  # the first CSC contact, if `record`
    early_help: np.datetime64 | None
    sid: str
    pid: str | None


def _groups(rng: np.random.Generator, n: int, known: int, with_adversity: int, before_5: int) -> np.ndarray:
    """Each child's group (see the module docstring), in the numbers asked for and a random order."""
    return rng.permutation(
        np.repeat(
            ["early", "late", "known", "other"],
            [before_5, with_adversity - before_5, known - with_adversity, n - known],
        )
    )


def _people(rng: np.random.Generator, n: int) -> _People:
    """Names drawn without replacement (about two in three requests are for boys), ethnicity, postcode and UPN."""
    weight = np.array([0.32 if s == "F" else 0.68 for s, _, _ in NAMES])
    pick = rng.choice(len(NAMES), n, replace=False, p=weight / weight.sum())
    sex, fore, sur = (np.array([NAMES[i][j] for i in pick]) for j in range(3))
    ethnicity, postcode = rng.choice(synth.ETHNICITY, n, p=synth.ETHNICITY_P), synth._postcodes(rng, n)
    upn = np.char.add("A", np.char.zfill(rng.permutation(n).astype(str), 12))
    return _People(sex, fore, sur, ethnicity, postcode, upn)


def _adversity_plan(rng: np.random.Generator, group: np.ndarray) -> _AdversityPlan:
    """First domains in the `PRIMARY` shares exactly, a second coded domain for some (`SECOND`), and the children
    whose case review finds a review-only domain (`REVIEWED`)."""
    adv = np.flatnonzero(np.isin(group, ["early", "late"]))
    primary = dict(zip(adv, rng.permutation(_quota(PRIMARY, adv.size))))
    domains = {i: [d] for i, d in primary.items()}
    for d, (extra, share) in SECOND.items():
        having = [i for i in adv if primary[i] == d]
        domains.update({i: [d, extra] for i in having[: round(share * len(having))]})
    reviewed = {d: set(rng.choice(adv, round(s * adv.size), replace=False)) for d, s in REVIEWED.items()}
    return _AdversityPlan(primary, domains, reviewed)


def _ages(ex: _Extract, g: str, cap: float) -> tuple:
    """Whether the child has CSC records and, in years of age, the first CSC contact (t0), the request (req),
    early help (eh, or None), and the first and last events (e0, e1), chosen to put the child in its group."""
    rng, tri = ex.rng, ex.tri
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
    return record, t0, req, eh, e0, e1


def _child(ex: _Extract, i: int, g: str, start: np.datetime64, cap: float) -> _Child:
    """A birth date that puts all the child's events inside the window, and the dates and ids that follow."""
    record, t0, req, eh, e0, e1 = _ages(ex, g, cap)
    lo = start + MARGIN - _days(round(e0 * YEAR))
    dob = lo + _days(ex.ri(0, _n(ex.end - MARGIN - _days(round(e1 * YEAR)) - lo)))
    q, contact = dob + _days(round(req * YEAR)), dob + _days(round(t0 * YEAR))
    sid, pid, has_upn = ex.new_id("S"), ex.new_id("P") if record else None, record or req >= 4
    ex.req_date[i], ex.birth[i] = q, dob
    early_help = None if eh is None else dob + _days(round(eh * YEAR))
    return _Child(i, g, record, has_upn, dob, q, contact, early_help, sid, pid)


def _person_records(ex: _Extract, c: _Child, people: _People) -> None:
    """The SEN2 person and, for a child with CSC records, the CSC person and the first contact."""
    i = c.i
    ex.add(
        "sen2_person",
        person_table_id=c.sid,
        upn=people.upn[i] if c.has_upn else None,
        upn_unknown=None if c.has_upn else "UN1",
        forename=people.fore[i],
        surname=people.sur[i],
        person_birth_date=c.dob,
        sex=people.sex[i],
        ethnicity=people.ethnicity[i],
        postcode=people.postcode[i],
    )
    if not c.record:
        return
    ex.add(
        "ssd_person",
        pers_person_id=c.pid,
        pers_upn=people.upn[i],
        pers_forename=people.fore[i],
        pers_surname=people.sur[i],
        pers_sex=people.sex[i],
        pers_ethnicity=people.ethnicity[i],
        pers_dob=c.dob,
        pers_postcode=people.postcode[i],
    )
    ex.add(
        "ssd_contacts",
        cont_contact_id=ex.new_id("C"),
        cont_person_id=c.pid,
        cont_contact_date=c.contact,
        cont_contact_source_code=ex.rng.choice(["6", "2A", "3B", "3A", "1A", "5A", "8"]),
    )
    ex.links.append((c.pid, c.sid, _n(c.contact - c.dob) / YEAR))
    ex.first_csc[i] = c.contact


def _csc_records(ex: _Extract, c: _Child, plan: _AdversityPlan) -> None:
    """The social care records after the first contact that put the child in its group."""
    if c.group in ("early", "late"):
        _adversity_records(ex, c, plan)
    elif c.group == "known" and ex.rng.random() < 0.65:  # a referral; perhaps an assessment finding no factors
        _referral(
            ex, c, ["21"] if ex.rng.random() < 0.7 else None, str(ex.rng.choice(["N2", "N4", "N5", "N6"]))
        )  # N3/N8 would count as adversity
    elif c.group == "other" and c.record:
        _records_that_do_not_count(ex, c)


def _referral(ex: _Extract, c: _Child, factors: list[str] | None, need: str) -> tuple:
    """A referral a few days after the first contact and, if `factors` is given, an assessment recording them.
    Returns the referral id and the assessment's start and authorisation dates (None without one)."""
    ref, r = ex.new_id("R"), c.contact + _days(ex.ri(0, 4))
    ex.add(
        "ssd_cin_episodes",
        cine_referral_id=ref,
        cine_person_id=c.pid,
        cine_referral_date=r,
        cine_cin_primary_need_code=need,
        cine_referral_source_code=ex.rng.choice(["6", "2A", "3B", "3A", "1A"]),
        cine_close_date=ex.close(r + _days(ex.ri(20, 400))),
    )
    if factors is None:
        return ref, None, None
    asm, s = ex.new_id("A"), r + _days(ex.ri(0, 9))
    auth = s + _days(ex.ri(10, 44))
    if synth._collection_year(np.array([auth]))[0] <= 2020:  # the old physical and sexual abuse codes
        factors = [{"18C": "18A", "19C": "19A"}.get(f, f) for f in factors]
    ex.add(
        "ssd_cin_assessments",
        cina_assessment_id=asm,
        cina_person_id=c.pid,
        cina_referral_id=ref,
        cina_assessment_start_date=s,
        cina_assessment_auth_date=auth,
    )
    ex.add(
        "ssd_assessment_factors",
        cinf_table_id=ex.new_id("F"),
        cinf_assessment_id=asm,
        cinf_assessment_factors_json=json.dumps(sorted(factors)),
    )
    ex.documented.extend((c.i, synth.CODE_DOMAIN[f], auth) for f in factors if f in synth.CODE_DOMAIN)
    return ref, s, auth


def _adversity_records(ex: _Extract, c: _Child, plan: _AdversityPlan) -> None:
    """An assessment recording the child's coded domains; for abuse or neglect a section 47 enquiry and a child
    protection plan; and what the case review finds, documented before the request."""
    i, domains, primary = c.i, plan.domains[c.i], plan.primary[c.i]
    codes_ = [synth.FACTOR_CODE[d] for d in domains]
    codes_ += ["3A"] if "domestic_abuse" in domains and ex.rng.random() < 0.4 else []
    ref, s, auth = _referral(ex, c, codes_, "N1" if primary in ABUSE else "N4")
    cat = synth.CP_CATEGORY.get(primary)
    if cat:
        _child_protection(ex, c, ref, s, auth, primary, cat)
    for d in (d for d, chosen in plan.reviewed.items() if i in chosen):
        when = auth + _days(ex.ri(0, _n(c.request - auth) - 1))
        ex.add(
            "adversity_review",
            review_id=ex.new_id("V"),
            person_id=c.pid,
            adversity_type=d,
            date_first_documented=when,
            source_document_type=ex.rng.choice(["case_note", "health_record"]),
            reviewer="SYN",
        )
        ex.documented.append((i, d, when))


def _child_protection(ex: _Extract, c: _Child, ref: str, s, auth, domain: str, cat: str) -> None:
    """A section 47 enquiry, then a child protection plan unless it would start after the extract date."""
    s47, cp = s + _days(ex.ri(0, 4)), auth + _days(ex.ri(10, 29))
    ex.add(
        "ssd_s47_enquiry",
        s47e_s47_enquiry_id=ex.new_id("Y"),
        s47e_referral_id=ref,
        s47e_person_id=c.pid,
        s47e_s47_start_date=s47,
        s47e_s47_end_date=ex.close(s47 + _days(ex.ri(5, 29))),
    )
    if cp > ex.end:
        return
    ex.add(
        "ssd_cp_plans",
        cppl_cp_plan_id=ex.new_id("CP"),
        cppl_referral_id=ref,
        cppl_person_id=c.pid,
        cppl_cp_plan_start_date=cp,
        cppl_cp_plan_end_date=ex.close(cp + _days(ex.ri(90, 599))),
        cppl_cp_plan_initial_category=cat,
        cppl_cp_plan_latest_category=cat,
    )
    ex.documented.append((c.i, domain, cp))


def _records_that_do_not_count(ex: _Extract, c: _Child) -> None:
    """For a child not known before the request: early help before it, adversity assessed after it, and perhaps
    separation documented on the request day. None of these may count."""
    if c.early_help is not None:
        ex.add(
            "ssd_early_help_episodes",
            earl_episode_id=ex.new_id("H"),
            earl_person_id=c.pid,
            earl_episode_start_date=c.early_help,
            earl_episode_end_date=ex.close(c.early_help + _days(ex.ri(60, 299))),
            earl_episode_reason="Family support",
        )
    _referral(ex, c, [str(ex.rng.choice(["3B", "4B"]))], "N4")
    if ex.rng.random() < 0.3:
        ex.add(
            "adversity_review",
            review_id=ex.new_id("V"),
            person_id=c.pid,
            adversity_type="parental_separation",
            date_first_documented=c.request,
            source_document_type="education_record",
            reviewer="SYN",
        )
        ex.documented.append((c.i, "parental_separation", c.request))


def _send_records(ex: _Extract, c: _Child) -> None:
    """The request, the decisions to assess and to issue a plan, and the plan's type of need."""
    rng, q = ex.rng, c.request
    qid, decided, issued = ex.new_id("Q"), q + _days(ex.ri(20, 41)), q + _days(ex.ri(84, 209))
    outcome = "A" if decided > ex.end else "Y" if rng.random() < 0.78 else "N"
    ex.add(
        "sen2_requests",
        requests_table_id=qid,
        person_table_id=c.sid,
        received_date=q,
        request_source=rng.choice(["Parent", "School", "Health", "Other"], p=[0.45, 0.4, 0.1, 0.05]),
        request_outcome=outcome,
        request_outcome_date=ex.close(decided),
    )
    if outcome != "Y":
        return
    aid, result = ex.new_id("E"), "A" if issued > ex.end else "Y" if rng.random() < 0.92 else "N"
    ex.add(
        "sen2_assessment",
        assessment_table_id=aid,
        requests_table_id=qid,
        assessment_outcome=result,
        assessment_outcome_date=ex.close(issued),
        week20="1" if rng.random() < 0.05 else "0",
    )
    if result != "Y":
        return
    ap = ex.new_id("AP")
    ex.add("sen2_named_plan", named_plan_table_id=ex.new_id("NP"), assessment_table_id=aid, start_date=issued)
    ex.add(
        "sen2_active_plans",
        active_plans_table_id=ap,
        requests_table_id=qid,
        last_review=min(issued + _days(365), ex.end),
    )
    _needs(ex, ap, c.group in ("early", "late"))


def _needs(ex: _Extract, ap: str, adversity: bool) -> None:
    """A plan's primary need and, in four plans in ten, a secondary one; adversity doubles the weight of SEMH."""
    p = np.array([w * (2.0 if k == "SEMH" and adversity else 1.0) for k, w in synth.NEED_P.items()])
    needs = ex.rng.choice(list(synth.NEED_P), 2, replace=False, p=p / p.sum())
    for rank, need in enumerate(needs[: 2 if ex.rng.random() < 0.4 else 1], start=1):
        ex.add(
            "sen2_sen_need",
            sen_need_table_id=ex.new_id("N"),
            active_plans_table_id=ap,
            sen_type=need,
            sen_type_rank=str(rank),
        )


def _assemble(ex: _Extract, n: int, wanted: dict[str, int], extract_date: dt.date) -> synth.SyntheticLA:
    """The tables in the contract's shape and the truth, checked against the counts asked for."""
    tables = {
        t.name: pd.DataFrame(ex.rows[t.name])
        .reindex(columns=t.column_names)
        .astype({c.name: "datetime64[ns]" for c in t.columns if c.kind == schema.DATE})
        for t in schema.TABLES
        if t.name != "population"
    }  # a case series has no resident population
    truth_measures, events = _truth(ex.documented, ex.req_date, ex.birth, ex.first_csc)
    if any(truth_measures[k] != v for k, v in wanted.items()):  # a bug in this module, never the user's input
        raise RuntimeError(f"the case series came out as {truth_measures}, not {wanted}")
    events.insert(0, "person_table_id", tables["sen2_person"]["person_table_id"].to_numpy()[events.pop("child")])
    truth = {
        "person_links": pd.DataFrame(ex.links, columns=["pers_person_id", "person_table_id", "age_first_known_to_csc"]),
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
