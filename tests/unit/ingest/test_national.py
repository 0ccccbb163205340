"""Reading Explore Education Statistics files: the fixture cut from DfE's published EHC plans release, byte for
byte (byte-order mark, Windows line endings), and damaged copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import UserError
from analysis.ingest import national

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "national"


@pytest.fixture(scope="module")
def release():
    return national.read_release(FIXTURE)


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "ees"
    shutil.copytree(FIXTURE, folder)
    return folder


def _edit(path: Path, old: bytes, new: bytes, count: int = 1) -> None:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, count))


def test_every_file_is_identified_and_other_files_are_left_out(release):
    assert sorted(release.files) == ["assessments", "caseload", "requests", "timeliness"]
    assert ("README.md", "not a CSV file") in release.ignored
    assert FIXTURE.joinpath("requests.csv").read_bytes()[:3] == b"\xef\xbb\xbf"  # the fixture keeps DfE's BOM


def test_bom_is_dropped_and_codes_are_text(release):
    f = release.get("requests")
    assert "time_period" in f.keys.columns  # not "\ufefftime_period"
    row = f.keys[(f.keys["old_la_code"] == "931") & (f.keys["year"] == 2024)].iloc[0]
    assert row["new_la_code"] == "E10000025" and row["la_name"] == "Oxfordshire"
    assert f.keys["old_la_code"].map(type).eq(str).all()


def test_published_values_are_read_exactly(release):
    f = release.get("requests")
    frame = f.frame()
    total = frame["breakdown"] == "All requests for EHC needs assessments"
    oxon = frame[total & (frame["old_la_code"] == "931") & (frame["year"] == 2024)]
    england = frame[total & (frame["geographic_level"] == "National") & (frame["year"] == 2024)]
    assert oxon["requests_received_in_year"].tolist() == [1734.0]
    assert england["requests_received_in_year"].tolist() == [154489.0]


def test_academic_year_is_its_january(release):
    years = release.get("caseload").keys[["time_period", "year"]].drop_duplicates()
    assert dict(zip(years["time_period"], years["year"]))["202425"] == 2025


def test_symbols_are_missing_not_zero_and_are_kept(release):
    f = release.get("requests")
    decided = f.values["requests_decided_to_assess"]
    x = f.symbols["requests_decided_to_assess"] == "x"
    assert x.sum() > 0  # published as x before 2023
    assert decided[x.fillna(False).to_numpy(bool)].isna().all()
    assert not (decided[x.fillna(False).to_numpy(bool)] == 0).any()
    requests = f.symbols["requests_received_in_year"]
    shown = requests[requests.notna()]
    assert shown.tolist() == ["x"]  # DfE published the Isle of Wight's 2023 requests as x
    assert f.keys.loc[shown.index[0], ["old_la_code", "year"]].tolist() == ["921", 2023]
    assert np.isnan(f.values.loc[shown.index[0], "requests_received_in_year"])


@pytest.mark.parametrize("symbol", ["x", "z", "c", "u", "low", ":"])
def test_any_symbol_is_missing_and_remembered(tmp_path, symbol):
    folder = _copy(tmp_path)
    _edit(folder / "requests.csv", b",1734,", f",{symbol},".encode())
    f = national.read_release(folder).get("requests")
    row = (f.keys["old_la_code"] == "931") & (f.keys["year"] == 2024) & (f.keys["breakdown_topic"] != "Sex")
    assert np.isnan(f.values.loc[row, "requests_received_in_year"]).all()
    assert f.symbols.loc[row, "requests_received_in_year"].tolist() == [symbol]


def test_a_file_without_bom_or_with_la_code_only_is_read(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "requests.csv"
    text = path.read_bytes().decode("utf-8-sig")
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    frame = frame.drop(columns=["new_la_code"]).rename(columns={"old_la_code": "la_code"})
    frame.to_csv(path, index=False)  # no BOM, Unix line endings
    assert text.startswith("time_period")
    f = national.read_release(folder).get("requests")
    assert (f.keys["old_la_code"] == "931").any()
    assert (f.keys["new_la_code"] == "").all()


@pytest.mark.parametrize("column", ["time_period", "geographic_level"])
def test_missing_required_column_names_file_row_and_column(tmp_path, column):
    folder = _copy(tmp_path)
    _edit(folder / "timeliness_20_week.csv", column.encode() + b",", b"renamed_" + column.encode() + b",")
    with pytest.raises(UserError) as err:
        national.read_release(folder)
    message = str(err.value)
    assert "timeliness_20_week.csv" in message and "row 1" in message and f"'{column}'" in message
    assert "required column" in message


def test_missing_la_codes_is_an_error(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "assessments.csv"
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    frame.drop(columns=["new_la_code", "old_la_code"]).to_csv(path, index=False)
    with pytest.raises(UserError, match=r"assessments\.csv, row 1 .*'old_la_code or new_la_code'"):
        national.read_release(folder)


def test_bad_code_names_its_row(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "caseload.csv", b",931,Oxfordshire,", b",931.0,Oxfordshire,")
    with pytest.raises(UserError) as err:
        national.read_release(folder)
    message = str(err.value)
    assert "caseload.csv" in message and "column 'old_la_code'" in message and "'931.0'" in message
    assert "row " in message and "three-digit" in message


def test_bad_period_names_its_row(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "requests.csv"
    lines = path.read_bytes().split(b"\r\n")
    lines[3] = b"2024/25" + lines[3][4:]
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(UserError, match=r"requests\.csv, row 4, column 'time_period': '2024/25'"):
        national.read_release(folder)


def test_a_folder_without_expected_files(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match="none of the expected files"):
        national.read_release(tmp_path)
    with pytest.raises(UserError, match="not found"):
        national.read_release(tmp_path / "missing")


def test_children_in_need_release_in_the_same_layout_is_read(tmp_path):
    folder = _copy(tmp_path)
    cin = (
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
        "new_la_code,old_la_code,la_name,cin_referrals,cin_rate_per_10000\r\n"
        "2024,Reporting year,National,E92000001,England,,,,,,621000,c\r\n"
        "2024,Reporting year,Local authority,E92000001,England,E12000008,South East,E10000025,931,Oxfordshire,x,z\r\n"
    )
    (folder / "b1_children_in_need.csv").write_bytes(b"\xef\xbb\xbf" + cin.encode())
    release = national.read_release(folder)
    f = release.get("b1_children_in_need")
    assert f is not None and release.ehc_plans
    assert f.values["cin_referrals"].iloc[0] == 621000 and np.isnan(f.values["cin_referrals"].iloc[1])
    assert f.symbols["cin_referrals"].iloc[1] == "x" and f.symbols["cin_rate_per_10000"].iloc[0] == "c"


def test_values_and_symbols_share_their_shape(release):
    for f in release.files.values():
        pd.testing.assert_index_equal(f.values.columns, f.symbols.columns)
        pd.testing.assert_index_equal(f.values.index, f.keys.index)
        both = f.values.notna() & f.symbols.notna()
        assert not both.to_numpy().any()
