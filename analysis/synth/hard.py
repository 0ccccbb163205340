"""The "hard" synthetic authority: built to break, on purpose, the assumptions the plain one shares with the report's
designs, so that back tests can tell a design that is right from one that only agrees with its own test data.

What it breaks (the plain authority's assumption in brackets):
- social care records begin `records_start`, years into the study window, after a case-management migration: no
  social care event of any kind is older (records cover the whole window);
- the extract has no population table; the truth keeps it (every authority supplies one);
- requests from birth to 25, many at 2 to 4 and at secondary transfer, some after 16, a few on the 5th birthday
  itself (requests between 2 and 17.5);
- adversity beginning late, and documented after the request or the plan (early onset, usually before the request);
- children known only through early help, never referred (early help only after a contact);
- referrals for the child's own disability (N2) before many requests (N2 only as a random need);
- twins and triplets: same birth date, surname and postcode, mostly the same sex, different forenames (no twins);
- children moving in, some as babies (every child resident from birth or the window's start);
- births on 29 February (left to chance);
- case review findings from education and health records of children never known to social care, named by their
  SEND person id alone (review of children known to social care only).
Everything else is the plain generator's own steps, so the two differ only where they are meant to.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from analysis.contract import schema
from analysis.synth import headlines
from analysis.synth import la as plain
from analysis.synth.headlines import nth_birthday

DAY, NEVER, YEAR_DAYS = plain.DAY, plain.NEVER, plain.YEAR_DAYS
RECORDS_START_YEARS = 4  # the migration, this many years into the window (at most half of it)
OLDEST_AGE = 25  # the oldest at the window's start: SEND covers young people to their 26th birthday
IN_MOVERS, BABY_MOVERS = 0.15, 0.2  # children who moved in; of them, those who arrived within 90 days of birth
LEAVING_RATE = 0.025  # a year: leaving the area is a constant hazard, so the latent truth is what a survival
# analysis estimates
TWIN_SETS, TRIPLET_SETS, SAME_SEX = 0.015, 0.0005, 0.7  # sets per child; share of siblings of the same sex
LEAP_DAY_BIRTHS = 0.004
LATE_ONSET = 0.25  # children whose family adversity begins between 5 and 15
# age at request in years: (from, to, share)
REQUEST_AGES = (
    (0.3, 2.0, 0.08),
    (2.0, 4.5, 0.30),
    (4.5, 10.5, 0.30),
    (10.5, 12.0, 0.14),
    (12.0, 16.0, 0.10),
    (16.0, 19.0, 0.05),
    (19.0, 25.9, 0.03),
)
ON_FIFTH_BIRTHDAY = 0.03  # requests moved to the day before, of, or after the 5th birthday
SECOND_REQUEST = 0.08
TWINS_SHARE_NEEDS = 0.7  # a later-born sibling requested for when the first-born is (else by their own chance)
MULTIPLE_BIRTH_SEND = 1.5  # multiple births are likelier to have SEND (prematurity)
DISABILITY_REFERRAL = 0.10  # children who will request, referred for their own disability (N2)
EARLY_HELP_ONLY = (0.03, 0.10)  # chance for a child never referred: without, with adversity (doubled with SEND)
SEND_REVIEW_DOMAINS = plain.REVIEW_ONLY + ("domestic_abuse", "parental_mental_illness", "parental_substance_misuse")
SEND_REVIEW = 0.6  # chance that an experienced domain is in the education or health records


@dataclasses.dataclass
class _Hard:
    """The hard authority's people: the population, its multiple births, and the two record-keeping views of it."""

    pop: plain._Population
    csc: plain._Population  # social care: from records_start to the 18th birthday
    send: plain._Population  # SEND: the whole window, to the 26th birthday
    records_start: np.datetime64
    sets: pd.DataFrame  # multiple births: set, child


