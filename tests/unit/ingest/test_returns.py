"""The XML returns: a synthetic LA written as CIN census and SEN2 XML reads back to the generator's tables, and
broken or messy files give problem rows, never exceptions."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.contract import schema
from analysis.ingest import returns, validate
from analysis.paths import REPO
from analysis.synth import statutory
from analysis.synth.la import generate
from analysis.synth.write import write

FIXTURES = REPO / "tests" / "fixtures" / "returns"
CSC_CARRIED = (
    "ssd_person",
    "ssd_cin_episodes",
    "ssd_cin_assessments",
    "ssd_assessment_factors",
    "ssd_cin_plans",
    "ssd_s47_enquiry",
    "ssd_cp_plans",
)
SEN2 = ("sen2_person", "sen2_requests", "sen2_assessment", "sen2_named_plan", "sen2_active_plans", "sen2_sen_need")
NOT_CARRIED = {
    "ssd_person": ["pers_forename", "pers_surname", "pers_postcode"],
    "ssd_s47_enquiry": ["s47e_s47_end_date"],
}


@pytest.fixture(scope="module")
def la():
    return generate(5000, 10, 28)  # a seed whose LA has two referrals on one day


@pytest.fixture(scope="module")
def written(la, tmp_path_factory):
    out = tmp_path_factory.mktemp("returns")
    statutory.write_returns(la, out)
    return out


@pytest.fixture(scope="module")
def read_back(la, written):
    tables, problems = returns.read_returns(written)
    return tables, problems, validate.validate(tables, pd.Timestamp(la.extract_date))


def _canon(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A table in one form for comparison: contract columns, dates as datetime64[ns], text as string, sorted by key."""
    table = schema.TABLE[name]
    out = pd.DataFrame(
        {
            c.name: frame[c.name].astype("datetime64[ns]") if c.kind == schema.DATE else frame[c.name].astype("string")
            for c in table.columns
        }
    )
    return out.sort_values(table.key, ignore_index=True)


def _same_day_referrals(la) -> set[str]:
    """Children with two referrals on one date: the census cannot tell those apart across years."""
    r = la.tables["ssd_cin_episodes"]
    return set(r.loc[r.duplicated(["cine_person_id", "cine_referral_date"]), "cine_person_id"])


