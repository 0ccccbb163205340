"""Read the DfE statutory returns as XML into the canonical raw tables: the annual CIN census and SEN2.

The files are streamed (`iterparse` on each `Child` or `Person`, cleared after use), so a 200 MB return never needs
a 200 MB tree. The standard library's parser is used; `lxml.etree` offers the same calls if it is ever preferred.

Nothing here raises on a bad file: every problem (a cut-short or non-XML file, another collection's file, an
unknown schema year, a record without the date its identifier needs, conflicting identifiers across years) becomes
a problem row with the keys of `validate.PROBLEM_COLUMNS`, with `row` saying where in the file ("child 12", or
"line 40, column 3" where the XML broke). Typing, code lists and cross-table rules are left to `validate`.

A file that declares a DOCTYPE or ENTITY is refused before it is parsed (entity expansion can make gigabytes of a
few lines, and external entities read other files). The DfE rules that touch what the report reads are checked
here, against each return's own header: the reference date must be the collection's (CIN: 31 March of the
collection year, DfE rule 100; SEN2: within the collection year), nothing may be dated after it (DfE 8520, 8600
and the like: a 2023 return labelled 2019 shows as events after its reference date), a UPN must have the DfE
format (rules 1510-1550) and not come with a UPNunknown reason, and an expected birth date must be plausible
(8530Q). The rest (closure or authorisation before the start, death before the child's referrals) is checked by
`validate` for every source alike.

Identifiers are made from the records themselves, so that the same referral gets the same id in every year:
  CIN census   referral `{LAchildID}/{CINreferralDate}`; within it `/A/{start}` (assessment; its factor row adds
               `/factors`), `/CINP/{start}`, `/S47/{start}`, `/CPP/{start}`; a repeat within one child in one
               return gets `#2`, `#3`. A record without the date its id needs is skipped with an error.
  SEN2         The SEN2 person-level XML has no person identifier of its own (the `persontableid` and `NativeId`
               seen in COLLECT exports are database keys added after submission), so a person is `P{position}`;
               request `{person}/{ReceivedDate}`; then by position within the parent: `/A1` (assessment),
               `/NP1` (named plan), `/AP1` (active plan), `/N1` (SEN need).

Rows: CIN census rows come from several annual files. The consecutive returns overlap, so each record is kept once,
in its version from the latest return that holds it. A table's `path` is the latest census file, and `_row` is
`year * 1,000,000 + position`, so row 2023000512 is child 512 in the 2023 return. SEN2 rows are person positions.

Not in the returns, so left missing or empty: CSC names and postcodes, contacts, early help, CLA episodes and
section 47 end dates. In the returns but with no column in the contract, so not read: closure reason, NFA,
disabilities, ICPC dates, CP reviews, former UPN; SEN2 ULN, mediation, tribunal, personal budgets, plan and
placement details. The death date is read into the contract's extra column `pers_death_date`, for checking.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from analysis.contract import schema
from analysis.ingest.files import RawTable, problem

ROW_YEAR = 1_000_000  # a CIN census row's _row is year * ROW_YEAR + the child's position in that year's return
ORDER = ["_year", "_order", "_pos"]  # return year, file order, position in file: later wins
SEX_OF_GENDER = {"1": "M", "2": "F", "0": "U", "9": "U"}  # GenderCurrent -> sex (0 not recorded, 9 indeterminate)
# DfE UPN: a check letter (not I, O or S), the LA number, the school number and year, a serial; the last character
# a letter for a temporary UPN (DfE CIN rules 1510-1550; the check letter itself is not recomputed here).
UPN_FORMAT = re.compile(r"[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]")
DECLARATIONS = tuple(
    word.encode(enc) for word in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be")
)
REFUSED = (
    "declares a DOCTYPE or ENTITY, which can expand to gigabytes or read other files; the file was refused unread "
    "(a DfE return has none: re-export it)"
)


@dataclasses.dataclass(frozen=True)
class _Collection:
    name: str  # Header/CollectionDetails/Collection
    container: str
    record: str
    years: range  # schema years whose layout and code lists this project knows
    label: str  # the problem "table" for problems with the file as a whole
    dates: dict[str, tuple[str, str]]  # the dated elements the report reads -> (table, column)


CIN = _Collection(
    "CIN",
    "Children",
    "Child",
    range(2017, 2027),
    "cin_census",
    {
        "PersonDeathDate": ("ssd_person", "pers_death_date"),
        "CINreferralDate": ("ssd_cin_episodes", "cine_referral_date"),
        "CINclosureDate": ("ssd_cin_episodes", "cine_close_date"),
        "AssessmentActualStartDate": ("ssd_cin_assessments", "cina_assessment_start_date"),
        "AssessmentAuthorisationDate": ("ssd_cin_assessments", "cina_assessment_auth_date"),
        "CINPlanStartDate": ("ssd_cin_plans", "cinp_cin_plan_start_date"),
        "CINPlanEndDate": ("ssd_cin_plans", "cinp_cin_plan_end_date"),
        "S47ActualStartDate": ("ssd_s47_enquiry", "s47e_s47_start_date"),
        "CPPstartDate": ("ssd_cp_plans", "cppl_cp_plan_start_date"),
        "CPPendDate": ("ssd_cp_plans", "cppl_cp_plan_end_date"),
    },
)
SEN2 = _Collection(
    "SEN2",
    "Persons",
    "Person",
    range(2023, 2027),
    "sen2_return",
    {
        "ReceivedDate": ("sen2_requests", "received_date"),
        "RequestOutcomeDate": ("sen2_requests", "request_outcome_date"),
        "AssessmentOutcomeDate": ("sen2_assessment", "assessment_outcome_date"),
        "StartDate": ("sen2_named_plan", "start_date"),
        "CeaseDate": ("sen2_named_plan", "cease_date"),
        "LastReview": ("sen2_active_plans", "last_review"),
    },
)


class _At(NamedTuple):
    """Where a record came from: file name, return year, file order, position in the file, and the return's
    reference date (None when its header gives none that can be used)."""

    file: str
    year: int
    order: int
    position: int
    reference: dt.date | None = None

    def problem(self, table: str, column: str, value, rule: str, severity: str = "error") -> dict:
        return _problem(table, self.file, f"child {self.position}", column, value, rule, severity)


_problem = problem  # a problem row for the validation report (`validate.PROBLEM_COLUMNS`)


def _text(el: ET.Element, path: str) -> str | None:
    """The stripped text at `path` under `el`, or None when absent or blank."""
    value = el.findtext(path)
    return (value.strip() or None) if value is not None else None


def _parts(el: ET.Element) -> tuple[dict[str, str | None], dict[str, list[ET.Element]]]:
    """One pass over `el`'s children: the stripped text of each (first of a tag wins) and the children by tag."""
    text: dict[str, str | None] = {}
    groups: dict[str, list[ET.Element]] = {}
    for c in el:
        groups.setdefault(c.tag, []).append(c)
        if c.tag not in text:
            text[c.tag] = (c.text.strip() or None) if c.text else None
    return text, groups


