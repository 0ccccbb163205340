"""A synthetic local authority: a child population followed over the study years, with social care and SEND
records, recorded adversity and identifier noise, plus the ground truth that tests and back tests use.

Everything is vectorised with numpy so that large authorities generate quickly; the same seed gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd

from analysis.contract import schema
from analysis.synth import headlines

DEFAULT_EXTRACT_DATE = dt.date(2026, 3, 31)
DAY = np.timedelta64(1, "D")
YEAR_DAYS = 365.25

# True (experienced) adversity domains and their prevalence in the general child population.
# "coded" domains can reach the CIN assessment factors; the others only the manual case review.
DOMAINS = {
    "domestic_abuse": 0.10,
    "parental_mental_illness": 0.09,
    "parental_substance_misuse": 0.05,
    "neglect": 0.045,
    "emotional_abuse": 0.03,
    "physical_abuse": 0.02,
    "sexual_abuse": 0.008,
    "parental_separation": 0.14,
    "parental_imprisonment": 0.015,
}
REVIEW_ONLY = ("parental_separation", "parental_imprisonment")
FACTOR_CODE = {
    "domestic_abuse": "3B",
    "parental_mental_illness": "4B",
    "parental_substance_misuse": "2B",
    "neglect": "16A",
    "emotional_abuse": "17A",
    "physical_abuse": "18C",  # 18A before the 2021 collection
    "sexual_abuse": "19C",  # 19A before the 2021 collection
}
# How the generator itself reads the codes it writes (its own truth, independent of the coding frame YAML).
CODE_DOMAIN = {
    **{v: k for k, v in FACTOR_CODE.items()},
    "3A": "domestic_abuse",
    "18A": "physical_abuse",
    "19A": "sexual_abuse",
    "20": "other",
    "5B": "parental_disability_or_illness",
    "6B": "parental_disability_or_illness",
    "14A": "extra_familial_harm",
}
CP_CATEGORY = {"neglect": "NEG", "emotional_abuse": "EMO", "physical_abuse": "PHY", "sexual_abuse": "SAB"}
NEED_P = {
    "ASD": 0.30,
    "SLCN": 0.24,
    "SEMH": 0.21,
    "MLD": 0.09,
    "SPLD": 0.03,
    "SLD": 0.03,
    "PD": 0.03,
    "PMLD": 0.015,
    "HI": 0.015,
    "VI": 0.008,
    "MSI": 0.002,
    "OTH": 0.03,
}
FORENAMES = {
    "F": [
        "Olivia",
        "Amelia",
        "Isla",
        "Ava",
        "Mia",
        "Ivy",
        "Lily",
        "Isabella",
        "Sophia",
        "Grace",
        "Freya",
        "Ella",
        "Evie",
        "Poppy",
        "Emily",
        "Aisha",
        "Zara",
        "Maryam",
        "Hannah",
        "Chloe",
        "Ruby",
        "Daisy",
        "Alice",
        "Sienna",
    ],
    "M": [
        "Noah",
        "Oliver",
        "George",
        "Arthur",
        "Muhammad",
        "Leo",
        "Harry",
        "Oscar",
        "Jack",
        "Charlie",
        "Jacob",
        "Thomas",
        "Henry",
        "Alfie",
        "Theo",
        "Freddie",
        "Archie",
        "Joshua",
        "Yusuf",
        "Ibrahim",
        "Ethan",
        "Adam",
        "Samuel",
        "Daniel",
    ],
}
SURNAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Thomas",
    "Clarke",
    "Jackson",
    "Wood",
    "Harris",
    "Edwards",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Hughes",
    "Moore",
    "Clark",
    "King",
    "Harrison",
    "Lewis",
    "Baker",
    "Lee",
    "Allen",
    "Morris",
    "Khan",
    "Scott",
    "Watson",
    "Davis",
    "Parker",
    "James",
    "Bennett",
    "Young",
    "Phillips",
    "Richardson",
    "Mitchell",
    "Bailey",
    "Carter",
    "Cook",
    "Singh",
    "Shaw",
    "Bell",
    "Collins",
    "Morgan",
    "Kelly",
    "Begum",
    "Miller",
    "Cox",
    "Hussain",
    "Marshall",
    "Simpson",
    "Price",
    "Anderson",
    "Adams",
    "Wilkinson",
    "Ali",
    "Ahmed",
    "Foster",
    "Ellis",
    "Murphy",
    "Chapman",
    "Mason",
    "Gray",
    "Richards",
    "Webb",
    "Griffiths",
    "Hunt",
    "Palmer",
    "Campbell",
]


# Rarer names, generated: real records hold thousands of surnames and hundreds of forenames, most of them rare.
SURNAME_TAIL = [
    a + b
    for a in (
        "Ash",
        "Brad",
        "Brook",
        "Carl",
        "Cross",
        "Dal",
        "Down",
        "Fair",
        "Far",
        "Good",
        "Hal",
        "Hart",
        "Hay",
        "Hol",
        "Kings",
        "Lang",
        "Lind",
        "Mar",
        "Mill",
        "Mor",
        "New",
        "Nor",
        "Oak",
        "Pem",
        "Ray",
        "Red",
        "Rock",
        "Rose",
        "Shel",
        "Stan",
        "Stock",
        "Thorn",
        "Wal",
        "War",
        "West",
        "Whit",
        "Win",
        "York",
        "Ald",
        "Bar",
        "Bel",
        "Burn",
        "Dun",
        "Elm",
        "Fen",
        "Gil",
        "Hamp",
        "Kel",
        "Lock",
        "Mid",
        "Pen",
        "Quin",
        "Rad",
        "Sand",
        "Sher",
        "Tal",
        "Up",
        "Ver",
        "Wes",
        "Yar",
    )
    for b in (
        "ton",
        "ley",
        "field",
        "ford",
        "wood",
        "worth",
        "by",
        "ham",
        "well",
        "stead",
        "bridge",
        "more",
        "land",
        "combe",
        "hurst",
        "wick",
        "dale",
        "bury",
        "shaw",
        "ridge",
        "low",
        "gate",
        "brook",
        "cott",
        "den",
        "holme",
        "thorpe",
        "lake",
        "win",
        "ster",
    )
]
FORENAME_TAIL = {
    "F": [
        a + b
        for a in (
            "Al",
            "An",
            "Bel",
            "Ca",
            "Da",
            "El",
            "Em",
            "Fa",
            "Ha",
            "Is",
            "Ja",
            "Ka",
            "La",
            "Li",
            "Ma",
            "Mi",
            "Na",
            "No",
            "Ro",
            "Sa",
            "Se",
            "Ta",
            "Vi",
            "Ze",
            "Ari",
            "Ce",
            "Jo",
            "Lu",
            "Ne",
            "Ra",
        )
        for b in ("ra", "na", "lia", "ne", "ssa", "nna", "la", "ya", "rin", "lie", "ena", "tte")
    ],
    "M": [
        a + b
        for a in (
            "Al",
            "Ben",
            "Cal",
            "Dan",
            "Ed",
            "Fin",
            "Gab",
            "Har",
            "Is",
            "Ja",
            "Kai",
            "Lu",
            "Ma",
            "Nat",
            "Ol",
            "Ro",
            "Sam",
            "Seb",
            "Tob",
            "Zak",
            "Ar",
            "Bry",
            "Cor",
            "Dex",
            "El",
            "Fel",
            "Kes",
            "Ren",
            "Ty",
            "Vin",
        )
        for b in ("an", "en", "ie", "o", "as", "us", "el", "ey", "on", "ar", "iel", "ik")
    ],
}


def _name_pool(common: list[str], tail: list[str], common_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Common names with falling weights (the first the commonest) and a long tail of rare ones, roughly the shape
    of names in England: the commonest surname is about 1% of people, the commonest forename 2 to 3%."""
    tail = [t for t in dict.fromkeys(tail) if t not in common]
    w = 1 / (np.arange(len(common)) + 10)
    p = np.concatenate([common_share * w / w.sum(), np.full(len(tail), (1 - common_share) / len(tail))])
    return np.array(common + tail, dtype=object), p / p.sum()


