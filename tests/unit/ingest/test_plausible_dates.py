"""Dates: the forms that are read (and a bare number that is not), and the plausibility rules for a child in this
study, each an error naming file, row, column and rule."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.contract import schema
from analysis.ingest import validate
from analysis.ingest.files import RawTable

EXTRACT = pd.Timestamp("2026-03-31")


def _raw(name: str, rows: list[dict], file: str | None = None, **extra) -> RawTable:
    """A raw table of the given rows (contract columns not given are blank), lines numbered from 2."""
    frame = pd.DataFrame(rows).reindex(columns=schema.TABLE[name].column_names + list(extra)).astype("string")
    for col, values in extra.items():
        frame[col] = pd.array(values, dtype="string")
    frame.insert(0, "_row", range(2, 2 + len(frame)))
    return RawTable(name, Path(file or f"{name}.csv"), frame)


def _found(*tables: RawTable, **kw) -> list[list]:
    """(file, row, column, value, rule, severity) of every problem but the missing tables the tests leave out."""
    problems = validate.validate({t.name: t for t in tables}, **kw).problems
    problems = problems[problems["table"] != "(extract)"]
    return problems[["file", "row", "column", "value", "rule", "severity"]].values.tolist()


PERSON = {"pers_person_id": "P1", "pers_sex": "F", "pers_dob": "2015-06-01"}
SEN2_PERSON = {"person_table_id": "S1", "person_birth_date": "2015-06-01", "sex": "F"}


# --- reading dates ---------------------------------------------------------------------------------------------


def test_the_date_forms_that_are_read():
    values = pd.Series(
        [
            "2020-01-02",
            "02/01/2020",
            "2020-01-02 00:00:00",  # an XLSX date cell
            "2020-01-02T10:00:00Z",
            "2020-06-01T00:00:00+01:00",
            "2020-05-31T23:00:00Z",  # midnight BST exported in UTC: still 1 June in the UK
            "2020-01-02T23:30:00-05:00",  # 04:30 on 3 January in the UK
            "2014",
            "43831",
            "1066-10-14",
            "yesterday",
            None,
        ],
        dtype="string",
    )
    expected = pd.Series(
        pd.to_datetime(["2020-01-02"] * 4 + ["2020-06-01", "2020-06-01", "2020-01-03"] + [None] * 5),
        dtype="datetime64[ns]",
    )
    pd.testing.assert_series_equal(validate._parse_dates(values), expected)


def test_iso_dates_with_time_zones_mixed_with_plain_ones_do_not_break_validation():
    people = [
        PERSON | {"pers_person_id": f"P{i}", "pers_dob": d}
        for i, d in enumerate(["2015-06-01T08:00:00+01:00", "2015-06-02", "2015-06-03T10:00"])
    ]
    assert _found(_raw("ssd_person", people), extract_date=EXTRACT) == []


def test_a_bare_number_and_a_date_before_1900_are_errors():
    raw = _raw(
        "ssd_person", [PERSON | {"pers_dob": "2014"}, PERSON | {"pers_person_id": "P2", "pers_dob": "1899-12-31"}]
    )
    assert _found(raw, extract_date=EXTRACT, earliest_birth=pd.Timestamp("1800-01-01")) == [
        ["ssd_person.csv", 2, "pers_dob", "2014", validate.BARE_NUMBER, "error"],
        ["ssd_person.csv", 3, "pers_dob", "1899-12-31", validate.BEFORE_1900, "error"],
    ]


# --- birth dates -----------------------------------------------------------------------------------------------


def _people(*dobs: str) -> RawTable:
    return _raw("ssd_person", [PERSON | {"pers_person_id": f"P{i}", "pers_dob": d} for i, d in enumerate(dobs)])


def _contacts(*rows: tuple[str, str]) -> RawTable:
    return _raw(
        "ssd_contacts",
        [{"cont_contact_id": f"C{i}", "cont_person_id": p, "cont_contact_date": d} for i, (p, d) in enumerate(rows)],
    )


OVER_25 = "born more than 25 years before the person's first record (the study covers ages 0 to 25)"


def test_a_person_over_25_at_their_first_record_or_born_after_the_extract_is_an_error():
    people = _people("1990-05-01", "1991-06-01", "2026-03-31", "2026-04-01", "1950-01-01")
    contacts = _contacts(("P0", "2016-05-02"), ("P1", "2016-05-31"))  # 26 at the first record; 24
    assert _found(people, contacts, extract_date=EXTRACT) == [
        ["ssd_person.csv", 2, "pers_dob", "1990-05-01", OVER_25, "error"],
        ["ssd_person.csv", 5, "pers_dob", "2026-04-01", validate.BORN_AFTER, "error"],
    ]  # P4, born in 1950, has no record at all: nothing to judge their age by


def test_the_earliest_birth_date_can_be_set():
    found = _found(_people("2001-03-30", "1999-12-31"), extract_date=EXTRACT, earliest_birth=pd.Timestamp("2000-01-01"))
    assert found == [
        [
            "ssd_person.csv",
            3,
            "pers_dob",
            "1999-12-31",
            "born before 2000-01-01 (the earliest birth date set for this run)",
            "error",
        ]
    ]


def test_an_unborn_child_of_the_census_may_be_due_after_the_extract_date():
    raw = _people("2026-06-01", "2026-06-01")
    raw.frame["_expected_dob"] = [True, False]
    assert _found(raw, extract_date=EXTRACT) == [
        ["ssd_person.csv", 3, "pers_dob", "2026-06-01", validate.BORN_AFTER, "error"]
    ]


def test_births_are_checked_in_sen2_and_the_population_too():
    sen2 = _raw("sen2_person", [SEN2_PERSON | {"person_birth_date": "1990-01-01"}])
    requests = _raw(
        "sen2_requests", [{"requests_table_id": "Q1", "person_table_id": "S1", "received_date": "2020-01-01"}]
    )
    population = _raw(
        "population",
        [
            {"population_id": "X1", "birth_date": "2027-01-01", "sex": "M"},
            {"population_id": "X2", "birth_date": "1980-01-01", "sex": "M", "entry_date": "2016-04-01"},
        ],
    )
    found = _found(sen2, requests, population, extract_date=EXTRACT)
    births = [f[0:3] + f[4:5] for f in found if f[2] in ("birth_date", "person_birth_date")]
    assert births == [
        ["population.csv", 2, "birth_date", validate.BORN_AFTER],
        ["population.csv", 3, "birth_date", OVER_25],
        ["sen2_person.csv", 2, "person_birth_date", OVER_25],
    ]


# --- events ----------------------------------------------------------------------------------------------------


def test_a_send_request_after_the_26th_birthday_is_an_error():
    people = _raw(
        "sen2_person",
        [
            SEN2_PERSON | {"person_table_id": "S1", "person_birth_date": "2000-06-02"},
            SEN2_PERSON | {"person_table_id": "S2"},
        ],
    )
    requests = _raw(
        "sen2_requests",
        [
            {
                "requests_table_id": "Q1",
                "person_table_id": "S1",
                "received_date": "2026-06-01",
            },  # 25, a day short of 26
            {"requests_table_id": "Q2", "person_table_id": "S1", "received_date": "2026-06-02"},  # 26
        ],
    )
    found = _found(people, requests, earliest_birth=pd.Timestamp("1990-01-01"))
    rule = "request received when the person was over 25 (EHC needs assessments are for ages 0 to 25)"
    assert found == [["sen2_requests.csv", 3, "received_date", "2026-06-02", rule, "error"]]


def test_nothing_is_dated_after_the_extract_date_not_even_an_end():
    episodes = _raw(
        "ssd_cin_episodes",
        [
            {
                "cine_referral_id": "R1",
                "cine_person_id": "P0",
                "cine_referral_date": "2025-01-01",
                "cine_close_date": "2026-04-02",
            }
        ],
    )
    assert _found(_people("2015-06-01"), episodes, extract_date=EXTRACT) == [
        ["ssd_cin_episodes.csv", 2, "cine_close_date", "2026-04-02", validate.AFTER_EXTRACT, "error"]
    ]


def test_an_end_before_its_start_is_an_error():
    episodes = _raw(
        "ssd_cin_episodes",
        [
            {
                "cine_referral_id": "R1",
                "cine_person_id": "P0",
                "cine_referral_date": "2025-01-10",
                "cine_close_date": "2025-01-01",
            },
            {
                "cine_referral_id": "R2",
                "cine_person_id": "P0",
                "cine_referral_date": "2025-01-10",
                "cine_close_date": "2025-01-10",
            },
        ],
    )
    plans = _raw(
        "sen2_named_plan",
        [
            {
                "named_plan_table_id": "N1",
                "assessment_table_id": "A1",
                "start_date": "2024-05-01",
                "cease_date": "2024-04-30",
            }
        ],
    )
    found = _found(_people("2015-06-01"), episodes, plans, extract_date=EXTRACT)
    assert [f[:3] + f[4:5] for f in found] == [
        ["sen2_named_plan.csv", 2, "cease_date", "dated before its start (start_date)"],
        ["ssd_cin_episodes.csv", 2, "cine_close_date", "dated before its start (cine_referral_date)"],
    ]


# --- deaths ----------------------------------------------------------------------------------------------------


def _with_deaths(*deaths: str) -> RawTable:
    people = [PERSON | {"pers_person_id": f"P{i}"} for i in range(len(deaths))]
    return _raw("ssd_person", people, pers_death_date=list(deaths))


def test_a_death_before_birth_or_before_the_childs_records_is_an_error():
    people = _with_deaths("1980-01-01", "2019-12-31", "2020-01-01", None)
    contacts = _raw(
        "ssd_contacts",
        [{"cont_contact_id": f"C{i}", "cont_person_id": f"P{i}", "cont_contact_date": "2020-01-01"} for i in range(4)],
    )
    assert _found(people, contacts, extract_date=EXTRACT) == [
        ["ssd_person.csv", 2, "pers_death_date", "1980-01-01", "death dated before birth", "error"],
        [
            "ssd_person.csv",
            3,
            "pers_death_date",
            "2019-12-31",
            "death dated before the child's later records (a contact, referral, assessment, plan or care episode)",
            "error",
        ],
    ]


def test_the_death_date_is_checked_but_not_passed_on():
    result = validate.validate({"ssd_person": _with_deaths("2027-01-01")}, EXTRACT)
    assert "pers_death_date" not in result.tables["ssd_person"]
    problems = result.problems[result.problems["table"] != "(extract)"]
    assert problems[["column", "rule"]].values.tolist() == [["pers_death_date", validate.AFTER_EXTRACT]]
    assert not (result.problems["rule"] == "column not in the contract (ignored)").any()


def test_missing_tables_are_one_error_and_what_is_there_is_still_checked():
    result = validate.validate({"ssd_person": _people("2026-04-01")}, EXTRACT)
    assert result.problems[["table", "rule"]].values.tolist() == [
        [
            "(extract)",
            "required tables missing: "
            + ", ".join(t.name for t in schema.TABLES if not t.optional and t.name != "ssd_person"),
        ],
        ["ssd_person", validate.BORN_AFTER],
    ]
    assert not result.ok


@pytest.mark.parametrize("value", ["2014", "43831", "43831.0"])
def test_a_number_is_never_read_as_an_excel_serial(value):
    assert validate._parse_dates(pd.Series([value], dtype="string")).isna().all()
