"""The committed templates and data dictionary in data_templates/ match the extract contract in analysis.schema."""

from __future__ import annotations

import csv
import re

import openpyxl
import pytest

from analysis.contract import schema, templates
from analysis.paths import REPO

FOLDER = REPO / "data_templates"


def test_committed_files_match_the_schema():
    drift = templates.check_drift(FOLDER)
    assert drift == [], f"out of date: {drift}; run `python -m analysis.templates`"


def test_check_drift_reports_changed_missing_and_stale_files(tmp_path):
    templates.write_all(tmp_path)
    assert templates.check_drift(tmp_path) == []
    (tmp_path / "templates" / "ssd_person.csv").write_text("pers_person_id\n")
    (tmp_path / templates.DICTIONARY).unlink()
    (tmp_path / "templates" / "ssd_gone.csv").write_text("x\n")
    assert templates.check_drift(tmp_path) == [
        "templates/ssd_person.csv",
        templates.DICTIONARY,
        "templates/ssd_gone.csv",
    ]


@pytest.mark.parametrize("table", schema.TABLES, ids=lambda t: t.name)
def test_csv_template_header_is_the_schema(table):
    path = FOLDER / "templates" / f"{table.name}.csv"
    raw = path.read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    assert rows == [table.column_names]


def test_workbook_has_a_sheet_per_table_with_the_schema_header():
    wb = openpyxl.load_workbook(FOLDER / templates.XLSX)
    assert wb.sheetnames[0] == "README"
    readme = {row[0]: row[1] for row in wb["README"].iter_rows(min_row=5, max_col=2, values_only=True) if row[0]}
    assert sorted(readme.values()) == sorted(t.name for t in schema.TABLES)
    assert wb.sheetnames[1:] == list(readme)
    for sheet, table_name in readme.items():
        assert len(sheet) <= 31
        header = [c.value for c in wb[sheet][1]]
        assert header == schema.TABLE[table_name].column_names, sheet
        assert all(c.font.bold for c in wb[sheet][1])


def test_workbook_dates_and_code_lists():
    wb = openpyxl.load_workbook(FOLDER / templates.XLSX)
    ws = wb["ssd_person"]
    letter = {c.value: c.column_letter for c in ws[1]}
    assert ws.column_dimensions[letter["pers_dob"]].number_format == "yyyy-mm-dd"
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists == {f"{letter['pers_sex']}2:{letter['pers_sex']}1048576": '"M,F,U"'}


def test_long_sheet_names_are_shortened_uniquely(monkeypatch):
    long = [schema.Table("ssd_a_table_name_far_too_long_for_excel_" + s, "", "k", ()) for s in "ab"]
    monkeypatch.setattr(schema, "TABLES", schema.TABLES + tuple(long))
    names = [templates.sheet_name(t) for t in schema.TABLES]
    assert names[0] == schema.TABLES[0].name
    assert all(len(n) <= 31 for n in names) and len(set(names)) == len(names)


def test_dictionary_mentions_every_table_and_column():
    text = (FOLDER / templates.DICTIONARY).read_text(encoding="utf-8")
    for table in schema.TABLES:
        assert f"### `{table.name}`" in text
        section = text.split(f"### `{table.name}`", 1)[1].split("\n### ", 1)[0]
        for col in table.columns:
            row = re.search(rf"^\| `{col.name}` \|.*$", section, re.M)
            assert row, f"{table.name}.{col.name} missing"
            assert ("identifier (never published)" in row.group(0)) == col.identifier, col.name
    for code in ("18A", "18B", "24A", "DS"):
        assert f"| `{code}` |" in text


def test_generation_is_deterministic(tmp_path):
    templates.write_all(tmp_path / "a")
    templates.write_all(tmp_path / "b")
    names = templates.generated_files()
    assert len(names) == len(schema.TABLES) + 2
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
