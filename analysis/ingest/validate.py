"""Validate an extract: types, codes and keys (pandera) plus cross-table rules, one problem per row.

Each problem names the table, file, row (line in the file), column, value, rule and severity. Errors stop the
run; warnings are reported in the Data quality chapter. Nothing is dropped silently.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
from pandera.errors import SchemaErrors

from analysis.contract import codes, schema
from analysis.ingest.files import RawTable

LONG_FACTOR = "cinf_assessment_factor"  # one row per factor, the alternative to the JSON array

PROBLEM_COLUMNS = ["table", "file", "row", "column", "value", "rule", "severity"]


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
    """ISO (yyyy-mm-dd, with or without a time), UK dd/mm/yyyy, or Excel serial day numbers."""
    s = values.astype("string")
    out = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")  # the usual form, parsed in one vectorised pass
    rest = s.notna() & out.isna()
    if rest.any():  # only the other forms go through the pattern matching
        r = s[rest]
        other = pd.to_datetime(r.where(r.str.match(r"^\d{4}-\d{2}-\d{2}")), format="ISO8601", errors="coerce")
        uk = r.str.match(r"^\d{1,2}/\d{1,2}/\d{4}$").fillna(False)
        other = other.where(~uk, pd.to_datetime(r.where(uk), format="%d/%m/%Y", errors="coerce"))
        serial = r.str.match(r"^\d{4,5}(\.0+)?$").fillna(False)
        days = pd.to_numeric(r.where(serial), errors="coerce")
        other = other.where(~serial, pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D"))
        out = out.astype("datetime64[ns]")
        out[rest] = other.astype("datetime64[ns]")
    return out.dt.normalize().astype("datetime64[ns]")


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
    raw_tables: dict[str, RawTable], extract_date: pd.Timestamp | None = None, read_problems: list[dict] = ()
) -> ValidationResult:
    """Type every table and check it against the contract and the cross-table rules. `read_problems` are those
    found while reading (e.g. the XML adapters'), reported alongside."""
    found = _Collector()
    found.rows.extend(read_problems)
    typed: dict[str, pd.DataFrame] = {}
    for name, raw in raw_tables.items():
        typed[name] = _type_table(schema.TABLE[name], raw, found)
    _cross_table(raw_tables, typed, found, extract_date)
    problems = found.frame()
    # a value that failed to parse is reported once, not again as "missing"
    unparsed = problems[problems["rule"] != "required value is missing"][["table", "row", "column"]]
    flagged = problems.merge(unparsed.drop_duplicates(), how="left", indicator=True)["_merge"] == "both"
    problems = problems[~(flagged.to_numpy() & (problems["rule"] == "required value is missing").to_numpy())]
    order = pd.to_numeric(problems["row"], errors="coerce")  # XML problems give rows as text, e.g. "child 12"
    problems = (
        problems.assign(_order=order)
        .sort_values(["severity", "table", "_order", "column"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    return ValidationResult(typed, problems)


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
    missing = [c for c in table.column_names if c not in frame.columns]
    for col in missing:
        found.add(raw, pd.Series([1]), col, pd.Series([""]), "required column missing from the header")
    extra = [c for c in frame.columns if c != "_row" and c not in table.column_names]
    for col in extra:
        found.add(raw, pd.Series([1]), col, pd.Series([col]), "column not in the contract (ignored)", "warning")
    out = pd.DataFrame({"_row": frame["_row"]})
    for col in table.columns:
        if col.name not in frame.columns:
            out[col.name] = pd.Series(
                pd.NA, index=frame.index, dtype="datetime64[ns]" if col.kind == schema.DATE else "string"
            )
            continue
        values = frame[col.name]
        if col.kind == schema.DATE:
            parsed = _parse_dates(values)
            bad = values.notna() & parsed.isna()
            found.add(
                raw,
                frame.loc[bad, "_row"],
                col.name,
                values[bad],
                "not a date (use yyyy-mm-dd, dd/mm/yyyy or an Excel date)",
            )
            out[col.name] = parsed
        else:
            out[col.name] = values
    if missing:
        return out
    try:
        schema.pandera_schema(table).validate(out, lazy=True)
    except SchemaErrors as exc:
        _pandera_problems(exc, raw, out, found)
    return out


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
    raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector, extract_date: pd.Timestamp | None
) -> None:
    """The rules that need more than one column or table, each reported in this order."""
    _orphan_references(raw, typed, found)
    _implausible_event_dates(raw, typed, found, extract_date)
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


_EVENT_DATES = (  # (table, person column, event date column, whose birth date: "ssd" or "sen2")
    ("ssd_contacts", "cont_person_id", "cont_contact_date", "ssd"),
    ("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "ssd"),
    ("ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date", "ssd"),
    ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "ssd"),
    ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", "ssd"),
    ("sen2_requests", "person_table_id", "received_date", "sen2"),
    ("adversity_review", "person_id", "date_first_documented", "ssd"),
)


def _implausible_event_dates(
    raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], found: _Collector, extract_date: pd.Timestamp | None
) -> None:
    """Events dated before the child's birth or after the extract date."""
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
        if extract_date is not None:
            after = frame[date_col] > extract_date
            found.add(
                raw[name],
                frame.loc[after, "_row"],
                date_col,
                frame.loc[after, date_col].dt.date,
                "event dated after the extract date",
            )


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


def write_report(problems: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    problems.to_csv(path, index=False, lineterminator="\n")
