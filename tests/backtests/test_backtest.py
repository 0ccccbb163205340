"""Back tests: the pipeline recovers the synthetic authority's ground truth."""

import dataclasses
import json

import pytest

from analysis import pipeline
from analysis.derive.assemble import cache_key
from analysis.ingest.source import extract_files
from analysis.params import params_from_dict


@pytest.fixture(scope="module")
def study(la_dir):
    params = params_from_dict(
        {"la_name": "Back test", "la_code": "997", "study_window": {"start": "2016-04-01", "end": "2026-03-31"}}
    )
    return pipeline.prepare(params, la_dir / "extract", la_dir / "truth")


@pytest.fixture(scope="module")
def truth(la_dir):
    return json.loads((la_dir / "truth" / "measures.json").read_text())


def test_cohort_size_is_exact(study, truth):
    assert study.measures["cohort_size"] == truth["cohort"]


def test_known_to_csc_short_only_by_missed_links(study, truth):
    """The generator's truth counts any contact before the request: the report's contact tier."""
    (m,) = [t for t in study.measures["known_tiers"] if t["tier"] == "contact"]
    recall = study.linkage.recall
    assert m["numerator"] <= truth["known_to_csc"]
    assert m["numerator"] >= truth["known_to_csc"] * recall - 2
    assert study.measures["known_to_csc"]["numerator"] < m["numerator"]  # the headline tier is narrower


def test_first_adversity_before_5_within_3_points(study, truth):
    m = study.measures["first_adversity_before_5"]
    assert abs(m["value"] - truth["first_adversity_before_5"] / truth["with_adversity"]) < 0.03
    low, high = m["interval"]
    assert low < truth["first_adversity_before_5"] / truth["with_adversity"] < high


def test_domain_prevalence_intervals_cover_truth(study, truth):
    n = truth["cohort"]
    for d in study.measures["domains"]:
        if d["suppressed"]:
            continue
        assert d["interval"][0] <= truth["domains"][d["name"]] / n <= d["interval"][1], d["name"]


def test_no_identifiers_in_the_prepared_study(study, la_dir):
    import pandas as pd

    ids = pd.read_csv(la_dir / "extract" / "sen2_person.csv", dtype=str)
    assert not study.cohort.isin(set(ids["person_table_id"]) | set(ids["upn"].dropna())).any().any()
    assert not {"dob", "pers_person_id", "person_table_id", "upn"} & set(study.cohort.columns)


def test_two_runs_publish_identical_numbers(monkeypatch):
    """Determinism: the same extract and parameters give the same tables and measures (the public edition's
    pseudonyms use a fresh key each run, and none of them is published)."""
    import pandas as pd

    from analysis.params import load_params
    from analysis.paths import EXAMPLE_PARAMS, SAMPLE_EXTRACT

    for var in ("ADVERSITY_REPORT_KEY", "ADVERSITY_REPORT_KEY_FILE"):  # no key: a fresh random one per run
        monkeypatch.delenv(var, raising=False)
    params = load_params(EXAMPLE_PARAMS)
    a, b = pipeline.prepare(params, SAMPLE_EXTRACT), pipeline.prepare(params, SAMPLE_EXTRACT)
    assert a.measures == b.measures
    assert a.tables.keys() == b.tables.keys()
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert not a.cohort["child"].isin(b.cohort["child"]).any()


def test_the_cost_chapter_follows_the_unit_costs_file(tmp_path):
    """No cost is built in: changing a unit cost in the file changes the estimate (and the cache key)."""
    import yaml

    from analysis.params import load_params
    from analysis.paths import EXAMPLE_PARAMS, REPO, SAMPLE_EXTRACT

    params = load_params(EXAMPLE_PARAMS)
    raw = yaml.safe_load((REPO / params.unit_costs).read_text())
    raw["items"]["ehc_plan"]["value"] *= 2
    doubled = tmp_path / "costs.yml"
    doubled.write_text(yaml.safe_dump(raw))
    other = dataclasses.replace(params, unit_costs=doubled)

    def plan_cost(study):
        split = study.costs.table
        row = dict(zip(split["columns"], next(r for r in split["data"] if r[0] == "ehc_plan")))
        return row["central"]

    assert plan_cost(pipeline.prepare(other, SAMPLE_EXTRACT)) == pytest.approx(
        2 * plan_cost(pipeline.prepare(params, SAMPLE_EXTRACT))
    )
    files = extract_files(SAMPLE_EXTRACT)
    assert cache_key(params, files, None, "k") != cache_key(other, files, None, "k")
    assert cache_key(params, files, None, "k") != cache_key(params, files, None, "another key")