def generate(
    children: int, years: int, seed: int, extract_date: dt.date = plain.DEFAULT_EXTRACT_DATE
) -> plain.SyntheticLA:
    """A hard synthetic authority of `children` children and `years` years of records. The same seed gives the
    same bytes; it shares no draws with the plain authority of that seed."""
    rng = np.random.default_rng(seed)
    h = _people(rng, children, years, extract_date)
    adv = _adversity(rng, h)
    latent_child, latent_date = _latent_requests(rng, h, adv)
    care = plain._social_care(rng, h.csc, adv)
    care = _disability_referrals(rng, h.csc, care, latent_child, latent_date)
    care = _early_help_only(rng, h.csc, adv, care, latent_child)
    send_tables, req = _send(rng, h.send, adv, latent_child, latent_date)
    sen2_person, ssd_person = plain._identifiers(rng, h.pop, care.contacts, req)
    sen2_person = _plausible_births(sen2_person, h.pop, req)
    review = _review(rng, h, adv, care.contacts, req)
    tables = {"ssd_person": ssd_person, **care.tables, "sen2_person": sen2_person, **send_tables}
    tables["adversity_review"] = review
    tables = {name: frame[schema.TABLE[name].column_names] for name, frame in tables.items()}
    truth, measures, knowledge = _truth(h, adv, care, req, tables)
    truths = headlines.headlines(knowledge)
    params = plain.truth_params(truths, earliest_birth=str(earliest_birth(h.pop.start)))  # to 25 in the window
    return plain.SyntheticLA(tables, truth, measures, extract_date, truths, params)


def earliest_birth(study_start: np.datetime64) -> np.datetime64:
    """The earliest birth: a young person who turns 26 the day after the window starts (a request at 25)."""
    return nth_birthday(np.array([study_start], dtype="datetime64[D]"), -OLDEST_AGE - 1)[0] + DAY