def _first(groups: dict[str, list[ET.Element]], tag: str) -> dict[str, str | None]:
    """The fields of the first `tag` child, or none."""
    return _parts(groups[tag][0])[0] if tag in groups else {}


def _unique(base: str, seen: set[str]) -> str:
    """`base`, or `base#2`, `base#3`... when the same parent already used it."""
    key, n = base, 1
    while key in seen:
        n += 1
        key = f"{base}#{n}"
    seen.add(key)
    return key


def _sex(gender: str | None) -> str:
    return SEX_OF_GENDER.get(gender or "", "U")


# --- streaming one return file ----------------------------------------------------------------------------------


class _Source:
    """One return file, streamed: checks its header, yields (position, record element), notes problems."""

    def __init__(self, path: Path, collection: _Collection, problems: list[dict]):
        self.path, self.collection, self.problems = Path(path), collection, problems
        self.year: int | None = None
        self.reference: dt.date | None = None

    def _fail(self, row: str, column: str, value, rule: str, severity: str = "error") -> None:
        self.problems.append(_problem(self.collection.label, self.path.name, row, column, value, rule, severity))

    def _header(self, header: ET.Element) -> None:
        year = _header_year(header, self.collection, self._fail)
        if year is not None:
            self.year = year
            self.reference = _reference_date(header, self.collection, year, self._fail)

    def records(self) -> Iterator[tuple[int, ET.Element]]:
        """Stream the records; each element is cleared once the caller has taken what it needs."""
        container, n, header_seen = None, 0, False
        try:
            if _declares_entities(self.path):
                return self._fail("", "", "", REFUSED)
            with open(self.path, "rb") as f:
                for event, el in ET.iterparse(f, events=("start", "end")):
                    if event == "start":
                        if el.tag == self.collection.container:
                            container = el
                        continue
                    if el.tag == self.collection.record:
                        n += 1
                        if not header_seen:
                            self._fail(
                                "header",
                                "Header",
                                "",
                                "no Header/CollectionDetails before the first record; the file was skipped",
                            )
                            return
                        yield n, el
                        el.clear()
                        if container is not None and len(container) and container[-1] is el:
                            del container[-1]
                    elif el.tag == "Header":
                        header_seen = True
                        self._header(el)
                        if self.year is None:
                            return
        except ET.ParseError as exc:
            line, column = exc.position
            kept = f"the {n} {self.collection.record} records before it were read" if n else "nothing was read"
            self._fail(
                f"line {line}, column {column}", "", exc, f"the file is cut short or is not well-formed XML; {kept}"
            )
        except OSError as exc:
            self._fail("", "", exc, "the file cannot be read")


