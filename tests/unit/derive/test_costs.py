"""Cost of need from a unit cost file: the example file, proportionality, totals and clear errors."""

from pathlib import Path

import pytest
import yaml

from analysis.derive import costs
from analysis.errors import UserError
from analysis.paths import REPO

EXAMPLE = REPO / "data_templates" / "unit_costs.example.yml"
COUNTS = {"ehc_plan": 120, "cin_episode": 300, "cla_week": 5200}


def _yaml(tmp_path, data, name="unit_costs.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_example_file_has_sourced_anchors():
    uc = costs.load_unit_costs(EXAMPLE)
    assert set(uc.items) == {"ehc_plan", "cin_episode", "cla_week"}
    ehcp, cin, cla = uc.items["ehc_plan"], uc.items["cin_episode"], uc.items["cla_week"]
    assert (ehcp.value, ehcp.unit, ehcp.price_year) == (19100, "per year", "2017-18")
    assert "NAO, Support for pupils with SEND in England, 2019" in ehcp.source
    assert (cla.value, cla.unit, cla.price_year) == (646, "per week", "2016-17") and "PSSRU" in cla.source
    assert cin.example and cin.unit == "per episode" and "Holmes 2021" in cin.source
    for item in uc.items.values():
        assert item.low <= item.value <= item.high


def test_estimate_rows_and_total(tmp_path):
    est = costs.estimate(COUNTS, EXAMPLE)
    assert est["item"].tolist() == ["ehc_plan", "cin_episode", "cla_week", "total"]
    body, total = est.iloc[:-1], est.iloc[-1]
    assert body.loc[0, "central"] == pytest.approx(120 * 19100)
    assert body.loc[2, "central"] == pytest.approx(5200 * 646)
    assert body.loc[2, "low"] == pytest.approx(5200 * 600) and body.loc[2, "high"] == pytest.approx(5200 * 3000)
    assert body.loc[0, "low"] == pytest.approx(120 * 19100 * 0.75)
    for col in ("central", "low", "high"):
        assert total[col] == pytest.approx(body[col].sum())
    assert (body["low"] <= body["central"]).all() and (body["central"] <= body["high"]).all()
    assert total["example"]  # the placeholder CIN cost is carried through to the total
    assert total["price_base"].startswith("mixed")
    assert {"quantity", "unit_cost", "source", "price_year"} <= set(est.columns)


@pytest.mark.parametrize("item", ["ehc_plan", "cla_week"])
def test_changing_a_unit_cost_changes_the_estimate_proportionally(tmp_path, item):
    data = _example()
    before = costs.estimate(COUNTS, EXAMPLE).set_index("item")
    data["items"][item]["value"] = data["items"][item]["value"] * 2
    if "range" in data["items"][item].get("sensitivity", {}):
        data["items"][item]["sensitivity"] = {"range": [v * 2 for v in data["items"][item]["sensitivity"]["range"]]}
    after = costs.estimate(COUNTS, _yaml(tmp_path, data)).set_index("item")
    for col in ("central", "low", "high"):
        assert after.loc[item, col] == pytest.approx(2 * before.loc[item, col])
        others = [i for i in COUNTS if i != item]
        assert after.loc[others, col].tolist() == pytest.approx(before.loc[others, col].tolist())
        assert after.loc["total", col] - before.loc["total", col] == pytest.approx(before.loc[item, col])


def test_changing_a_quantity_changes_the_estimate_proportionally():
    one = costs.estimate({"ehc_plan": 10}, EXAMPLE).set_index("item")
    three = costs.estimate({"ehc_plan": 30}, EXAMPLE).set_index("item")
    assert three.loc["ehc_plan", "central"] == pytest.approx(3 * one.loc["ehc_plan", "central"])


@pytest.mark.parametrize("field", ["source", "value", "price_year", "unit"])
def test_a_missing_field_is_a_clear_error_naming_file_and_item(tmp_path, field):
    data = _example()
    del data["items"]["cla_week"][field]
    path = _yaml(tmp_path, data)
    with pytest.raises(UserError) as err:
        costs.estimate(COUNTS, path)
    message = str(err.value)
    assert str(path) in message and "cla_week" in message and field in message


@pytest.mark.parametrize(
    "change, words",
    [
        ({"value": -5}, "positive number"),
        ({"value": "a lot"}, "positive number"),
        ({"unit": "per fortnight"}, "unit must be one of"),
        ({"sensitivity": {"low": 1.2, "high": 2}}, "multipliers"),
        ({"sensitivity": {"range": [700, 900]}}, "sensitivity range"),
        ({"sensitivity": "wide"}, "sensitivity must be"),
    ],
)
def test_bad_values_are_clear_errors(tmp_path, change, words):
    data = _example()
    data["items"]["cla_week"].update(change)
    with pytest.raises(UserError, match=words):
        costs.load_unit_costs(_yaml(tmp_path, data))


def test_unknown_items_and_bad_counts_are_errors():
    with pytest.raises(UserError, match="no unit cost for residential_weeks"):
        costs.estimate({"residential_weeks": 10}, EXAMPLE)
    with pytest.raises(UserError, match="zero or more"):
        costs.estimate({"cla_week": -1}, EXAMPLE)
    with pytest.raises(UserError, match="zero or more"):
        costs.estimate({"cla_week": None}, EXAMPLE)


def test_unreadable_files_are_errors(tmp_path):
    with pytest.raises(UserError, match="no such unit cost file"):
        costs.load_unit_costs(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("items: [unclosed", encoding="utf-8")
    with pytest.raises(UserError, match="not valid YAML"):
        costs.load_unit_costs(bad)
    with pytest.raises(UserError, match="'items'"):
        costs.load_unit_costs(_yaml(tmp_path, {"currency": "GBP"}))


def test_costs_by_primary_need_fall_back_to_the_overall_cost(tmp_path):
    data = _example()
    data["items"]["ehc_plan"]["by_primary_need"] = {
        "ASD": {"value": 25000, "source": "LA finance, 2024", "price_year": "2023-24"}
    }
    est = costs.estimate({"ehc_plan": {"ASD": 10, "SEMH": 4}}, _yaml(tmp_path, data))
    rows = est.set_index("primary_need").loc[["ASD", "SEMH"]]
    assert rows.loc["ASD", "central"] == pytest.approx(250_000) and rows.loc["ASD", "source"] == "LA finance, 2024"
    assert rows.loc["SEMH", "central"] == pytest.approx(4 * 19100)
    assert rows.loc["ASD", "unit"] == "per year"  # inherited from the item
    assert est.iloc[-1]["central"] == pytest.approx(250_000 + 4 * 19100)


def test_uprating_to_one_price_base(tmp_path):
    data = _example()
    data["price_base"] = "2023-24"
    data["inflation_index"] = {"2016-17": 100.0, "2017-18": 102.0, "to be supplied": 110.0, "2023-24": 125.0}
    est = costs.estimate({"cla_week": 10, "ehc_plan": 1}, _yaml(tmp_path, data)).set_index("item")
    assert est.loc["cla_week", "central"] == pytest.approx(10 * 646 * 1.25)
    assert est.loc["ehc_plan", "central"] == pytest.approx(19100 * 125 / 102)
    assert est.loc["total", "price_base"] == "2023-24"
    del data["inflation_index"]["2016-17"]
    with pytest.raises(UserError, match="2016-17"):
        costs.load_unit_costs(_yaml(tmp_path, data))


def test_a_public_edition_of_real_data_refuses_example_costs():
    example = costs.load_unit_costs(REPO / "data_templates" / "unit_costs.example.yml")
    with pytest.raises(UserError, match=r"marked example: true\. A public edition cannot publish example costs"):
        costs.refuse_examples(example, "public", synthetic=False)
    costs.refuse_examples(example, "public", synthetic=True)  # the synthetic sample says so on every page
    costs.refuse_examples(example, "internal", synthetic=False)


def test_the_build_refuses_before_any_work_and_writes_nothing(tmp_path, capsys):
    """The committed sample without its SYNTHETIC marker stands for a real extract."""
    import shutil

    from analysis import cli, paths

    extract = tmp_path / "extract"
    shutil.copytree(paths.SAMPLE_EXTRACT, extract)
    (extract / "SYNTHETIC").unlink()
    out = tmp_path / "out"
    code = cli.main(["build", "--params", str(paths.EXAMPLE_PARAMS), "--extract", str(extract), "--out", str(out)])
    assert code != 0
    assert "cannot publish example costs" in capsys.readouterr().err
    assert not (out / "html").exists() and not (out / "measures.json").exists()
