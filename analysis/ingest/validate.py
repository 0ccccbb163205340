"""Validate an extract: types, codes and keys (pandera) plus cross-table rules, one problem per row.

Each problem names the table, file, row (line in the file), column, value, rule and severity. Errors stop the
run; warnings are reported in the Data quality chapter. Nothing is dropped silently. Besides the contract, dates
must be plausible for a child in this study: born within `earliest_birth` (25 years before the extract date by
default) and the extract date, nothing dated after the extract date or before 1900, no death before the child's
records, no SEN2 request after age 25, no end before its start.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

import pandas as pd

from analysis.contract import codes, schema
from analysis.ingest.files import RawTable, problem

if TYPE_CHECKING:  # pandera loads when an extract is validated, not when a cached study is used
    from pandera.errors import SchemaErrors

LONG_FACTOR = "cinf_assessment_factor"  # one row per factor, the alternative to the JSON array

PROBLEM_COLUMNS = ["table", "file", "row", "column", "value", "rule", "severity"]
LATER_COLUMN = "column not in the header (added to the contract after earlier templates): read as empty"
MAX_AGE = 25  # years: the oldest a child or young person in this study (and on an EHC plan) can be
EARLIEST_DATE = pd.Timestamp("1900-01-01")  # nothing in a child's record is older
NOT_A_DATE = "not a date (use yyyy-mm-dd, dd/mm/yyyy or an Excel date)"
BARE_NUMBER = "not a date: a bare number, which could be a year, a count or an Excel day number (use yyyy-mm-dd)"
BEFORE_1900 = "dated before 1900: not a plausible date"
AFTER_EXTRACT = "dated after the extract date"
BORN_AFTER = "born after the extract date"
_ZONED = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"
UK = "Europe/London"


@dataclasses.dataclass
class ValidationResult:
    tables: dict[str, pd.DataFrame]  # typed tables; "_row" kept for traceability
    problems: pd.DataFrame

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "error"]

    @property
    def ok(self) -> bool:
        return self.errors.empty


def _parse_dates(values: pd.Series) -> pd.Series:
    """ISO (yyyy-mm-dd, with or without a time and a time zone) or UK dd/mm/yyyy. A bare number is not a date:
    Excel day numbers come only from the date cells of a workbook, which arrive here as ISO text, and a bare
    2014 in a CSV is more likely a year than 1905-07-06."""
    s = values.astype("string")
    out = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")  # the usual form, parsed in one vectorised pass
    rest = s.notna() & out.isna()
    if rest.any():  # only the other forms go through the pattern matching
        r = s[rest]
        other = pd.Series(pd.NaT, index=r.index, dtype="datetime64[ns]")
        zoned = r.str.match(_ZONED).fillna(False).astype(bool)
        iso = r.str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False).astype(bool) & ~zoned
        uk = r.str.match(r"^\d{1,2}/\d{1,2}/\d{4}$").fillna(False).astype(bool)
        other[iso] = _iso_dates(r[iso])
        other[zoned] = _local_dates(r[zoned])
        other[uk] = pd.to_datetime(r[uk], format="%d/%m/%Y", errors="coerce")
        out = out.astype("datetime64[ns]")
        out[rest] = other
    return out.dt.normalize().astype("datetime64[ns]")


def _iso_dates(values: pd.Series) -> pd.Series:
    """ISO dates with or without a time; a value pandas cannot place (or out of its range, like 1066) is NaT."""
    try:
        return pd.to_datetime(values, format="ISO8601", errors="coerce").astype("datetime64[ns]")
    except (ValueError, TypeError):  # a time zone the pattern missed, mixed with naive values: one at a time
        return pd.Series([_one_date(v) for v in values], index=values.index, dtype="datetime64[ns]")


def _one_date(value: str):
    """One ISO value, a moment with a time zone taken as its UK date (as in `_local_dates`), else NaT."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return stamp.tz_convert(UK).tz_localize(None) if stamp.tzinfo else stamp


