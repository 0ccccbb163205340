"""The comparison the book reads: its published table of flags and the sentences the chapter glues, each computed
from compare.json's content."""

import json

import pytest

from analysis.compare import comparison, flags
from analysis.params import load_params
from analysis.paths import EXAMPLE_PARAMS
from analysis.synth import foi as synth_foi


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    paths = synth_foi.write_synth_returns(150, 51, folder)
    return comparison.prepare(load_params(EXAMPLE_PARAMS), paths["returns"]), json.loads(paths["truth"].read_text())


def test_compare_json_states_the_multiplicity_rule_with_its_level_and_reason(prepared):
    study, _ = prepared
    mult = study.summary["multiplicity"]
    assert mult["method"] == "Benjamini-Hochberg" and mult["q"] == flags.FDR_Q
    assert mult["levels_controlled"] == ["99.8%"]
    assert mult["comparisons"] == sum(m["compared"] for m in study.summary["measures"].values())
    assert f"q = {flags.FDR_Q:g}" in mult["rule"] and f"{mult['comparisons']:,} comparisons" in mult["rule"]
    assert "95% limits are not corrected" in mult["rule"] and "false alarms" in mult["rule"]
    assert mult["outside_998_before_fdr"] > mult["outside_998"] == 6


def test_the_published_table_lists_exactly_the_planted_outliers(prepared):
    study, truth = prepared
    table = study.tables["outside_998"]
    planted = {o["la_name"] for los in truth["outliers"].values() for o in los}
    assert set(table["Authority"]) == planted and len(table) == len(planted)
    assert list(table.columns) == ["Measure", "Authority", "Flag", "Proportion", "Denominator", "Adjusted p (BH)"]
    assert not table["Measure"].str.startswith("domain_").any()  # every measure by its label


def test_sentences_are_computed_from_the_summary(prepared):
    study, _ = prepared
    s = study.summary
    fdr = comparison.fdr_sentence(s)
    mult = s["multiplicity"]
    assert fdr.startswith(mult["rule"])
    assert f"{mult['outside_998_before_fdr']} authority-measure pairs lay outside" in fdr
    assert f"after it {mult['outside_998']} do" in fdr
    censored = sum(m["suppressed_compared"] for m in s["measures"].values())
    assert f"{censored} such cells count" in comparison.censoring_sentence(s)
    assert comparison.method_sentence(s).startswith("On every measure the limits are exact binomial limits")
    line = comparison.measure_sentence(s, "known_to_csc")
    assert f"{100 * s['measures']['known_to_csc']['target']:.1f}%" in line and "2 authorities outside" in line
    assert "children with adversity" in comparison.denominator_label(s, "first_adversity_before_5").lower()


def test_the_method_sentence_names_overdispersed_measures():
    summary = {
        "measures": {
            "known_to_csc": {"method": "exact", "label": "Known", "dispersion": {"overdispersed": False}},
            "with_adversity": {"method": "beta_binomial", "label": "Adv", "dispersion": {"overdispersed": True}},
        }
    }
    text = comparison.method_sentence(summary)
    assert text.startswith("On 1 measure the limits are exact binomial")
    assert "on 1 measure the limits are exact beta-binomial" in text
    assert "more than chance allows on with adversity documented before the request" in text.lower()
