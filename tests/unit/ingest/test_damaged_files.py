"""Damaged and ambiguous files: each is a problem row naming the file, row and column (or, for a file that cannot
be read at all, a UserError naming it), never a traceback, a silent choice or garbled text."""

import os
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.errors import UserError
from analysis.ingest import files as ingest
from analysis.ingest import validate
from analysis.ingest.source import check_extract, read_source
from analysis.paths import REPO

BASE = REPO / "tests" / "fixtures" / "broken" / "_base"


def _frame(rows: list[int], **columns) -> pd.DataFrame:
    out = pd.DataFrame({"_row": rows, **columns})
    return out.astype({c: "string" for c in columns})


def _problems(raw: ingest.RawTable) -> list[list]:
    return [[p["file"], p["row"], p["column"], p["value"], p["rule"]] for p in raw.problems]


def _read(path, name="ssd_person", sheet=None) -> ingest.RawTable:
    return ingest._read_table(name, path, sheet)


# --- header ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("second", ["id ", "ID", " i d", "id"])
def test_a_column_named_twice_is_an_error_and_only_the_first_is_read(tmp_path, second):
    (tmp_path / "t.csv").write_text(f"id,name,{second}\n1,Ann,9\n2,Bob,8\n")
    raw = _read(tmp_path / "t.csv")
    pd.testing.assert_frame_equal(raw.frame, _frame([2, 3], id=["1", "2"], name=["Ann", "Bob"]))
    assert _problems(raw) == [["t.csv", 1, "id", f"'id', {second!r}", ingest.TWICE_RULE]]


def test_an_empty_unnamed_column_is_dropped_and_a_filled_one_kept(tmp_path):
    (tmp_path / "t.csv").write_text("id,,\n1,,x\n2,,\n")
    raw = _read(tmp_path / "t.csv")
    pd.testing.assert_frame_equal(raw.frame, _frame([2, 3], id=["1", "2"], **{"Unnamed: 2": ["x", pd.NA]}))
    assert raw.problems == []


# --- encodings ---------------------------------------------------------------------------------------------------


def test_a_stray_windows_1252_byte_in_utf8_names_its_row_and_the_rest_stays_utf8(tmp_path):
    (tmp_path / "t.csv").write_bytes(
        "id,name\n1,Zoë\n2,Sm\xe9th\n3,Siân\n".encode().replace(b"Sm\xc3\xa9th", b"Sm\xe9th")
    )
    raw = _read(tmp_path / "t.csv")
    pd.testing.assert_frame_equal(raw.frame, _frame([2, 3, 4], id=["1", "2", "3"], name=["Zoë", "Sm\ufffdth", "Siân"]))
    assert _problems(raw) == [["t.csv", 3, "name", "Sm\\xe9th", ingest.MIXED_RULE]]


def test_a_wholly_windows_1252_file_is_read_as_such(tmp_path):
    (tmp_path / "t.csv").write_bytes("id,name\n1,Zoë\n2,Sméth\n".encode("cp1252"))
    raw = _read(tmp_path / "t.csv")
    pd.testing.assert_frame_equal(raw.frame, _frame([2, 3], id=["1", "2"], name=["Zoë", "Sméth"]))
    assert raw.problems == []


def test_a_byte_windows_1252_does_not_define_is_reported(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"id,name\n1,Sm\xe9th\n2,A\x81b\n")
    assert _problems(_read(tmp_path / "t.csv")) == [["t.csv", 3, "name", "A\\x81b", ingest.CP1252_RULE]]