def records_start(study_start: np.datetime64, years: int) -> np.datetime64:
    """The migration date: RECORDS_START_YEARS into the window (at most half of it), same day and month."""
    lag = min(RECORDS_START_YEARS, years // 2)
    return nth_birthday(np.array([study_start], dtype="datetime64[D]"), lag)[0]


# --- people -------------------------------------------------------------------------------------------------------


def _people(rng: np.random.Generator, n: int, years: int, extract_date: dt.date) -> _Hard:
    """Births from OLDEST_AGE years before the window to its end, some on 29 February; children moving in; leaving
    as a constant hazard; then twins and triplets."""
    end = np.datetime64(extract_date, "D")
    start = np.datetime64(
        dt.date(extract_date.year - years, extract_date.month, extract_date.day) + dt.timedelta(days=1)
    )
    earliest = earliest_birth(start)
    dob = earliest + rng.integers(0, int((end - earliest) / DAY) - 30, n) * DAY
    dob = _leap_day_births(rng, dob, earliest, end)
    sex = np.where(rng.random(n) < 0.51, "M", "F")
    forename, surname = plain._names(rng, sex)
    postcode = plain._postcodes(rng, n)
    arrival = np.where(rng.random(n) < BABY_MOVERS, rng.integers(1, 90, n), rng.integers(90, int(16 * YEAR_DAYS), n))
    entry = np.where(rng.random(n) < IN_MOVERS, dob + arrival * DAY, dob)
    entry = np.where(entry > end - 30 * DAY, dob, entry)  # an arrival after the extract is no arrival
    stay = rng.exponential(YEAR_DAYS / LEAVING_RATE, n).clip(30, 200 * YEAR_DAYS).astype(int)
    latent_exit = np.minimum(np.maximum(entry, start) + stay * DAY, NEVER)
    pop = plain._Population(
        start, end, dob, sex, forename, surname, postcode, np.where(latent_exit > end, NEVER, latent_exit)
    )
    pop.latent_exit, pop.entry = latent_exit, entry
    sets = _multiple_births(rng, pop)
    rs = records_start(start, years)
    csc = dataclasses.replace(pop, start=rs, until=nth_birthday(pop.dob, 18))
    send = dataclasses.replace(pop, until=nth_birthday(pop.dob, OLDEST_AGE + 1))
    return _Hard(pop, csc, send, rs, sets)


def _leap_day_births(rng: np.random.Generator, dob: np.ndarray, earliest, end) -> np.ndarray:
    """Move a few births to a 29 February, where the calendar birthday and 365.25-day years disagree."""
    years = [y for y in range(pd.Timestamp(earliest).year, pd.Timestamp(end).year + 1) if y % 4 == 0]
    days = np.array([f"{y}-02-29" for y in years], dtype="datetime64[D]")
    days = days[(days >= earliest) & (days < end - 30 * DAY)]
    moved = rng.random(dob.size) < LEAP_DAY_BIRTHS
    return np.where(moved, rng.choice(days, dob.size), dob)


def _multiple_births(rng: np.random.Generator, pop: plain._Population) -> pd.DataFrame:
    """Twins and triplets: the later-born siblings take the first's birth date, surname, postcode, arrival and
    leaving; most share their sex; each has a forename of their own. Returns the sets (set, child)."""
    n = pop.n
    k2, k3 = max(1, round(n * TWIN_SETS)), max(1, round(n * TRIPLET_SETS))
    order = rng.permutation(n)
    pairs, triples = order[: 2 * k2].reshape(k2, 2), order[2 * k2 : 2 * k2 + 3 * k3].reshape(k3, 3)
    lead = np.concatenate([pairs[:, 0], triples[:, 0], triples[:, 0]])
    follower = np.concatenate([pairs[:, 1], triples[:, 1], triples[:, 2]])
    for name in ("dob", "surname", "postcode", "exit_date", "latent_exit", "entry"):
        getattr(pop, name)[follower] = getattr(pop, name)[lead]
    flip = rng.random(follower.size) >= SAME_SEX
    pop.sex[follower] = np.where(flip, np.where(pop.sex[lead] == "M", "F", "M"), pop.sex[lead])
    set_of = np.concatenate([np.arange(k2), k2 + np.arange(k3), k2 + np.arange(k3)])
    clash = np.ones(follower.size, dtype=bool)
    while clash.any():  # a forename none of the child's siblings has
        pop.forename[follower[clash]] = plain._names(rng, pop.sex[follower[clash]])[0]
        names = pd.DataFrame(
            {"set": np.concatenate([np.arange(k2 + k3), set_of]), "child": np.r_[lead[: k2 + k3], follower]}
        )
        names["forename"] = pop.forename[names["child"]]
        clash = names.duplicated(["set", "forename"]).to_numpy()[k2 + k3 :]
    return names[["set", "child"]].sort_values(["set", "child"], ignore_index=True)


def _adversity(rng: np.random.Generator, h: _Hard) -> plain._Adversity:
    """The plain adversity, then a quarter of children's family adversity moved to begin between 5 and 15, and
    siblings of a multiple birth given the first's (one household)."""
    pop, adv = h.pop, plain._adversity(rng, h.pop)
    late = rng.random(pop.n) < LATE_ONSET
    late_onset = rng.uniform(5, 15, pop.n) * YEAR_DAYS
    lead, child = _siblings(h.sets)
    for d in plain.DOMAINS:
        days = np.clip(late_onset + rng.normal(0, 200, pop.n), 0, 17 * YEAR_DAYS).astype(int)
        adv.onset[d] = np.where(late, pop.dob + days * DAY, adv.onset[d])
        adv.has[d][child], adv.onset[d][child] = adv.has[d][lead], adv.onset[d][lead]
    adv.imd[child] = adv.imd[lead]
    coded = np.stack([np.where(adv.has[d], adv.onset[d], NEVER) for d in plain.CODED])
    five = nth_birthday(pop.dob, 5)
    return plain._Adversity(
        adv.imd,
        adv.has,
        adv.onset,
        np.logical_or.reduce([adv.has[d] for d in plain.CODED]),
        coded.min(axis=0),
        np.logical_or.reduce([adv.has[d] & (adv.onset[d] < five) for d in plain.DOMAINS]),
    )


# --- SEND ---------------------------------------------------------------------------------------------------------


def _siblings(sets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The first-born of each multiple birth beside each later-born sibling."""
    first = sets.groupby("set")["child"].transform("first")
    later = sets["child"] != first
    return first[later].to_numpy(), sets.loc[later, "child"].to_numpy()


def _latent_requests(rng: np.random.Generator, h: _Hard, adv: plain._Adversity) -> tuple[np.ndarray, np.ndarray]:
    """Every request each child would make in this area, extract date or not: from birth to 25, by a mixture of
    ages, a few on the 5th birthday itself, a few children with a second; multiple births are likelier to have
    SEND and mostly share it, half of them requested for on the same day. No calendar trend, so a survival
    analysis of the recorded requests estimates the latent risks."""
    pop, n = h.pop, h.pop.n
    p_request = np.where(adv.any_early, 0.30, 0.11) * np.where(pop.sex == "M", 1.3, 0.7)
    p_request[h.sets["child"].to_numpy()] *= MULTIPLE_BIRTH_SEND
    wants = rng.random(n) < p_request
    low, high, p = (np.array(c) for c in zip(*REQUEST_AGES))
    band = rng.choice(low.size, n, p=p / p.sum())
    date = pop.dob + (rng.uniform(low[band], high[band]) * YEAR_DAYS).astype(int) * DAY
    on_fifth = rng.random(n) < ON_FIFTH_BIRTHDAY
    date = np.where(on_fifth, nth_birthday(pop.dob, 5) + rng.integers(-1, 2, n) * DAY, date)
    lead, later = _siblings(h.sets)
    shared = rng.random(later.size) < TWINS_SHARE_NEEDS
    wants[later] = np.where(shared, wants[lead], wants[later])
    date[later] = np.where(shared & (rng.random(later.size) < 0.5), date[lead], date[later])
    second = wants & (rng.random(n) < SECOND_REQUEST)
    child = np.concatenate([np.flatnonzero(wants), np.flatnonzero(second)])
    date = np.concatenate([date[wants], date[second] + rng.integers(200, 900, second.sum()) * DAY])
    # an earlier request was another authority's; the SEND age range ends at the 26th birthday, and a request
    # must leave time for the assessment and plan before it
    keep = (date >= pop.entry[child]) & (date < nth_birthday(pop.dob[child], OLDEST_AGE + 1) - 220 * DAY)
    child, date = child[keep], date[keep]
    order = np.lexsort((date, child))
    return child[order], date[order]


def _send(
    rng: np.random.Generator,
    send: plain._Population,
    adv: plain._Adversity,
    latent_child: np.ndarray,
    latent_date: np.ndarray,
) -> tuple[dict[str, pd.DataFrame], plain._Requests]:
    """The SEN2 tables from the requests that fall in the window, with the plain steps; plans cease at 26."""
    keep = send.live(latent_child, latent_date)
    requests, req = plain._request_table(rng, send, latent_child[keep], latent_date[keep])
    req.latent_child, req.latent_date = latent_child, latent_date
    assessment, asm = plain._send_assessments(rng, send, req)
    named_plan, active = plain._named_plans(rng, send, asm)
    named_plan, active = _age_out(named_plan, active, send, req, asm)
    active_plans, sen_need = plain._active_plans(rng, send, adv, req, asm, active)
    tables = {
        "sen2_requests": requests,
        "sen2_assessment": assessment,
        "sen2_named_plan": named_plan,
        "sen2_active_plans": active_plans,
        "sen2_sen_need": sen_need,
    }
    return tables, req


def _age_out(
    named_plan: pd.DataFrame,
    active: np.ndarray,
    send: plain._Population,
    req: plain._Requests,
    asm: plain._SendAssessments,
) -> tuple[pd.DataFrame, np.ndarray]:
    """A plan still open at its holder's 26th birthday ceases then (reached maximum age)."""
    issued = np.flatnonzero(asm.outcome == "Y")
    last_day = nth_birthday(send.dob[req.child[asm.request[issued]]], OLDEST_AGE + 1) - DAY
    aged_out = named_plan["cease_date"].isna().to_numpy() & (last_day <= send.end)
    named_plan = named_plan.copy()
    named_plan.loc[aged_out, "cease_date"] = pd.to_datetime(last_day[aged_out])
    named_plan.loc[aged_out, "cease_reason"] = "1"
    return named_plan, np.setdiff1d(active, issued[aged_out])


def _plausible_births(sen2_person: pd.DataFrame, pop: plain._Population, req: plain._Requests) -> pd.DataFrame:
    """Undo a transposed SEN2 birth date that would put a request before birth or after 25: the authority's own
    return checks catch those, so an extract would not hold them."""
    child = req.children
    first = pd.Series(req.date).groupby(req.child).min().to_numpy()
    last = pd.Series(req.date).groupby(req.child).max().to_numpy()
    given = sen2_person["person_birth_date"].to_numpy().astype("datetime64[D]")
    bad = (first < given) | (last >= nth_birthday(given, OLDEST_AGE + 1))
    out = sen2_person.copy()
    out.loc[bad, "person_birth_date"] = pd.to_datetime(pop.dob[child[bad]])
    return out


# --- social care --------------------------------------------------------------------------------------------------


def _known_people(con: plain._Contacts, child: np.ndarray, date: np.ndarray, contacts: bool) -> plain._Contacts:
    """The social care people with `child` added (new person ids for those not yet known), first known by `date`;
    `contacts`: the dates are contacts (else early help, which is no contact)."""
    pers_id, first_known = con.pers_id.copy(), con.first_known.copy()
    new = np.unique(child[pers_id[child] == ""])
    pers_id[new] = plain._ids("P", new.size, start=int((con.pers_id != "").sum()) + 1)
    np.minimum.at(first_known, child, plain._days(date))
    return plain._Contacts(
        np.concatenate([con.child, child]) if contacts else con.child,
        np.concatenate([con.date, date]) if contacts else con.date,
        pers_id,
        np.union1d(con.csc_children, child),
        first_known,
    )


def _disability_referrals(
    rng: np.random.Generator,
    csc: plain._Population,
    care: plain._SocialCare,
    latent_child: np.ndarray,
    latent_date: np.ndarray,
) -> plain._SocialCare:
    """Some children who will request an assessment are referred for their own disability (N2), mostly in the
    three years before the request: a contact, the referral, usually an assessment, often a CIN plan."""
    first = pd.Series(latent_date).groupby(latent_child).min()
    pick = rng.random(first.size) < DISABILITY_REFERRAL
    child, when = first.index.to_numpy()[pick], first.to_numpy()[pick].astype("datetime64[D]")
    contact = when - rng.integers(-365, 3 * 365, child.size) * DAY
    referral = contact + rng.integers(0, 5, child.size) * DAY
    keep = csc.live(child, contact) & csc.live(child, referral)
    child, contact, referral = child[keep], contact[keep], referral[keep]
    con = _known_people(care.contacts, child, contact, contacts=True)
    t, k = dict(care.tables), child.size
    t["ssd_contacts"] = _append(
        t["ssd_contacts"],
        "C",
        cont_person_id=con.pers_id[child],
        cont_contact_date=plain._days(contact),
        cont_contact_source_code=rng.choice(["5A", "3A", "1A"], k),
    )
    ref_ids = plain._ids("R", k, start=len(t["ssd_cin_episodes"]) + 1)
    t["ssd_cin_episodes"] = _append(
        t["ssd_cin_episodes"],
        "R",
        cine_person_id=con.pers_id[child],
        cine_referral_date=plain._days(referral),
        cine_cin_primary_need_code="N2",
        cine_referral_source_code=rng.choice(["5A", "3A", "1A"], k),
        cine_close_date=_closed(csc, referral + rng.integers(60, 500, k) * DAY),
    )
    t.update(_disability_assessments(rng, csc, con, child, referral, ref_ids, t))
    return dataclasses.replace(care, tables=t, contacts=con)


def _disability_assessments(
    rng: np.random.Generator,
    csc: plain._Population,
    con: plain._Contacts,
    child: np.ndarray,
    referral: np.ndarray,
    ref_ids: np.ndarray,
    t: dict[str, pd.DataFrame],
) -> dict[str, pd.DataFrame]:
    """Most disability referrals are assessed (the child's own disability, 6A: no adversity), and a CIN plan
    follows four in ten assessments."""
    a = np.flatnonzero(rng.random(child.size) < 0.85)
    start = referral[a] + rng.integers(0, 10, a.size) * DAY
    auth = start + rng.integers(10, 45, a.size) * DAY
    ok = csc.live(child[a], auth)
    a, start, auth = a[ok], start[ok], auth[ok]
    asm_ids = plain._ids("A", a.size, start=len(t["ssd_cin_assessments"]) + 1)
    out = {
        "ssd_cin_assessments": _append(
            t["ssd_cin_assessments"],
            "A",
            cina_person_id=con.pers_id[child[a]],
            cina_referral_id=ref_ids[a],
            cina_assessment_start_date=plain._days(start),
            cina_assessment_auth_date=plain._days(auth),
        ),
        "ssd_assessment_factors": _append(
            t["ssd_assessment_factors"], "F", cinf_assessment_id=asm_ids, cinf_assessment_factors_json='["6A"]'
        ),
    }
    p = np.flatnonzero(rng.random(a.size) < 0.4)
    plan = auth[p] + rng.integers(3, 20, p.size) * DAY
    ok = csc.live(child[a[p]], plan)
    p, plan = p[ok], plan[ok]
    out["ssd_cin_plans"] = _append(
        t["ssd_cin_plans"],
        "I",
        cinp_referral_id=ref_ids[a[p]],
        cinp_person_id=con.pers_id[child[a[p]]],
        cinp_cin_plan_start_date=plain._days(plan),
        cinp_cin_plan_end_date=_closed(csc, plan + rng.integers(90, 500, p.size) * DAY),
    )
    return out


def _append(frame: pd.DataFrame, prefix: str, **columns) -> pd.DataFrame:
    """Rows added to a table, their ids numbered on from its last (the key is its first column)."""
    k = max((len(v) for v in columns.values() if not isinstance(v, str)), default=0)
    rows = pd.DataFrame({frame.columns[0]: plain._ids(prefix, k, start=len(frame) + 1), **columns}, index=range(k))
    return pd.concat([frame, rows.reindex(columns=frame.columns)], ignore_index=True)


def _closed(pop: plain._Population, end: np.ndarray) -> np.ndarray:
    """An end date, or NaT when it falls after the extract date (still open)."""
    return np.where(end > pop.end, np.datetime64("NaT"), end).astype("datetime64[D]")


def _early_help_only(
    rng: np.random.Generator,
    csc: plain._Population,
    adv: plain._Adversity,
    care: plain._SocialCare,
    latent_child: np.ndarray,
) -> plain._SocialCare:
    """Children never referred (nor in contact) whom social care knows only through early help: commoner where the
    family has adversity, and twice as common where the child will have SEND."""
    n = csc.n
    any_adversity = np.logical_or.reduce([adv.has[d] for d in plain.DOMAINS])
    p = np.where(any_adversity, EARLY_HELP_ONLY[1], EARLY_HELP_ONLY[0]) * np.where(
        np.isin(np.arange(n), latent_child), 2, 1
    )
    low = np.maximum(np.maximum(csc.dob, csc.entry), csc.start)
    high = np.minimum(np.minimum(csc.until, csc.exit_date), csc.end)
    span = ((high - low) / DAY).astype(int)
    child = np.flatnonzero((care.contacts.pers_id == "") & (rng.random(n) < p) & (span > 60))
    first = low[child] + (rng.random(child.size) * (span[child] - 30)).astype(int) * DAY
    again = rng.random(child.size) < 0.3
    later = first[again] + rng.integers(200, 900, again.sum()) * DAY
    eh_child = np.concatenate([child, child[again]])
    eh_start = np.concatenate([first, later])
    keep = csc.live(eh_child, eh_start)
    eh_child, eh_start = eh_child[keep], eh_start[keep]
    con = _known_people(care.contacts, eh_child, eh_start, contacts=False)
    t = dict(care.tables)
    t["ssd_early_help_episodes"] = _append(
        t["ssd_early_help_episodes"],
        "H",
        earl_person_id=con.pers_id[eh_child],
        earl_episode_start_date=plain._days(eh_start),
        earl_episode_end_date=_closed(csc, eh_start + rng.integers(60, 300, eh_child.size) * DAY),
        earl_episode_reason=rng.choice(["Family support", "Parenting", "School attendance", "Health"], eh_child.size),
    )
    return dataclasses.replace(care, tables=t, contacts=con)


def _review(
    rng: np.random.Generator, h: _Hard, adv: plain._Adversity, con: plain._Contacts, req: plain._Requests
) -> pd.DataFrame:
    """The plain review of social care files (from records_start), and findings from the education and health
    records of requesting children never known to social care, named by their SEND person id alone."""
    parts = [plain._case_review(rng, h.csc, adv, con, req).drop(columns="review_id")]
    send_only = np.setdiff1d(req.children, con.csc_children)
    send = h.send
    for d in SEND_REVIEW_DOMAINS:
        sel = send_only[adv.has[d][send_only] & (rng.random(send_only.size) < SEND_REVIEW)]
        documented = adv.onset[d][sel] + rng.integers(60, 900, sel.size) * DAY
        documented = np.maximum(documented, np.maximum(send.entry[sel], send.start))
        ok = send.live(sel, documented)
        sel, documented = sel[ok], documented[ok]
        parts.append(
            pd.DataFrame(
                {
                    "person_id": None,
                    "person_table_id": req.sen_id[sel],
                    "adversity_type": d,
                    "date_first_documented": plain._days(documented),
                    "source_document_type": rng.choice(["education_record", "health_record"], sel.size, p=[0.6, 0.4]),
                    "reviewer": "SYN",
                }
            )
        )
    review = pd.concat(parts, ignore_index=True).sort_values(
        ["person_id", "person_table_id", "adversity_type"], ignore_index=True
    )
    review.insert(0, "review_id", plain._ids("V", len(review)))
    return review


# --- ground truth -------------------------------------------------------------------------------------------------


def _truth(
    h: _Hard, adv: plain._Adversity, care: plain._SocialCare, req: plain._Requests, tables: dict[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], dict, headlines.Knowledge]:
    """The plain truth files (links, onsets, documented adversity, now with its source), the population table the
    extract lacks, the multiple births, the old-definition measures and what the issue 16 truths need."""
    pop, con = h.pop, care.contacts
    knowledge = plain._knowledge(pop, care, req, tables, pop.entry, h.records_start)
    documented = knowledge.documented
    first_contact = np.full(pop.n, NEVER)
    np.minimum.at(first_contact, con.child, plain._days(con.date))
    old = documented[documented["source"] != "need"]  # the old definitions read no primary need
    measures = plain._truth_measures(req.child, req.date, pop.dob, first_contact, old, pop.start)
    population = plain._population_table(pop, adv, con, req).assign(entry_date=plain._days(pop.entry))
    ids = {"pers_person_id": con.pers_id, "person_table_id": req.sen_id}
    truth = {
        **plain._truth_links(pop, adv, con, req),
        "documented_adversity": documented.assign(**{k: v[documented["child"]] for k, v in ids.items()}),
        "population": population,
        "multiple_births": h.sets.assign(**{k: v[h.sets["child"]] for k, v in ids.items()}),
    }
    return truth, measures, knowledge
