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
    """Generate a synthetic LA of `children` children with `years` years of records up to `extract_date`."""
    rng = np.random.default_rng(seed)
    end = np.datetime64(extract_date, "D")
    start = np.datetime64(
        dt.date(extract_date.year - years, extract_date.month, extract_date.day) + dt.timedelta(days=1)
    )
    never = np.datetime64("2100-01-01", "D")
    n = children

    # --- the population: birth dates so that every child is under 18 at some point in the window
    earliest_dob = start - np.timedelta64(int(14 * YEAR_DAYS), "D")
    dob = earliest_dob + rng.integers(0, int((end - earliest_dob) / DAY) - 30, n) * DAY
    sex = np.where(rng.random(n) < 0.51, "M", "F")
    (girls, p_girls), (boys, p_boys) = (_name_pool(FORENAMES[s], FORENAME_TAIL[s], 0.3) for s in ("F", "M"))
    forename = np.where(sex == "F", rng.choice(girls, n, p=p_girls), rng.choice(boys, n, p=p_boys))
    surnames, p_surnames = _name_pool(SURNAMES, SURNAME_TAIL, 0.2)
    surname = rng.choice(surnames, n, p=p_surnames)
    postcode = _postcodes(rng, n)
    # some children leave the area during the window; nothing is recorded for them after they leave
    leaves = rng.random(n) < 0.08
    exit_date = np.where(leaves, np.maximum(start, dob) + rng.integers(30, int(years * YEAR_DAYS), n) * DAY, never)
    exit_date = np.where(exit_date > end, never, exit_date)

    def live(child: np.ndarray, date: np.ndarray) -> np.ndarray:
        """Events that fall in the window, after birth and before the child left."""
        return (date >= start) & (date <= end) & (date >= dob[child]) & (date < exit_date[child])

    # --- experienced adversity: a family risk raises every domain; onset mostly in early childhood
    high_risk = rng.random(n) < 0.2
    imd = np.where(high_risk, rng.integers(1, 6, n), rng.integers(1, 11, n))
    family_onset = rng.gamma(1.4, 2.2, n) * YEAR_DAYS  # days after birth
    has, onset = {}, {}
    for d, p in DOMAINS.items():
        has[d] = rng.random(n) < np.where(high_risk, min(0.9, p * 4.5), p * 0.4)
        onset[d] = dob + np.clip(family_onset + rng.normal(0, 200, n), 0, 16 * YEAR_DAYS).astype(int) * DAY
    coded = [d for d in DOMAINS if d not in REVIEW_ONLY]
    any_coded = np.logical_or.reduce([has[d] for d in coded])
    first_coded_onset = np.min(np.stack([np.where(has[d], onset[d], never) for d in coded]), axis=0)
    any_early = np.logical_or.reduce([has[d] & (onset[d] < dob + int(5 * YEAR_DAYS) * DAY) for d in DOMAINS])

    # --- social care: children with coded adversity are usually referred soon after onset; some others are too
    known = (any_coded & (rng.random(n) < 0.85)) | (~any_coded & (rng.random(n) < 0.15))
    first_contact = np.where(any_coded, first_coded_onset, dob + rng.integers(0, int(12 * YEAR_DAYS), n) * DAY)
    first_contact = first_contact + rng.gamma(1.2, 120, n).astype(int) * DAY
    n_contacts = np.where(known, 1 + rng.poisson(np.where(any_coded, 1.3, 0.3)), 0)
    c_child = np.repeat(np.arange(n), n_contacts)
    c_order = np.arange(c_child.size) - np.repeat(np.cumsum(n_contacts) - n_contacts, n_contacts)
    c_date = first_contact[c_child] + (c_order * rng.integers(120, 700, c_child.size)) * DAY
    keep = live(c_child, c_date)
    c_child, c_date = c_child[keep], c_date[keep]
    nc = c_child.size

    csc_children = np.unique(c_child)
    pers_id = np.full(n, "", dtype=object)
    pers_id[csc_children] = _ids("P", csc_children.size)
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

    # early help: offered to some families at the first contact instead of, or as well as, a referral
    eh = rng.random(nc) < 0.2
    eh_child, eh_start = c_child[eh], c_date[eh] + rng.integers(5, 40, eh.sum()) * DAY
    keep = live(eh_child, eh_start)
    eh_child, eh_start = eh_child[keep], eh_start[keep]
    early_help = pd.DataFrame(
        {
            "earl_episode_id": _ids("H", eh_child.size),
            "earl_person_id": pers_id[eh_child],
            "earl_episode_start_date": _days(eh_start),
            "earl_episode_end_date": _days(eh_start + rng.integers(60, 300, eh_child.size) * DAY),
            "earl_episode_reason": rng.choice(
                ["Family support", "Parenting", "School attendance", "Health"], eh_child.size
            ),
        }
    )
    early_help.loc[early_help["earl_episode_end_date"] > end, "earl_episode_end_date"] = pd.NaT

    # referrals follow most contacts; assessments most referrals
    is_ref = rng.random(nc) < 0.65
    r_child, r_date = c_child[is_ref], c_date[is_ref] + rng.integers(0, 5, is_ref.sum()) * DAY
    keep = live(r_child, r_date)
    r_child, r_date = r_child[keep], r_date[keep]
    nr = r_child.size
    abuse = np.logical_or.reduce(
        [
            has[d][r_child] & (onset[d][r_child] <= r_date)
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
            "cine_person_id": pers_id[r_child],
            "cine_referral_date": _days(r_date),
            "cine_cin_primary_need_code": need,
            "cine_referral_source_code": rng.choice(["6", "2A", "3B", "3A", "1A", "5A"], nr),
            "cine_close_date": _days(r_date + rng.integers(20, 400, nr) * DAY),
        }
    )
    referrals.loc[referrals["cine_close_date"] > end, "cine_close_date"] = pd.NaT

    is_asm = rng.random(nr) < 0.85
    a_ref = np.flatnonzero(is_asm)
    a_child = r_child[a_ref]
    a_start = r_date[a_ref] + rng.integers(0, 10, a_ref.size) * DAY
    a_auth = a_start + rng.integers(10, 45, a_ref.size) * DAY
    keep = live(a_child, a_auth)
    a_ref, a_child, a_start, a_auth = a_ref[keep], a_child[keep], a_start[keep], a_auth[keep]
    na = a_ref.size
    asm_id = _ids("A", na)
    assessments = pd.DataFrame(
        {
            "cina_assessment_id": asm_id,
            "cina_person_id": pers_id[a_child],
            "cina_referral_id": ref_id[a_ref],
            "cina_assessment_start_date": _days(a_start),
            "cina_assessment_auth_date": _days(a_auth),
        }
    )

    # factors: each experienced coded domain with onset before the assessment is recorded with probability 0.85
    year = _collection_year(a_auth)
    found = {d: has[d][a_child] & (onset[d][a_child] <= a_auth) & (rng.random(na) < 0.85) for d in coded}
    factor_lists: list[list[str]] = [[] for _ in range(na)]
    also_3a = rng.random(na) < 0.4
    for d in coded:
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
            "cinf_assessment_id": asm_id,
            "cinf_assessment_factors_json": [json.dumps(sorted(f)) for f in factor_lists],
        }
    )

    # CIN plans after some assessments; section 47 enquiries and CP plans for abuse or neglect found
    cin = np.flatnonzero(rng.random(na) < 0.3)
    cin_start = a_auth[cin] + rng.integers(3, 20, cin.size) * DAY
    keep = live(a_child[cin], cin_start)
    cin, cin_start = cin[keep], cin_start[keep]
    cin_plans = pd.DataFrame(
        {
            "cinp_cin_plan_id": _ids("I", cin.size),
            "cinp_referral_id": ref_id[a_ref[cin]],
            "cinp_person_id": pers_id[a_child[cin]],
            "cinp_cin_plan_start_date": _days(cin_start),
            "cinp_cin_plan_end_date": _days(cin_start + rng.integers(90, 500, cin.size) * DAY),
        }
    )
    cin_plans.loc[cin_plans["cinp_cin_plan_end_date"] > end, "cinp_cin_plan_end_date"] = pd.NaT
    cp_dom = np.full(na, "", dtype=object)
    for d in ("sexual_abuse", "physical_abuse", "emotional_abuse", "neglect"):
        cp_dom[(cp_dom == "") & found[d]] = d
    s47 = np.flatnonzero((cp_dom != "") & (rng.random(na) < 0.7))
    s47_start = a_start[s47] + rng.integers(0, 5, s47.size) * DAY
    keep = live(a_child[s47], s47_start)
    s47, s47_start = s47[keep], s47_start[keep]
    s47_enquiry = pd.DataFrame(
        {
            "s47e_s47_enquiry_id": _ids("Y", s47.size),
            "s47e_referral_id": ref_id[a_ref[s47]],
            "s47e_person_id": pers_id[a_child[s47]],
            "s47e_s47_start_date": _days(s47_start),
            "s47e_s47_end_date": _days(s47_start + rng.integers(5, 30, s47.size) * DAY),
        }
    )
    s47_enquiry.loc[s47_enquiry["s47e_s47_end_date"] > end, "s47e_s47_end_date"] = pd.NaT
    cp_i = s47[rng.random(s47.size) < 0.6]
    cp_start = a_auth[cp_i] + rng.integers(10, 30, cp_i.size) * DAY
    keep = live(a_child[cp_i], cp_start)
    cp_i, cp_start = cp_i[keep], cp_start[keep]
    cp_cat = np.array([CP_CATEGORY[d] for d in cp_dom[cp_i]], dtype=object)
    cp_plans = pd.DataFrame(
        {
            "cppl_cp_plan_id": _ids("CP", cp_i.size),
            "cppl_referral_id": ref_id[a_ref[cp_i]],
            "cppl_person_id": pers_id[a_child[cp_i]],
            "cppl_cp_plan_start_date": _days(cp_start),
            "cppl_cp_plan_end_date": _days(cp_start + rng.integers(90, 600, cp_i.size) * DAY),
            "cppl_cp_plan_initial_category": cp_cat,
            "cppl_cp_plan_latest_category": cp_cat,
        }
    )
    cp_plans.loc[cp_plans["cppl_cp_plan_end_date"] > end, "cppl_cp_plan_end_date"] = pd.NaT
    is_cla = rng.random(cp_i.size) < 0.15
    cla_child = a_child[cp_i[is_cla]]
    cla_start = cp_start[is_cla] + rng.integers(30, 300, is_cla.sum()) * DAY
    keep = live(cla_child, cla_start)
    cla = pd.DataFrame(
        {
            "clae_cla_episode_id": _ids("L", int(keep.sum())),
            "clae_person_id": pers_id[cla_child[keep]],
            "clae_cla_episode_start_date": _days(cla_start[keep]),
            "clae_cla_primary_need_code": "N1",
            "clae_cla_episode_ceased_date": pd.NaT,
        }
    )

    # --- SEND: adversity before five raises the chance of an EHC needs assessment request
    p_request = np.where(any_early, 0.30, 0.11) * np.where(sex == "M", 1.3, 0.7)
    wants = rng.random(n) < p_request
    req_age = np.clip(rng.normal(7.0, 3.2, n), 2.0, 17.5)
    req_date = dob + (req_age * YEAR_DAYS).astype(int) * DAY
    second = wants & (rng.random(n) < 0.08)
    q_child = np.concatenate([np.flatnonzero(wants), np.flatnonzero(second)])
    q_date = np.concatenate([req_date[wants], req_date[second] + rng.integers(200, 900, second.sum()) * DAY])
    # requests have risen year on year nationally (82,000 in 2019, 154,000 in 2024): thin the earlier years
    trend = np.clip(0.5 + 0.05 * (pd.DatetimeIndex(q_date).year.to_numpy() - 2016), 0.3, 1.0)
    keep = live(q_child, q_date) & (rng.random(q_child.size) < trend)
    q_child, q_date = q_child[keep], q_date[keep]
    order = np.lexsort((q_date, q_child))
    q_child, q_date = q_child[order], q_date[order]
    nq = q_child.size
    send_children = np.unique(q_child)
    sen_id = np.full(n, "", dtype=object)
    sen_id[send_children] = _ids("S", send_children.size)
    q_outcome_date = q_date + rng.integers(20, 42, nq) * DAY
    undecided = q_outcome_date > end
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
    assessed = np.flatnonzero(q_outcome == "Y")
    as_date = q_date[assessed] + rng.integers(84, 210, assessed.size) * DAY
    as_outcome = np.where(as_date > end, "A", np.where(rng.random(assessed.size) < 0.92, "Y", "N"))
    as_id = _ids("E", assessed.size)
    assessment = pd.DataFrame(
        {
            "assessment_table_id": as_id,
            "requests_table_id": req_id[assessed],
            "assessment_outcome": as_outcome,
            "assessment_outcome_date": _days(as_date),
            "week20": np.where(rng.random(assessed.size) < 0.05, "1", "0"),
        }
    )
    assessment.loc[as_outcome == "A", "assessment_outcome_date"] = pd.NaT

    # plans issued; a few cease (most often the child leaving the area); the rest are active at the census
    issued = np.flatnonzero(as_outcome == "Y")
    plan_start = as_date[issued]
    ceases = rng.random(issued.size) < 0.06
    cease = np.where(ceases, plan_start + rng.integers(200, 1500, issued.size) * DAY, never)
    cease = np.where(cease > end, never, cease)
    named_plan = pd.DataFrame(
        {
            "named_plan_table_id": _ids("NP", issued.size),
            "assessment_table_id": as_id[issued],
            "start_date": _days(plan_start),
            "cease_date": _days(cease),
            "cease_reason": np.where(cease < never, rng.choice(["2", "5", "7", "9"], issued.size), None),
        }
    )
    named_plan.loc[cease == never, "cease_date"] = pd.NaT
    active = issued[cease == never]
    ap_id = _ids("AP", active.size)
    active_plans = pd.DataFrame(
        {
            "active_plans_table_id": ap_id,
            "requests_table_id": req_id[assessed[active]],
            "last_review": _days(np.minimum(as_date[active] + 365 * DAY, end)),
        }
    )
    # type of need: adversity shifts need towards SEMH; four in ten plans also record a secondary need
    ap_child = q_child[assessed[active]]
    primary = _pick(rng, NEED_P, active.size, any_early[ap_child], 2.0, "SEMH")
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

    # SEN2 identifiers, with the noise real records have: typing errors, name variants, house moves,
    # transposed birth dates, and UPNs missing before school age
    first_req = pd.Series(q_date).groupby(q_child).min()
    age_at_first_req = (first_req.to_numpy() - dob[send_children]) / DAY / YEAR_DAYS
    m = send_children.size
    s_fore = forename[send_children].astype(object)
    s_sur = surname[send_children].astype(object)
    typo = rng.random(m) < 0.03
    s_sur[typo] = _typo(s_sur[typo], rng)
    variant = rng.random(m) < 0.03
    s_fore[variant] = [NICKNAMES.get(f, f) for f in s_fore[variant]]
    s_dob = dob[send_children].copy()
    swap = rng.random(m) < 0.01
    s_dob[swap] = _swap_day_month(s_dob[swap])
    s_post = np.where(rng.random(m) < 0.15, _postcodes(rng, m), postcode[send_children])
    s_upn_known = (age_at_first_req >= 4) & (rng.random(m) < 0.97)
    upn = np.char.add("A", np.char.zfill(rng.permutation(n).astype(str), 12))
    sen2_person = pd.DataFrame(
        {
            "person_table_id": sen_id[send_children],
            "upn": np.where(s_upn_known, upn[send_children], None),
            "upn_unknown": np.where(s_upn_known, None, np.where(age_at_first_req < 6, "UN1", "UN2")),
            "forename": s_fore,
            "surname": s_sur,
            "person_birth_date": _days(s_dob),
            "sex": sex[send_children],
            "ethnicity": rng.choice(ETHNICITY, m, p=ETHNICITY_P),
            "postcode": s_post,
        }
    )

    # CSC person: UPNs are mostly missing for children first known before school age
    first_known = np.full(n, never, dtype="datetime64[D]")
    np.minimum.at(first_known, c_child, _days(c_date))
    age_first_known = (first_known[csc_children] - dob[csc_children]) / DAY / YEAR_DAYS
    p_upn = np.where(age_first_known >= 5, 0.8, 0.1)
    ssd_person = pd.DataFrame(
        {
            "pers_person_id": pers_id[csc_children],
            "pers_upn": np.where(rng.random(csc_children.size) < p_upn, upn[csc_children], None),
            "pers_forename": forename[csc_children],
            "pers_surname": surname[csc_children],
            "pers_sex": sex[csc_children],
            "pers_ethnicity": rng.choice(ETHNICITY, csc_children.size, p=ETHNICITY_P),
            "pers_dob": _days(dob[csc_children]),
            "pers_postcode": postcode[csc_children],
        }
    )

    # manual case review: separation and imprisonment for children who had an EHCNA request and are known to CSC
    reviewed = np.intersect1d(send_children, csc_children)
    rows = []
    for d in REVIEW_ONLY:
        sel = reviewed[has[d][reviewed]]
        documented = np.maximum(onset[d][sel] + rng.integers(30, 400, sel.size) * DAY, start)
        ok = live(sel, documented)
        rows.append(
            pd.DataFrame(
                {
                    "person_id": pers_id[sel[ok]],
                    "adversity_type": d,
                    "date_first_documented": _days(documented[ok]),
                    "source_document_type": "case_note",
                    "reviewer": "SYN",
                }
            )
        )
    review = pd.concat(rows, ignore_index=True).sort_values(["person_id", "adversity_type"], ignore_index=True)
    review.insert(0, "review_id", _ids("V", len(review)))

    # the resident population, for denominators
    population = pd.DataFrame(
        {
            "population_id": _ids("Z", n),
            "pers_person_id": np.where(pers_id == "", None, pers_id),
            "person_table_id": np.where(sen_id == "", None, sen_id),
            "birth_date": _days(dob),
            "sex": sex,
            "imd_decile": imd.astype(str),
            "entry_date": _days(np.maximum(dob, start)),
            "exit_date": _days(exit_date),
        }
    )
    population.loc[exit_date == never, "exit_date"] = pd.NaT

    tables = {
        "ssd_person": ssd_person,
        "ssd_contacts": contacts,
        "ssd_early_help_episodes": early_help,
        "ssd_cin_episodes": referrals,
        "ssd_cin_assessments": assessments,
        "ssd_assessment_factors": factors,
        "ssd_cin_plans": cin_plans,
        "ssd_s47_enquiry": s47_enquiry,
        "ssd_cp_plans": cp_plans,
        "ssd_cla_episodes": cla,
        "sen2_person": sen2_person,
        "sen2_requests": requests,
        "sen2_assessment": assessment,
        "sen2_named_plan": named_plan,
        "sen2_active_plans": active_plans,
        "sen2_sen_need": sen_need,
        "adversity_review": review,
        "population": population,
    }
    for name, frame in tables.items():
        tables[name] = frame[schema.TABLE[name].column_names]

    # --- ground truth
    both = np.intersect1d(send_children, csc_children)
    links = pd.DataFrame(
        {
            "pers_person_id": pers_id[both],
            "person_table_id": sen_id[both],
            "age_first_known_to_csc": (first_known[both] - dob[both]) / DAY / YEAR_DAYS,
        }
    )
    onset_df = pd.concat(
        [
            pd.DataFrame({"child": np.flatnonzero(has[d]), "domain": d, "onset_date": _days(onset[d][has[d]])})
            for d in DOMAINS
        ],
        ignore_index=True,
    )
    onset_df["pers_person_id"] = pers_id[onset_df["child"]]
    onset_df["person_table_id"] = sen_id[onset_df["child"]]
    documented = _documented_events(pers_id, a_child, a_auth, factor_lists, cp_i, cp_start, cp_dom, review)
    truth_measures = _truth_measures(q_child, q_date, dob, first_known, documented, start)
    truth = {
        "person_links": links,
        "adversity_onset": onset_df.drop(columns="child"),
        "documented_adversity": documented,
    }
    return SyntheticLA(tables, truth, truth_measures, extract_date)


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


def _documented_events(pers_id, a_child, a_auth, factor_lists, cp_i, cp_start, cp_dom, review) -> pd.DataFrame:
    """Adversity as the records document it (child index, domain, date), tracked by the generator itself."""
    fa = [
        (a_child[i], CODE_DOMAIN[c], a_auth[i])
        for i, codes_ in enumerate(factor_lists)
        for c in codes_
        if c in CODE_DOMAIN
    ]
    parts = [
        pd.DataFrame(fa, columns=["child", "domain", "date"]),
        pd.DataFrame({"child": a_child[cp_i], "domain": cp_dom[cp_i], "date": _days(cp_start)}),
    ]
    index_of = {p: i for i, p in enumerate(pers_id) if p}
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
