import pandas as pd
import pytest
import yaml

from analysis.contract import codes
from analysis.derive import adversity
from analysis.errors import UserError
from analysis.paths import CODING_FRAME as FRAME

D = pd.Timestamp


def _tables():
    return {
        "ssd_cin_assessments": pd.DataFrame(
            {
                "cina_assessment_id": ["A1", "A2", "A3"],
                "cina_person_id": ["P1", "P2", "P3"],
                "cina_assessment_auth_date": [D("2020-05-01"), pd.NaT, pd.NaT],
                "cina_assessment_start_date": [D("2020-03-01"), D("2019-06-01"), pd.NaT],
            }
        ),
        "ssd_assessment_factors": pd.DataFrame(
            {
                "cinf_assessment_id": ["A1", "A2", "A3"],
                "cinf_assessment_factors_json": ['["3B", "4C", "21"]', '["16A"]', '["18B"]'],
            }
        ),
        "ssd_cp_plans": pd.DataFrame(
            {
                "cppl_person_id": ["P1", "P2"],
                "cppl_cp_plan_start_date": [D("2021-01-10"), D("2021-02-01")],
                "cppl_cp_plan_initial_category": ["NEG", "MUL"],
            }
        ),
        "ssd_cin_episodes": pd.DataFrame(
            {
                "cine_person_id": ["P2", "P2"],
                "cine_referral_date": [D("2019-02-01"), D("2019-03-01")],
                "cine_cin_primary_need_code": ["N3", "N1"],
            }
        ),
        "ssd_cla_episodes": pd.DataFrame(
            {"clae_person_id": [], "clae_cla_episode_start_date": [], "clae_cla_primary_need_code": []}
        ),
        "adversity_review": pd.DataFrame(
            {
                "person_id": ["P2", None],
                "person_table_id": [None, "S9"],
                "adversity_type": ["parental_separation", "parental_imprisonment"],
                "date_first_documented": [D("2018-07-07"), D("2020-01-01")],
            }
        ),
    }


def test_each_source_is_dated_by_its_rule_and_nothing_is_dropped_unseen():
    events, notes = adversity.events(_tables(), adversity.load_frame(FRAME))
    cols = ["pers_person_id", "person_table_id", "domain", "date", "source", "code"]
    got = events.assign(date=events["date"].dt.strftime("%Y-%m-%d"))[cols].astype(object)
    got = got.where(got.notna(), None)
    assert sorted(map(tuple, got.to_numpy()), key=str) == sorted(
        [
            ("P1", None, "domestic_abuse", "2020-05-01", "assessment factor", "3B"),
            ("P1", None, "household_mental_illness", "2020-05-01", "assessment factor", "4C"),  # not parental
            ("P2", None, "neglect", "2019-06-01", "assessment factor", "16A"),  # never authorised: dated by its start
            ("P1", None, "neglect", "2021-01-10", "child protection plan", "NEG"),
            ("P2", None, "abuse_or_neglect", "2021-02-01", "child protection plan", "MUL"),
            ("P2", None, "parental_disability_or_illness", "2019-02-01", "primary need", "N3"),
            ("P2", None, "parental_separation", "2018-07-07", "case review", "parental_separation"),
            (None, "S9", "parental_imprisonment", "2020-01-01", "case review", "parental_imprisonment"),  # SEND side
        ],
        key=str,
    )
    # "21" (no factors) and N1 are listed as not adversity; the assessment with no date at all is counted, not lost
    assert notes == {"factors_dated_by_start": 1, "factors_undated": 1}


def test_every_code_of_the_cin_and_protection_lists_is_mapped_or_listed_with_a_reason():
    frame = adversity.load_frame(FRAME)
    for section, known in adversity.CODE_LISTS.items():
        covered = set(getattr(frame, section)) | set(frame.not_adversity.get(section, {}))
        assert covered == set(known), section
    assert set(adversity.CODE_LISTS["primary_need"]) == set(codes.CIN_PRIMARY_NEED)
    table = frame.as_table()
    assert set(table["Code"]) >= set(codes.ASSESSMENT_FACTORS) | set(codes.CP_CATEGORY) | set(codes.CIN_PRIMARY_NEED)


def test_a_frame_that_forgets_a_code_is_refused_naming_it(tmp_path):
    raw = yaml.safe_load(FRAME.read_text())
    del raw["assessment_factors"]["18B"]
    path = tmp_path / "frame.yml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(UserError, match="18B"):
        adversity.load_frame(path)


def test_code_counts_give_the_events_each_code_contributed():
    frame = adversity.load_frame(FRAME)
    events, _ = adversity.events(_tables(), frame)
    counted = adversity.code_counts(events, frame).set_index(["Source", "Code"])["Events"]
    assert counted[("CIN assessment factor", "3B")] == 1
    assert counted[("CIN assessment factor", "1B")] == 0
    assert pd.isna(counted[("CIN assessment factor", "21")])  # not adversity: no count
    assert counted[("Case review type", "parental_imprisonment")] == 1
