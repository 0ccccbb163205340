"""Person records as hard to link as real ones, for back tests of the linkage (`synth --linkage hard`).

The generators give the two sides of an authority (social care and SEND) a tidy authority's noise: a UPN shared by
most school-age children and a few typing errors. `harden` takes a generated authority and makes its identifiers as
awkward as real records are: no crosswalk of SEND person ids, UPNs missing on either side, nicknames and other
spellings, accents kept by one system and lost by the other, double-barrelled and changed surnames, mistyped birth
dates, house moves, twins who share everything but a forename, and the commonest names. Which children met which
difficulty is written to truth/linkage_cases.csv, so that a back test can score the linkage case by case.

Only identifiers change: no event, id or adversity moves. A twin's birth date is moved only where every truth the
generator computed (headlines, measures, links) stays as it was, so the other back tests still hold.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import unicodedata

import numpy as np
import pandas as pd

from analysis.contract import schema
from analysis.synth import la as plain
from analysis.synth.headlines import age_on, nth_birthday
from analysis.synth.la import SyntheticLA

DAY, YEAR_DAYS = plain.DAY, plain.YEAR_DAYS
STREAM = 0x11A6E  # mixed into the seed: harden's draws share nothing with the generator's of the same seed

SEND_PERSON_ID, UPN_TYPE = "SEND Person ID", "Unique Pupil Number"  # crosswalk identifier types
# Few authorities keep a crosswalk of SEND person ids; linkage has to work without one.
UPN_MISSING = 0.25  # school-age records without a UPN on each side: referrals from police or health carry none
NICKNAME = 0.06  # SEND records holding the name used day to day at school (Ollie), or another spelling (Mohammed)
ACCENTED = 0.03  # children with an accented or non-ASCII forename (Zoë, Łukasz): names from across Europe
ACCENT_STRIPPED = 0.5  # of their pairs, recorded without the accent on one side: older systems drop diacritics
DOUBLE_BARRELLED = 0.04  # pairs with a two-part surname one system records in full and the other only in part
SURNAME_CHANGE = (0.03, 0.3)  # pairs renamed on the later side: without, with separation or domestic abuse first
DOB_SWAP = 0.01  # SEND birth dates with day and month transposed (in all, with the generator's own)
DOB_TYPO = 0.01  # SEND birth dates with one digit mistyped, still a date the return's checks accept
MOVED = 0.20  # pairs whose two postcodes differ: families with children in need move often, records lag
TWIN_CHILDREN = 0.015  # children of the person tables made twins: about 1.5% of maternities are multiple
TWIN_SAME_SEX = 0.7  # twins of the same sex: identical twins and half of the fraternal ones
TRIPLETS = 0.05  # of the sets made, triplets (at least one set): rare, and the hardest case of all
TWIN_PATTERNS = {
    "apart": 0.4,
    "one_in_send": 0.3,
    "both_in_both": 0.3,
}  # (a) A SEND only, B social care only; (b) both social care,
# A also SEND; (c) both on both sides. Shares of the sets made, at least one set each.
COMMON_NAME = 0.02  # children given the very commonest forename and surname pairs: chance collisions
TWIN_TRIES = 60  # candidate siblings tried for each first-born, nearest birth date first

CASES = (
    "twin_pair_not_a_match",
    "nickname",
    "accent",
    "double_barrelled",
    "surname_change",
    "dob_swap",
    "dob_typo",
    "moved",
    "no_upn",
    "common_name",
)
COMMONEST = {  # the top names of recent births in England and Wales
    "F": ("Olivia", "Amelia", "Isla", "Lily"),
    "M": ("Muhammad", "Noah", "Oliver", "George"),
    "surname": ("Smith", "Jones", "Williams", "Brown", "Taylor"),
}
ACCENTED_FORENAMES = {
    "F": ("Zoë", "Chloé", "Renée", "Anaïs", "Léa", "Siân", "Inès", "Sinéad", "Róisín", "Małgorzata", "Zoé"),
    "M": ("José", "Łukasz", "Søren", "Jérôme", "Seán", "Ciarán", "Oisín", "Andrés", "Paweł", "Björn", "Tomáš"),
}
SPELLING_VARIANTS = {
    "Muhammad": ("Mohammed", "Mohammad", "Muhammed", "Mohamed"),
    "Mohammed": ("Muhammad", "Mohammad"),
    "Katherine": ("Catherine", "Kathryn"),
    "Catherine": ("Katherine", "Kathryn"),
    "Sophia": ("Sofia",),
    "Isabella": ("Isabela", "Izabella"),
    "Lily": ("Lilly", "Lillie"),
    "Aisha": ("Ayesha", "Aishah"),
    "Maryam": ("Mariam", "Maryum"),
    "Yusuf": ("Yousuf", "Yusef"),
    "Ibrahim": ("Ebrahim",),
    "Zara": ("Zarah",),
    "Hannah": ("Hanna",),
    "Freya": ("Freyja",),
    "Evie": ("Evee",),
    "Theo": ("Teo",),
    "Jacob": ("Jakob",),
    "Isla": ("Islay",),
    "Sienna": ("Siena",),
    "Archie": ("Archy",),
}
_LETTERS = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss", "Æ": "Ae", "æ": "ae", "Đ": "D", "đ": "d"})
_FIELDS = ("upn", "forename", "surname", "sex", "ethnicity", "dob", "postcode")
FIELDS = {  # the person tables' columns by what they hold
    "ssd": {f: f"pers_{f}" for f in _FIELDS},
    "sen2": {f: f for f in _FIELDS} | {"dob": "person_birth_date"},
}
ROW = {"ssd": "ci", "sen2": "si"}  # the people column holding each side's row


def harden(la: SyntheticLA, seed: int) -> SyntheticLA:
    """The authority with identifiers as hard to link as real ones, and truth/linkage_cases saying which children
    are which case. Draws from its own generator (the seed mixed with STREAM); `la` is left as it was."""
    if la.params is None:
        raise ValueError("harden needs a whole authority (la.generate or hard.generate), not a case series")
    rng = np.random.default_rng([seed, STREAM])
    w = _work(la)
    _twins(w, rng)
    _surname_changes(w, rng)
    _double_barrelled(w, rng)
    _common_names(w, rng)
    _accents(w, rng)
    _nicknames(w, rng)
    _birth_date_errors(w, rng)
    _moves(w, rng)
    _upns(w, rng)
    return _result(la, w)


# --- the working state: the person tables and one row per child in either ----------------------------------------


@dataclasses.dataclass
class _Work:
    """The person tables being hardened, and what the steps need to know about each child (people, by row)."""

    ssd: pd.DataFrame
    sen2: pd.DataFrame
    people: pd.DataFrame  # pers, sen ("" where absent), ci, si (rows, -1), pop (population row), dob (true), sex
    population: pd.DataFrame | None  # the population table (extract or truth), birth dates kept true
    links: pd.DataFrame  # truth person_links
    onsets: pd.DataFrame  # truth adversity_onset
    events: dict[str, pd.DataFrame]  # by side: id, date of every dated record, sorted by id
    requests: pd.DataFrame  # by SEND person id: first and last request
    earliest: np.datetime64  # the earliest birth date an extract may hold
    extract: np.datetime64  # the extract date
    cutoff: np.datetime64  # twins' birth dates stay before this: the children no truth follows from birth
    fixed: np.ndarray  # by person: a twin, whom the noise leaves alone
    forename_done: np.ndarray  # by person: a forename case applied
    surname_done: np.ndarray
    sets: list[list[int]] = dataclasses.field(default_factory=list)  # multiple births (people rows), first first
    made: int = 0  # how many of the sets harden made (the rest were the generator's)
    blanked_pers: set[str] = dataclasses.field(default_factory=set)  # social care people whose UPN was blanked
    cases: list[pd.DataFrame] = dataclasses.field(default_factory=list)


def _work(la: SyntheticLA) -> _Work:
    """Copies of what harden changes, and the people of the two person tables."""
    ssd, sen2 = la.tables["ssd_person"].copy(), la.tables["sen2_person"].copy()
    in_truth = "population" not in la.tables
    population = (la.truth if in_truth else la.tables).get("population")
    population = None if population is None else population.copy()
    links = la.truth["person_links"].copy()
    people = _people(ssd, sen2, links, population)
    start = np.datetime64(la.params["study_window"]["start"], "D")
    earliest = la.params.get("earliest_birth")
    extract = np.datetime64(la.extract_date, "D")
    n = len(people)
    w = _Work(
        ssd,
        sen2,
        people,
        population,
        links,
        la.truth["adversity_onset"],
        _events(la.tables),
        _requests(la.tables["sen2_requests"]),
        np.datetime64(earliest, "D") if earliest else nth_birthday(np.array([extract]), -25)[0],
        extract,
        min(start, np.datetime64(la.params["records_start"], "D")),
        np.zeros(n, dtype=bool),
        np.zeros(n, dtype=bool),
        np.zeros(n, dtype=bool),
    )
    _native_twins(w, la.truth.get("multiple_births"))
    return w


def _people(ssd: pd.DataFrame, sen2: pd.DataFrame, links: pd.DataFrame, population: pd.DataFrame | None):
    """One row per child: the true pairs, then social care only, then SEND only; true birth dates from the
    population table where there is one."""
    pairs = pd.DataFrame({"pers": links["pers_person_id"], "sen": links["person_table_id"]})
    csc = ssd.loc[~ssd["pers_person_id"].isin(pairs["pers"]), "pers_person_id"]
    send = sen2.loc[~sen2["person_table_id"].isin(pairs["sen"]), "person_table_id"]
    people = pd.concat(
        [pairs, pd.DataFrame({"pers": csc, "sen": ""}), pd.DataFrame({"pers": "", "sen": send})], ignore_index=True
    )
    people["ci"] = _rows(people["pers"], ssd["pers_person_id"])
    people["si"] = _rows(people["sen"], sen2["person_table_id"])
    ci, si = people["ci"].to_numpy(), people["si"].to_numpy()
    recorded = np.where(ci >= 0, _at(ssd["pers_dob"], ci), _at(sen2["person_birth_date"], si)).astype("datetime64[D]")
    people["pop"] = -1
    if population is not None:
        people["pop"] = np.maximum(
            _rows(people["pers"], population["pers_person_id"]), _rows(people["sen"], population["person_table_id"])
        )
        births = _at(population["birth_date"], people["pop"].to_numpy()).astype("datetime64[D]")
        recorded = np.where(people["pop"] >= 0, births, recorded)
    people["dob"] = recorded
    people["sex"] = np.where(ci >= 0, _at(ssd["pers_sex"], ci), _at(sen2["sex"], si))
    return people


def _at(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """A column's values at the given rows (None, or NaT for dates, where the row is -1)."""
    values = column.to_numpy()
    out = np.full(len(rows), np.datetime64("NaT") if values.dtype.kind == "M" else None, dtype=values.dtype)
    out[rows >= 0] = values[rows[rows >= 0]]
    return out


