"""The workbook and the download-all ZIP: every table, formula-safe cells, a data guide, the same bytes each time."""

import datetime as dt
import types
import zipfile

import openpyxl
import pandas as pd

from analysis.report import downloads

TABLES = {
    "a_table_with_a_name_longer_than_thirty_one_characters": pd.DataFrame({"Group": ["=HYPERLINK(1)"], "N": [12]}),
    "a_table_with_a_name_longer_than_thirty_one_characters_too": pd.DataFrame({"Group": ["x"], "N": ["c"]}),
}
PARAMS = {
    "la_name": "Test",
    "edition": "public",
    "study_start": "2016-04-01",
    "study_end": "2026-03-31",
    "disclosure_threshold": 10,
}


def _stage(tmp_path):
    stage = tmp_path / "stage"
    (stage / "tables").mkdir(parents=True)
    (stage / "html").mkdir()
    for name, t in TABLES.items():
        t.to_csv(stage / "tables" / f"{name}.csv", index=False)
    (stage / "measures.json").write_text("{}")
    downloads.write_workbook(TABLES, stage / downloads.WORKBOOK, "Title")
    return stage


def test_the_workbook_has_contents_a_sheet_per_table_and_notes_and_no_formula(tmp_path):
    wb = openpyxl.load_workbook(_stage(tmp_path) / downloads.WORKBOOK)
    assert wb.sheetnames[0] == "Contents" and wb.sheetnames[-1] == "Notes" and len(wb.sheetnames) == 4
    assert all(len(n) <= 31 for n in wb.sheetnames) and len(set(wb.sheetnames)) == 4
    first = wb[wb.sheetnames[1]]
    assert not str(first["A2"].value).startswith("=")  # a formula in the extract stays text


def test_the_bundle_holds_everything_with_a_guide_and_is_reproducible(tmp_path):
    stage = _stage(tmp_path)
    guide = downloads.guidance(PARAMS, list(TABLES))
    first = downloads.write_bundle(stage, guide).read_bytes()
    second = downloads.write_bundle(stage, guide).read_bytes()
    assert first == second
    with zipfile.ZipFile(stage / "html" / downloads.BUNDLE) as z:
        names = set(z.namelist())
        assert {"README.txt", "tables.xlsx", "measures.json"} | {f"tables/{n}.csv" for n in TABLES} == names
        assert "Any count of children below 10" in z.read("README.txt").decode()


def test_the_workbook_carries_no_time_so_two_builds_give_the_same_bytes(tmp_path, monkeypatch):
    """openpyxl stamps the save time into the workbook's properties and entries; the build takes it out, or every
    build would publish a different workbook (and ZIP) from the same inputs."""
    first = tmp_path / "first.xlsx"
    downloads.write_workbook(TABLES, first, "Title")
    later = dt.datetime(2031, 5, 6, 7, 8, 9)
    monkeypatch.setattr("openpyxl.writer.excel.datetime", _frozen(later))
    monkeypatch.setattr("openpyxl.packaging.core.datetime", _frozen(later))
    second = tmp_path / "second.xlsx"
    downloads.write_workbook(TABLES, second, "Title")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(second) as z:
        assert b"2031" not in z.read("docProps/core.xml")
        assert {i.date_time for i in z.infolist()} == {downloads.ZIP_TIME}
    assert openpyxl.load_workbook(second).sheetnames[0] == "Contents"  # still a workbook Excel opens


def _frozen(when: dt.datetime) -> types.SimpleNamespace:
    """The `datetime` module as openpyxl uses it, with the clock stopped at `when`."""

    class Fixed(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return when.replace(tzinfo=tz)

    return types.SimpleNamespace(datetime=Fixed, timezone=dt.timezone)
