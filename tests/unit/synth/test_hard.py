"""The hard synthetic authority breaks each assumption it is meant to break, and still passes validation."""

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import cli
from analysis.ingest.source import check_extract
from analysis.params import params_from_dict
from analysis.synth import hard
from analysis.synth.headlines import age_on, nth_birthday
from analysis.synth.write import write

CSC_TABLES = (
    "ssd_contacts",
    "ssd_early_help_episodes",
    "ssd_cin_episodes",
    "ssd_cin_assessments",
    "ssd_cin_plans",
    "ssd_s47_enquiry",
    "ssd_cp_plans",
    "ssd_cla_episodes",
)


@pytest.fixture(scope="module")
def hard_dir(tmp_path_factory):
    """A hard authority of 20,000 children over 20 years (long enough for children observed from birth to request
    at 5 to 15), written as CSV with its truth."""
    out = tmp_path_factory.mktemp("hard")
    la = hard.generate(20_000, 20, 3)
    write(la, out)
    return out, la


def _read(folder, name):
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])


def _days(values):
    return pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")


def test_same_seed_same_bytes_and_not_the_plain_authority(tmp_path):
    def digest(la, where):
        write(la, where)
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(where.rglob("*.*"))}

    a = digest(hard.generate(1500, 8, 3), tmp_path / "a")
    assert a == digest(hard.generate(1500, 8, 3), tmp_path / "b")
    assert a != digest(hard.generate(1500, 8, 4), tmp_path / "c")


def test_no_social_care_event_before_the_records_start(hard_dir):
    out, la = hard_dir
    start = pd.Timestamp(la.params["records_start"])
    assert start == pd.Timestamp(la.params["study_window"]["start"]) + pd.DateOffset(years=hard.RECORDS_START_YEARS)
    for name in CSC_TABLES:
        frame = _read(out / "extract", name)
        assert len(frame), name
        for col in (c for c in frame.columns if c.endswith("_date")):
            assert (pd.to_datetime(frame[col]).dropna() >= start).all(), f"{name}.{col}"
    review = _read(out / "extract", "adversity_review")
    assert (pd.to_datetime(review.loc[review["person_id"].notna(), "date_first_documented"]) >= start).all()
    # while the SEND records cover the whole window
    assert (pd.to_datetime(_read(out / "extract", "sen2_requests")["received_date"]) < start).mean() > 0.1


def test_no_population_table_but_the_truth_keeps_it(hard_dir):
    out, la = hard_dir
    assert "population" not in la.tables and not (out / "extract" / "population.csv").exists()
    population = _read(out / "truth", "population")
    assert len(population) == 20_000 and la.headlines["population_table"] is False
    moved_in = pd.to_datetime(population["entry_date"]) > pd.to_datetime(population["birth_date"])
    assert 0.1 < moved_in.mean() < 0.2  # some children moved in, a few of them as babies


def test_requests_from_birth_to_25(hard_dir):
    out, _ = hard_dir
    q = _read(out / "extract", "sen2_requests").merge(_read(out / "extract", "sen2_person"), on="person_table_id")
    age = pd.Series(age_on(_days(q["person_birth_date"]), _days(q["received_date"])))
    assert age.min() == 0 and age.max() == 25
    assert (age < 2).sum() > 20 and (age >= 19).sum() > 20
    assert age.between(2, 4).mean() > 0.25 and age.between(10, 11).mean() > 0.1  # early years, secondary transfer
    assert age.between(16, 25).mean() > 0.05
    # a few on the eve, the day or the morrow of the 5th birthday, where 365.25-day years and birthdays disagree
    off = (_days(q["received_date"]) - nth_birthday(_days(q["person_birth_date"]), 5)).astype(int)
    assert ((off >= -1) & (off <= 1)).sum() >= 10


def test_adversity_documented_after_the_request(hard_dir):
    out, _ = hard_dir
    documented = _read(out / "truth", "documented_adversity")
    q = _read(out / "extract", "sen2_requests")
    index = q.groupby("person_table_id")["received_date"].min()
    d = documented[documented["person_table_id"].notna()].assign(index=lambda f: f["person_table_id"].map(index))
    d = d[d["index"].notna()]
    before = set(d.loc[d["date"] < d["index"], "person_table_id"])
    after = set(d.loc[d["date"] > d["index"], "person_table_id"])
    assert len(after - before) > 50  # documented only after the request
    onset = _read(out / "truth", "adversity_onset").dropna(subset=["person_table_id"])
    onset = onset.merge(_read(out / "truth", "population"), on="person_table_id")
    late = age_on(_days(onset["birth_date"]), _days(onset["onset_date"])) >= 10
    assert late.sum() > 40  # adversity beginning late