def _header_year(header: ET.Element, collection: _Collection, fail) -> int | None:
    """The collection year a return's header gives, or None (with a problem) if the file is another collection's
    or has no year, so that it is skipped; a year this project does not know is only warned about."""
    found = _text(header, "CollectionDetails/Collection")
    year = _text(header, "CollectionDetails/Year")
    if found != collection.name:
        fail(
            "header",
            "Header/CollectionDetails/Collection",
            found,
            f"not a {collection.name} return; the file was skipped",
        )
        return None
    if not (year or "").isdigit():
        fail("header", "Header/CollectionDetails/Year", year, "not a collection year; the file was skipped")
        return None
    if int(year) not in collection.years:
        fail(
            "header",
            "Header/CollectionDetails/Year",
            year,
            f"schema year not known to this project ({collection.years[0]}-{collection.years[-1]}); read as usual",
            "warning",
        )
    return int(year)


def _declares_entities(path: Path) -> bool:
    """Whether a file holds a DOCTYPE or ENTITY declaration, looked for in its bytes so that nothing is parsed."""
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            block = tail + chunk
            if any(word in block for word in DECLARATIONS):
                return True
            tail = block[-32:]
    return False


def _day(text: str | None) -> dt.date | None:
    """A yyyy-mm-dd date (a time after it ignored), or None when absent or not a date."""
    try:
        return dt.date.fromisoformat(text.strip()[:10]) if text else None
    except ValueError:
        return None


def _reference_date(header: ET.Element, collection: _Collection, year: int, fail) -> dt.date:
    """The return's reference date, checked against its collection year: the CIN census date is 31 March of the
    collection year (DfE rule 100); the SEN2 census date falls within it. The date returned is the one later dates
    are judged by: the CIN census's 31 March whatever the header says, the SEN2 date given if it is in the right
    year, else the end of that year."""
    column, text = "Header/CollectionDetails/ReferenceDate", _text(header, "CollectionDetails/ReferenceDate")
    end = dt.date(year, 3, 31) if collection is CIN else dt.date(year, 12, 31)
    given = _day(text)
    if text is None:
        fail("header", column, None, f"no ReferenceDate; {end} is assumed", "warning")
    elif given is None:
        fail("header", column, text, f"not a date (yyyy-mm-dd); {end} is assumed")
    elif collection is CIN and given != end:
        fail("header", column, text, f"not 31 March of the collection year {year} (DfE rule 100)")
    elif given.year != year:
        fail("header", column, text, f"not in the collection year {year}")
    return given if collection is SEN2 and given and given.year == year else end