def _rows(ids: pd.Series, column: pd.Series) -> np.ndarray:
    """The row of each id in a table's id column; -1 for none (and for "")."""
    where = pd.Series(np.arange(len(column)), index=column.to_numpy())
    where = where[where.index.notna() & (where.index != "")]
    return ids.map(where).fillna(-1).astype(int).to_numpy()


def _events(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every dated record of each person on each side (id, date), sorted by id: what a birth date must stay before
    and what ages are computed at."""
    refs = {"ssd_person.pers_person_id": "ssd", "sen2_person.person_table_id": "sen2"}
    parts: dict[str, list[pd.DataFrame]] = {"ssd": [], "sen2": []}
    for table in schema.TABLES:
        frame = tables.get(table.name)
        if frame is None or table.name == "population":  # its dates are the birth and residence themselves
            continue
        dates = [c.name for c in table.columns if c.kind == schema.DATE and c.name in frame]
        for col in (c for c in table.columns if c.references in refs and c.name in frame):
            for d in dates:
                part = frame[[col.name, d]].set_axis(["id", "date"], axis=1).dropna()
                parts[refs[col.references]].append(part.astype({"date": "datetime64[s]"}))
    out = {}
    for side, frames in parts.items():
        ev = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
        out[side] = ev[ev["id"] != ""].sort_values(["id", "date"], ignore_index=True)
    return out


def _requests(requests: pd.DataFrame) -> pd.DataFrame:
    """Each SEND person's first and last request."""
    dates = requests["received_date"].to_numpy().astype("datetime64[D]")
    by = pd.Series(dates).groupby(requests["person_table_id"].to_numpy())
    return pd.DataFrame({"first": by.min(), "last": by.max()})


def _get(w: _Work, side: str, field: str, who: np.ndarray) -> np.ndarray:
    """A field of each child's record on one side (None for a child not on that side)."""
    frame, rows = (w.ssd if side == "ssd" else w.sen2), w.people[ROW[side]].to_numpy()[who]
    return _at(frame[FIELDS[side][field]], rows).astype(object)


def _set(w: _Work, side: str, field: str, who: np.ndarray, values) -> None:
    """Set a field of each child's record on one side, where the child has one."""
    frame, rows = (w.ssd if side == "ssd" else w.sen2), w.people[ROW[side]].to_numpy()[who]
    values = np.broadcast_to(np.asarray(values, dtype=object if field != "dob" else "datetime64[D]"), rows.shape)
    col = FIELDS[side][field]
    if field == "dob":
        values = pd.to_datetime(values[rows >= 0]).astype(frame[col].dtype)
    else:
        values = values[rows >= 0]
    frame.iloc[rows[rows >= 0], frame.columns.get_loc(col)] = values


def _sides(w: _Work, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each child has a social care record, and a SEND record."""
    return w.people["ci"].to_numpy()[who] >= 0, w.people["si"].to_numpy()[who] >= 0


def _groups(w: _Work, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The children in `free` (a mask by person) who are true pairs, and those on one side only."""
    ssd, sen2 = _sides(w, np.arange(len(w.people)))
    return np.flatnonzero(free & ssd & sen2), np.flatnonzero(free & (ssd ^ sen2))


def _some(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    """`k` of the pool (all of it if smaller), drawn without replacement, in pool order."""
    k = min(int(k), pool.size)
    return np.sort(rng.choice(pool, k, replace=False)) if k > 0 else pool[:0]


def _count(rate: float, n: int, at_least: int = 1) -> int:
    """A share of n, at least `at_least` when there is anyone: cases small authorities still show."""
    return max(round(rate * n), at_least if n else 0)


def _record(w: _Work, case: str, who: np.ndarray) -> None:
    w.cases.append(pd.DataFrame({"pers": w.people["pers"].to_numpy()[who], "sen": w.people["sen"].to_numpy()[who]}))
    w.cases[-1]["case"] = case


def _styled(name: str, like) -> str:
    """A name written in the style of the one it replaces (SMITH, smith or Smith)."""
    like = str(like or "")
    if like.isupper():
        return name.upper()
    if like.islower():
        return name.lower()
    return name


def strip_accents(name: str) -> str:
    """A name as a system without diacritics records it: Zoë as Zoe, Łukasz as Lukasz, Søren as Soren."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- twins and triplets --------------------------------------------------------------------------------------------


def _native_twins(w: _Work, births: pd.DataFrame | None) -> None:
    """The generator's own multiple births (the hard scenario's) whose members are in the person tables: the noise
    leaves them alone, and their cross pairs are cases where they still look alike."""
    if births is None:
        return
    person = np.maximum(
        _rows(births["pers_person_id"], w.people["pers"]), _rows(births["person_table_id"], w.people["sen"])
    )
    for _, members in pd.Series(person).groupby(births["set"].to_numpy()):
        members = [int(m) for m in members if m >= 0]
        if len(members) > 1:
            w.sets.append(members)
            w.fixed[members] = True


def _twins(w: _Work, rng: np.random.Generator) -> None:
    """Twins and triplets made from children already in the extract: a later-born sibling takes the first-born's
    surname, postcode and birth date on each side it is on, keeps a forename of its own and mostly the same sex.
    Each pattern has at least one set; the first sets of pattern (a) are triplets."""
    n_sets = max(len(TWIN_PATTERNS), round(TWIN_CHILDREN * len(w.people) / 2))
    triplets = _count(TRIPLETS, n_sets)
    ssd, sen2 = _sides(w, np.arange(len(w.people)))
    pools = {
        "apart": (sen2 & ~ssd, ssd & ~sen2),
        "one_in_send": (ssd & sen2, ssd & ~sen2),
        "both_in_both": (ssd & sen2, ssd & sen2),
    }
    used = w.fixed.copy()
    for pattern, share in TWIN_PATTERNS.items():
        leads, followers = pools[pattern]
        leads = np.flatnonzero(leads & _reliable(w))
        wanted = _count(share, n_sets)
        for lead in rng.permutation(leads):
            if wanted == 0:
                break
            if used[lead]:
                continue
            size = 3 if pattern == "apart" and triplets else 2
            members = [int(lead)]
            while len(members) < size and (b := _sibling(w, rng, members, followers & ~used)) is not None:
                members.append(b)
                used[b] = True
            if len(members) < 2:
                continue
            used[lead] = True
            triplets -= len(members) == 3
            wanted -= 1
            for b in members[1:]:
                _make_sibling(w, lead, b)
            w.sets.append(members)
            w.made += 1
    w.fixed |= used


def _reliable(w: _Work) -> np.ndarray:
    """Children who may be a first-born: born before the cutoff, their birth date recorded truly on every side, and
    their two records (where they have two) agreeing on surname and postcode, so that every sibling's record looks
    like each of theirs."""
    everyone = np.arange(len(w.people))
    dob = w.people["dob"].to_numpy().astype("datetime64[D]")
    ok = dob < w.cutoff
    for side in ("ssd", "sen2"):
        recorded = _get(w, side, "dob", everyone)
        has = w.people[ROW[side]].to_numpy() >= 0
        ok &= ~has | (pd.to_datetime(recorded).to_numpy().astype("datetime64[D]") == dob)
    both = np.logical_and(*_sides(w, everyone))
    for field in ("surname", "postcode"):
        ok &= ~both | (_get(w, "ssd", field, everyone) == _get(w, "sen2", field, everyone))
    return ok


def _sibling(w: _Work, rng: np.random.Generator, members: list[int], pool: np.ndarray) -> int | None:
    """A child of the pool to be the set's next sibling: of the sex drawn (mostly the first-born's), a forename none
    of the set has, and the birth date nearest the first-born's among those whose truths survive the move."""
    lead = members[0]
    sex = w.people["sex"].to_numpy()
    same = rng.random() < TWIN_SAME_SEX
    want = sex[lead] if same else {"M": "F", "F": "M"}.get(sex[lead], sex[lead])
    taken = {_norm(f) for m in members for side in ("ssd", "sen2") for f in _get(w, side, "forename", np.array([m]))}
    dob = w.people["dob"].to_numpy().astype("datetime64[D]")
    cand = np.flatnonzero(pool & (sex == want) & (dob < w.cutoff))
    cand = cand[np.argsort(np.abs((dob[cand] - dob[lead]) / DAY), kind="stable")]
    for b in cand[:TWIN_TRIES]:
        names = {_norm(f) for side in ("ssd", "sen2") for f in _get(w, side, "forename", np.array([b]))}
        if not (names - {""}) & taken and _keeps_truths(w, int(b), dob[b], dob[lead]):
            return int(b)
    return None


def _norm(name) -> str:
    return strip_accents(str(name or "")).upper()


def _dates_of(w: _Work, who: int) -> np.ndarray:
    """Every dated record of a child on either side, and the onsets of the adversity the child experienced."""
    out = []
    for side, key in (("ssd", "pers"), ("sen2", "sen")):
        ident = w.people[key].iat[who]
        if ident:
            ev = w.events[side]
            lo, hi = ev["id"].searchsorted(ident, "left"), ev["id"].searchsorted(ident, "right")
            out.append(ev["date"].to_numpy()[lo:hi])
    pers, sen = w.people["pers"].iat[who], w.people["sen"].iat[who]
    on = w.onsets
    mine = (on["pers_person_id"] == pers) if pers else (on["person_table_id"] == sen)
    out.append(on.loc[mine, "onset_date"].to_numpy().astype("datetime64[D]"))
    return np.concatenate(out).astype("datetime64[D]")


def _keeps_truths(w: _Work, who: int, old: np.datetime64, new: np.datetime64) -> bool:
    """Whether moving a child's birth date leaves every truth as the generator computed it: both dates before the
    cutoff (no population or landmark truth follows the child), no record crossing the birth or the 5th, 18th or
    26th birthday (nor five 365.25-day years, the measures' age), and the same age at the first request."""
    if not (old < w.cutoff and new < w.cutoff):
        return False
    dates = _dates_of(w, who)
    both = np.array([old, new], dtype="datetime64[D]")
    for k in (0, 5, 18, 26):
        b = nth_birthday(both, k)
        if ((dates < b[0]) != (dates < b[1])).any():
            return False
    five = both + int(np.ceil(5 * YEAR_DAYS)) * DAY
    if ((dates < five[0]) != (dates < five[1])).any():
        return False
    sen = w.people["sen"].iat[who]
    if sen and sen in w.requests.index:
        first = np.full(2, w.requests.at[sen, "first"], dtype="datetime64[D]")
        ages = age_on(both, first)
        if ages[0] != ages[1]:
            return False
    return True


def _make_sibling(w: _Work, lead: int, b: int) -> None:
    """The sibling takes the first-born's surname, postcode and ethnicity (from the same side where the first-born
    has one) and true birth date; the population and the links follow."""
    on = dict(zip(("ssd", "sen2"), (has[0] for has in _sides(w, np.array([lead])))))
    for side, other in (("ssd", "sen2"), ("sen2", "ssd")):
        source = side if on[side] else other
        for field in ("surname", "postcode", "ethnicity"):
            _set(w, side, field, np.array([b]), _get(w, source, field, np.array([lead])))
    old, new = w.people.at[b, "dob"], w.people.at[lead, "dob"]
    for side in ("ssd", "sen2"):
        _set(w, side, "dob", np.array([b]), np.array([new], dtype="datetime64[D]"))
    w.people.at[b, "dob"] = new
    if w.population is not None and w.people.at[b, "pop"] >= 0:
        row = w.population.index[w.people.at[b, "pop"]]
        if w.population.at[row, "entry_date"] == old:  # born in the area
            w.population.at[row, "entry_date"] = new
        w.population.at[row, "birth_date"] = new
    linked = w.links["pers_person_id"] == w.people.at[b, "pers"]
    shift = (np.datetime64(old, "D") - np.datetime64(new, "D")) / DAY / YEAR_DAYS
    w.links.loc[linked, "age_first_known_to_csc"] += shift


def _twin_cases(w: _Work) -> None:
    """Every pair of a sibling's social care record and another sibling's SEND record: linkage must not join them.
    The generator's own sets count where the two records still agree on surname, birth date and postcode."""
    rows = []
    for i, members in enumerate(w.sets):
        native = i < len(w.sets) - w.made
        for x in members:
            for y in members:
                if x != y and w.people.at[x, "pers"] and w.people.at[y, "sen"]:
                    if not native or _alike(w, x, y):
                        rows.append((x, y))
    w.cases.append(
        pd.DataFrame(
            {
                "pers": [w.people.at[x, "pers"] for x, _ in rows],
                "sen": [w.people.at[y, "sen"] for _, y in rows],
                "case": "twin_pair_not_a_match",
            }
        )
    )


def _alike(w: _Work, x: int, y: int) -> bool:
    """Whether x's social care record and y's SEND record share surname, birth date and postcode, not forename."""
    a = {f: _get(w, "ssd", f, np.array([x]))[0] for f in ("forename", "surname", "dob", "postcode")}
    b = {f: _get(w, "sen2", f, np.array([y]))[0] for f in ("forename", "surname", "dob", "postcode")}
    return all(a[f] == b[f] for f in ("surname", "dob", "postcode")) and _norm(a["forename"]) != _norm(b["forename"])


# --- names ---------------------------------------------------------------------------------------------------------


def _surnames(rng: np.random.Generator, k: int, unlike: np.ndarray) -> np.ndarray:
    """Surnames from the generator's pool, none the same as the one it replaces."""
    names, p = plain._name_pool(plain.SURNAMES, plain.SURNAME_TAIL, 0.2)
    out = rng.choice(names, k, p=p)
    while (clash := out == unlike).any():
        out[clash] = rng.choice(names, int(clash.sum()), p=p)
    return out


def _first_records(w: _Work, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each child's first social care record and first SEND request (NaT where none)."""
    ev = w.events["ssd"].groupby("id")["date"].min()
    csc = w.people["pers"].iloc[who].map(ev).to_numpy().astype("datetime64[D]")
    send = w.people["sen"].iloc[who].map(w.requests["first"]).to_numpy().astype("datetime64[D]")
    return csc, send


def _surname_changes(w: _Work, rng: np.random.Generator) -> None:
    """After parents separate (or a parent escapes domestic abuse) a child often takes the other parent's surname,
    or both: the record made later holds the new one. Pairs whose separation or abuse began before the later
    record are renamed ten times as often as the rest."""
    pairs, _ = _groups(w, ~w.fixed)
    csc, send = _first_records(w, pairs)
    later = np.where(csc > send, "ssd", "sen2")
    when = np.maximum(csc, send)
    on = w.onsets[w.onsets["domain"].isin(("parental_separation", "domestic_abuse"))]
    first_onset = on.groupby("pers_person_id")["onset_date"].min()
    onset = w.people["pers"].iloc[pairs].map(first_onset).to_numpy().astype("datetime64[D]")
    exposed = ~np.isnat(onset) & (onset <= when)
    low, high = SURNAME_CHANGE
    chosen = np.concatenate(
        [
            _some(rng, pairs[exposed], _count(high, int(exposed.sum()), 0)),
            _some(rng, pairs[~exposed], _count(low, int((~exposed).sum()), 0)),
        ]
    )
    side = pd.Series(later, index=pairs)[chosen].to_numpy()
    for s in ("ssd", "sen2"):
        who = chosen[side == s]
        old = _get(w, s, "surname", who)
        new = _surnames(rng, who.size, old)
        both = rng.random(who.size) < 0.5  # double-barrelled with the new parent's name
        first = rng.random(who.size) < 0.5
        name = np.where(both, np.where(first, new + "-" + old, old + "-" + new), new)
        _set(w, s, "surname", who, [_styled(n, o) for n, o in zip(name, old)])
    w.surname_done[chosen] = True
    _record(w, "surname_change", chosen)


def _double_barrelled(w: _Work, rng: np.random.Generator) -> None:
    """A two-part surname (Smith-Jones, Smith Jones) one system records in full and the other only in part: a
    character limit, a school roll keeping one parent's name, or a space read as the end of the name."""
    pairs, _ = _groups(w, ~w.fixed & ~w.surname_done)
    chosen = _some(rng, pairs, _count(DOUBLE_BARRELLED, pairs.size))
    old = _get(w, "ssd", "surname", chosen)
    other = _surnames(rng, chosen.size, old)
    sep = np.where(rng.random(chosen.size) < 0.7, "-", " ")
    full = np.array([_styled(a + s + b, a) for a, s, b in zip(old, sep, other)], dtype=object)
    part = np.where(rng.random(chosen.size) < 0.5, old, [_styled(b, a) for a, b in zip(old, other)])
    in_full = rng.random(chosen.size) < 0.5
    _set(w, "ssd", "surname", chosen, np.where(in_full, full, part))
    _set(w, "sen2", "surname", chosen, np.where(in_full, part, full))
    w.surname_done[chosen] = True
    _record(w, "double_barrelled", chosen)


def _common_names(w: _Work, rng: np.random.Generator) -> None:
    """Some children take the very commonest forename and surname on both sides (Oliver Smith, Amelia Jones), so
    that different children share a name by chance, as they do in any authority."""
    free = ~w.fixed & ~w.forename_done & ~w.surname_done
    chosen = np.concatenate([_some(rng, g, _count(COMMON_NAME, g.size)) for g in _groups(w, free)])
    sex = w.people["sex"].to_numpy()[chosen]
    fore = np.array([COMMONEST[s if s in ("F", "M") else "F"][i] for s, i in zip(sex, rng.integers(0, 4, chosen.size))])
    sur = rng.choice(np.array(COMMONEST["surname"], dtype=object), chosen.size)
    for side in ("ssd", "sen2"):
        like = _get(w, side, "forename", chosen)
        _set(w, side, "forename", chosen, [_styled(f, o) for f, o in zip(fore, like)])
        _set(w, side, "surname", chosen, [_styled(s, o) for s, o in zip(sur, _get(w, side, "surname", chosen))])
    w.forename_done[chosen] = w.surname_done[chosen] = True
    _record(w, "common_name", chosen)


def _accents(w: _Work, rng: np.random.Generator) -> None:
    """Some children have an accented or non-ASCII forename, recorded as written on both sides; for half of the
    pairs one side (either) has dropped the accents."""
    pairs, singles = _groups(w, ~w.fixed & ~w.forename_done)
    chosen = np.concatenate([_some(rng, g, _count(ACCENTED, g.size)) for g in (pairs, singles)])
    sex = w.people["sex"].to_numpy()[chosen]
    names = [ACCENTED_FORENAMES[s if s in ("F", "M") else "F"] for s in sex]
    accented = np.array([n[int(rng.integers(0, len(n)))] for n in names], dtype=object)
    for side in ("ssd", "sen2"):
        _set(w, side, "forename", chosen, [_styled(a, o) for a, o in zip(accented, _get(w, side, "forename", chosen))])
    w.forename_done[chosen] = True
    paired = chosen[np.isin(chosen, pairs)]
    stripped = _some(rng, paired, _count(ACCENT_STRIPPED, paired.size))
    on_ssd = rng.random(stripped.size) < 0.5
    for side, who in (("ssd", stripped[on_ssd]), ("sen2", stripped[~on_ssd])):
        _set(w, side, "forename", who, [strip_accents(f) for f in _get(w, side, "forename", who)])
    _record(w, "accent", stripped)


@functools.cache
def _nicknamer():
    """The `nicknames` package's hand-curated English names and nicknames, where it is installed (else None)."""
    try:
        from nicknames import NickNamer
    except ImportError:
        return None
    return NickNamer()


@functools.cache
def variants(name: str) -> tuple[str, ...]:
    """The other forms a forename is recorded in: its nicknames (from the `nicknames` package where installed, and
    the generator's own) and its other spellings, in a fixed order."""
    found = set(SPELLING_VARIANTS.get(name, ()))
    if name in plain.NICKNAMES:
        found.add(plain.NICKNAMES[name])
    namer = _nicknamer()
    if namer is not None:
        found |= {n.title() for n in namer.nicknames_of(name.lower()) if n.isalpha() and len(n) > 1}
    found.discard(name)
    return tuple(sorted(found))


def _nicknames(w: _Work, rng: np.random.Generator) -> None:
    """SEND records hold a nickname or another spelling of the forename social care holds (or the child's only
    record holds one), for NICKNAME of the SEND children."""
    chosen = []
    for group in _groups(w, ~w.fixed & ~w.forename_done):
        group = group[_sides(w, group)[1]]
        forename = _get(w, "sen2", "forename", group)
        able = np.array([bool(variants(str(f).title())) for f in forename], dtype=bool)
        chosen.append(_some(rng, group[able], _count(NICKNAME, group.size)))
    chosen = np.concatenate(chosen)
    old = _get(w, "sen2", "forename", chosen)
    new = []
    for f in old:
        options = variants(str(f).title())
        new.append(_styled(options[int(rng.integers(0, len(options)))], f))
    _set(w, "sen2", "forename", chosen, new)
    w.forename_done[chosen] = True
    _record(w, "nickname", chosen)


# --- birth dates, postcodes and UPNs -------------------------------------------------------------------------------


def _plausible(w: _Work, who: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Whether a SEND birth date passes the return's own checks: not after the first request, nor the extract, nor
    so early that a request was made at 26 or over, nor before the earliest birth."""
    sen = w.people["sen"].to_numpy()[who]
    first = pd.Series(sen).map(w.requests["first"]).to_numpy().astype("datetime64[D]")
    last = pd.Series(sen).map(w.requests["last"]).to_numpy().astype("datetime64[D]")
    dates = dates.astype("datetime64[D]")
    ok = (dates >= w.earliest) & (dates <= w.extract)
    has = ~np.isnat(first)
    ok[has] &= (dates[has] <= first[has]) & (age_on(dates[has], last[has]) <= 25)
    return ok


def _swap(dates: np.ndarray) -> np.ndarray:
    """Day and month transposed; NaT where the day is over 12 (no such date). The generator's own swap sets such a
    day to the month instead, which is no transposition: those dates are not counted as swaps."""
    d = pd.DatetimeIndex(dates.astype("datetime64[D]"))
    ok = d.day <= 12
    parts = pd.DataFrame({"year": d.year, "month": np.where(ok, d.day, 1), "day": np.where(ok, d.month, 1)})
    return np.where(ok, pd.to_datetime(parts).to_numpy().astype("datetime64[D]"), np.datetime64("NaT", "D"))


def _birth_date_errors(w: _Work, rng: np.random.Generator) -> None:
    """Day and month transposed (to DOB_SWAP of SEND birth dates, the generator's own counted) and single digits
    mistyped, on the SEND side, only where the return's checks would still accept the date."""
    send = np.flatnonzero((w.people["si"].to_numpy() >= 0) & ~w.fixed)
    dob = w.people["dob"].to_numpy().astype("datetime64[D]")[send]
    recorded = pd.to_datetime(_get(w, "sen2", "dob", send)).to_numpy().astype("datetime64[D]")
    true = recorded == dob
    swapped = _swap(dob)
    can = true & ~np.isnat(swapped) & (swapped != dob)
    can[can] = _plausible(w, send[can], swapped[can])
    already = int((~true & (recorded == swapped)).sum())
    chosen = _some(rng, np.flatnonzero(can), _count(DOB_SWAP, send.size) - already)
    _set(w, "sen2", "dob", send[chosen], swapped[chosen])
    true[chosen] = False
    typo = _some(rng, np.flatnonzero(true), _count(DOB_TYPO, send.size))
    new = np.array([_typo(d, s, rng) for d, s in zip(dob[typo], swapped[typo])], dtype="datetime64[D]")
    ok = ~np.isnat(new)
    ok[ok] = _plausible(w, send[typo][ok], new[ok])
    _set(w, "sen2", "dob", send[typo][ok], new[ok])
    _record(w, "dob_typo", send[typo][ok])


def _typo(dob: np.datetime64, swapped: np.datetime64, rng: np.random.Generator) -> np.datetime64:
    """The date with one digit of the year's last, the month or the day keyed wrongly (a valid date, not the
    transposed one); NaT where none is."""
    text = str(dob).replace("-", "")
    options = []
    for i in (3, 4, 5, 6, 7):
        for digit in "0123456789":
            if digit != text[i]:
                t = text[:i] + digit + text[i + 1 :]
                try:
                    options.append(np.datetime64(dt.date(int(t[:4]), int(t[4:6]), int(t[6:])), "D"))
                except ValueError:
                    continue
    options = [o for o in options if o != swapped]
    return options[int(rng.integers(0, len(options)))] if options else np.datetime64("NaT", "D")


def _moves(w: _Work, rng: np.random.Generator) -> None:
    """Families move and one system hears first: new postcodes on one side (either) until MOVED of the true pairs
    differ, the generator's own moves counted."""
    pairs, _ = _groups(w, ~w.fixed)
    differ = _get(w, "ssd", "postcode", pairs) != _get(w, "sen2", "postcode", pairs)
    k = _count(MOVED, pairs.size) - int(differ.sum())
    chosen = _some(rng, pairs[~differ], k)
    on_ssd = rng.random(chosen.size) < 0.5
    for side, who in (("ssd", chosen[on_ssd]), ("sen2", chosen[~on_ssd])):
        old = _get(w, side, "postcode", who)
        new = plain._postcodes(rng, who.size).astype(object)
        while (clash := new == old).any():
            new[clash] = plain._postcodes(rng, int(clash.sum()))
        _set(w, side, "postcode", who, new)


def _upns(w: _Work, rng: np.random.Generator) -> None:
    """On each side independently, UPNs blanked until UPN_MISSING of the school-age records lack one (those first
    recorded before school age mostly have none already); the crosswalk's UPN rows go with them."""
    everyone = np.arange(len(w.people))
    csc, send = _first_records(w, everyone)
    dob = w.people["dob"].to_numpy().astype("datetime64[D]")
    blanked = {}
    for side, first, school in (("ssd", csc, 5), ("sen2", send, 4)):
        has = (w.people[ROW[side]].to_numpy() >= 0) & ~np.isnat(first)
        older = np.flatnonzero(has)[age_on(dob[has], first[has]) >= school]
        present = older[pd.notna(_get(w, side, "upn", older))]
        k = _count(UPN_MISSING, older.size) - (older.size - present.size)
        blanked[side] = _some(rng, present, k)
        _set(w, side, "upn", blanked[side], None)
    w.blanked_pers = set(w.people["pers"].to_numpy()[blanked["ssd"]])


# --- the result ----------------------------------------------------------------------------------------------------


def _crosswalk(table: pd.DataFrame | None, blanked: set[str]) -> pd.DataFrame | None:
    """The LA's crosswalk without SEND person ids, and without the UPNs blanked from the person table."""
    if table is None:
        return None
    kind = table["link_identifier_type"]
    drop = (kind == SEND_PERSON_ID) | ((kind == UPN_TYPE) & table["link_person_id"].isin(blanked))
    return table[~drop].reset_index(drop=True)


def _compared_cases(w: _Work, crosswalk: pd.DataFrame | None) -> None:
    """Cases read off the hardened tables, the generator's own noise included: pairs whose postcodes differ, pairs
    UPN cannot join, SEND birth dates transposed, and pairs whose SEND forename is the generator's nickname."""
    pairs, _ = _groups(w, np.ones(len(w.people), dtype=bool))
    _record(w, "moved", pairs[_get(w, "ssd", "postcode", pairs) != _get(w, "sen2", "postcode", pairs)])
    pers_upn = pd.notna(_get(w, "ssd", "upn", pairs))
    if crosswalk is not None:
        upn_rows = crosswalk.loc[crosswalk["link_identifier_type"] == UPN_TYPE, "link_person_id"]
        pers_upn |= np.isin(w.people["pers"].to_numpy()[pairs], upn_rows.to_numpy())
    _record(w, "no_upn", pairs[~pers_upn | pd.isna(_get(w, "sen2", "upn", pairs))])
    send = np.flatnonzero(w.people["si"].to_numpy() >= 0)
    dob = w.people["dob"].to_numpy().astype("datetime64[D]")[send]
    recorded = pd.to_datetime(_get(w, "sen2", "dob", send)).to_numpy().astype("datetime64[D]")
    _record(w, "dob_swap", send[(recorded != dob) & (recorded == _swap(dob))])
    fore, sen_fore = _get(w, "ssd", "forename", pairs), _get(w, "sen2", "forename", pairs)
    generators = np.array([plain.NICKNAMES.get(f) == s for f, s in zip(fore, sen_fore)], dtype=bool)
    _record(w, "nickname", pairs[generators & ~w.forename_done[pairs]])


def _result(la: SyntheticLA, w: _Work) -> SyntheticLA:
    """The hardened authority: its person tables, crosswalk and population, and the truth with linkage_cases."""
    tables = dict(la.tables, ssd_person=w.ssd, sen2_person=w.sen2)
    truth = dict(la.truth, person_links=w.links)
    crosswalk = _crosswalk(la.tables.get("ssd_linked_identifiers"), w.blanked_pers)
    if crosswalk is not None:
        tables["ssd_linked_identifiers"] = crosswalk
    if w.population is not None:
        (tables if "population" in la.tables else truth)["population"] = w.population
    if "multiple_births" in la.truth:
        truth["multiple_births"] = _multiple_births(la.truth["multiple_births"], w)
    _twin_cases(w)
    _compared_cases(w, crosswalk)
    truth["linkage_cases"] = _cases(w.cases)
    return dataclasses.replace(la, tables=tables, truth=truth)


def _multiple_births(births: pd.DataFrame, w: _Work) -> pd.DataFrame:
    """The generator's multiple births and the sets harden made (child: the population row)."""
    made = w.sets[len(w.sets) - w.made :]
    start = int(births["set"].max()) + 1 if len(births) else 0
    rows = [(start + i, m) for i, members in enumerate(made) for m in members]
    added = pd.DataFrame(
        {
            "set": [s for s, _ in rows],
            "child": [int(w.people.at[m, "pop"]) for _, m in rows],
            "pers_person_id": [w.people.at[m, "pers"] for _, m in rows],
            "person_table_id": [w.people.at[m, "sen"] for _, m in rows],
        }
    )
    return pd.concat([births, added.astype(births.dtypes.to_dict())], ignore_index=True)


def _cases(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """linkage_cases: one row per child (or, for twins, per pair of records) and case, in CASES order."""
    cases = pd.concat(parts, ignore_index=True).drop_duplicates()
    cases["order"] = cases["case"].map({c: i for i, c in enumerate(CASES)})
    cases = cases.sort_values(["order", "pers", "sen"], ignore_index=True)
    return pd.DataFrame(
        {
            "pers_person_id": cases["pers"].replace("", None),
            "person_table_id": cases["sen"].replace("", None),
            "case": cases["case"],
        }
    )
