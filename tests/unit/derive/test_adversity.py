import pandas as pd

from analysis.derive import adversity
from analysis.paths import CODING_FRAME as FRAME

D = pd.Timestamp


def _tables():
    return {
        "ssd_cin_assessments": pd.DataFrame(
            {
                "cina_assessment_id": ["A1", "A2"],
                "cina_person_id": ["P1", "P2"],
                "cina_assessment_auth_date": [D("2020-05-01"), pd.NaT],
            }
        ),
        "ssd_assessment_factors": pd.DataFrame(
            {"cinf_assessment_id": ["A1", "A2"], "cinf_assessment_factors_json": ['["3B", "4B", "21"]', '["16A"]']}
        ),
        "ssd_cp_plans": pd.DataFrame(
            {
                "cppl_person_id": ["P1"],
                "cppl_cp_plan_start_date": [D("2021-01-10")],
                "cppl_cp_plan_initial_category": ["NEG"],
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
            {"person_id": ["P2"], "adversity_type": ["parental_separation"], "date_first_documented": [D("2018-07-07")]}
        ),
    }


def test_each_source_is_dated_by_its_rule_and_undated_factors_are_counted():
    events, excluded = adversity.events(_tables(), adversity.load_frame(FRAME))
    got = events.assign(date=events["date"].dt.strftime("%Y-%m-%d"))[["pers_person_id", "domain", "date", "source"]]
    assert sorted(map(tuple, got.to_numpy())) == sorted(
        [
            ("P1", "domestic_abuse", "2020-05-01", "assessment factor"),
            ("P1", "parental_mental_illness", "2020-05-01", "assessment factor"),
            ("P1", "neglect", "2021-01-10", "child protection plan"),
            ("P2", "parental_disability_or_illness", "2019-02-01", "primary need"),
            ("P2", "parental_separation", "2018-07-07", "case review"),
        ]
    )
    # "21" (no factors) and N1 (too broad) map to nothing; the undated assessment is counted, not silently dropped
    assert excluded == {"assessment factors without an authorisation date": 1}


def test_the_frame_prints_every_mapping():
    frame = adversity.load_frame(FRAME)
    table = frame.as_table()
    assert len(table) == (
        len(frame.assessment_factors) + len(frame.cp_categories) + len(frame.review_types) + len(frame.primary_need)
    )
    assert {"CIN assessment factor", "Child protection category", "CIN primary need", "Case review type"} == set(
        table["Source"]
    )
