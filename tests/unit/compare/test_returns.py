"""FOI returns: the template, reading and validating returns, the synthetic set and the comparison."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.compare import flags
from analysis.compare import returns as foi
from analysis.errors import UserError
from analysis.paths import REPO
from analysis.synth import foi as synth_foi

TEMPLATE = REPO / "data_templates" / "foi_return_template.csv"
LETTER = TEMPLATE.with_name("foi_request_letter.md")
HEADER = "la_code,la_name,year,measure,category,count\n"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _la(code="201", name="Alpha", year="2024-25", **counts) -> str:
    rows = []
    for key, value in counts.items():
        if key.startswith("domain_"):
            rows.append(f"{code},{name},{year},domain,{key.removeprefix('domain_')},{value}")
        elif key.startswith("need_"):
            rows.append(f"{code},{name},{year},primary_need,{key.removeprefix('need_')},{value}")
        else:
            rows.append(f"{code},{name},{year},{key},,{value}")
    return "\n".join(rows) + "\n"


def _rules(problems: pd.DataFrame, severity: str = "error") -> list[str]:
    return problems.loc[problems["severity"] == severity, "rule"].tolist()


# ---------------------------------------------------------------- template and letter


def test_template_has_the_columns_every_measure_and_only_example_rows(tmp_path):
    t = pd.read_csv(TEMPLATE, dtype=str, keep_default_na=False)
    assert list(t.columns) == foi.COLUMNS
    assert set(t["measure"]) == set(foi.MEASURES)
    assert t["la_name"].str.upper().str.startswith("EXAMPLE").all()
    assert set(t.loc[t["measure"] == "domain", "category"]) == set(foi.DOMAINS)
    assert {"c", ""} <= set(t["count"])  # shows both a suppressed and a not-held figure
    shutil.copy(TEMPLATE, tmp_path / TEMPLATE.name)
    table, problems = foi.read_returns(tmp_path)
    assert table.empty
    assert _rules(problems) == []
    assert any("example row" in r for r in _rules(problems, "warning"))


def test_letter_cites_the_act_and_the_suppression_promise():
    text = LETTER.read_text(encoding="utf-8")
    assert "Freedom of Information Act 2000" in text
    assert "never treat a suppressed" in text
    assert "1 to 5" in text and "`c`" in text
    for measure in foi.MEASURES:
        assert f"`{measure}`" in text
    for domain in foi.DOMAINS:
        assert f"`{domain}`" in text
    assert "foi_return_template.csv" in text


# ---------------------------------------------------------------- reading


def test_reads_many_las_in_many_files_into_one_row_each(tmp_path):
    _write(
        tmp_path,
        "a.csv",
        HEADER
        + _la(
            "201",
            "Alpha",
            requests=400,
            known_to_csc=200,
            with_adversity=150,
            first_adversity_before_5=110,
            domain_domestic_abuse=80,
            domain_sexual_abuse="c",
            need_ASD=120,
            need_not_recorded=90,
        )
        + _la("202", "Beta", requests=1000, known_to_csc=480, with_adversity=""),
    )
    _write(tmp_path, "b.csv", HEADER + _la("E06000001", "Gamma", requests='"1,250"', known_to_csc=700))
    table, problems = foi.read_returns(tmp_path)
    assert _rules(problems) == []
    assert table["la_code"].tolist() == ["201", "202", "E06000001"]
    assert list(table.columns) == list(foi.WIDE_COLUMNS)
    alpha = table.set_index("la_code").loc["201"]
    assert alpha["requests"] == 400 and alpha["domain_domestic_abuse"] == 80 and alpha["primary_need_ASD"] == 120
    assert table.set_index("la_code").loc["E06000001", "requests"] == 1250
    status = foi.cell_status(table)
    # suppressed, not held and absent are all empty (NA), never zero, and each is recorded for what it is
    assert pd.isna(alpha["domain_sexual_abuse"]) and status.loc["201", "domain_sexual_abuse"] == "suppressed"
    assert pd.isna(table.set_index("la_code").loc["202", "with_adversity"])
    assert status.loc["202", "with_adversity"] == "missing"
    assert status.loc["E06000001", "with_adversity"] == "missing"  # no row at all
    assert status.loc["201", "requests"] == "reported"
    assert (table[list(foi.VALUE_COLUMNS)].fillna(-1) != 0).all().all()


def test_every_rule_names_file_row_column_and_value(tmp_path):
    rows = (
        HEADER
        + "\n".join(
            [
                "301,Bad,2024-25,requests,,500",  # line 2
                "301,Bad,2024-25,known_to_cs,,100",  # 3 unknown measure
                "301,Bad,2024-25,domain,bullying,10",  # 4 unknown domain
                "301,Bad,2024-25,primary_need,ADHD,10",  # 5 unknown need
                "301,Bad,2024-25,with_adversity,all,100",  # 6 category on a headline measure
                "301,Bad,2024-25,domain,neglect,-3",  # 7 negative
                "301,Bad,2024-25,domain,emotional_abuse,lots",  # 8 non-numeric
                "301,Bad,2024-25,domain,physical_abuse,4.5",  # 9 not whole
                "301,Bad,2024-25,known_to_csc,,600",  # 10 numerator above denominator
                "302,Other,2024-25,requests,,200",  # 11
                "302,Other,2024-25,with_adversity,,80",  # 12
                "302,Other,2024-25,first_adversity_before_5,,90",  # 13 above with_adversity
                "302,Other,2024-25,domain,domestic_abuse,40",  # 14
                "302,Other,2024-25,domain,domestic_abuse,41",  # 15 conflicting duplicate
                "302,Other,2024-25,domain,neglect,12",  # 16
                "302,Other,2024-25,domain,neglect,12",  # 17 identical duplicate (warning)
                "303,No requests,2024-25,known_to_csc,,50",  # 18 LA without a requests row
                "304,Bad year,2024/25,requests,,100",  # 19 bad year
                "305,Small,2024-25,requests,,100",  # 20
                "305,Small,2024-25,domain,sexual_abuse,3",  # 21 small count unsuppressed (warning)
            ]
        )
        + "\n"
    )
    _write(tmp_path, "bad.csv", rows)
    table, problems = foi.read_returns(tmp_path)
    assert list(problems.columns) == ["table", "file", "row", "column", "value", "rule", "severity"]
    assert (problems["file"] == "bad.csv").all()
    errors = problems[problems["severity"] == "error"]

    def error_at(line, column, value, words):
        hit = errors[(errors["row"] == line) & (errors["column"] == column) & (errors["value"] == value)]
        assert len(hit) == 1, f"no single error at line {line}: {errors.to_dict('records')}"
        assert words in hit["rule"].iloc[0]

    error_at(3, "measure", "known_to_cs", "unknown measure")
    error_at(4, "category", "bullying", "unknown adversity domain")
    error_at(5, "category", "ADHD", "unknown primary need")
    error_at(6, "category", "all", "must be blank")
    error_at(7, "count", "-3", "negative")
    error_at(8, "count", "lots", "whole number")
    error_at(9, "count", "4.5", "whole number")
    error_at(10, "count", "600", "more than requests")
    error_at(13, "count", "90", "more than with_adversity")
    error_at(15, "count", "41", "conflicts")
    error_at(19, "year", "2024/25", "financial year")
    assert any("303" in r and "no requests row" in r for r in errors["rule"])
    warnings = problems[problems["severity"] == "warning"]
    assert ((warnings["row"] == 17) & warnings["rule"].str.contains("duplicate")).any()
    assert ((warnings["row"] == 21) & warnings["rule"].str.contains("1 to 5")).any()

    t, status = table.set_index("la_code"), foi.cell_status(table)
    # bad values are never used: empty and marked invalid
    for code, col in [
        ("301", "known_to_csc"),
        ("301", "domain_neglect"),
        ("301", "domain_emotional_abuse"),
        ("302", "first_adversity_before_5"),
        ("302", "domain_domestic_abuse"),
    ]:
        assert pd.isna(t.loc[code, col]) and status.loc[code, col] == "invalid", (code, col)
    assert t.loc["302", "domain_neglect"] == 12
    assert "304" not in t.index


def test_a_file_without_the_template_header_is_an_error(tmp_path):
    _write(tmp_path, "wrong.csv", "authority,figure\nX,1\n")
    _write(tmp_path, "good.csv", HEADER + _la("201", requests=100))
    table, problems = foi.read_returns(tmp_path)
    err = problems[problems["severity"] == "error"]
    assert err["file"].tolist() == ["wrong.csv"] and "header lacks" in err["rule"].iloc[0]
    assert table["la_code"].tolist() == ["201"]


def test_the_same_la_in_two_years_needs_a_year_chosen(tmp_path):
    _write(
        tmp_path, "a.csv", HEADER + _la("201", year="2023-24", requests=100) + _la("201", year="2024-25", requests=120)
    )
    _, problems = foi.read_returns(tmp_path)
    assert any("more than one year" in r for r in _rules(problems))
    table, problems = foi.read_returns(tmp_path, year="2024-25")
    assert _rules(problems) == [] and table["requests"].tolist() == [120]


def test_empty_or_absent_folders_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="no such folder"):
        foi.read_returns(tmp_path / "nope")
    with pytest.raises(UserError, match="no CSV"):
        foi.read_returns(tmp_path)


# ---------------------------------------------------------------- synthetic returns


def test_synthetic_returns_are_reproducible_and_realistic():
    long, truth = synth_foi.synth_returns(150, 3)
    again, _ = synth_foi.synth_returns(150, 3)
    pd.testing.assert_frame_equal(long, again)
    assert not long.equals(synth_foi.synth_returns(150, 4)[0])
    assert list(long.columns) == foi.COLUMNS
    req = pd.to_numeric(long.loc[long["measure"] == "requests", "count"])
    assert len(req) == 150 and req.between(100, 4000).all() and 300 < req.median() < 1000
    planted = [(m, o["direction"]) for m, v in truth["outliers"].items() for o in v]
    assert 4 <= len(planted) <= 6
    assert {d for _, d in planted} == {"high", "low"} and len({m for m, _ in planted}) >= 3
    assert (long["count"] == "c").sum() == truth["suppressed_cells"] > 0
    assert (long["count"] == "").sum() >= 3


def test_synthetic_returns_round_trip_through_the_reader(tmp_path):
    paths = synth_foi.write_synth_returns(150, 5, tmp_path)
    files = sorted(paths["returns"].glob("*.csv"))
    assert 3 <= len(files) <= 9
    truth = json.loads(paths["truth"].read_text())
    assert set(truth["outliers"]) <= set(foi.COMPARISONS)
    table, problems = foi.read_returns(paths["returns"])
    assert _rules(problems) == []
    assert len(table) == 150
    status = foi.cell_status(table)
    assert (status == "suppressed").sum().sum() == truth["suppressed_cells"]
    for cell in truth["missing_cells"]:
        col = foi._column_for(cell["measure"], cell["category"])
        assert status.loc[cell["la_code"], col] == "missing"
        assert pd.isna(table.set_index("la_code").loc[cell["la_code"], col])


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_planted_outliers_are_found_at_99_8_percent(seed):
    long, truth = synth_foi.synth_returns(150, seed)
    table = _wide(long)
    results = flags.compare(table)
    extra_on_planted = 0
    for measure, planted in truth["outliers"].items():
        res = results[measure]
        assert res.method == "exact"  # whole counts, near-binomial: exact limits, no overdispersion adjustment
        out = res.outside("99.8%").set_index("la_code")["flag"]
        for o in planted:
            assert out.get(o["la_code"]) == f"{o['direction']} (99.8%)", (measure, o)
        extra_on_planted += len(set(out.index) - {o["la_code"] for o in planted})
    assert extra_on_planted <= 3


def test_chance_flags_stay_near_the_nominal_rate():
    # without planted outliers about 0.2% of LAs fall outside exact 99.8% limits by chance (allow up to 0.5%);
    # after the false-discovery control across all measures, hardly any
    extra = extra_after = compared = 0
    for seed in range(10, 16):
        long, truth = synth_foi.synth_returns(150, seed)
        planted = {(m, o["la_code"]) for m, v in truth["outliers"].items() for o in v}
        for measure, res in flags.compare(_wide(long)).items():
            compared += len(res.table)
            extra += sum((measure, c) not in planted for c in res.outside("99.8%", before_fdr=True)["la_code"])
            extra_after += sum((measure, c) not in planted for c in res.outside("99.8%")["la_code"])
    assert extra / compared < 0.005
    assert extra_after < extra / 4


def _wide(long: pd.DataFrame) -> pd.DataFrame:
    """The wide table straight from the long frame (the reader is tested separately)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        long.to_csv(Path(d) / "r.csv", index=False)
        table, problems = foi.read_returns(d)
    assert _rules(problems) == []
    return table