def _collection_of(path: Path, problems: list[dict]) -> tuple[_Collection, int | None] | None:
    """Tell a CIN census file from a SEN2 file by its header (or, failing that, its root's content)."""
    kinds = {c.name: c for c in (CIN, SEN2)}
    containers = {c.container: c for c in (CIN, SEN2)}
    try:
        if _declares_entities(path):
            problems.append(_problem("returns", path.name, "", "", "", REFUSED))
            return None
        with open(path, "rb") as f:
            for event, el in ET.iterparse(f, events=("start", "end")):
                if event == "start" and el.tag in containers:
                    return containers[el.tag], None
                if event == "end" and el.tag == "Header":
                    found, year = _text(el, "CollectionDetails/Collection"), _text(el, "CollectionDetails/Year")
                    if found in kinds:
                        return kinds[found], int(year) if (year or "").isdigit() else None
                    problems.append(
                        _problem(
                            "returns",
                            path.name,
                            "header",
                            "Header/CollectionDetails/Collection",
                            found,
                            "not a CIN census or SEN2 return; the file was skipped",
                        )
                    )
                    return None
    except ET.ParseError as exc:
        line, column = exc.position
        problems.append(
            _problem(
                "returns",
                path.name,
                f"line {line}, column {column}",
                "",
                exc,
                "not well-formed XML; the file was skipped",
            )
        )
        return None
    except OSError as exc:
        problems.append(_problem("returns", path.name, "", "", exc, "the file cannot be read"))
        return None
    problems.append(_problem("returns", path.name, "", "", "", "neither a CIN census nor a SEN2 return; skipped"))
    return None


def _raw(name: str, path: Path, frame: pd.DataFrame) -> RawTable:
    """A RawTable in ingest's form: `_row` then the contract columns as strings (missing as <NA>), any extra
    column the frame has, and `_expected_dob` (true where an unborn child's expected birth date is the birth date)."""
    table = schema.TABLE[name]
    columns = table.column_names + [c.name for c in table.extra_columns if c.name in frame]
    out = frame.reindex(columns=columns).astype("string")
    out.insert(0, "_row", frame["_row"].to_numpy() if "_row" in frame else pd.Series(dtype="int64"))
    if "_expected_dob" in frame:
        out["_expected_dob"] = frame["_expected_dob"].to_numpy(dtype=bool)
    return RawTable(name, path, out.reset_index(drop=True))


# --- the DfE rules on a record ----------------------------------------------------------------------------------


def _check_identifiers(ids: dict[str, str | None], at: _At, problems: list[dict], table: str, prefix: str) -> None:
    """The DfE rules on a child's identifiers that the report relies on: a UPN in the DfE format (rules 1510-1550)
    and not together with a UPNunknown reason, a birth date on or before the reference date (8520), a plausible
    expected birth date. `prefix` makes the contract's column names (`pers` gives pers_upn and pers_dob)."""
    upn_col, birth_col = (f"{prefix}_upn", f"{prefix}_dob") if prefix else ("upn", "person_birth_date")
    upn, unknown, birth = ids.get("UPN"), ids.get("UPNunknown"), ids.get("PersonBirthDate")
    if upn and unknown:
        rule = "UPN given together with a UPNunknown reason; give one or the other"
        problems.append(at.problem(table, upn_col, f"{upn} / {unknown}", rule))
    if upn and not UPN_FORMAT.fullmatch(upn):
        rule = "not a UPN: 13 characters, a check letter, 11 digits, then a digit or a letter (DfE rules 1510-1550)"
        problems.append(at.problem(table, upn_col, upn, rule))
    if at.reference and (_day(birth) or dt.date.min) > at.reference:
        rule = f"born after the return's reference date ({at.reference}) (DfE rule 8520)"
        problems.append(at.problem(table, birth_col, birth, rule))
    if "ExpectedPersonBirthDate" in ids:
        _check_expected(ids["ExpectedPersonBirthDate"], at, problems)


def _check_expected(text: str | None, at: _At, problems: list[dict]) -> None:
    """An unborn child's expected birth date: from 1900 to nine months after the reference date, or it is wrong.
    More than 30 days before the reference date is asked about (DfE rule 8530Q): the birth may not be recorded."""
    day, column = _day(text), "ExpectedPersonBirthDate"
    if text is None:
        return
    if day is None:
        problems.append(at.problem("ssd_person", column, text, "not a date (yyyy-mm-dd)"))
        return
    latest = (pd.Timestamp(at.reference) + pd.DateOffset(months=9)).date() if at.reference else dt.date.max
    if day.year < 1900 or day > latest:
        rule = f"expected birth date not plausible: before 1900 or more than nine months after {at.reference}"
        problems.append(at.problem("ssd_person", column, text, rule))
    elif at.reference and day < at.reference - dt.timedelta(days=30):
        rule = f"expected birth date more than 30 days before {at.reference}: is the child born? (DfE rule 8530Q)"
        problems.append(at.problem("ssd_person", column, text, rule, "warning"))


