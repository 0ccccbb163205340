"""A corpus of broken extracts: each must give its rule, file and row, exit 1, and no traceback."""

import pandas as pd
import pytest

from analysis import cli
from analysis.errors import UserError
from analysis.ingest.source import check_extract


def _edit(path, fn):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(frame).to_csv(path, index=False)


def _rules(extract):
    p = check_extract(extract, pd.Timestamp("2026-03-31")).problems
    return p[p["severity"] == "error"]


def test_duplicate_identifier(extract_copy):
    path = extract_copy / "ssd_contacts.csv"
    _edit(path, lambda f: pd.concat([f, f.iloc[[0]]]))
    p = _rules(extract_copy)
    dup = p[p["rule"] == "duplicate identifier"]
    assert set(dup["row"]) == {2, len(pd.read_csv(path)) + 1}
    assert (dup["file"] == "ssd_contacts.csv").all() and (dup["column"] == "cont_contact_id").all()


def test_orphan_row(extract_copy):
    _edit(
        extract_copy / "ssd_cin_episodes.csv",
        lambda f: f.assign(cine_person_id=["NOBODY" if i == 4 else v for i, v in enumerate(f["cine_person_id"])]),
    )
    p = _rules(extract_copy)
    row = p[p["rule"].str.startswith("refers to a ssd_person row")]
    assert row[["file", "row", "column", "value"]].values.tolist() == [
        ["ssd_cin_episodes.csv", 6, "cine_person_id", "NOBODY"]
    ]


@pytest.mark.parametrize(
    "value, rule, severity",
    [
        ("31/02/2020", "not a date", "error"),
        ("yesterday", "not a date", "error"),
        ("2099-01-01", "dated after the extract date", "error"),
        ("1900-01-01", "event dated before the child's birth", "warning"),  # social care may begin before birth
    ],
)
def test_bad_dates(extract_copy, value, rule, severity):
    _edit(
        extract_copy / "ssd_contacts.csv",
        lambda f: f.assign(cont_contact_date=[value if i == 0 else v for i, v in enumerate(f["cont_contact_date"])]),
    )
    p = check_extract(extract_copy, pd.Timestamp("2026-03-31")).problems
    assert p[["row", "column", "value", "severity"]].values.tolist() == [[2, "cont_contact_date", value, severity]]
    assert p["rule"].iloc[0].startswith(rule)


def test_send_request_before_birth_is_an_error(extract_copy):
    _edit(
        extract_copy / "sen2_requests.csv",
        lambda f: f.assign(received_date=["1900-01-01" if i == 0 else v for i, v in enumerate(f["received_date"])]),
    )
    p = _rules(extract_copy)
    assert p[["row", "column", "rule"]].values.tolist() == [
        [2, "received_date", "event dated before the child's birth"]
    ]


def test_uk_and_excel_dates_are_read(extract_copy):
    _edit(
        extract_copy / "ssd_contacts.csv",
        lambda f: f.assign(cont_contact_date=pd.to_datetime(f["cont_contact_date"]).dt.strftime("%d/%m/%Y")),
    )
    assert _rules(extract_copy).empty


def test_unknown_code(extract_copy):
    _edit(
        extract_copy / "sen2_sen_need.csv",
        lambda f: f.assign(sen_type=["AUTISM" if i == 2 else v for i, v in enumerate(f["sen_type"])]),
    )
    p = _rules(extract_copy)
    assert p[["file", "row", "column", "value"]].values.tolist() == [["sen2_sen_need.csv", 4, "sen_type", "AUTISM"]]
    assert "code list" in p["rule"].iloc[0]


def test_missing_column_and_extra_column(extract_copy):
    _edit(extract_copy / "ssd_cp_plans.csv", lambda f: f.drop(columns="cppl_cp_plan_start_date").assign(notes="x"))
    p = check_extract(extract_copy).problems
    assert ["ssd_cp_plans", "cppl_cp_plan_start_date", "required column missing from the header", "error"] in p[
        ["table", "column", "rule", "severity"]
    ].values.tolist()
    assert ["ssd_cp_plans", "notes", "warning"] in p[["table", "column", "severity"]].values.tolist()


def test_missing_tables_are_one_problem_and_an_empty_file_an_error(extract_copy):
    (extract_copy / "sen2_requests.csv").unlink()
    (extract_copy / "ssd_contacts.csv").unlink()
    p = _rules(extract_copy)
    missing = p[p["table"] == "(extract)"]
    assert missing[["file", "column", "rule"]].values.tolist() == [
        ["(extract)", "", "required tables missing: ssd_contacts, sen2_requests"]
    ]
    (extract_copy / "sen2_requests.csv").write_text("")
    with pytest.raises(UserError, match="sen2_requests.csv: the file is empty"):
        check_extract(extract_copy)


def test_windows_1252_and_bom(extract_copy):
    path = extract_copy / "ssd_person.csv"
    text = path.read_text().replace("Smith", "Sméth", 1)
    path.write_bytes(text.encode("cp1252"))
    assert _rules(extract_copy).empty
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert _rules(extract_copy).empty


def test_cli_validate_exit_codes_and_summary(extract_copy, capsys, tmp_path):
    assert cli.main(["validate", str(extract_copy), "--report", str(tmp_path / "r.csv")]) == 0
    _edit(extract_copy / "ssd_person.csv", lambda f: f.assign(pers_sex=["Q"] * len(f)))
    assert cli.main(["validate", str(extract_copy), "--report", str(tmp_path / "r.csv")]) == 1
    out = capsys.readouterr().out
    assert "ssd_person.pers_sex: code not in the pers_sex code list" in out
    assert "ssd_person.csv row 2: 'Q'" in out
    report = pd.read_csv(tmp_path / "r.csv")
    assert list(report.columns) == ["table", "file", "row", "column", "value", "rule", "severity"]
    assert (report["rule"] == "code not in the pers_sex code list").sum() == len(
        pd.read_csv(extract_copy / "ssd_person.csv")
    )


def test_cli_user_error_has_no_traceback(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Extract folder not found") and "Traceback" not in err