def _day(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d")


def _rekey(frame: pd.DataFrame, key: str, parent: str, parent_ids: dict, suffix: pd.Series) -> dict:
    """Give `frame` the adapter's ids in place (parent id + suffix); return the old id -> new id."""
    frame[parent] = frame[parent].map(parent_ids)
    new = frame[parent] + suffix
    old_to_new = dict(zip(frame[key], new))
    frame[key] = new
    return old_to_new


def _expected_csc(la) -> dict[str, pd.DataFrame]:
    """The generator's CSC tables as the census carries them, with ids as the adapter makes them."""
    t = {name: la.tables[name].copy() for name in CSC_CARRIED}
    ref = t["ssd_cin_episodes"]
    referral = dict(zip(ref["cine_referral_id"], ref["cine_person_id"] + "/" + _day(ref["cine_referral_date"])))
    ref["cine_referral_id"] = ref["cine_referral_id"].map(referral)
    a = t["ssd_cin_assessments"]
    assessment = _rekey(
        a, "cina_assessment_id", "cina_referral_id", referral, "/A/" + _day(a["cina_assessment_start_date"])
    )
    f = t["ssd_assessment_factors"]
    _rekey(f, "cinf_table_id", "cinf_assessment_id", assessment, pd.Series("/factors", index=f.index))
    for name, ref_col, tag, start in (
        ("ssd_cin_plans", "cinp_referral_id", "CINP", "cinp_cin_plan_start_date"),
        ("ssd_s47_enquiry", "s47e_referral_id", "S47", "s47e_s47_start_date"),
        ("ssd_cp_plans", "cppl_referral_id", "CPP", "cppl_cp_plan_start_date"),
    ):
        _rekey(t[name], schema.TABLE[name].key, ref_col, referral, f"/{tag}/" + _day(t[name][start]))
    t["ssd_person"] = t["ssd_person"][t["ssd_person"]["pers_person_id"].isin(ref["cine_person_id"])]
    for name, cols in NOT_CARRIED.items():
        t[name] = t[name].assign(**{c: None for c in cols})
    return {name: _canon(frame, name) for name, frame in t.items()}


def _expected_sen2(la) -> dict[str, pd.DataFrame]:
    """The generator's SEN2 tables with ids as the adapter makes them: persons, and the records under each
    request, assessment or active plan, numbered by position."""
    t = {name: la.tables[name].copy() for name in SEN2}
    p = t["sen2_person"]
    person = dict(zip(p["person_table_id"], [f"P{i}" for i in range(1, len(p) + 1)]))
    p["person_table_id"] = p["person_table_id"].map(person)
    q = t["sen2_requests"]
    request = _rekey(q, "requests_table_id", "person_table_id", person, "/" + _day(q["received_date"]))

    def numbered(name, key, parent, parent_ids, tag):
        f = t[name]
        return _rekey(f, key, parent, parent_ids, f"/{tag}" + (f.groupby(parent).cumcount() + 1).astype(str))

    assessment = numbered("sen2_assessment", "assessment_table_id", "requests_table_id", request, "A")
    numbered("sen2_named_plan", "named_plan_table_id", "assessment_table_id", assessment, "NP")
    active = numbered("sen2_active_plans", "active_plans_table_id", "requests_table_id", request, "AP")
    numbered("sen2_sen_need", "sen_need_table_id", "active_plans_table_id", active, "N")
    return {name: _canon(frame, name) for name, frame in t.items()}


def _without(frame: pd.DataFrame, name: str, children: set[str]) -> pd.DataFrame:
    """`frame` without the records of `children` (every CSC id but a person's starts with the LAchildID)."""
    if name == "ssd_person":
        return frame
    keep = ~frame[schema.TABLE[name].key].str.split("/").str[0].isin(children)
    return frame[keep].reset_index(drop=True)


# --- (a) back test --------------------------------------------------------------------------------------------


def test_the_returns_read_back_without_problems(la, read_back):
    _, problems, result = read_back
    same_day = [p for p in problems if "has the same CINreferralDate" in p["rule"]]
    assert [p for p in problems if p not in same_day] == []
    assert bool(same_day) == bool(_same_day_referrals(la))
    assert result.problems.empty, result.problems.head().to_string()


@pytest.mark.parametrize("name", CSC_CARRIED)
def test_csc_tables_equal_the_generators(la, written, read_back, name):
    tables, _, result = read_back
    ambiguous = _same_day_referrals(la)
    expected = _without(_expected_csc(la)[name], name, ambiguous)
    actual = _without(_canon(result.tables[name], name), name, ambiguous)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(actual, expected)
    assert tables[name].path == max(written.glob("CIN_census_*.xml"))  # the latest return


def test_what_the_census_does_not_carry_is_empty(read_back):
    tables, _, result = read_back
    assert result.tables["ssd_contacts"].empty and result.tables["ssd_cla_episodes"].empty
    assert "ssd_early_help_episodes" not in tables
    for name, cols in NOT_CARRIED.items():
        assert result.tables[name][cols].isna().all().all()


def test_referrals_are_deduplicated_across_overlapping_years(la, written, read_back):
    in_files = sum(p.read_text().count("<CINdetails>") for p in written.glob("CIN_census_*.xml"))
    read = read_back[0]["ssd_cin_episodes"].frame
    assert len(list(written.glob("CIN_census_*.xml"))) == 10
    assert in_files > 1.3 * len(la.tables["ssd_cin_episodes"])  # the years overlap, as real returns do
    assert len(read) == len(la.tables["ssd_cin_episodes"]) and read["cine_referral_id"].is_unique


@pytest.mark.parametrize("name", SEN2)
def test_sen2_tables_equal_the_generators(la, read_back, name):
    tables, _, result = read_back
    assert len(tables[name].frame) > 0
    pd.testing.assert_frame_equal(_canon(result.tables[name], name), _expected_sen2(la)[name])


def test_the_same_la_gives_the_same_bytes(la, written, tmp_path):
    again = statutory.write_returns(la, tmp_path)
    assert [p.name for p in again] == sorted(p.name for p in written.iterdir())
    assert all(p.read_bytes() == (written / p.name).read_bytes() for p in again)


# --- (b) messy and broken files -------------------------------------------------------------------------------


def _problems(problems: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(problems, columns=validate.PROBLEM_COLUMNS)


def _has(problems: pd.DataFrame, severity: str, rule: str, **where) -> bool:
    hit = problems[(problems["severity"] == severity) & problems["rule"].str.contains(rule, regex=False)]
    for col, value in where.items():
        hit = hit[hit[col].astype(str) == str(value)]
    return not hit.empty


def test_a_messy_census_file_gives_problems_not_exceptions():
    tables, found = returns.read_cin_census([FIXTURES / "cin_2023_messy.xml"])
    found = _problems(found)
    f = "cin_2023_messy.xml"
    assert _has(found, "warning", "not a GenderCurrent code", file=f, row="child 2", value="7")
    assert _has(found, "warning", "authorised with no factors", row="child 2")
    assert _has(found, "error", "no LAchildID", row="child 3")
    assert _has(found, "error", "no CINreferralDate", row="child 4", column="cine_referral_date")
    assert _has(found, "warning", "expected birth date is used", row="child 4", value="2023-05-01")
    assert list(tables["ssd_person"].frame["pers_person_id"]) == ["C1", "C2", "C4"]
    assert tables["ssd_assessment_factors"].frame["cinf_assessment_factors_json"].tolist() == [
        '["18A", "3B", "4B"]',
        '["99Z"]',
    ]

    typed = validate.validate(tables, pd.Timestamp("2026-03-31")).problems
    assert _has(typed, "error", "assessment authorised before it started", row=2023000001, file=f)
    assert _has(typed, "error", "code list", column="cine_cin_primary_need_code", value="N11")
    assert _has(typed, "error", "code list", column="cppl_cp_plan_initial_category", value="XYZ")
    assert _has(typed, "error", "not a CIN assessment factor code", value="99Z", row=2023000002)
    assert _has(typed, "warning", "not in the CIN census code list for that collection year", value="18A")


def test_a_truncated_file_keeps_the_children_read_before_it_broke():
    tables, found = returns.read_cin_census([FIXTURES / "cin_2022_truncated.xml"])
    found = _problems(found)
    assert _has(
        found,
        "error",
        "the 2 Child records before it were read",
        file="cin_2022_truncated.xml",
        row="line 17, column 45",
    )
    assert list(tables["ssd_person"].frame["pers_person_id"]) == ["T1", "T2"]
    assert len(tables["ssd_cin_episodes"].frame) == 2


@pytest.mark.parametrize(
    "name, rule",
    [
        ("not_xml.xml", "not well-formed XML"),
        ("looked_after_903.xml", "not a CIN return"),
        ("sen2_messy.xml", "not a CIN return"),
        ("empty.xml", "not well-formed XML"),
        ("missing.xml", "cannot be read"),
    ],
)
def test_a_file_that_is_not_a_census_return_is_an_error_and_skipped(name, rule, tmp_path):
    (tmp_path / "empty.xml").write_bytes(b"")
    path = FIXTURES / name if (FIXTURES / name).exists() else tmp_path / name
    tables, found = returns.read_cin_census([path])
    assert _has(_problems(found), "error", rule, file=name)
    assert all(t.frame.empty for t in tables.values())


def test_an_unknown_schema_year_is_a_warning_and_the_file_is_read():
    tables, found = returns.read_cin_census([FIXTURES / "cin_2031_unknown_year.xml"])
    assert _has(_problems(found), "warning", "schema year not known", value="2031")
    assert list(tables["ssd_person"].frame["pers_person_id"]) == ["U1"]


def test_a_messy_sen2_file_gives_problems_not_exceptions():
    tables, found = returns.read_sen2(FIXTURES / "sen2_messy.xml")
    assert _has(_problems(found), "warning", "not a GenderCurrent code", row="child 2", value="5")
    person = tables["sen2_person"].frame
    assert person["sex"].tolist() == ["F", "U"] and person["surname"].tolist() == ["O'Brien & Sons", pd.NA]
    assert tables["sen2_assessment"].frame["week20"].tolist() == ["1"]
    typed = validate.validate(tables).problems
    assert _has(typed, "error", "decision dated before the request was received", row=1, file="sen2_messy.xml")
    assert _has(typed, "error", "code list", column="sen_type", value="XYZ")
    assert _has(typed, "error", "required value is missing", column="received_date", row=2)


def test_read_returns_tells_files_apart_by_content_and_reports_the_rest(tmp_path):
    for src, dest in (
        ("sen2_messy.xml", "CIN_census_2024.xml"),
        ("cin_2023_messy.xml", "sen2.xml"),
        ("looked_after_903.xml", "x.xml"),
        ("not_xml.xml", "y.xml"),
    ):
        shutil.copy(FIXTURES / src, tmp_path / dest)
    (tmp_path / "notes.txt").write_text("not a return")
    tables, found = returns.read_returns(tmp_path)
    assert tables["sen2_person"].path.name == "CIN_census_2024.xml"
    assert tables["ssd_person"].path.name == "sen2.xml"
    found = _problems(found)
    assert _has(found, "error", "not a CIN census or SEN2 return", file="x.xml", value="SSDA903")
    assert _has(found, "error", "not well-formed XML", file="y.xml")


def test_read_returns_without_census_files_returns_only_what_it_found(tmp_path):
    for name in ("a.xml", "b.xml"):
        shutil.copy(FIXTURES / "sen2_messy.xml", tmp_path / name)
    tables, found = returns.read_returns(tmp_path)
    assert set(tables) == set(SEN2) and tables["sen2_person"].path.name == "b.xml"
    assert _has(_problems(found), "warning", "more than one SEN2 return", file="a.xml", value="b.xml")


CHILD = """<Child><ChildIdentifiers><LAchildID>K1</LAchildID>{ids}</ChildIdentifiers>{cin}</Child>"""


def _census(path: Path, year: int, *children: str) -> Path:
    path.write_text(
        f"<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>{year}</Year>"
        f"</CollectionDetails></Header><Children>{''.join(children)}</Children></Message>"
    )
    return path


def test_overlapping_years_keep_the_latest_version_and_report_conflicts(tmp_path):
    first = _census(
        tmp_path / "a.xml",
        2022,
        CHILD.format(
            ids="<UPN>A1</UPN><PersonBirthDate>2015-01-02</PersonBirthDate><GenderCurrent>1</GenderCurrent>",
            cin="<CINdetails><CINreferralDate>2021-06-01</CINreferralDate><PrimaryNeedCode>N4</PrimaryNeedCode>"
            "<CINPlanDates><CINPlanStartDate>2021-07-01</CINPlanStartDate></CINPlanDates></CINdetails>",
        ),
    )
    second = _census(
        tmp_path / "b.xml",
        2023,
        CHILD.format(
            ids="<PersonBirthDate>2015-02-01</PersonBirthDate><GenderCurrent>1</GenderCurrent>",
            cin="<CINdetails><CINreferralDate>2021-06-01</CINreferralDate><PrimaryNeedCode>N1</PrimaryNeedCode>"
            "<CINclosureDate>2022-05-01</CINclosureDate></CINdetails>",
        ),
        CHILD.format(ids="", cin=""),
    )
    for paths in ([first, second], [second, first]):  # the census year decides, not the order of the files
        tables, found = returns.read_cin_census(paths)
        person = tables["ssd_person"].frame.iloc[0]
        assert (person["pers_upn"], person["pers_dob"]) == ("A1", "2015-02-01")
        assert _has(
            _problems(found),
            "warning",
            "differs between census years",
            column="pers_dob",
            value="2015-01-02 (2022), 2015-02-01 (2023)",
            file="b.xml",
            row="child 2",
        )
        assert _has(_problems(found), "warning", "more than once in one return", file="b.xml", row="child 2")
        ref = tables["ssd_cin_episodes"].frame
        assert ref[["cine_referral_id", "cine_cin_primary_need_code", "cine_close_date"]].values.tolist() == [
            ["K1/2021-06-01", "N1", "2022-05-01"]
        ]
        assert ref["_row"].tolist() == [2023000001]
        assert tables["ssd_cin_plans"].frame["cinp_cin_plan_id"].tolist() == ["K1/2021-06-01/CINP/2021-07-01"]


def test_the_returns_route_validates_end_to_end(tmp_path):
    """synth --format xml gives a folder that validates through the same path `build` uses."""
    from analysis.ingest.source import check_extract

    write(generate(3000, 10, 12), tmp_path, "xml")
    result = check_extract(tmp_path / "extract", pd.Timestamp("2026-03-31"), "returns")
    assert result.errors.empty, result.errors.head().to_string()
    assert {"ssd_person", "ssd_cin_episodes", "sen2_requests", "adversity_review", "population"} <= set(result.tables)