def _after_reference(el: ET.Element, at: _At, collection: _Collection, problems: list[dict]) -> None:
    """Every date the report reads in a record that is after its return's reference date: a record of a later
    year, or a return labelled with the wrong year (DfE rules 8600, 8620 and the like)."""
    if at.reference is None:
        return
    for sub in el.iter():
        where = collection.dates.get(sub.tag)
        day = _day(sub.text) if where else None
        if day and day > at.reference:
            rule = f"dated after the return's reference date ({at.reference}); is the collection year right?"
            problems.append(at.problem(*where, sub.text.strip(), rule))


# --- CIN census -------------------------------------------------------------------------------------------------

_CIN_COLUMNS = {
    "person": ["child", "upn", "birth", "expected", "gender", "ethnicity", "death"],
    "ssd_cin_episodes": schema.TABLE["ssd_cin_episodes"].column_names,
    "ssd_cin_assessments": schema.TABLE["ssd_cin_assessments"].column_names + ["_factors"],
    "ssd_cin_plans": schema.TABLE["ssd_cin_plans"].column_names,
    "ssd_s47_enquiry": schema.TABLE["ssd_s47_enquiry"].column_names,
    "ssd_cp_plans": schema.TABLE["ssd_cp_plans"].column_names,
}


@dataclasses.dataclass
class _CinChild:
    """One census `Child` being read: where it came from, its LAchildID, and the ids its records have taken, so
    that a repeat within the child gets `#2` (and a warning) wherever it sits."""

    at: _At
    child: str
    rows: dict[str, list]
    problems: list[dict]
    seen: set[str] = dataclasses.field(default_factory=set)

    def add(self, table: str, *values) -> None:
        """Append a row to `table`, followed by the year, file order and position that decide which version wins."""
        self.rows[table].append((*values, self.at.year, self.at.order, self.at.position))

    def dated(self, groups: dict[str, list], tag: str, date_tag: str, prefix: str, table: str, column: str):
        """(id, start date, fields, groups) for each `tag` element that has the date its id is made from."""
        for sub in groups.get(tag, ()):
            fields, subgroups = _parts(sub)
            start = fields.get(date_tag)
            if start is None:
                self.problems.append(
                    self.at.problem(
                        table, column, None, f"{tag} has no {date_tag}; the record (and anything it holds) was skipped"
                    )
                )
                continue
            key = _unique(f"{prefix}{start}", self.seen)
            if key != f"{prefix}{start}":
                self.problems.append(
                    self.at.problem(
                        table,
                        column,
                        start,
                        f"another {tag} of this child has the same "
                        f"{date_tag}; records are matched across census years by that date, so "
                        "these may be mixed up",
                        "warning",
                    )
                )
            yield key, start, fields, subgroups


def _cin_child(el: ET.Element, at: _At, rows: dict[str, list], problems: list[dict]) -> None:
    """Append one `Child` element's records to `rows` (tuples in `_CIN_COLUMNS` order, then year, order, position)."""
    _, groups = _parts(el)
    ids = _first(groups, "ChildIdentifiers")
    child = ids.get("LAchildID")
    if child is None:
        problems.append(
            at.problem("ssd_person", "pers_person_id", None, "child has no LAchildID; the child was skipped")
        )
        return
    gender = ids.get("GenderCurrent")
    if gender is not None and gender not in SEX_OF_GENDER:
        problems.append(
            at.problem(
                "ssd_person", "pers_sex", gender, "not a GenderCurrent code (1, 2, 0 or 9); read as U", "warning"
            )
        )
    _check_identifiers(ids, at, problems, "ssd_person", "pers")
    _after_reference(el, at, CIN, problems)
    c = _CinChild(at, child, rows, problems)
    c.add(
        "person",
        child,
        ids.get("UPN"),
        ids.get("PersonBirthDate"),
        ids.get("ExpectedPersonBirthDate"),
        gender,
        _first(groups, "ChildCharacteristics").get("Ethnicity"),
        ids.get("PersonDeathDate"),
    )
    for ref, ref_date, cin, parts in c.dated(
        groups, "CINdetails", "CINreferralDate", f"{child}/", "ssd_cin_episodes", "cine_referral_date"
    ):
        c.add(
            "ssd_cin_episodes",
            ref,
            child,
            ref_date,
            cin.get("PrimaryNeedCode"),
            cin.get("ReferralSource"),
            cin.get("CINclosureDate"),
        )
        _cin_assessments(c, ref, parts)
        _cin_plans(c, ref, parts)