NICKNAMES = {
    "Oliver": "Ollie",
    "Thomas": "Tom",
    "Samuel": "Sam",
    "Daniel": "Dan",
    "Joshua": "Josh",
    "Alfie": "Alfred",
    "Freddie": "Frederick",
    "Isabella": "Bella",
    "Amelia": "Millie",
    "Sophia": "Sophie",
    "Charlie": "Charles",
    "Henry": "Harry",
    "Hannah": "Anna",
    "Emily": "Emmy",
}
ETHNICITY = [
    "WBRI",
    "WOTH",
    "ABAN",
    "AIND",
    "APKN",
    "BAFR",
    "BCRB",
    "MWBC",
    "MWBA",
    "MOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
]
ETHNICITY_P = [0.62, 0.07, 0.02, 0.03, 0.05, 0.04, 0.02, 0.03, 0.02, 0.03, 0.01, 0.02, 0.02, 0.02]


@dataclasses.dataclass
class SyntheticLA:
    tables: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]
    truth_measures: dict
    extract_date: dt.date
    headlines: dict | None = None  # the issue 16 headline truths (truth/headlines.json)
    params: dict | None = None  # the run parameters the truths assume (truth/params.yml): window, records_start


def _days(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[D]")


def _collection_year(dates: np.ndarray) -> np.ndarray:
    """CIN census collection year (the year of the 31 March that ends the reporting year)."""
    d = pd.DatetimeIndex(dates)
    return np.where(d.month > 3, d.year + 1, d.year)


def _ids(prefix: str, n: int, start: int = 1) -> np.ndarray:
    if n == 0:
        return np.array([], dtype=object)
    return np.char.add(prefix, np.char.zfill(np.arange(start, start + n).astype(str), 7))


def _typo(names: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Swap two neighbouring letters: a typing error."""
    out = names.astype(object).copy()
    for i, name in enumerate(out):
        if len(name) > 3:
            j = int(rng.integers(1, len(name) - 2))
            out[i] = name[:j] + name[j + 1] + name[j] + name[j + 2 :]
    return out


def _pick(
    rng: np.random.Generator,
    probs: dict[str, float],
    n: int,
    shift: np.ndarray | None = None,
    factor: float = 1.0,
    boosted: str | None = None,
) -> np.ndarray:
    """Draw codes with the given probabilities; where `shift` is true, `boosted` is `factor` times likelier."""
    keys = np.array(list(probs))
    p = np.array(list(probs.values()), dtype=float)
    p_base = p / p.sum()
    u = rng.random(n)
    out = keys[np.searchsorted(np.cumsum(p_base), u).clip(0, len(keys) - 1)]
    if shift is not None and boosted:
        p_alt = p.copy()
        p_alt[list(keys).index(boosted)] *= factor
        p_alt /= p_alt.sum()
        alt = keys[np.searchsorted(np.cumsum(p_alt), u).clip(0, len(keys) - 1)]
        out = np.where(shift, alt, out)
    return out


def generate(children: int, years: int, seed: int, extract_date: dt.date = DEFAULT_EXTRACT_DATE) -> SyntheticLA:
    """Generate a synthetic LA of `children` children with `years` years of records up to `extract_date`.

    Every step draws from the one random generator, so they must run in this order: moving or changing one changes
    every output after it, and the same seed would no longer give the same bytes.
    """
    rng = np.random.default_rng(seed)
    pop = _population(rng, children, years, extract_date)
    adv = _adversity(rng, pop)
    care = _social_care(rng, pop, adv)
    send = _send(rng, pop, adv)
    sen2_person, ssd_person = _identifiers(rng, pop, care.contacts, send.requests)  # with the noise of real records
    review = _case_review(rng, pop, adv, care.contacts, send.requests)  # adversity no CIN code documents
    tables = {
        "ssd_person": ssd_person,
        **care.tables,
        "sen2_person": sen2_person,
        **send.tables,
        "adversity_review": review,
        "population": _population_table(pop, adv, care.contacts, send.requests),
    }
    tables = {name: frame[schema.TABLE[name].column_names] for name, frame in tables.items()}
    truth, truth_measures = _truth(pop, adv, care, send.requests, review)
    knowledge = _knowledge(pop, care, send.requests, tables, np.maximum(pop.dob, pop.start), pop.start)
    truths = headlines.headlines(knowledge)
    return SyntheticLA(tables, truth, truth_measures, extract_date, truths, truth_params(truths))


# --- the population -----------------------------------------------------------------------------------------------

NEVER = np.datetime64("2100-01-01", "D")  # the date of something that has not happened by the extract date


@dataclasses.dataclass
class _Population:
    """The children of the authority (arrays indexed by child, 0 to n - 1) and the window their records fall in."""

    start: np.datetime64
    end: np.datetime64
    dob: np.ndarray
    sex: np.ndarray
    forename: np.ndarray
    surname: np.ndarray
    postcode: np.ndarray
    exit_date: np.ndarray  # NEVER for children who stay
    latent_exit: np.ndarray | None = None  # when each child would leave, extract date or not (NEVER: stays)
    entry: np.ndarray | None = None  # when each child joined the area (None: from birth or the window's start)
    until: np.ndarray | None = None  # the date records of this kind stop (None: never), e.g. the 18th birthday

    @property
    def n(self) -> int:
        return self.dob.size

    def live(self, child: np.ndarray, date: np.ndarray) -> np.ndarray:
        """Events that fall in the window, after birth (and arrival) and before the child left (or aged out)."""
        ok = (date >= self.start) & (date <= self.end) & (date >= self.dob[child]) & (date < self.exit_date[child])
        if self.entry is not None:
            ok &= date >= self.entry[child]
        if self.until is not None:
            ok &= date < self.until[child]
        return ok


def _population(rng: np.random.Generator, n: int, years: int, extract_date: dt.date) -> _Population:
    """Birth dates such that every child is under 18 at some point in the window, then sex, names and postcode.
    Some children leave the area during the window; nothing is recorded for them after they leave."""
    end = np.datetime64(extract_date, "D")
    start = np.datetime64(
        dt.date(extract_date.year - years, extract_date.month, extract_date.day) + dt.timedelta(days=1)
    )
    earliest_dob = start - np.timedelta64(int(14 * YEAR_DAYS), "D")
    dob = earliest_dob + rng.integers(0, int((end - earliest_dob) / DAY) - 30, n) * DAY
    sex = np.where(rng.random(n) < 0.51, "M", "F")
    forename, surname = _names(rng, sex)
    postcode = _postcodes(rng, n)
    leaves = rng.random(n) < 0.08
    latent_exit = np.where(leaves, np.maximum(start, dob) + rng.integers(30, int(years * YEAR_DAYS), n) * DAY, NEVER)
    exit_date = np.where(latent_exit > end, NEVER, latent_exit)
    return _Population(start, end, dob, sex, forename, surname, postcode, exit_date, latent_exit)


def _names(rng: np.random.Generator, sex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A forename for the child's sex and a surname, each from a pool shaped like names in England."""
    n = sex.size
    (girls, p_girls), (boys, p_boys) = (_name_pool(FORENAMES[s], FORENAME_TAIL[s], 0.3) for s in ("F", "M"))
    forename = np.where(sex == "F", rng.choice(girls, n, p=p_girls), rng.choice(boys, n, p=p_boys))
    surnames, p_surnames = _name_pool(SURNAMES, SURNAME_TAIL, 0.2)
    surname = rng.choice(surnames, n, p=p_surnames)
    return forename, surname


def _population_table(pop: _Population, adv: _Adversity, con: _Contacts, req: _Requests) -> pd.DataFrame:
    """The resident population, for denominators."""
    population = pd.DataFrame(
        {
            "population_id": _ids("Z", pop.n),
            "pers_person_id": np.where(con.pers_id == "", None, con.pers_id),
            "person_table_id": np.where(req.sen_id == "", None, req.sen_id),
            "birth_date": _days(pop.dob),
            "sex": pop.sex,
            "imd_decile": adv.imd.astype(str),
            "entry_date": _days(np.maximum(pop.dob, pop.start)),
            "exit_date": _days(pop.exit_date),
        }
    )
    population.loc[pop.exit_date == NEVER, "exit_date"] = pd.NaT
    return population


# --- adversity: what the children experienced, and what the case review documented ---------------------------------

CODED = tuple(d for d in DOMAINS if d not in REVIEW_ONLY)


@dataclasses.dataclass
class _Adversity:
    """The adversity each child actually experienced, whether or not any record shows it (arrays by child)."""

    imd: np.ndarray  # deprivation decile of the child's home
    has: dict[str, np.ndarray]  # domain -> whether the child experienced it
    onset: dict[str, np.ndarray]  # domain -> when it began (a date even for children who never experienced it)
    any_coded: np.ndarray  # experienced a domain the CIN assessment factors can record
    first_coded_onset: np.ndarray
    any_early: np.ndarray  # experienced any domain before age five


def _adversity(rng: np.random.Generator, pop: _Population) -> _Adversity:
    """A family risk, commoner in deprived areas, raises every domain; onset is mostly in early childhood."""
    n, dob = pop.n, pop.dob
    high_risk = rng.random(n) < 0.2
    imd = np.where(high_risk, rng.integers(1, 6, n), rng.integers(1, 11, n))
    family_onset = rng.gamma(1.4, 2.2, n) * YEAR_DAYS  # days after birth
    has, onset = {}, {}
    for d, p in DOMAINS.items():
        has[d] = rng.random(n) < np.where(high_risk, min(0.9, p * 4.5), p * 0.4)
        onset[d] = dob + np.clip(family_onset + rng.normal(0, 200, n), 0, 16 * YEAR_DAYS).astype(int) * DAY
    any_coded = np.logical_or.reduce([has[d] for d in CODED])
    first_coded_onset = np.min(np.stack([np.where(has[d], onset[d], NEVER) for d in CODED]), axis=0)
    any_early = np.logical_or.reduce([has[d] & (onset[d] < dob + int(5 * YEAR_DAYS) * DAY) for d in DOMAINS])
    return _Adversity(imd, has, onset, any_coded, first_coded_onset, any_early)


def _case_review(
    rng: np.random.Generator, pop: _Population, adv: _Adversity, con: _Contacts, req: _Requests
) -> pd.DataFrame:
    """Manual case review: separation and imprisonment, which no CIN code records, for children who had an EHCNA
    request and are known to CSC (the children a review of the reference study would read)."""
    reviewed = np.intersect1d(req.children, con.csc_children)
    rows = []
    for d in REVIEW_ONLY:
        sel = reviewed[adv.has[d][reviewed]]
        documented = np.maximum(adv.onset[d][sel] + rng.integers(30, 400, sel.size) * DAY, pop.start)
        ok = pop.live(sel, documented)
        rows.append(
            pd.DataFrame(
                {
                    "person_id": con.pers_id[sel[ok]],
                    "person_table_id": None,  # the reviewer read the social care file
                    "adversity_type": d,
                    "date_first_documented": _days(documented[ok]),
                    "source_document_type": "case_note",
                    "reviewer": "SYN",
                }
            )
        )
    review = pd.concat(rows, ignore_index=True).sort_values(["person_id", "adversity_type"], ignore_index=True)
    review.insert(0, "review_id", _ids("V", len(review)))
    return review


# --- social care --------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Contacts:
    """Contacts with children's social care (arrays by contact) and the CSC person ids they created (by child)."""

    child: np.ndarray
    date: np.ndarray
    pers_id: np.ndarray  # "" for children never known to CSC
    csc_children: np.ndarray  # the children with at least one contact
    first_known: np.ndarray  # the first contact; NEVER for children never known


@dataclasses.dataclass
class _Referrals:
    """CIN referrals (arrays by referral)."""

    child: np.ndarray
    date: np.ndarray
    ids: np.ndarray


@dataclasses.dataclass
class _Assessments:
    """Authorised CIN assessments (arrays by assessment)."""

    ids: np.ndarray
    child: np.ndarray
    person_id: np.ndarray
    referral_id: np.ndarray
    start: np.ndarray
    auth: np.ndarray


@dataclasses.dataclass
class _CPPlans:
    """Child protection plans (arrays by plan)."""

    assessment: np.ndarray  # the assessment (row in _Assessments) that led to the plan
    start: np.ndarray
    domain: np.ndarray  # the abuse or neglect that is the plan's category


@dataclasses.dataclass
class _SocialCare:
    """The social care tables, and what the truth needs to know about how they were made."""

    tables: dict[str, pd.DataFrame]
    contacts: _Contacts
    assessments: _Assessments
    factor_lists: list[list[str]]  # the factor codes recorded at each assessment
    cp: _CPPlans
    cla_referral: np.ndarray  # by looked-after episode, the referral it followed (the extract does not say)


def _social_care(rng: np.random.Generator, pop: _Population, adv: _Adversity) -> _SocialCare:
    """Contacts, early help, referrals, assessments and their factors, CIN plans, section 47 enquiries, child
    protection plans and looked-after episodes, each following from the one before."""
    contacts, con = _contacts(rng, pop, adv)
    early_help = _early_help(rng, pop, con)
    referrals, ref = _referrals(rng, pop, adv, con)
    assessments, asm = _assessments(rng, pop, con, ref)
    factors, found, factor_lists = _factors(rng, adv, asm)
    cin_plans = _cin_plans(rng, pop, asm)
    cp_domain = _cp_domain(found, asm.child.size)
    s47_enquiry, s47 = _s47_enquiries(rng, pop, asm, cp_domain)
    cp_plans, cp = _cp_plans(rng, pop, asm, cp_domain, s47)
    cla_episodes, cla_referral = _cla_episodes(rng, pop, con, asm, cp)
    tables = {
        "ssd_contacts": contacts,
        "ssd_early_help_episodes": early_help,
        "ssd_cin_episodes": referrals,
        "ssd_cin_assessments": assessments,
        "ssd_assessment_factors": factors,
        "ssd_cin_plans": cin_plans,
        "ssd_s47_enquiry": s47_enquiry,
        "ssd_cp_plans": cp_plans,
        "ssd_cla_episodes": cla_episodes,
    }
    return _SocialCare(tables, con, asm, factor_lists, cp, cla_referral)


def _contacts(rng: np.random.Generator, pop: _Population, adv: _Adversity) -> tuple[pd.DataFrame, _Contacts]:
    """Children with coded adversity are usually referred soon after its onset; some others are too."""
    n, any_coded = pop.n, adv.any_coded
    known = (any_coded & (rng.random(n) < 0.85)) | (~any_coded & (rng.random(n) < 0.15))
    first_contact = np.where(any_coded, adv.first_coded_onset, pop.dob + rng.integers(0, int(12 * YEAR_DAYS), n) * DAY)
    first_contact = first_contact + rng.gamma(1.2, 120, n).astype(int) * DAY
    n_contacts = np.where(known, 1 + rng.poisson(np.where(any_coded, 1.3, 0.3)), 0)
    c_child = np.repeat(np.arange(n), n_contacts)
    c_order = np.arange(c_child.size) - np.repeat(np.cumsum(n_contacts) - n_contacts, n_contacts)
    c_date = first_contact[c_child] + (c_order * rng.integers(120, 700, c_child.size)) * DAY
    keep = pop.live(c_child, c_date)
    c_child, c_date = c_child[keep], c_date[keep]
    nc = c_child.size

    csc_children = np.unique(c_child)
    pers_id = np.full(n, "", dtype=object)
    pers_id[csc_children] = _ids("P", csc_children.size)
    first_known = np.full(n, NEVER, dtype="datetime64[D]")
    np.minimum.at(first_known, c_child, _days(c_date))
    contacts = pd.DataFrame(
        {
            "cont_contact_id": _ids("C", nc),
            "cont_person_id": pers_id[c_child],
            "cont_contact_date": _days(c_date),
            "cont_contact_source_code": rng.choice(
                ["6", "2A", "3B", "3A", "1A", "5A", "8"], nc, p=[0.3, 0.2, 0.12, 0.1, 0.1, 0.1, 0.08]
            ),
        }
    )
    return contacts, _Contacts(c_child, c_date, pers_id, csc_children, first_known)


def _early_help(rng: np.random.Generator, pop: _Population, con: _Contacts) -> pd.DataFrame:
    """Early help, offered to some families at a contact instead of, or as well as, a referral."""
    eh = rng.random(con.child.size) < 0.2
    eh_child, eh_start = con.child[eh], con.date[eh] + rng.integers(5, 40, eh.sum()) * DAY
    keep = pop.live(eh_child, eh_start)
    eh_child, eh_start = eh_child[keep], eh_start[keep]
    early_help = pd.DataFrame(
        {
            "earl_episode_id": _ids("H", eh_child.size),
            "earl_person_id": con.pers_id[eh_child],
            "earl_episode_start_date": _days(eh_start),
            "earl_episode_end_date": _days(eh_start + rng.integers(60, 300, eh_child.size) * DAY),
            "earl_episode_reason": rng.choice(
                ["Family support", "Parenting", "School attendance", "Health"], eh_child.size
            ),
        }
    )
    early_help.loc[early_help["earl_episode_end_date"] > pop.end, "earl_episode_end_date"] = pd.NaT
    return early_help


def _referrals(
    rng: np.random.Generator, pop: _Population, adv: _Adversity, con: _Contacts
) -> tuple[pd.DataFrame, _Referrals]:
    """Referrals follow most contacts; the primary need is abuse or neglect (N1) where the child has suffered it."""
    is_ref = rng.random(con.child.size) < 0.65
    r_child, r_date = con.child[is_ref], con.date[is_ref] + rng.integers(0, 5, is_ref.sum()) * DAY
    keep = pop.live(r_child, r_date)
    r_child, r_date = r_child[keep], r_date[keep]
    nr = r_child.size
    abuse = np.logical_or.reduce(
        [
            adv.has[d][r_child] & (adv.onset[d][r_child] <= r_date)
            for d in ("neglect", "emotional_abuse", "physical_abuse", "sexual_abuse", "domestic_abuse")
        ]
    )
    # N3 and N8 are left out: the coding frame reads them as adversity, which the generator does not track
    need = np.where(
        abuse,
        "N1",
        rng.choice(
            ["N2", "N9", "N4", "N5", "N6", "N7", "N0", "N0"], nr, p=[0.12, 0.15, 0.3, 0.25, 0.06, 0.04, 0.04, 0.04]
        ),
    )
    ref_id = _ids("R", nr)
    referrals = pd.DataFrame(
        {
            "cine_referral_id": ref_id,
            "cine_person_id": con.pers_id[r_child],
            "cine_referral_date": _days(r_date),
            "cine_cin_primary_need_code": need,
            "cine_referral_source_code": rng.choice(["6", "2A", "3B", "3A", "1A", "5A"], nr),
            "cine_close_date": _days(r_date + rng.integers(20, 400, nr) * DAY),
        }
    )
    referrals.loc[referrals["cine_close_date"] > pop.end, "cine_close_date"] = pd.NaT
    return referrals, _Referrals(r_child, r_date, ref_id)


def _assessments(
    rng: np.random.Generator, pop: _Population, con: _Contacts, ref: _Referrals
) -> tuple[pd.DataFrame, _Assessments]:
    """An assessment follows most referrals, authorised within about six weeks."""
    is_asm = rng.random(ref.child.size) < 0.85
    a_ref = np.flatnonzero(is_asm)
    a_child = ref.child[a_ref]
    a_start = ref.date[a_ref] + rng.integers(0, 10, a_ref.size) * DAY
    a_auth = a_start + rng.integers(10, 45, a_ref.size) * DAY
    keep = pop.live(a_child, a_auth)
    a_ref, a_child, a_start, a_auth = a_ref[keep], a_child[keep], a_start[keep], a_auth[keep]
    asm = _Assessments(_ids("A", a_ref.size), a_child, con.pers_id[a_child], ref.ids[a_ref], a_start, a_auth)
    assessments = pd.DataFrame(
        {
            "cina_assessment_id": asm.ids,
            "cina_person_id": asm.person_id,
            "cina_referral_id": asm.referral_id,
            "cina_assessment_start_date": _days(a_start),
            "cina_assessment_auth_date": _days(a_auth),
        }
    )
    return assessments, asm


def _factors(
    rng: np.random.Generator, adv: _Adversity, asm: _Assessments
) -> tuple[pd.DataFrame, dict[str, np.ndarray], list[list[str]]]:
    """Each experienced coded domain with onset before the assessment is recorded with probability 0.85 (in the
    codes of the collection year); an assessment that finds none records 21 (no factors) or an unrelated factor.
    Returns the table, the domains found by each assessment, and the codes recorded at each."""
    na = asm.child.size
    year = _collection_year(asm.auth)
    found = {d: adv.has[d][asm.child] & (adv.onset[d][asm.child] <= asm.auth) & (rng.random(na) < 0.85) for d in CODED}
    factor_lists: list[list[str]] = [[] for _ in range(na)]
    also_3a = rng.random(na) < 0.4
    for d in CODED:
        for i in np.flatnonzero(found[d]):
            c = FACTOR_CODE[d]
            if year[i] <= 2020 and d in ("physical_abuse", "sexual_abuse"):
                c = {"physical_abuse": "18A", "sexual_abuse": "19A"}[d]
            factor_lists[i].append(c)
            if d == "domestic_abuse" and also_3a[i]:
                factor_lists[i].append("3A")
    extra = rng.random(na)
    other = rng.choice(["20", "6B", "5B", "14A"], na)
    for i in range(na):
        if not factor_lists[i]:
            factor_lists[i].append("21" if extra[i] < 0.6 else str(other[i]))
    factors = pd.DataFrame(
        {
            "cinf_table_id": _ids("F", na),
            "cinf_assessment_id": asm.ids,
            "cinf_assessment_factors_json": [json.dumps(sorted(f)) for f in factor_lists],
        }
    )
    return factors, found, factor_lists


def _cin_plans(rng: np.random.Generator, pop: _Population, asm: _Assessments) -> pd.DataFrame:
    """CIN plans after some assessments."""
    cin = np.flatnonzero(rng.random(asm.child.size) < 0.3)
    cin_start = asm.auth[cin] + rng.integers(3, 20, cin.size) * DAY
    keep = pop.live(asm.child[cin], cin_start)
    cin, cin_start = cin[keep], cin_start[keep]
    cin_plans = pd.DataFrame(
        {
            "cinp_cin_plan_id": _ids("I", cin.size),
            "cinp_referral_id": asm.referral_id[cin],
            "cinp_person_id": asm.person_id[cin],
            "cinp_cin_plan_start_date": _days(cin_start),
            "cinp_cin_plan_end_date": _days(cin_start + rng.integers(90, 500, cin.size) * DAY),
        }
    )
    cin_plans.loc[cin_plans["cinp_cin_plan_end_date"] > pop.end, "cinp_cin_plan_end_date"] = pd.NaT
    return cin_plans


def _cp_domain(found: dict[str, np.ndarray], na: int) -> np.ndarray:
    """By assessment, the abuse or neglect a child protection plan would be for: the first found of sexual,
    physical and emotional abuse and neglect, in that order; "" where none was found."""
    cp_dom = np.full(na, "", dtype=object)
    for d in ("sexual_abuse", "physical_abuse", "emotional_abuse", "neglect"):
        cp_dom[(cp_dom == "") & found[d]] = d
    return cp_dom


def _s47_enquiries(
    rng: np.random.Generator, pop: _Population, asm: _Assessments, cp_dom: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Section 47 enquiries after most assessments that found abuse or neglect; returns the table and the
    assessments that had one."""
    s47 = np.flatnonzero((cp_dom != "") & (rng.random(asm.child.size) < 0.7))
    s47_start = asm.start[s47] + rng.integers(0, 5, s47.size) * DAY
    keep = pop.live(asm.child[s47], s47_start)
    s47, s47_start = s47[keep], s47_start[keep]
    s47_enquiry = pd.DataFrame(
        {
            "s47e_s47_enquiry_id": _ids("Y", s47.size),
            "s47e_referral_id": asm.referral_id[s47],
            "s47e_person_id": asm.person_id[s47],
            "s47e_s47_start_date": _days(s47_start),
            "s47e_s47_end_date": _days(s47_start + rng.integers(5, 30, s47.size) * DAY),
        }
    )
    s47_enquiry.loc[s47_enquiry["s47e_s47_end_date"] > pop.end, "s47e_s47_end_date"] = pd.NaT
    return s47_enquiry, s47


def _cp_plans(
    rng: np.random.Generator, pop: _Population, asm: _Assessments, cp_dom: np.ndarray, s47: np.ndarray
) -> tuple[pd.DataFrame, _CPPlans]:
    """Child protection plans after most section 47 enquiries, categorised by the abuse or neglect found."""
    cp_i = s47[rng.random(s47.size) < 0.6]
    cp_start = asm.auth[cp_i] + rng.integers(10, 30, cp_i.size) * DAY
    keep = pop.live(asm.child[cp_i], cp_start)
    cp_i, cp_start = cp_i[keep], cp_start[keep]
    cp_cat = np.array([CP_CATEGORY[d] for d in cp_dom[cp_i]], dtype=object)
    cp_plans = pd.DataFrame(
        {
            "cppl_cp_plan_id": _ids("CP", cp_i.size),
            "cppl_referral_id": asm.referral_id[cp_i],
            "cppl_person_id": asm.person_id[cp_i],
            "cppl_cp_plan_start_date": _days(cp_start),
            "cppl_cp_plan_end_date": _days(cp_start + rng.integers(90, 600, cp_i.size) * DAY),
            "cppl_cp_plan_initial_category": cp_cat,
            "cppl_cp_plan_latest_category": cp_cat,
        }
    )
    cp_plans.loc[cp_plans["cppl_cp_plan_end_date"] > pop.end, "cppl_cp_plan_end_date"] = pd.NaT
    return cp_plans, _CPPlans(cp_i, cp_start, cp_dom[cp_i])


def _cla_episodes(
    rng: np.random.Generator, pop: _Population, con: _Contacts, asm: _Assessments, cp: _CPPlans
) -> tuple[pd.DataFrame, np.ndarray]:
    """A few children on a child protection plan later become looked after. Also returns the referral each
    episode followed, which the truth needs and the extract cannot carry."""
    is_cla = rng.random(cp.assessment.size) < 0.15
    cla_child = asm.child[cp.assessment[is_cla]]
    cla_start = cp.start[is_cla] + rng.integers(30, 300, is_cla.sum()) * DAY
    keep = pop.live(cla_child, cla_start)
    episodes = pd.DataFrame(
        {
            "clae_cla_episode_id": _ids("L", int(keep.sum())),
            "clae_person_id": con.pers_id[cla_child[keep]],
            "clae_cla_episode_start_date": _days(cla_start[keep]),
            "clae_cla_primary_need_code": "N1",
            "clae_cla_episode_ceased_date": pd.NaT,
        }
    )
    return episodes, asm.referral_id[cp.assessment[is_cla][keep]]


# --- SEND ---------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Requests:
    """EHC needs assessment requests (arrays by request, ordered by child then date) and the SEN2 person ids."""

    child: np.ndarray
    date: np.ndarray
    ids: np.ndarray
    outcome: np.ndarray
    sen_id: np.ndarray  # by child; "" for children with no request
    children: np.ndarray  # the children with at least one request
    latent_child: np.ndarray | None = None  # every request a child would make, had the records no window or end
    latent_date: np.ndarray | None = None


@dataclasses.dataclass
class _SendAssessments:
    """EHC needs assessments (arrays by assessment)."""

    request: np.ndarray  # the request (row in _Requests) assessed
    date: np.ndarray
    outcome: np.ndarray
    ids: np.ndarray


@dataclasses.dataclass
class _Send:
    """The SEN2 tables but the person table (made with the identifier noise), and the requests behind them."""

    tables: dict[str, pd.DataFrame]
    requests: _Requests


def _send(rng: np.random.Generator, pop: _Population, adv: _Adversity) -> _Send:
    """Requests for an EHC needs assessment, the assessments, the plans issued, and the needs of active plans."""
    requests, req = _requests(rng, pop, adv)
    assessment, asm = _send_assessments(rng, pop, req)
    named_plan, active = _named_plans(rng, pop, asm)
    active_plans, sen_need = _active_plans(rng, pop, adv, req, asm, active)
    tables = {
        "sen2_requests": requests,
        "sen2_assessment": assessment,
        "sen2_named_plan": named_plan,
        "sen2_active_plans": active_plans,
        "sen2_sen_need": sen_need,
    }
    return _Send(tables, req)


def _request_dates(rng: np.random.Generator, pop: _Population, adv: _Adversity) -> tuple[np.ndarray, ...]:
    """The child and date of each request, ordered by child then date. Adversity before five raises the chance of a
    request, boys are likelier than girls to have one, and a few children have a second. Also the latent requests
    (child, date): every one the trend lets through, in the window or not, which the landmark truth needs."""
    n, dob = pop.n, pop.dob
    p_request = np.where(adv.any_early, 0.30, 0.11) * np.where(pop.sex == "M", 1.3, 0.7)
    wants = rng.random(n) < p_request
    req_age = np.clip(rng.normal(7.0, 3.2, n), 2.0, 17.5)
    req_date = dob + (req_age * YEAR_DAYS).astype(int) * DAY
    second = wants & (rng.random(n) < 0.08)
    q_child = np.concatenate([np.flatnonzero(wants), np.flatnonzero(second)])
    q_date = np.concatenate([req_date[wants], req_date[second] + rng.integers(200, 900, second.sum()) * DAY])
    # requests have risen year on year nationally (82,000 in 2019, 154,000 in 2024): thin the earlier years
    trend = np.clip(0.5 + 0.05 * (pd.DatetimeIndex(q_date).year.to_numpy() - 2016), 0.3, 1.0)
    happens = rng.random(q_child.size) < trend
    keep = pop.live(q_child, q_date) & happens
    latent_child, latent_date = q_child[happens], q_date[happens]
    q_child, q_date = q_child[keep], q_date[keep]
    order = np.lexsort((q_date, q_child))
    return q_child[order], q_date[order], latent_child, latent_date


def _requests(rng: np.random.Generator, pop: _Population, adv: _Adversity) -> tuple[pd.DataFrame, _Requests]:
    """Requests and their outcomes, with the latent requests behind them."""
    q_child, q_date, latent_child, latent_date = _request_dates(rng, pop, adv)
    requests, req = _request_table(rng, pop, q_child, q_date)
    req.latent_child, req.latent_date = latent_child, latent_date
    return requests, req


def _request_table(
    rng: np.random.Generator, pop: _Population, q_child: np.ndarray, q_date: np.ndarray
) -> tuple[pd.DataFrame, _Requests]:
    """The requests table: most are agreed; those not yet decided by the extract date are pending (A)."""
    nq = q_child.size
    send_children = np.unique(q_child)
    sen_id = np.full(pop.n, "", dtype=object)
    sen_id[send_children] = _ids("S", send_children.size)
    q_outcome_date = q_date + rng.integers(20, 42, nq) * DAY
    undecided = q_outcome_date > pop.end
    q_outcome = np.where(undecided, "A", np.where(rng.random(nq) < 0.78, "Y", "N"))
    req_id = _ids("Q", nq)
    requests = pd.DataFrame(
        {
            "requests_table_id": req_id,
            "person_table_id": sen_id[q_child],
            "received_date": _days(q_date),
            "request_source": rng.choice(["Parent", "School", "Health", "Other"], nq, p=[0.45, 0.4, 0.1, 0.05]),
            "request_outcome": q_outcome,
            "request_outcome_date": _days(q_outcome_date),
        }
    )
    requests.loc[undecided, "request_outcome_date"] = pd.NaT
    return requests, _Requests(q_child, q_date, req_id, q_outcome, sen_id, send_children)


def _send_assessments(
    rng: np.random.Generator, pop: _Population, req: _Requests
) -> tuple[pd.DataFrame, _SendAssessments]:
    """An assessment for each agreed request; most end in a plan (Y), those still running are pending (A)."""
    assessed = np.flatnonzero(req.outcome == "Y")
    as_date = req.date[assessed] + rng.integers(84, 210, assessed.size) * DAY
    as_outcome = np.where(as_date > pop.end, "A", np.where(rng.random(assessed.size) < 0.92, "Y", "N"))
    as_id = _ids("E", assessed.size)
    assessment = pd.DataFrame(
        {
            "assessment_table_id": as_id,
            "requests_table_id": req.ids[assessed],
            "assessment_outcome": as_outcome,
            "assessment_outcome_date": _days(as_date),
            "week20": np.where(rng.random(assessed.size) < 0.05, "1", "0"),
        }
    )
    assessment.loc[as_outcome == "A", "assessment_outcome_date"] = pd.NaT
    return assessment, _SendAssessments(assessed, as_date, as_outcome, as_id)


def _named_plans(rng: np.random.Generator, pop: _Population, asm: _SendAssessments) -> tuple[pd.DataFrame, np.ndarray]:
    """Plans issued; a few cease (most often the child leaving the area); the rest are active at the census.
    Returns the table and the assessments (rows in _SendAssessments) whose plans are still active."""
    issued = np.flatnonzero(asm.outcome == "Y")
    plan_start = asm.date[issued]
    ceases = rng.random(issued.size) < 0.06
    cease = np.where(ceases, plan_start + rng.integers(200, 1500, issued.size) * DAY, NEVER)
    cease = np.where(cease > pop.end, NEVER, cease)
    named_plan = pd.DataFrame(
        {
            "named_plan_table_id": _ids("NP", issued.size),
            "assessment_table_id": asm.ids[issued],
            "start_date": _days(plan_start),
            "cease_date": _days(cease),
            "cease_reason": np.where(cease < NEVER, rng.choice(["2", "5", "7", "9"], issued.size), None),
        }
    )
    named_plan.loc[cease == NEVER, "cease_date"] = pd.NaT
    return named_plan, issued[cease == NEVER]


def _active_plans(
    rng: np.random.Generator,
    pop: _Population,
    adv: _Adversity,
    req: _Requests,
    asm: _SendAssessments,
    active: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Active plans and their type of need: adversity before five shifts need towards SEMH; four in ten plans
    also record a secondary need."""
    ap_id = _ids("AP", active.size)
    active_plans = pd.DataFrame(
        {
            "active_plans_table_id": ap_id,
            "requests_table_id": req.ids[asm.request[active]],
            "last_review": _days(np.minimum(asm.date[active] + 365 * DAY, pop.end)),
        }
    )
    ap_child = req.child[asm.request[active]]
    primary = _pick(rng, NEED_P, active.size, adv.any_early[ap_child], 2.0, "SEMH")
    has_second = rng.random(active.size) < 0.4
    secondary = _pick(rng, NEED_P, active.size)
    has_second &= secondary != primary
    sen_need = pd.DataFrame(
        {
            "active_plans_table_id": np.concatenate([ap_id, ap_id[has_second]]),
            "sen_type": np.concatenate([primary, secondary[has_second]]),
            "sen_type_rank": np.concatenate([np.full(active.size, "1"), np.full(has_second.sum(), "2")]),
        }
    ).sort_values(["active_plans_table_id", "sen_type_rank"], ignore_index=True)
    sen_need.insert(0, "sen_need_table_id", _ids("N", len(sen_need)))
    return active_plans, sen_need


# --- noise: the person tables, with the errors and gaps real identifiers have ---------------------------------------


def _identifiers(
    rng: np.random.Generator, pop: _Population, con: _Contacts, req: _Requests
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The SEN2 and CSC person tables. The two sides share the child's UPN, which is all linkage can rely on when
    names, birth dates and postcodes disagree."""
    sen2_person, upn = _sen2_person(rng, pop, req)
    return sen2_person, _ssd_person(rng, pop, con, upn)


def _sen2_person(rng: np.random.Generator, pop: _Population, req: _Requests) -> tuple[pd.DataFrame, np.ndarray]:
    """SEN2 identifiers with typing errors, name variants, house moves, transposed birth dates, and UPNs missing
    before school age. Also returns every child's UPN (by child), drawn here."""
    children = req.children
    first_req = pd.Series(req.date).groupby(req.child).min()
    age_at_first_req = (first_req.to_numpy() - pop.dob[children]) / DAY / YEAR_DAYS
    m = children.size
    s_fore = pop.forename[children].astype(object)
    s_sur = pop.surname[children].astype(object)
    typo = rng.random(m) < 0.03
    s_sur[typo] = _typo(s_sur[typo], rng)
    variant = rng.random(m) < 0.03
    s_fore[variant] = [NICKNAMES.get(f, f) for f in s_fore[variant]]
    s_dob = pop.dob[children].copy()
    swap = rng.random(m) < 0.01
    s_dob[swap] = _swap_day_month(s_dob[swap])
    s_post = np.where(rng.random(m) < 0.15, _postcodes(rng, m), pop.postcode[children])
    s_upn_known = (age_at_first_req >= 4) & (rng.random(m) < 0.97)
    upn = np.char.add("A", np.char.zfill(rng.permutation(pop.n).astype(str), 12))
    sen2_person = pd.DataFrame(
        {
            "person_table_id": req.sen_id[children],
            "upn": np.where(s_upn_known, upn[children], None),
            "upn_unknown": np.where(s_upn_known, None, np.where(age_at_first_req < 6, "UN1", "UN2")),
            "forename": s_fore,
            "surname": s_sur,
            "person_birth_date": _days(s_dob),
            "sex": pop.sex[children],
            "ethnicity": rng.choice(ETHNICITY, m, p=ETHNICITY_P),
            "postcode": s_post,
        }
    )
    return sen2_person, upn


def _ssd_person(rng: np.random.Generator, pop: _Population, con: _Contacts, upn: np.ndarray) -> pd.DataFrame:
    """CSC person records: UPNs are mostly missing for children first known before school age."""
    children = con.csc_children
    age_first_known = (con.first_known[children] - pop.dob[children]) / DAY / YEAR_DAYS
    p_upn = np.where(age_first_known >= 5, 0.8, 0.1)
    return pd.DataFrame(
        {
            "pers_person_id": con.pers_id[children],
            "pers_upn": np.where(rng.random(children.size) < p_upn, upn[children], None),
            "pers_forename": pop.forename[children],
            "pers_surname": pop.surname[children],
            "pers_sex": pop.sex[children],
            "pers_ethnicity": rng.choice(ETHNICITY, children.size, p=ETHNICITY_P),
            "pers_dob": _days(pop.dob[children]),
            "pers_postcode": pop.postcode[children],
        }
    )


def _postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Postcodes in the fictional ZZ area (never a real one)."""
    district = np.char.add("ZZ", rng.integers(1, 99, n).astype(str))
    unit = np.char.add(rng.integers(1, 9, n).astype(str), rng.choice(list("ABDEFGHJLNPQRSTUWXYZ"), n))
    unit = np.char.add(unit, rng.choice(list("ABDEFGHJLNPQRSTUWXYZ"), n))
    return np.char.add(np.char.add(district, " "), unit)


def _swap_day_month(dates: np.ndarray) -> np.ndarray:
    """Transpose day and month where that gives a valid date: a common keying error."""
    d = pd.DatetimeIndex(dates)
    swapped = pd.to_datetime({"year": d.year, "month": d.day.where(d.day <= 12, d.month), "day": d.month})
    return swapped.to_numpy().astype("datetime64[D]")


# --- ground truth -------------------------------------------------------------------------------------------------


def _truth(
    pop: _Population, adv: _Adversity, care: _SocialCare, req: _Requests, review: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], dict]:
    """What the generator knows and an analysis has to find out: who is who on the two sides, when adversity
    began, when the records first documented it, and the reference-study measures."""
    documented = _documented_events(care, review)
    truth_measures = _truth_measures(req.child, req.date, pop.dob, care.contacts.first_known, documented, pop.start)
    return {**_truth_links(pop, adv, care.contacts, req), "documented_adversity": documented}, truth_measures


def _truth_links(pop: _Population, adv: _Adversity, con: _Contacts, req: _Requests) -> dict[str, pd.DataFrame]:
    """Who is who on the two sides (person_links) and when each child's adversity began (adversity_onset)."""
    both = np.intersect1d(req.children, con.csc_children)
    links = pd.DataFrame(
        {
            "pers_person_id": con.pers_id[both],
            "person_table_id": req.sen_id[both],
            "age_first_known_to_csc": (con.first_known[both] - pop.dob[both]) / DAY / YEAR_DAYS,
        }
    )
    onset_df = pd.concat(
        [
            pd.DataFrame(
                {"child": np.flatnonzero(adv.has[d]), "domain": d, "onset_date": _days(adv.onset[d][adv.has[d]])}
            )
            for d in DOMAINS
        ],
        ignore_index=True,
    )
    onset_df["pers_person_id"] = con.pers_id[onset_df["child"]]
    onset_df["person_table_id"] = req.sen_id[onset_df["child"]]
    return {"person_links": links, "adversity_onset": onset_df.drop(columns="child")}


def _documented_events(care: _SocialCare, review: pd.DataFrame) -> pd.DataFrame:
    """Adversity as the records document it (child index, domain, date), tracked by the generator itself."""
    asm, cp = care.assessments, care.cp
    fa = [
        (asm.child[i], CODE_DOMAIN[c], asm.auth[i])
        for i, codes_ in enumerate(care.factor_lists)
        for c in codes_
        if c in CODE_DOMAIN
    ]
    parts = [
        pd.DataFrame(fa, columns=["child", "domain", "date"]),
        pd.DataFrame({"child": asm.child[cp.assessment], "domain": cp.domain, "date": _days(cp.start)}),
    ]
    index_of = {p: i for i, p in enumerate(care.contacts.pers_id) if p}
    parts.append(
        pd.DataFrame(
            {
                "child": review["person_id"].map(index_of),
                "domain": review["adversity_type"],
                "date": review["date_first_documented"].to_numpy(),
            }
        )
    )
    out = pd.concat(parts, ignore_index=True)
    out["date"] = out["date"].astype("datetime64[ns]")
    return out


def _truth_measures(q_child, q_date, dob, first_known, documented, start) -> dict:
    """The three reference-study measures computed from the generator's own knowledge of who is who."""
    first = pd.DataFrame({"child": q_child, "date": q_date}).groupby("child")["date"].min()
    known = (first_known[first.index] < first.to_numpy()).sum()
    ev = documented.merge(first.rename("index_date"), left_on="child", right_index=True)
    ev = ev[ev["date"] < ev["index_date"]]
    first_adv = ev.groupby("child")["date"].min()
    age = (first_adv.to_numpy().astype("datetime64[D]") - dob[first_adv.index]) / DAY / YEAR_DAYS
    dom = ev.drop_duplicates(["child", "domain"])["domain"].value_counts()
    return {
        "cohort": int(first.size),
        "known_to_csc": int(known),
        "with_adversity": int(first_adv.size),
        "first_adversity_before_5": int((age < 5).sum()),
        "domains": {k: int(v) for k, v in dom.items()},
    }


# The primary needs that are adversity (N1 names no kind: the factors and categories carry it); the generator writes
# neither N3 nor N8, so no primary need it writes documents adversity.
NEED_DOMAIN = {"N3": "parental_disability_or_illness", "N8": "other"}
GENERATOR_CODES = headlines.Codes(CODE_DOMAIN, {v: k for k, v in CP_CATEGORY.items()}, NEED_DOMAIN)


def _knowledge(
    pop: _Population,
    care: _SocialCare,
    req: _Requests,
    tables: dict[str, pd.DataFrame],
    entry: np.ndarray,
    records_start: np.datetime64,
) -> headlines.Knowledge:
    """What the issue 16 truths are computed from: the generator's own arrays and the tables it wrote, read with
    its knowledge of who each record belongs to."""
    child_of_pers = {p: i for i, p in enumerate(care.contacts.pers_id) if p}
    child_of_sen = {s: i for i, s in enumerate(req.sen_id) if s}
    return headlines.Knowledge(
        dob=_days(pop.dob),
        entry=_days(entry),
        exit=_days(pop.exit_date),
        latent_exit=_days(pop.latent_exit),
        study_start=np.datetime64(pop.start, "D"),
        records_start=np.datetime64(records_start, "D"),
        extract_date=np.datetime64(pop.end, "D"),
        requests=pd.DataFrame({"child": req.child, "date": _days(req.date)}),
        latent_requests=pd.DataFrame({"child": req.latent_child, "date": _days(req.latent_date)}),
        csc=headlines.csc_events(tables, child_of_pers, care.cla_referral),
        documented=headlines.documented_events(tables, child_of_pers, child_of_sen, GENERATOR_CODES),
        population_table="population" in tables,
    )


def truth_params(truths: dict, **more) -> dict:
    """The run parameters an authority's truths were computed for (a fragment: no name, code or extract)."""
    window = truths["study_window"]
    return {
        "study_window": dict(window),
        "records_start": truths["records_start"],
        "horizon_age": truths["landmark"]["horizon_age"],
        **more,
    }