def test_a_nul_byte_is_an_error_on_its_row_and_does_not_cut_the_value(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"id,name\nP0\x00001,Ann\nP0002,Bob\n" + b"\x00" * 3)
    raw = _read(tmp_path / "t.csv")
    pd.testing.assert_frame_equal(
        raw.frame, _frame([2, 3, 4], id=["P0001", "P0002", pd.NA], name=["Ann", "Bob", pd.NA])
    )
    assert _problems(raw) == [
        ["t.csv", 2, "id", "P0\\x00001", ingest.NUL_RULE],
        ["t.csv", 4, "id", "\\x00\\x00\\x00", ingest.NUL_RULE],
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_refused_with_or_without_a_byte_order_mark(tmp_path, encoding):
    (tmp_path / "t.csv").write_bytes("id,name\n1,Ann\n".encode(encoding))
    with pytest.raises(UserError, match="t.csv: the file looks like UTF-16"):
        _read(tmp_path / "t.csv")


# --- Parquet -----------------------------------------------------------------------------------------------------


def test_parquet_list_and_struct_values_are_errors_on_their_rows(tmp_path):
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "codes": pa.array([["3B", "4B"], None, []], pa.list_(pa.string())),
            "need": pa.array([{"code": "ASD"}, {"code": "SLD"}, None]),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    raw = _read(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(raw.frame, _frame([1, 2, 3], id=["a", "b", "c"], codes=[pd.NA] * 3, need=[pd.NA] * 3))
    rule = "a list or structure, not a single value (Parquet type {}); store one value per cell"
    assert _problems(raw) == [
        ["t.parquet", 1, "codes", "['3B', '4B']", rule.format("list<element: string>")],
        ["t.parquet", 3, "codes", "[]", rule.format("list<element: string>")],
        ["t.parquet", 1, "need", "{'code': 'ASD'}", rule.format("struct<code: string>")],
        ["t.parquet", 2, "need", "{'code': 'SLD'}", rule.format("struct<code: string>")],
    ]


@pytest.mark.parametrize("kind", ["string", "binary"])
def test_parquet_text_that_is_not_utf8_is_an_error_on_its_row(tmp_path, kind):
    values = pa.array([b"ok", b"bad \xff", None], pa.binary())
    pq.write_table(pa.table({"v": values.view(pa.string()) if kind == "string" else values}), tmp_path / "t.parquet")
    raw = _read(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(raw.frame, _frame([1, 2, 3], v=["ok", pd.NA, pd.NA]))
    assert _problems(raw) == [["t.parquet", 2, "v", "bad \\xff", ingest.PARQUET_UTF8_RULE]]


def test_parquet_columns_named_twice_are_reported(tmp_path):
    pq.write_table(pa.table([pa.array(["1"]), pa.array(["2"])], names=["id", "ID "]), tmp_path / "t.parquet")
    raw = _read(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(raw.frame, _frame([1], id=["1"]))
    assert _problems(raw) == [["t.parquet", 1, "id", "'id', 'ID '", ingest.TWICE_RULE]]


# --- files that cannot be read, and sources -------------------------------------------------------------------


@pytest.fixture
def extract(tmp_path):
    dest = tmp_path / "extract"
    shutil.copytree(BASE, dest)
    return dest


def test_a_folder_named_like_a_table_is_a_user_error(extract):
    (extract / "ssd_person.csv").unlink()
    (extract / "ssd_person.csv").mkdir()
    with pytest.raises(UserError, match="ssd_person.csv: a folder, not a file"):
        ingest.read_extract(extract)


def test_a_broken_link_named_like_a_table_is_a_user_error(extract, tmp_path):
    (extract / "ssd_contacts.csv").unlink()
    (extract / "ssd_contacts.csv").symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(UserError, match="ssd_contacts.csv: a link to a file that does not exist"):
        ingest.read_extract(extract)


def test_a_fifo_named_like_a_table_is_refused_without_reading_it(extract):
    (extract / "ssd_cin_plans.csv").unlink()
    os.mkfifo(extract / "ssd_cin_plans.csv")
    with pytest.raises(UserError, match="ssd_cin_plans.csv: not a regular file"):
        ingest.read_extract(extract)


def test_read_extract_still_refuses_a_folder_that_is_not_there(tmp_path):
    with pytest.raises(UserError, match="Extract folder not found"):
        ingest.read_extract(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="Extract folder not found"):
        ingest.read_extract(tmp_path / "file")


def _sources_problem(extract) -> list[list]:
    p = check_extract(extract, pd.Timestamp("2026-03-31")).problems
    return p.loc[
        p["rule"].str.startswith("more than one source"), ["table", "file", "rule", "severity"]
    ].values.tolist()


def test_two_sources_for_one_table_are_an_error_naming_both(extract):
    plans = pd.read_csv(extract / "ssd_cin_plans.csv", dtype=str)
    plans.to_excel(extract / "ssd_cin_plans.xlsx", index=False)
    plans.to_parquet(extract / "ssd_cin_plans.parquet", index=False)
    with pd.ExcelWriter(extract / "la_extract.xlsx") as xl:
        plans.to_excel(xl, sheet_name="ssd_cin_plans", index=False)
    where = "ssd_cin_plans.csv, ssd_cin_plans.parquet, ssd_cin_plans.xlsx, la_extract.xlsx (sheet ssd_cin_plans)"
    rule = "more than one source for table ssd_cin_plans: " + where.replace(", ", " and ") + "; keep only one"
    assert _sources_problem(extract) == [["ssd_cin_plans", where, rule, "error"]]
    assert ingest.read_extract(extract)["ssd_cin_plans"].path.name == "ssd_cin_plans.csv"  # still checked


def test_a_table_in_the_xml_and_in_a_file_is_an_error_but_an_empty_one_gives_way(tmp_path):
    from analysis.synth.la import generate
    from analysis.synth.write import write

    la = generate(300, 4, 3)
    write(la, tmp_path, "xml")
    extract = tmp_path / "extract"
    la.tables["ssd_contacts"].to_csv(extract / "ssd_contacts.csv", index=False, date_format="%Y-%m-%d")
    tables, _ = read_source(extract)
    assert tables["ssd_contacts"].path.name == "ssd_contacts.csv" and not tables["ssd_contacts"].problems
    la.tables["ssd_cin_plans"].head(3).to_csv(extract / "ssd_cin_plans.csv", index=False, date_format="%Y-%m-%d")
    tables, _ = read_source(extract)
    [problem] = tables["ssd_cin_plans"].problems
    assert problem["file"] == "ssd_cin_plans.csv, CIN_census_2026.xml" and problem["severity"] == "error"
    assert problem["rule"].startswith("more than one source for table ssd_cin_plans")


def test_a_partial_extract_is_checked_and_its_missing_tables_are_one_problem(extract):
    for path in extract.glob("ssd_*.csv"):
        path.unlink()
    p = check_extract(extract, pd.Timestamp("2026-03-31")).problems
    missing = "ssd_person, ssd_contacts, ssd_cin_episodes, ssd_cin_assessments, ssd_assessment_factors, ssd_cp_plans"
    assert p[["table", "file", "row", "column", "rule", "severity"]].values.tolist() == [
        ["(extract)", "(extract)", "", "", f"required tables missing: {missing}, ssd_cla_episodes", "error"]
    ]


def test_xlsx_date_cells_arrive_as_iso_text_and_parse(tmp_path):
    pd.DataFrame({"d": pd.to_datetime(["2014-05-01", "2020-02-29"]), "n": [2014, 3]}).to_excel(
        tmp_path / "t.xlsx", index=False
    )
    raw = _read(tmp_path / "t.xlsx", sheet=0)
    pd.testing.assert_frame_equal(
        raw.frame, _frame([2, 3], d=["2014-05-01 00:00:00", "2020-02-29 00:00:00"], n=["2014", "3"])
    )
    expected = pd.Series(pd.to_datetime(["2014-05-01", "2020-02-29"]), name="d")
    pd.testing.assert_series_equal(validate._parse_dates(raw.frame["d"]), expected)
    assert validate._parse_dates(raw.frame["n"]).isna().all()  # a number cell is not a date