def test_children_known_only_through_early_help(hard_dir):
    out, _ = hard_dir
    ext = out / "extract"
    early_help = set(_read(ext, "ssd_early_help_episodes")["earl_person_id"])
    contacted = set(_read(ext, "ssd_contacts")["cont_person_id"]) | set(
        _read(ext, "ssd_cin_episodes")["cine_person_id"]
    )
    only = early_help - contacted
    assert len(only) > 300
    linked = set(_read(out / "truth", "person_links")["pers_person_id"])
    assert len(only & linked) > 20  # some of them request an assessment


def test_twins_and_triplets(hard_dir):
    out, la = hard_dir
    sets = la.truth["multiple_births"]
    sizes = sets.groupby("set").size()
    assert (sizes == 2).sum() > 200 and (sizes == 3).sum() >= 5
    population = _read(out / "truth", "population").set_index("population_id")
    for side, keys, forename, sex in (
        ("ssd_person", ["pers_dob", "pers_surname", "pers_postcode"], "pers_forename", "pers_sex"),
        ("sen2_person", ["person_birth_date", "surname", "postcode"], "forename", "sex"),
    ):
        people = _read(out / "extract", side)
        groups = people.groupby(keys).agg(n=(forename, "size"), names=(forename, "nunique"), sexes=(sex, "nunique"))
        twins = groups[groups["n"] > 1]
        assert len(twins) >= 10, side
        assert (twins["names"] == twins["n"]).mean() > 0.9, side  # their own forenames (noise aside)
        assert (twins["sexes"] == 1).mean() > 0.5, side
    assert population["birth_date"].str.endswith("-02-29").sum() > 50  # births on 29 February


def test_case_review_of_children_never_known_to_social_care(hard_dir):
    out, _ = hard_dir
    review = _read(out / "extract", "adversity_review")
    send_only = review[review["person_id"].isna()]
    assert len(send_only) > 100 and send_only["person_table_id"].notna().all()
    assert set(send_only["source_document_type"]) == {"education_record", "health_record"}
    linked = set(_read(out / "truth", "person_links")["person_table_id"])
    assert not set(send_only["person_table_id"]) & linked
    assert set(send_only["person_table_id"]) <= set(_read(out / "extract", "sen2_person")["person_table_id"])


def test_the_hard_extract_validates_with_its_earliest_birth(hard_dir):
    """Young people of up to 25 request early in the window, so births reach back further than the validator's
    default (25 years before the extract date): the run gives the earliest birth, as params.yml does."""
    out, la = hard_dir
    params = yaml.safe_load((out / "truth" / "params.yml").read_text())
    earliest = pd.Timestamp(params["earliest_birth"])
    result = check_extract(out / "extract", pd.Timestamp(params["study_window"]["end"]), earliest_birth=earliest)
    assert result.errors.empty, result.errors.head().to_string()
    assert result.problems.empty, result.problems.head().to_string()


def test_the_truth_parameters_make_run_parameters(hard_dir):
    out, la = hard_dir
    raw = yaml.safe_load((out / "truth" / "params.yml").read_text())
    params = params_from_dict({"la_name": "Hard", "la_code": "997", **raw})
    assert params.records_start == dt.date.fromisoformat(la.headlines["records_start"]) == dt.date(2010, 4, 1)
    assert params.study_start == dt.date(2006, 4, 1) and params.horizon_age == 8


def test_the_cli_writes_a_hard_authority_and_refuses_what_it_cannot_carry(tmp_path, capsys):
    args = ["synth", "--children", "600", "--years", "8", "--seed", "2", "--scenario", "hard"]
    assert cli.main([*args, "--out", str(tmp_path / "h")]) == 0
    assert not (tmp_path / "h" / "extract" / "population.csv").exists()
    assert (tmp_path / "h" / "truth" / "headlines.json").exists()
    assert cli.main([*args, "--format", "xml", "--out", str(tmp_path / "x")]) != 0
    assert "XML" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_records_start_is_at_most_half_the_window():
    start = np.datetime64("2016-04-01")
    assert hard.records_start(start, 10) == np.datetime64("2020-04-01")
    assert hard.records_start(start, 3) == np.datetime64("2017-04-01")