def _local_dates(values: pd.Series) -> pd.Series:
    """Dates given with a time and a time zone (2020-01-01T10:00:00Z, ...+01:00) are moments: each is taken as
    the date it was in UK local time, where the records were kept. So a midnight BST date exported in UTC as
    23:00Z the evening before keeps its day, and a date given with its own UK offset is unchanged."""
    moments = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
    return moments.dt.tz_convert(UK).dt.tz_localize(None).astype("datetime64[ns]")


class _Collector:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, raw: RawTable, rows: pd.Series, column: str, values: pd.Series, rule: str, severity: str = "error"):
        for r, v in zip(rows, values):
            self.rows.append(
                {
                    "table": raw.name,
                    "file": raw.path.name,
                    "row": int(r),
                    "column": column,
                    "value": "" if pd.isna(v) else str(v),
                    "rule": rule,
                    "severity": severity,
                }
            )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=PROBLEM_COLUMNS)


def validate(
    raw_tables: dict[str, RawTable],
    extract_date: pd.Timestamp | None = None,
    read_problems: list[dict] = (),
    earliest_birth: pd.Timestamp | None = None,
) -> ValidationResult:
    """Type every table and check it against the contract and the cross-table rules. `read_problems` are those
    found while reading (e.g. the XML adapters'), reported alongside those each table met while being read.

    `earliest_birth` is the earliest plausible birth date; by default 25 years before the extract date or, with
    no extract date, before the latest date in the extract. Missing required tables are one problem, so that a
    partial extract (only the SEN2 return, say) can still be checked; a build refuses it like any error.
    """
    found = _Collector()
    found.rows.extend(read_problems)
    for raw in raw_tables.values():
        found.rows.extend(raw.problems)
    _missing_tables(raw_tables, found)
    typed: dict[str, pd.DataFrame] = {}
    for name, raw in raw_tables.items():
        typed[name] = _type_table(schema.TABLE[name], raw, found)
    _cross_table(raw_tables, typed, found, extract_date, earliest_birth)
    for name, frame in typed.items():  # the extra columns were for checking only
        typed[name] = frame.drop(columns=[c.name for c in schema.TABLE[name].extra_columns if c.name in frame])
    return ValidationResult(typed, _tidy(found.frame()))