# ---------------------------------------------------------------- comparison output


def test_compare_summary_lists_las_outside_99_8_percent(tmp_path):
    long, truth = synth_foi.synth_returns(150, 2)
    table = _wide(long)
    mine = truth["outliers"]["known_to_csc"][0]["la_code"]
    results = flags.compare(table)
    summary = flags.compare_summary(results, table, la_code=mine, threshold=10)
    path = flags.write_compare(summary, tmp_path / "compare.json")
    data = json.loads(path.read_text())
    assert data["las"] == 150 and data["years"] == ["2024-25"] and data["la_code"] == mine
    m = data["measures"]["known_to_csc"]
    assert {"target", "method", "dispersion", "skipped", "outside_998", "outside_95", "this_la", "label"} <= set(m)
    assert {"suppressed_compared", "flags_before_fdr", "fdr_q"} <= set(m)
    assert data["multiplicity"]["q"] == flags.FDR_Q and "Benjamini-Hochberg" in data["multiplicity"]["rule"]
    listed = {e["la_code"] for e in m["outside_998"]}
    assert {o["la_code"] for o in truth["outliers"]["known_to_csc"]} <= listed
    assert m["this_la"]["la_code"] == mine and m["this_la"]["flag"].endswith("(99.8%)")
    assert data["measures"]["first_adversity_before_5"]["skipped"]["missing"] >= 3
    for measure in data["measures"].values():
        for entry in measure["outside_998"] + measure["outside_95"]:
            # zero is not a small count (the scan's rule): exact limits can flag an authority with none as low
            assert entry["suppressed"] or entry["numerator"] == 0 or entry["numerator"] >= 10


def test_compare_summary_withholds_small_counts():
    table = pd.DataFrame(
        {
            "la_code": [f"L{i}" for i in range(30)],
            "la_name": "x",
            "requests": [400] * 30,
            "known_to_csc": [200] * 29 + [3],
        }
    )
    res = flags.compare(table, measures={"known_to_csc": "requests"})
    summary = flags.compare_summary(res, table.assign(year="2024-25"), la_code="L29", threshold=10)
    entry = summary["measures"]["known_to_csc"]["outside_998"][0]
    assert entry["la_code"] == "L29" and entry["direction"] == "low"
    assert entry["suppressed"] and entry["numerator"] is None and entry["proportion"] is None
