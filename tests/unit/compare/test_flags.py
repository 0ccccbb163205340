"""Flags across many authorities against the synthetic ground truth: after the false-discovery control the
authorities outside the 99.8% limits are exactly the planted outliers; suppressed counts are compared as intervals
and never published."""

import json

import pandas as pd
import pytest

from analysis.compare import flags
from analysis.compare import returns as foi
from analysis.synth import foi as synth_foi


def _flagged_and_planted(seed, tmp_path):
    paths = synth_foi.write_synth_returns(150, seed, tmp_path)
    table, problems = foi.read_returns(paths["returns"])
    assert (problems["severity"] != "error").all()
    truth = json.loads(paths["truth"].read_text())
    planted = {(m, o["la_code"], o["direction"]) for m, los in truth["outliers"].items() for o in los}
    results = flags.compare(table)
    flagged = {
        (m, row["la_code"], row["flag"].split()[0])
        for m, res in results.items()
        for _, row in res.outside("99.8%").iterrows()
    }
    before = {(m, c) for m, res in results.items() for c in res.outside("99.8%", before_fdr=True)["la_code"]}
    return flagged, planted, before, results


@pytest.mark.parametrize("seed", [4, 51])
def test_flags_after_fdr_are_exactly_the_planted_outliers(seed, tmp_path):
    flagged, planted, before, results = _flagged_and_planted(seed, tmp_path)
    assert flagged == planted
    assert {(m, c) for m, c, _ in planted} <= before  # the control removed only chance flags
    assert len({res.fdr_family for res in results.values()}) == 1  # one family: every measure and authority
    assert next(iter(results.values())).fdr_family == sum(len(res.table) for res in results.values())


def test_seed_51_had_chance_flags_that_the_control_removes(tmp_path):
    # the methodology review's case: with the limits alone, authorities that were not planted are flagged too
    flagged, planted, before, _ = _flagged_and_planted(51, tmp_path)
    assert len(before - {(m, c) for m, c, _ in planted}) >= 3
    assert flagged == planted


def test_suppressed_counts_are_compared_and_their_figures_withheld(tmp_path):
    paths = synth_foi.write_synth_returns(150, 4, tmp_path)
    table, _ = foi.read_returns(paths["returns"])
    truth = json.loads(paths["truth"].read_text())
    results = flags.compare(table)
    status = foi.cell_status(table)
    for measure, res in results.items():
        suppressed = int((status[measure] == "suppressed").sum())
        assert res.censored == suppressed  # every suppressed numerator is compared, none skipped
        assert res.skipped_counts["suppressed"] == 0
    assert sum(r.censored for r in results.values()) == sum(
        v for k, v in truth["suppressed_by_measure"].items() if k in results
    )
    sexual = results["domain_sexual_abuse"].table
    cens = sexual[sexual["censored"]]
    assert len(cens) > 0 and cens["numerator"].isna().all()
    assert ((cens["numerator_low"] == 1) & (cens["numerator_high"] == 5)).all()
    assert set(cens["flag"]) <= set(flags.ALL_FLAGS)
    # an authority with a suppressed count, made the running LA: withheld in compare.json, p-value included
    mine = cens["la_code"].iloc[0]
    summary = flags.compare_summary(results, table, la_code=mine, threshold=10)
    entry = summary["measures"]["domain_sexual_abuse"]["this_la"]
    assert entry["suppressed"] and entry["numerator"] is None and "p_value" not in entry


def test_a_suppressed_count_far_below_the_target_is_flagged_low():
    table = pd.DataFrame(
        {
            "la_code": [f"L{i:02d}" for i in range(40)],
            "la_name": "x",
            "num": pd.array([300] * 39 + [pd.NA], dtype="Int64"),
            "den": [1000] * 40,
        }
    )
    table.attrs["status"] = {"num": {"L39": "suppressed"}}
    res = flags.flag(table, "num", "den")
    row = res.table.set_index("la_code").loc["L39"]
    assert row["censored"] and row["flag"] == "low (99.8%)"  # 1 to 5 of 1,000 against 30%: low whatever the count
    assert res.skipped.empty