def _tidy(problems: pd.DataFrame) -> pd.DataFrame:
    """A value that failed to parse is reported once, not again as "missing"; then sorted for reading."""
    unparsed = problems[problems["rule"] != "required value is missing"][["table", "row", "column"]]
    flagged = problems.merge(unparsed.drop_duplicates(), how="left", indicator=True)["_merge"] == "both"
    problems = problems[~(flagged.to_numpy() & (problems["rule"] == "required value is missing").to_numpy())]
    order = pd.to_numeric(problems["row"], errors="coerce")  # XML problems give rows as text, e.g. "child 12"
    return (
        problems.assign(_order=order)
        .sort_values(["severity", "table", "_order", "column"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def _missing_tables(raw_tables: dict[str, RawTable], found: _Collector) -> None:
    """Every required table the extract lacks, as one problem."""
    missing = [t.name for t in schema.TABLES if not t.optional and t.name not in raw_tables]
    if missing:
        how = (
            "each as <table>.csv, .parquet or .xlsx, a sheet of that name, or in a CIN census or SEN2 XML return; "
            "see data_templates/data_dictionary.md"
        )
        found.rows.append(
            problem("(extract)", "(extract)", "", "", how, f"required tables missing: {', '.join(missing)}")
        )


def _factor_lists(raw: RawTable, found: _Collector) -> pd.DataFrame:
    """Assessment factors in the canonical form, one row per assessment with a JSON array of codes.

    Accepts the SSD JSON array (or its planned {"code": "Yes"} form) or one row per factor (`cinf_assessment_factor`).
    Unreadable arrays and unknown codes are errors on the row they came from.
    """
    frame = raw.frame
    if LONG_FACTOR in frame.columns and "cinf_assessment_factors_json" not in frame.columns:
        codes_ = frame[LONG_FACTOR].astype("string").str.upper()
        rows = frame.assign(_codes=codes_.map(lambda c: [] if pd.isna(c) else [c]))
    else:
        rows = frame.assign(
            _codes=frame.get("cinf_assessment_factors_json", pd.Series(pd.NA, index=frame.index)).map(
                _parse_factor_list
            )
        )
        bad = rows["_codes"].isna() & frame.get("cinf_assessment_factors_json", pd.Series(pd.NA)).notna()
        found.add(
            raw,
            frame.loc[bad, "_row"],
            "cinf_assessment_factors_json",
            frame.loc[bad, "cinf_assessment_factors_json"],
            'not a JSON array of factor codes, e.g. ["3B", "4B"]',
        )
        rows["_codes"] = rows["_codes"].map(lambda v: v if isinstance(v, list) else [])
    long = rows[["_row", "cinf_assessment_id", "_codes"]].explode("_codes").dropna(subset=["_codes"])
    unknown = ~long["_codes"].isin(list(codes.ASSESSMENT_FACTORS))
    column = LONG_FACTOR if LONG_FACTOR in frame.columns else "cinf_assessment_factors_json"
    found.add(raw, long.loc[unknown, "_row"], column, long.loc[unknown, "_codes"], "not a CIN assessment factor code")
    if LONG_FACTOR in frame.columns and "cinf_assessment_factors_json" not in frame.columns:
        grouped = rows.groupby("cinf_assessment_id", sort=False, dropna=False).agg(
            _row=("_row", "first"),
            cinf_table_id=("cinf_table_id", "first"),
            _codes=("_codes", lambda s: sorted({c for codes_ in s for c in codes_})),
        )
        rows = grouped.reset_index()
    rows = rows.assign(cinf_assessment_factors_json=rows["_codes"].map(json.dumps).astype("string"))
    return rows.drop(columns=["_codes"])


def _parse_factor_list(text) -> list[str] | None:
    if pd.isna(text):
        return []
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    if isinstance(value, dict):
        value = [k for k, v in value.items() if str(v).strip().lower() in ("yes", "y", "true", "1")]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    return [str(c).strip().upper() for c in value if str(c).strip()]


def _type_table(table: schema.Table, raw: RawTable, found: _Collector) -> pd.DataFrame:
    if table.name == "ssd_assessment_factors":
        raw = RawTable(raw.name, raw.path, _factor_lists(raw, found))
    frame = raw.frame
    missing = [c.name for c in table.columns if c.name not in frame.columns and not c.header_optional]
    for col in missing:
        found.add(raw, pd.Series([1]), col, pd.Series([""]), "required column missing from the header")
    for col in (c.name for c in table.columns if c.name not in frame.columns and c.header_optional):
        found.add(raw, pd.Series([1]), col, pd.Series([""]), LATER_COLUMN, "warning")
    known = set(table.column_names) | {c.name for c in table.extra_columns}
    extra = [c for c in frame.columns if not c.startswith("_") and c not in known]  # "_row" and the readers' own
    for col in extra:
        found.add(raw, pd.Series([1]), col, pd.Series([col]), "column not in the contract (ignored)", "warning")
    out = pd.DataFrame({"_row": frame["_row"]})
    for col in table.columns + tuple(c for c in table.extra_columns if c.name in frame.columns):
        if col.name not in frame.columns:
            out[col.name] = pd.Series(
                pd.NA, index=frame.index, dtype="datetime64[ns]" if col.kind == schema.DATE else "string"
            )
        elif col.kind == schema.DATE:
            out[col.name] = _typed_dates(raw, col.name, found)
        else:
            out[col.name] = frame[col.name]
    if missing:
        return out
    from pandera.errors import SchemaErrors

    try:
        schema.pandera_schema(table).validate(out, lazy=True)
    except SchemaErrors as exc:
        _pandera_problems(exc, raw, out, found)
    return out


def _typed_dates(raw: RawTable, column: str, found: _Collector) -> pd.Series:
    """A date column parsed, with an error for each value that is not a date or is before 1900."""
    frame, values = raw.frame, raw.frame[column]
    parsed = _parse_dates(values)
    bad = values.notna() & parsed.isna()
    number = bad & values.str.fullmatch(r"\d+(\.\d*)?").fillna(False).astype(bool)
    found.add(raw, frame.loc[number, "_row"], column, values[number], BARE_NUMBER)
    found.add(raw, frame.loc[bad & ~number, "_row"], column, values[bad & ~number], NOT_A_DATE)
    old = parsed < EARLIEST_DATE
    found.add(raw, frame.loc[old, "_row"], column, values[old], BEFORE_1900)
    return parsed


def _pandera_problems(exc: SchemaErrors, raw: RawTable, typed: pd.DataFrame, found: _Collector) -> None:
    cases = exc.failure_cases
    for _, case in cases.iterrows():
        col = case["column"]
        idx = case["index"]
        row = typed.loc[idx, "_row"] if idx is not None and not pd.isna(idx) and idx in typed.index else 1
        check = str(case["check"])
        if check == "not_nullable":
            rule = "required value is missing"
        elif "field_uniqueness" in check or check == "unique":
            rule = "duplicate identifier"
        elif "code list" in check:
            rule = check
        else:
            rule = f"failed check {check}"
        found.add(raw, pd.Series([row]), str(col), pd.Series([case["failure_case"]]), rule)


def _cross_table(
    raw: dict[str, RawTable],
    typed: dict[str, pd.DataFrame],
    found: _Collector,
    extract_date: pd.Timestamp | None,
    earliest_birth: pd.Timestamp | None,
) -> None:
    """The rules that need more than one column or table, each reported in this order."""
    _orphan_references(raw, typed, found)
    _review_names_a_person(raw, typed, found)
    _implausible_event_dates(raw, typed, found)
    _implausible_births(raw, typed, found, extract_date, earliest_birth)
    _after_extract(raw, typed, found, extract_date)
    _deaths(raw, typed, found)
    _sen2_request_age(raw, typed, found)
    _ends_before_starts(raw, typed, found)
    _factors_out_of_use(raw, typed, found)
    _authorised_before_start(raw, typed, found)
    _sen2_decisions_before_request(raw, typed, found)


def _orphan_references(raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector) -> None:
    """Foreign keys: every reference must point at an existing row (checked only when both tables were supplied)."""
    for table in schema.TABLES:
        if table.name not in typed:
            continue
        for col in table.columns:
            if not col.references or col.name not in typed[table.name]:
                continue
            target_table, target_col = col.references.split(".")
            if target_table not in typed:
                continue
            frame = typed[table.name]
            orphan = frame[col.name].notna() & ~frame[col.name].isin(typed[target_table][target_col].dropna())
            found.add(
                raw[table.name],
                frame.loc[orphan, "_row"],
                col.name,
                frame.loc[orphan, col.name],
                f"refers to a {target_table} row that does not exist",
            )


def _review_names_a_person(raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector) -> None:
    """A case review finding must say whose it is: the social care person, the SEND person, or both."""
    review = typed.get("adversity_review")
    if review is None:
        return
    nobody = review["person_id"].isna() & review["person_table_id"].isna()
    found.add(
        raw["adversity_review"],
        review.loc[nobody, "_row"],
        "person_id",
        review.loc[nobody, "person_id"],
        "names no person: give person_id (social care), person_table_id (SEND) or both",
    )


_EVENT_DATES = (  # (table, person column, event date column, whose birth date: "ssd" or "sen2")
    ("ssd_contacts", "cont_person_id", "cont_contact_date", "ssd"),
    ("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "ssd"),
    ("ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date", "ssd"),
    ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "ssd"),
    ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", "ssd"),
    ("sen2_requests", "person_table_id", "received_date", "sen2"),
    ("adversity_review", "person_id", "date_first_documented", "ssd"),
)


def _implausible_event_dates(raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector) -> None:
    """Events dated before the child's birth."""
    births = {
        "ssd": typed["ssd_person"].set_index("pers_person_id")["pers_dob"] if "ssd_person" in typed else None,
        "sen2": typed["sen2_person"].set_index("person_table_id")["person_birth_date"]
        if "sen2_person" in typed
        else None,
    }
    for name, person_col, date_col, side in _EVENT_DATES:
        if name not in typed or births[side] is None:
            continue
        frame = typed[name]
        dob = frame[person_col].map(births[side].loc[~births[side].index.duplicated()])
        before = frame[date_col] < dob
        # social care can start before birth (pre-birth assessments); a SEND request cannot
        found.add(
            raw[name],
            frame.loc[before, "_row"],
            date_col,
            frame.loc[before, date_col].dt.date,
            "event dated before the child's birth",
            "error" if side == "sen2" else "warning",
        )


_BIRTHS = (("ssd_person", "pers_dob"), ("sen2_person", "person_birth_date"), ("population", "birth_date"))


def _date_columns(table: schema.Table) -> list[str]:
    return [c.name for c in table.columns + table.extra_columns if c.kind == schema.DATE]


def _latest_date(typed: dict[str, pd.DataFrame]) -> pd.Timestamp | None:
    """The latest date anywhere in the extract: the extract date's stand-in when none is given."""
    dates = [f[c].max() for name, f in typed.items() for c in _date_columns(schema.TABLE[name]) if c in f]
    dates = [d for d in dates if pd.notna(d)]
    return max(dates) if dates else None


def _implausible_births(
    raw: dict[str, RawTable],
    typed: dict[str, pd.DataFrame],
    found: _Collector,
    extract_date: pd.Timestamp | None,
    earliest_birth: pd.Timestamp | None,
) -> None:
    """Birth dates no child in this study can have: a person already over 25 at their first record (the study
    covers ages 0 to 25; a child "born in 1965" with episodes in 2016), before `earliest_birth` when the run sets
    one, or after the extract date. An unborn child of the CIN census, whose expected birth date stands in for the
    birth date, may be due after the extract date (the reader checks that date against its return)."""
    first = _first_records(typed)
    for name, col in _BIRTHS:
        if name not in typed:
            continue
        f, frame = typed[name], raw[name].frame
        if earliest_birth is not None:
            early = f[col] < earliest_birth
            rule = f"born before {earliest_birth:%Y-%m-%d} (the earliest birth date set for this run)"
            found.add(raw[name], f.loc[early, "_row"], col, f.loc[early, col].dt.date, rule)
        seen = first[name](f) if name in first else pd.Series(pd.NaT, index=f.index)
        old = (_age(seen, f[col]) > MAX_AGE).fillna(False)
        rule = f"born more than {MAX_AGE} years before the person's first record (the study covers ages 0 to {MAX_AGE})"
        found.add(raw[name], f.loc[old, "_row"], col, f.loc[old, col].dt.date, rule)
        if extract_date is not None:
            unborn = frame["_expected_dob"].astype(bool) if "_expected_dob" in frame else pd.Series(False, f.index)
            late = (f[col] > extract_date) & ~unborn
            found.add(raw[name], f.loc[late, "_row"], col, f.loc[late, col].dt.date, BORN_AFTER)


def _first_records(typed: dict[str, pd.DataFrame]) -> dict:
    """For each person table, a function giving each row's first dated record: social care events for the social
    care person, requests for the SEND person, the date entered for the population."""
    firsts = {}
    for side, table, person_col in (
        ("ssd", "ssd_person", "pers_person_id"),
        ("sen2", "sen2_person", "person_table_id"),
    ):
        dates = [
            typed[t][[p, d]].set_axis(["person", "date"], axis=1)
            for t, p, d, s in _EVENT_DATES
            if s == side and t in typed and t != "adversity_review"
        ]
        if dates:
            first = pd.concat(dates).dropna().groupby("person")["date"].min()
            firsts[table] = lambda f, first=first, col=person_col: f[col].map(first)
    firsts["population"] = lambda f: f["entry_date"]
    return firsts


def _after_extract(
    raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector, extract_date: pd.Timestamp | None
) -> None:
    """Nothing can be dated after the extract date: not an event, nor an end, review or death (births have their
    own rule)."""
    if extract_date is None:
        return
    for name, frame in typed.items():
        for col in _date_columns(schema.TABLE[name]):
            if col in frame and (name, col) not in _BIRTHS:
                after = frame[col] > extract_date
                found.add(raw[name], frame.loc[after, "_row"], col, frame.loc[after, col].dt.date, AFTER_EXTRACT)


_LIFE_EVENTS = tuple((n, p, d) for n, p, d, side in _EVENT_DATES if side == "ssd" and n != "adversity_review")


def _deaths(raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector) -> None:
    """A child cannot die before being born, nor before one of their contacts, referrals, assessments, plans or
    care episodes (a death in 1980 before the child's episodes is a wrong date, not a history)."""
    p = typed.get("ssd_person")
    if p is None or "pers_death_date" not in p:
        return
    died = p["pers_death_date"]
    early = died < p["pers_dob"]
    found.add(
        raw["ssd_person"], p.loc[early, "_row"], "pers_death_date", died[early].dt.date, "death dated before birth"
    )
    events = [typed[n][[pc, dc]].set_axis(["person", "date"], axis=1) for n, pc, dc in _LIFE_EVENTS if n in typed]
    if not events:
        return
    last = pd.concat(events).groupby("person")["date"].max()
    later = (died < p["pers_person_id"].map(last)) & ~early
    rule = "death dated before the child's later records (a contact, referral, assessment, plan or care episode)"
    found.add(raw["ssd_person"], p.loc[later, "_row"], "pers_death_date", died[later].dt.date, rule)


def _age(at: pd.Series, born: pd.Series) -> pd.Series:
    """Age in whole years at `at` (NaN where either date is missing)."""
    years = at.dt.year - born.dt.year
    before_birthday = (at.dt.month < born.dt.month) | ((at.dt.month == born.dt.month) & (at.dt.day < born.dt.day))
    return years - before_birthday.astype(int)


def _sen2_request_age(raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector) -> None:
    """EHC needs assessments are for ages 0 to 25: a request after the 26th birthday is a wrong date (and would put
    a 40-year-old in the cohort). A request before birth is reported as an event before birth."""
    if not {"sen2_requests", "sen2_person"} <= set(typed):
        return
    q, people = typed["sen2_requests"], typed["sen2_person"]
    births = people.drop_duplicates("person_table_id").set_index("person_table_id")["person_birth_date"]
    old = _age(q["received_date"], q["person_table_id"].map(births)) > MAX_AGE
    rule = f"request received when the person was over {MAX_AGE} (EHC needs assessments are for ages 0 to {MAX_AGE})"
    found.add(raw["sen2_requests"], q.loc[old, "_row"], "received_date", q.loc[old, "received_date"].dt.date, rule)


_SPANS = (  # (table, start, end): an end cannot precede its start
    ("ssd_early_help_episodes", "earl_episode_start_date", "earl_episode_end_date"),
    ("ssd_cin_episodes", "cine_referral_date", "cine_close_date"),  # DfE CIN rule 8630
    ("ssd_cin_plans", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
    ("ssd_s47_enquiry", "s47e_s47_start_date", "s47e_s47_end_date"),
    ("ssd_cp_plans", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
    ("ssd_cla_episodes", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date"),
    ("ssd_linked_identifiers", "link_valid_from_date", "link_valid_to_date"),
    ("sen2_named_plan", "start_date", "cease_date"),
    ("population", "entry_date", "exit_date"),
)


def _ends_before_starts(raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector) -> None:
    """A closure or end date before its own start date: one of the two is wrong."""
    for name, start, end in _SPANS:
        if name in typed:
            f = typed[name]
            bad = f[end] < f[start]
            found.add(raw[name], f.loc[bad, "_row"], end, f.loc[bad, end].dt.date, f"dated before its start ({start})")


def _factors_out_of_use(raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector) -> None:
    """Factor codes that were not in the CIN census code list for the year the assessment was authorised."""
    if not {"ssd_assessment_factors", "ssd_cin_assessments"} <= set(typed):
        return
    f = typed["ssd_assessment_factors"].merge(
        typed["ssd_cin_assessments"][["cina_assessment_id", "cina_assessment_auth_date"]].drop_duplicates(
            "cina_assessment_id"
        ),
        left_on="cinf_assessment_id",
        right_on="cina_assessment_id",
        how="left",
    )
    f["code"] = f["cinf_assessment_factors_json"].map(lambda t: json.loads(t) if isinstance(t, str) else [])
    f = f.explode("code").dropna(subset=["code", "cina_assessment_auth_date"])
    auth = f["cina_assessment_auth_date"]
    year = auth.dt.year + (auth.dt.month > 3)
    out_of_use = [
        code in codes.ASSESSMENT_FACTORS and not codes.factor_valid_in(code, y) for code, y in zip(f["code"], year)
    ]
    f = f[pd.Series(out_of_use, index=f.index, dtype=bool)]
    found.add(
        raw["ssd_assessment_factors"],
        f["_row"],
        "cinf_assessment_factors_json",
        f["code"],
        "factor code not in the CIN census code list for that collection year",
        "warning",
    )


def _authorised_before_start(raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector) -> None:
    """An assessment cannot be authorised before it started."""
    if "ssd_cin_assessments" not in typed:
        return
    a = typed["ssd_cin_assessments"]
    bad = a["cina_assessment_auth_date"] < a["cina_assessment_start_date"]
    found.add(
        raw["ssd_cin_assessments"],
        a.loc[bad, "_row"],
        "cina_assessment_auth_date",
        a.loc[bad, "cina_assessment_auth_date"].dt.date,
        "assessment authorised before it started",
    )


def _sen2_decisions_before_request(raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector) -> None:
    """A SEN2 request's outcome, and its assessment's outcome, cannot precede the request."""
    if "sen2_requests" not in typed:
        return
    q = typed["sen2_requests"]
    bad = q["request_outcome_date"] < q["received_date"]
    found.add(
        raw["sen2_requests"],
        q.loc[bad, "_row"],
        "request_outcome_date",
        q.loc[bad, "request_outcome_date"].dt.date,
        "decision dated before the request was received",
    )
    if "sen2_assessment" in typed:
        a = typed["sen2_assessment"]
        received = a["requests_table_id"].map(
            q.drop_duplicates("requests_table_id").set_index("requests_table_id")["received_date"]
        )
        bad = a["assessment_outcome_date"] < received
        found.add(
            raw["sen2_assessment"],
            a.loc[bad, "_row"],
            "assessment_outcome_date",
            a.loc[bad, "assessment_outcome_date"].dt.date,
            "plan issued before its request was received",
        )


def summarise(problems: pd.DataFrame, examples: int = 3) -> str:
    """A readable summary: problems grouped by rule with counts and the first few examples."""
    if problems.empty:
        return "No problems found."
    lines = []
    for severity in ("error", "warning"):
        part = problems[problems["severity"] == severity]
        if part.empty:
            continue
        lines.append(f"{len(part)} {severity}{'s' if len(part) != 1 else ''}:")
        for (table, column, rule), grp in part.groupby(["table", "column", "rule"], sort=True):
            lines.append(f"  {table}.{column}: {rule} ({len(grp)} row{'s' if len(grp) != 1 else ''})")
            for _, p in grp.head(examples).iterrows():
                lines.append(f"    {p['file']} row {p['row']}: '{p['value']}'")
    return "\n".join(lines)
