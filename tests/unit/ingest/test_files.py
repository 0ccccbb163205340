"""Reading every accepted form of an extract: CSV encodings, Parquet, XLSX (per table or one workbook), and the
long form of assessment factors."""

import json
import shutil

import pandas as pd
import pytest

from analysis.errors import UserError
from analysis.ingest import files as ingest
from analysis.ingest.source import check_extract

EXTRACT_DATE = pd.Timestamp("2026-03-31")


def _typed(folder):
    result = check_extract(folder, EXTRACT_DATE)
    assert result.errors.empty, result.errors.head().to_string()
    return result.tables


def _same(a: dict, b: dict):
    assert set(a) == set(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name].drop(columns="_row"), b[name].drop(columns="_row"), check_dtype=False)


def test_parquet_gives_the_same_tables(la_dir, tmp_path):
    for p in (la_dir / "extract").glob("*.csv"):
        pd.read_csv(p, dtype=str, keep_default_na=False).to_parquet(tmp_path / f"{p.stem}.parquet", index=False)
    _same(_typed(la_dir / "extract"), _typed(tmp_path))


def test_typed_parquet_columns_read_as_the_csv_text_would(tmp_path):
    """Parquet written by a database keeps dates, times and numbers typed: they become the text a CSV would hold."""
    pd.DataFrame(
        {
            "day": pd.to_datetime(["2019-03-01", None, "2020-12-31"]),
            "stamp": pd.to_datetime(["2019-03-01 09:30:00", "2019-03-02 00:00:00", None]),
            "date": pd.to_datetime(["2019-03-01", "2019-03-02", "2019-03-03"]).date,
            "number": [1, 22, None],
            "text": ["  padded ", "", None],
        }
    ).to_parquet(tmp_path / "t.parquet", index=False)
    got = ingest._clean(ingest._read_parquet(tmp_path / "t.parquet"), first_row=1)
    expected = pd.DataFrame(
        {
            "_row": [1, 2, 3],
            "day": ["2019-03-01", pd.NA, "2020-12-31"],
            "stamp": ["2019-03-01 09:30:00", "2019-03-02 00:00:00", pd.NA],
            "date": ["2019-03-01", "2019-03-02", "2019-03-03"],
            "number": ["1", "22", pd.NA],
            "text": ["padded", pd.NA, pd.NA],
        }
    ).astype({c: "string" for c in ("day", "stamp", "date", "number", "text")})
    pd.testing.assert_frame_equal(got, expected)


def test_one_workbook_with_a_sheet_per_table(la_dir, tmp_path):
    with pd.ExcelWriter(tmp_path / "my_extract.xlsx") as xl:
        pd.DataFrame({"x": ["a README sheet is ignored"]}).to_excel(xl, sheet_name="README", index=False)
        for p in sorted((la_dir / "extract").glob("*.csv")):
            frame = pd.read_csv(p, dtype=str, keep_default_na=False)
            for col in frame.columns:  # dates as real Excel dates, as an analyst would paste them
                if col.endswith("_date") or col in ("pers_dob", "last_review"):
                    frame[col] = pd.to_datetime(frame[col], errors="coerce")
            frame.to_excel(xl, sheet_name=p.stem, index=False)
    _same(_typed(la_dir / "extract"), _typed(tmp_path))


def test_truncated_workbook_is_a_clear_error(extract_copy):
    path = extract_copy / "ssd_cp_plans.xlsx"
    pd.read_csv(extract_copy / "ssd_cp_plans.csv", dtype=str).to_excel(path, index=False)
    (extract_copy / "ssd_cp_plans.csv").unlink()
    path.write_bytes(path.read_bytes()[:900])
    with pytest.raises(UserError, match="ssd_cp_plans.xlsx: cannot be read as an Excel workbook"):
        ingest.read_extract(extract_copy)


def test_long_form_factors_equal_the_json_form(la_dir, tmp_path):
    shutil.copytree(la_dir / "extract", tmp_path / "x")
    path = tmp_path / "x" / "ssd_assessment_factors.csv"
    wide = pd.read_csv(path, dtype=str)
    long = (
        wide.assign(cinf_assessment_factor=wide["cinf_assessment_factors_json"].map(json.loads))
        .explode("cinf_assessment_factor")
        .drop(columns="cinf_assessment_factors_json")
    )
    long["cinf_table_id"] = [f"L{i}" for i in range(len(long))]
    long.to_csv(path, index=False)
    a = _typed(la_dir / "extract")["ssd_assessment_factors"].set_index("cinf_assessment_id")
    b = _typed(tmp_path / "x")["ssd_assessment_factors"].set_index("cinf_assessment_id")
    pd.testing.assert_series_equal(
        a["cinf_assessment_factors_json"].sort_index(),
        b["cinf_assessment_factors_json"].sort_index(),
        check_dtype=False,
    )


def test_factor_codes_are_checked(extract_copy):
    path = extract_copy / "ssd_assessment_factors.csv"
    f = pd.read_csv(path, dtype=str)
    f.loc[0, "cinf_assessment_factors_json"] = '["3B", "99Z"]'
    f.loc[1, "cinf_assessment_factors_json"] = "3B; 4B"
    f.to_csv(path, index=False)
    p = check_extract(extract_copy, EXTRACT_DATE).problems
    errors = p[p["severity"] == "error"]
    assert errors[["row", "value", "rule"]].values.tolist() == [
        [2, "99Z", "not a CIN assessment factor code"],
        [3, "3B; 4B", 'not a JSON array of factor codes, e.g. ["3B", "4B"]'],
    ]


def test_factor_code_out_of_its_years_is_a_warning(extract_copy):
    a = pd.read_csv(extract_copy / "ssd_cin_assessments.csv", dtype=str)
    late = a[a["cina_assessment_auth_date"] > "2022-06-01"]["cina_assessment_id"].iloc[0]
    path = extract_copy / "ssd_assessment_factors.csv"
    f = pd.read_csv(path, dtype=str)
    f.loc[f["cinf_assessment_id"] == late, "cinf_assessment_factors_json"] = '["18A"]'
    f.to_csv(path, index=False)
    p = check_extract(extract_copy, EXTRACT_DATE).problems
    assert p["severity"].tolist() == ["warning"]
    assert p["rule"].iloc[0] == "factor code not in the CIN census code list for that collection year"
    assert p["value"].iloc[0] == "18A"