def _cin_assessments(c: _CinChild, ref: str, parts: dict[str, list]) -> None:
    """A referral's assessments with their factors; an authorised assessment with no factors is warned about,
    since the census codes "none identified" as 21 rather than leaving the factors out."""
    for aid, start, a, sub in c.dated(
        parts,
        "Assessments",
        "AssessmentActualStartDate",
        f"{ref}/A/",
        "ssd_cin_assessments",
        "cina_assessment_start_date",
    ):
        auth = a.get("AssessmentAuthorisationDate")
        factors = sorted(
            {
                f.text.strip()
                for found in sub.get("FactorsIdentifiedAtAssessment", ())
                for f in found
                if f.tag == "AssessmentFactors" and f.text and f.text.strip()
            }
        )
        if auth and not factors:
            c.problems.append(
                c.at.problem(
                    "ssd_assessment_factors",
                    "cinf_assessment_factors_json",
                    aid,
                    "assessment authorised with no factors identified (21 means none)",
                    "warning",
                )
            )
        c.add("ssd_cin_assessments", aid, c.child, ref, start, auth, json.dumps(factors) if factors else None)


def _cin_plans(c: _CinChild, ref: str, parts: dict[str, list]) -> None:
    """A referral's CIN plans, section 47 enquiries and child protection plans, in that order."""
    for pid, start, p, _ in c.dated(
        parts, "CINPlanDates", "CINPlanStartDate", f"{ref}/CINP/", "ssd_cin_plans", "cinp_cin_plan_start_date"
    ):
        c.add("ssd_cin_plans", pid, ref, c.child, start, p.get("CINPlanEndDate"))
    for sid, start, _, _ in c.dated(
        parts, "Section47", "S47ActualStartDate", f"{ref}/S47/", "ssd_s47_enquiry", "s47e_s47_start_date"
    ):
        c.add("ssd_s47_enquiry", sid, ref, c.child, start, None)
    for cid, start, p, _ in c.dated(
        parts, "ChildProtectionPlans", "CPPstartDate", f"{ref}/CPP/", "ssd_cp_plans", "cppl_cp_plan_start_date"
    ):
        c.add(
            "ssd_cp_plans",
            cid,
            ref,
            c.child,
            start,
            p.get("CPPendDate"),
            p.get("InitialCategoryOfAbuse"),
            p.get("LatestCategoryOfAbuse"),
        )


def read_cin_census(paths: list[Path]) -> tuple[dict[str, RawTable], list[dict]]:
    """Read one or many annual CIN census XML files into the SSD-shaped tables the census can fill.

    Records repeated in consecutive years are kept once, in the latest year's version; a person's identifiers
    are the latest non-missing ones, and values that differ between years are reported.
    """
    problems: list[dict] = []
    if not paths:
        return {}, problems
    rows: dict[str, list] = {name: [] for name in _CIN_COLUMNS}
    files: list[tuple[int, int, Path]] = []
    for order, path in enumerate(paths):
        source = _Source(path, CIN, problems)
        for position, el in source.records():
            _cin_child(el, _At(source.path.name, source.year, order, position, source.reference), rows, problems)
        if source.year is not None:
            files.append((source.year, order, source.path))
    latest = max(files)[2] if files else Path(paths[-1])
    names = {order: path.name for _, order, path in files}
    frames = {name: pd.DataFrame(r, columns=_CIN_COLUMNS[name] + ORDER) for name, r in rows.items()}
    tables = {"ssd_person": _raw("ssd_person", latest, _cin_people(frames["person"], names, problems))}
    for name in _CIN_COLUMNS:
        if name != "person":
            frame = _latest(frames[name], schema.TABLE[name].key)
            tables[name] = _raw(name, latest, frame)
    asm = _latest(frames["ssd_cin_assessments"].dropna(subset=["_factors"]), "cina_assessment_id")
    factors = asm.assign(
        cinf_table_id=asm["cina_assessment_id"] + "/factors",
        cinf_assessment_id=asm["cina_assessment_id"],
        cinf_assessment_factors_json=asm["_factors"],
    )
    tables["ssd_assessment_factors"] = _raw("ssd_assessment_factors", latest, factors)
    for name in ("ssd_contacts", "ssd_cla_episodes"):  # required by the contract, not in the census
        tables[name] = _raw(name, latest, pd.DataFrame())
    return dict(sorted(tables.items())), problems


