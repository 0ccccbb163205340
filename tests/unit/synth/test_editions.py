import datetime as dt

import pandas as pd
import pytest

from analysis.contract import schema
from analysis.ingest.source import check_extract
from analysis.synth.editions import RULES, as_of, write_editions
from analysis.synth.la import generate

CUTOFF = dt.date(2025, 3, 31)
AT = pd.Timestamp(CUTOFF)


@pytest.fixture(scope="module")
def la():
    return generate(2000, 10, 7, dt.date(2026, 3, 31))


@pytest.fixture(scope="module")
def earlier(la):
    return as_of(la.tables, CUTOFF)


def _dates(table: str) -> list[str]:
    t = schema.TABLE[table]
    return [c.name for c in t.columns + t.extra_columns if c.kind == schema.DATE]


def test_every_table_date_and_reference_of_the_contract_has_a_rule():
    order = [t.name for t in schema.TABLES]
    for table in schema.TABLES:
        rule = RULES[table.name]
        via = [rule.via[0]] if rule.via else []
        assert set(_dates(table.name)) <= set(rule.born) | set(rule.ends), table.name
        linked = {c for c, *_ in rule.parents + rule.optional_parents} | set(via)
        for col in table.columns:
            if col.references:
                assert col.name in linked, f"{table.name}.{col.name} has no parent link"
        parents = [p for _, p, _ in rule.parents + rule.optional_parents] + ([rule.via[1]] if rule.via else [])
        assert all(order.index(p) < order.index(table.name) for p in parents), table.name  # parents settle first


def test_cut_at_the_extract_date_is_the_extract_itself(la):
    same = as_of(la.tables, la.extract_date)
    assert list(same) == list(la.tables)
    for name, frame in la.tables.items():
        pd.testing.assert_frame_equal(same[name], frame, obj=name)


def test_nothing_is_dated_after_the_cutoff(la, earlier):
    for name, frame in earlier.items():
        for col in (c for c in _dates(name) if c in frame):
            assert not (frame[col] > AT).any(), f"{name}.{col}"
    later = [(n, c) for n, f in la.tables.items() for c in _dates(n) if c in f and (f[c] > AT).any()]
    assert len(later) > 10  # the later edition has plenty to cut


def test_people_born_after_the_cutoff_are_gone(la, earlier):
    for name, col, key in (
        ("ssd_person", "pers_dob", "pers_person_id"),
        ("sen2_person", "person_birth_date", "person_table_id"),
        ("population", "birth_date", "population_id"),
    ):
        born_later = la.tables[name].loc[la.tables[name][col] > AT, key]
        assert not earlier[name][key].isin(born_later).any(), name
    assert (la.tables["population"]["birth_date"] > AT).sum() > 0
    assert len(earlier["population"]) == (la.tables["population"]["birth_date"] <= AT).sum()


def test_an_episode_open_at_the_cutoff_keeps_its_start_and_loses_its_end(la, earlier):
    spans = [
        (n, r.born[0], r.ends[0]) for n, r in RULES.items() if r.born and r.ends and r.ends[0] in la.tables.get(n, {})
    ]
    checked = 0
    for name, start, end in spans:
        key, full = schema.TABLE[name].key, la.tables[name]
        open_then = full[(full[start] <= AT) & (full[end] > AT)].set_index(key)
        cut = earlier[name].set_index(key).loc[open_then.index]
        assert (cut[start] == open_then[start]).all(), name
        assert cut[end].isna().all(), name
        checked += len(open_then)
    assert checked > 20


def test_decisions_taken_after_the_cutoff_are_pending(la, earlier):
    full = la.tables["sen2_requests"]
    waiting = full.loc[(full["received_date"] <= AT) & (full["request_outcome_date"] > AT), "requests_table_id"]
    cut = earlier["sen2_requests"].set_index("requests_table_id").loc[waiting]
    assert len(cut) > 0
    assert (cut["request_outcome"] == "A").all() and cut["request_outcome_date"].isna().all()
    # an assessment exists only once its request was agreed, and factors only once the assessment was authorised
    agreed = earlier["sen2_requests"].loc[earlier["sen2_requests"]["request_outcome_date"].notna(), "requests_table_id"]
    assert earlier["sen2_assessment"]["requests_table_id"].isin(agreed).all()
    authorised = earlier["ssd_cin_assessments"]
    authorised = authorised.loc[authorised["cina_assessment_auth_date"].notna(), "cina_assessment_id"]
    assert earlier["ssd_assessment_factors"]["cinf_assessment_id"].isin(authorised).all()
    plans = earlier["sen2_named_plan"]
    assert plans.loc[plans["cease_date"].isna(), "cease_reason"].isna().all()  # no reason for a cessation to come


def test_the_earlier_edition_is_a_subset_of_the_later(la, earlier):
    for name, frame in earlier.items():
        key = schema.TABLE[name].key
        assert frame[key].isin(la.tables[name][key]).all(), name
        assert len(frame) <= len(la.tables[name]), name
    assert sum(len(f) for f in earlier.values()) < sum(len(f) for f in la.tables.values())


def test_both_editions_validate_for_their_own_extract_dates(tmp_path):
    folders = write_editions(2000, 7, tmp_path)
    assert [f.parent.name for f in folders] == ["2025-03-31", "2026-03-31"]
    assert not (tmp_path / "2025-03-31" / "truth").exists()
    assert (tmp_path / "2026-03-31" / "truth" / "measures.json").exists()
    for folder in folders:
        result = check_extract(folder, pd.Timestamp(folder.parent.name), "ssd")
        assert result.errors.empty, result.errors.head().to_string()
    first, last = (check_extract(f, pd.Timestamp(f.parent.name), "ssd").tables for f in folders)
    for name, frame in first.items():
        key = schema.TABLE[name].key
        assert frame[key].isin(last[name][key]).all(), name
