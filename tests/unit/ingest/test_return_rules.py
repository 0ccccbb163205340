"""The DfE rules the XML reader applies to each return, and the refusal of DOCTYPE and ENTITY declarations."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.ingest import returns, validate

HEADER = (
    "<Message><Header><CollectionDetails><Collection>{kind}</Collection><Year>{year}</Year>{ref}"
    "</CollectionDetails></Header>"
)


def _cin(path: Path, children: str, year: int = 2023, ref: str | None = "2023-03-31") -> Path:
    reference = "" if ref is None else f"<ReferenceDate>{ref}</ReferenceDate>"
    path.write_text(HEADER.format(kind="CIN", year=year, ref=reference) + f"<Children>{children}</Children></Message>")
    return path


def _child(ids: str = "", cin: str = "", child: str = "K1") -> str:
    return f"<Child><ChildIdentifiers><LAchildID>{child}</LAchildID>{ids}</ChildIdentifiers>{cin}</Child>"


REFERRAL = "<CINdetails><CINreferralDate>{}</CINreferralDate><PrimaryNeedCode>N1</PrimaryNeedCode>{}</CINdetails>"


def _rows(problems: list[dict]) -> list[list]:
    return [[p["table"], p["file"], p["row"], p["column"], p["value"], p["rule"], p["severity"]] for p in problems]


# --- declarations ----------------------------------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    "<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2023</Year></CollectionDetails>"
    "</Header><Children>&b;</Children></Message>"
)


@pytest.mark.parametrize(
    "text, encoding",
    [
        (LAUGHS, "utf-8"),
        ('<?xml version="1.0"?><!DOCTYPE Message SYSTEM "http://example.org/x.dtd"><Message/>', "utf-8"),
        ('<!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message>&x;</Message>', "utf-16"),
    ],
)
def test_a_doctype_or_entity_is_refused_before_parsing(tmp_path, text, encoding):
    (tmp_path / "CIN_2023.xml").write_bytes(text.encode(encoding))
    tables, found = returns.read_returns(tmp_path)
    assert tables == {}
    assert _rows(found) == [["returns", "CIN_2023.xml", "", "", "", returns.REFUSED, "error"]]
    tables, found = returns.read_cin_census([tmp_path / "CIN_2023.xml"])  # called directly, the same
    assert _rows(found) == [["cin_census", "CIN_2023.xml", "", "", "", returns.REFUSED, "error"]]
    assert all(t.frame.empty for t in tables.values())


def test_a_folder_named_like_a_return_is_reported(tmp_path):
    (tmp_path / "old.xml").mkdir()
    _, found = returns.read_returns(tmp_path)
    assert _rows(found) == [["returns", "old.xml", "", "", "", "not a file (a folder or a broken link)", "error"]]


# --- the header --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "year, ref, rule, severity",
    [
        (2023, "2023-03-28", "not 31 March of the collection year 2023 (DfE rule 100)", "error"),
        (2019, "2023-03-31", "not 31 March of the collection year 2019 (DfE rule 100)", "error"),
        (2023, "31/03/2023", "not a date (yyyy-mm-dd); 2023-03-31 is assumed", "error"),
        (2023, None, "no ReferenceDate; 2023-03-31 is assumed", "warning"),
    ],
)
def test_the_census_reference_date_must_be_31_march_of_its_year(tmp_path, year, ref, rule, severity):
    _, found = returns.read_cin_census([_cin(tmp_path / "c.xml", _child(), year, ref)])
    assert _rows(found) == [
        ["cin_census", "c.xml", "header", "Header/CollectionDetails/ReferenceDate", ref or "", rule, severity]
    ]


def test_events_after_the_reference_date_show_a_return_labelled_with_the_wrong_year(tmp_path):
    cin = REFERRAL.format("2022-06-01", "<CINclosureDate>2022-09-01</CINclosureDate>")
    _, found = returns.read_cin_census([_cin(tmp_path / "c.xml", _child(cin=cin), 2019, "2019-03-31")])
    rule = "dated after the return's reference date (2019-03-31); is the collection year right?"
    assert _rows(found) == [
        ["ssd_cin_episodes", "c.xml", "child 1", "cine_referral_date", "2022-06-01", rule, "error"],
        ["ssd_cin_episodes", "c.xml", "child 1", "cine_close_date", "2022-09-01", rule, "error"],
    ]


def test_a_sen2_reference_date_outside_its_year_is_an_error_and_later_dates_too(tmp_path):
    path = tmp_path / "s.xml"
    person = "<Person><PersonBirthDate>2015-01-01</PersonBirthDate><Sex>F</Sex><Requests>"
    person += "<ReceivedDate>2025-02-01</ReceivedDate></Requests></Person>"
    ref = "<ReferenceDate>2023-01-19</ReferenceDate>"
    path.write_text(HEADER.format(kind="SEN2", year=2024, ref=ref) + f"<Persons>{person}</Persons></Message>")
    _, found = returns.read_sen2(path)
    assert _rows(found) == [
        [
            "sen2_return",
            "s.xml",
            "header",
            "Header/CollectionDetails/ReferenceDate",
            "2023-01-19",
            "not in the collection year 2024",
            "error",
        ],
        [
            "sen2_requests",
            "s.xml",
            "child 1",
            "received_date",
            "2025-02-01",
            "dated after the return's reference date (2024-12-31); is the collection year right?",
            "error",
        ],
    ]


# --- identifiers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ids, column, value, rule",
    [
        (
            "<UPN>A123456789012</UPN><UPNunknown>UN2</UPNunknown>",
            "pers_upn",
            "A123456789012 / UN2",
            "UPN given together with a UPNunknown reason; give one or the other",
        ),
        (
            "<UPN>12345</UPN>",
            "pers_upn",
            "12345",
            "not a UPN: 13 characters, a check letter, 11 digits, then a digit or a letter (DfE rules 1510-1550)",
        ),
        (
            "<UPN>I123456789012</UPN>",  # I is never a check letter
            "pers_upn",
            "I123456789012",
            "not a UPN: 13 characters, a check letter, 11 digits, then a digit or a letter (DfE rules 1510-1550)",
        ),
        (
            "<PersonBirthDate>2023-04-01</PersonBirthDate>",
            "pers_dob",
            "2023-04-01",
            "born after the return's reference date (2023-03-31) (DfE rule 8520)",
        ),
        (
            "<ExpectedPersonBirthDate>1066-10-14</ExpectedPersonBirthDate>",
            "ExpectedPersonBirthDate",
            "1066-10-14",
            "expected birth date not plausible: before 1900 or more than nine months after 2023-03-31",
        ),
        (
            "<ExpectedPersonBirthDate>2024-01-01</ExpectedPersonBirthDate>",
            "ExpectedPersonBirthDate",
            "2024-01-01",
            "expected birth date not plausible: before 1900 or more than nine months after 2023-03-31",
        ),
    ],
)
def test_the_dfe_rules_on_a_childs_identifiers(tmp_path, ids, column, value, rule):
    _, found = returns.read_cin_census([_cin(tmp_path / "c.xml", _child(ids, REFERRAL.format("2022-06-01", "")))])
    found = [f for f in found if "expected birth date is used" not in f["rule"]]
    assert _rows(found) == [["ssd_person", "c.xml", "child 1", column, value, rule, "error"]]


def test_valid_upns_and_a_recent_expected_birth_date_pass(tmp_path):
    children = _child("<UPN>A123456789012</UPN><PersonBirthDate>2015-01-01</PersonBirthDate>", child="K1")
    children += _child("<UPN>Z12345678901A</UPN><PersonBirthDate>2015-01-01</PersonBirthDate>", child="K2")
    children += _child("<ExpectedPersonBirthDate>2023-12-31</ExpectedPersonBirthDate>", child="K3")
    _, found = returns.read_cin_census([_cin(tmp_path / "c.xml", children)])
    assert [f["rule"] for f in found] == ["no PersonBirthDate (unborn child?); the expected birth date is used"]


def test_an_expected_birth_date_well_before_the_reference_date_is_asked_about(tmp_path):
    ids = "<ExpectedPersonBirthDate>2023-01-01</ExpectedPersonBirthDate>"
    _, found = returns.read_cin_census([_cin(tmp_path / "c.xml", _child(ids))])
    rule = "expected birth date more than 30 days before 2023-03-31: is the child born? (DfE rule 8530Q)"
    assert ["ssd_person", "c.xml", "child 1", "ExpectedPersonBirthDate", "2023-01-01", rule, "warning"] in _rows(found)


def test_a_sen2_upn_is_checked_too(tmp_path):
    path = tmp_path / "s.xml"
    person = "<Person><PersonBirthDate>2015-01-01</PersonBirthDate><Sex>F</Sex><UPN>A12</UPN></Person>"
    ref = "<ReferenceDate>2024-01-18</ReferenceDate>"
    path.write_text(HEADER.format(kind="SEN2", year=2024, ref=ref) + f"<Persons>{person}</Persons></Message>")
    _, found = returns.read_sen2(path)
    assert [[f["table"], f["column"], f["value"]] for f in found] == [["sen2_person", "upn", "A12"]]


# --- what validate then checks -----------------------------------------------------------------------------------


def test_the_death_date_is_read_and_a_death_before_the_referrals_is_an_error(tmp_path):
    ids = "<PersonBirthDate>2015-01-01</PersonBirthDate><PersonDeathDate>2016-01-01</PersonDeathDate>"
    tables, found = returns.read_cin_census([_cin(tmp_path / "c.xml", _child(ids, REFERRAL.format("2022-06-01", "")))])
    assert tables["ssd_person"].frame["pers_death_date"].tolist() == ["2016-01-01"]
    p = validate.validate(tables, pd.Timestamp("2026-03-31"), found).problems
    p = p[p["table"] != "(extract)"]
    assert p[["table", "row", "column", "value", "severity"]].values.tolist() == [
        ["ssd_person", 2023000001, "pers_death_date", "2016-01-01", "error"]
    ]
    assert p["rule"].iloc[0].startswith("death dated before the child's later records")


def test_closure_before_referral_and_authorisation_before_start_are_errors(tmp_path):
    assessment = (
        "<Assessments><AssessmentActualStartDate>2022-06-10</AssessmentActualStartDate>"
        "<AssessmentAuthorisationDate>2022-06-05</AssessmentAuthorisationDate><FactorsIdentifiedAtAssessment>"
        "<AssessmentFactors>21</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>"
    )
    cin = REFERRAL.format("2022-06-01", f"<CINclosureDate>2022-05-01</CINclosureDate>{assessment}")
    ids = "<PersonBirthDate>2015-01-01</PersonBirthDate>"
    tables, found = returns.read_cin_census([_cin(tmp_path / "c.xml", _child(ids, cin))])
    assert found == []
    p = validate.validate(tables, pd.Timestamp("2026-03-31")).problems
    p = p[p["table"] != "(extract)"]
    assert p[["table", "column", "rule"]].values.tolist() == [
        ["ssd_cin_assessments", "cina_assessment_auth_date", "assessment authorised before it started"],
        ["ssd_cin_episodes", "cine_close_date", "dated before its start (cine_referral_date)"],
    ]


def test_an_unborn_childs_expected_date_may_be_after_the_extract_date(tmp_path):
    ids = "<ExpectedPersonBirthDate>2023-06-01</ExpectedPersonBirthDate><GenderCurrent>0</GenderCurrent>"
    tables, _ = returns.read_cin_census([_cin(tmp_path / "c.xml", _child(ids, REFERRAL.format("2023-02-01", "")))])
    assert tables["ssd_person"].frame["_expected_dob"].tolist() == [True]
    p = validate.validate(tables, pd.Timestamp("2023-03-31")).problems
    assert validate.BORN_AFTER not in set(p["rule"])