def _latest(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per `key`, the version from the latest return; `_row` says which return and child it came from."""
    out = frame.sort_values(ORDER, kind="stable").drop_duplicates(key, keep="last").sort_values(key)
    return out.assign(_row=out["_year"] * ROW_YEAR + out["_pos"])


def _cin_people(p: pd.DataFrame, names: dict[int, str], problems: list[dict]) -> pd.DataFrame:
    """ssd_person from every return's ChildIdentifiers: latest non-missing values win; differences are reported."""
    p = p.sort_values(ORDER, kind="stable")
    where = {k: (names[o], n) for k, o, n in zip(p["child"], p["_order"], p["_pos"])}  # latest return wins

    def report(child, column, value, rule, file=None, position=None):
        file, position = (file, position) if file else where[child]
        problems.append(_problem("ssd_person", file, f"child {position}", column, value, rule, "warning"))

    for child, order, position in p.loc[p.duplicated(["child", "_year", "_order"]), ["child", "_order", "_pos"]].values:
        report(
            child,
            "pers_person_id",
            child,
            "child appears more than once in one return; the later entry is used",
            names[order],
            position,
        )
    for col, column in (
        ("upn", "pers_upn"),
        ("birth", "pers_dob"),
        ("gender", "pers_sex"),
        ("ethnicity", "pers_ethnicity"),
    ):
        distinct = p.dropna(subset=[col]).drop_duplicates(["child", col])
        for child, g in distinct[distinct.duplicated("child", keep=False)].groupby("child", sort=True):
            report(
                child,
                column,
                ", ".join(f"{v} ({y})" for v, y in zip(g[col], g["_year"])),
                "differs between census years; the latest value is used",
            )
    last = p.groupby("child", sort=True).last()  # the latest non-missing value of each column
    unborn = last["birth"].isna() & last["expected"].notna()
    for child, expected in last.loc[unborn, "expected"].items():
        report(child, "pers_dob", expected, "no PersonBirthDate (unborn child?); the expected birth date is used")
    return pd.DataFrame(
        {
            "pers_person_id": last.index,
            "pers_upn": last["upn"].to_numpy(),
            "pers_sex": [_sex(g) for g in last["gender"]],
            "pers_ethnicity": last["ethnicity"].to_numpy(),
            "pers_dob": last["birth"].fillna(last["expected"]).to_numpy(),
            "pers_death_date": last["death"].to_numpy(),
            "_expected_dob": unborn.to_numpy(dtype=bool),
            "_row": (last["_year"] * ROW_YEAR + last["_pos"]).to_numpy(),
        }
    )


# --- SEN2 ---------------------------------------------------------------------------------------------------------

_SEN2_BOOL = {"true": "1", "false": "0", "1": "1", "0": "0"}


def _sen2_person(el: ET.Element, at: _At, rows: dict[str, list], problems: list[dict]) -> None:
    """Append one `Person` element's modules to `rows` (contract column order, then `_row`)."""
    person, r = f"P{at.position}", at.position
    f, groups = _parts(el)
    _check_identifiers(f, at, problems, "sen2_person", "")
    _after_reference(el, at, SEN2, problems)
    rows["sen2_person"].append(
        (
            person,
            f.get("UPN"),
            f.get("UPNunknown"),
            f.get("Forename"),
            f.get("Surname"),
            f.get("PersonBirthDate"),
            _sen2_sex(f, at, problems),
            f.get("Ethnicity"),
            f.get("PostCode"),
            r,
        )
    )
    seen: set[str] = set()
    for q, q_groups in map(_parts, groups.get("Requests", ())):
        req = _unique(f"{person}/{q.get('ReceivedDate') or 'no date'}", seen)
        rows["sen2_requests"].append(
            (
                req,
                person,
                q.get("ReceivedDate"),
                q.get("RequestSource"),
                q.get("RequestOutcome"),
                q.get("RequestOutcomeDate"),
                r,
            )
        )
        _sen2_assessments(req, q_groups, r, rows)
        _sen2_active_plans(req, q_groups, r, rows)


def _sen2_sex(f: dict[str, str | None], at: _At, problems: list[dict]) -> str:
    """The person's Sex, or failing that their GenderCurrent read as a sex (older schemas have only the latter)."""
    sex = f.get("Sex")
    if sex is None:
        gender = f.get("GenderCurrent")
        if gender is not None and gender not in SEX_OF_GENDER:
            problems.append(
                at.problem(
                    "sen2_person", "sex", gender, "not a GenderCurrent code (1, 2, 0 or 9); read as U", "warning"
                )
            )
        sex = _sex(gender)
    return sex


def _sen2_assessments(req: str, q_groups: dict[str, list], r: int, rows: dict[str, list]) -> None:
    """A request's assessments and the plans named after each, numbered by position (SEN2 gives them no ids)."""
    for i, (a, a_groups) in enumerate(map(_parts, q_groups.get("Assessment", ())), 1):
        week20 = a.get("Week20")
        rows["sen2_assessment"].append(
            (
                f"{req}/A{i}",
                req,
                a.get("AssessmentOutcome"),
                a.get("AssessmentOutcomeDate"),
                _SEN2_BOOL.get((week20 or "").lower(), week20),
                r,
            )
        )
        for j, (n, _) in enumerate(map(_parts, a_groups.get("NamedPlan", ())), 1):
            rows["sen2_named_plan"].append(
                (f"{req}/A{i}/NP{j}", f"{req}/A{i}", n.get("StartDate"), n.get("CeaseDate"), n.get("CeaseReason"), r)
            )


def _sen2_active_plans(req: str, q_groups: dict[str, list], r: int, rows: dict[str, list]) -> None:
    """A request's active plans and the SEN needs of each, numbered by position."""
    for i, (ap, ap_groups) in enumerate(map(_parts, q_groups.get("ActivePlans", ())), 1):
        rows["sen2_active_plans"].append((f"{req}/AP{i}", req, ap.get("LastReview"), r))
        for j, (need, _) in enumerate(map(_parts, ap_groups.get("SENneed", ())), 1):
            rows["sen2_sen_need"].append(
                (f"{req}/AP{i}/N{j}", f"{req}/AP{i}", need.get("SENtype"), need.get("SENtypeRank"), r)
            )


_SEN2_TABLES = (
    "sen2_person",
    "sen2_requests",
    "sen2_assessment",
    "sen2_named_plan",
    "sen2_active_plans",
    "sen2_sen_need",
)


def read_sen2(path: Path) -> tuple[dict[str, RawTable], list[dict]]:
    """Read a SEN2 person-level XML return into the six SEN2 module tables."""
    problems: list[dict] = []
    rows: dict[str, list] = {name: [] for name in _SEN2_TABLES}
    source = _Source(path, SEN2, problems)
    for position, el in source.records():
        _sen2_person(el, _At(source.path.name, source.year, 0, position, source.reference), rows, problems)
    tables = {
        name: _raw(name, source.path, pd.DataFrame(r, columns=schema.TABLE[name].column_names + ["_row"]))
        for name, r in rows.items()
    }
    return tables, problems


# --- a folder of returns ----------------------------------------------------------------------------------------


def read_returns(folder: Path) -> tuple[dict[str, RawTable], list[dict]]:
    """Read every `*.xml` return in `folder`: CIN census files (any number of years) and a SEN2 return.

    Files are told apart by their content, not their names. Only the tables found are returned, so SEN2 modules
    (or CSC tables) supplied as CSV can be merged in by the caller. Of several SEN2 returns, the latest is read.
    """
    problems: list[dict] = []
    found: dict[str, list[tuple[int, str, Path]]] = {"CIN": [], "SEN2": []}
    for path in sorted(p for p in Path(folder).iterdir() if p.suffix.lower() == ".xml"):
        if not path.is_file():
            problems.append(_problem("returns", path.name, "", "", "", "not a file (a folder or a broken link)"))
            continue
        kind = _collection_of(path, problems)
        if kind is not None:
            found[kind[0].name].append((kind[1] or 0, path.name, path))
    tables, more = read_cin_census([p for _, _, p in sorted(found["CIN"])])
    problems += more
    if found["SEN2"]:
        *older, (_, _, latest) = sorted(found["SEN2"])
        for _, name, _ in older:
            problems.append(
                _problem(
                    "returns",
                    name,
                    "",
                    "",
                    latest.name,
                    "more than one SEN2 return; only the latest (named in value) was read",
                    "warning",
                )
            )
        sen2, more = read_sen2(latest)
        tables.update(sen2)
        problems += more
    return tables, problems
