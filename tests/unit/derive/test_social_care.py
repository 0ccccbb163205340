import pandas as pd
import pytest

from analysis.derive import social_care
from analysis.errors import UserError

D = pd.Timestamp


def _tables():
    """P1: a contact only. P2: an N2 referral and its assessment. P3: an N4 referral, assessment and CP plan.
    P4: early help only. P5: a contact after the request."""
    return {
        "ssd_contacts": pd.DataFrame(
            {"cont_person_id": ["P1", "P5"], "cont_contact_date": [D("2019-01-01"), D("2021-01-01")]}
        ),
        "ssd_cin_episodes": pd.DataFrame(
            {
                "cine_referral_id": ["R2", "R3"],
                "cine_person_id": ["P2", "P3"],
                "cine_referral_date": [D("2019-02-01"), D("2019-03-01")],
                "cine_cin_primary_need_code": ["N2", "N4"],
            }
        ),
        "ssd_cin_assessments": pd.DataFrame(
            {
                "cina_person_id": ["P2", "P3"],
                "cina_referral_id": ["R2", "R3"],
                "cina_assessment_start_date": [D("2019-02-10"), D("2019-03-10")],
            }
        ),
        "ssd_cp_plans": pd.DataFrame(
            {"cppl_person_id": ["P3"], "cppl_referral_id": ["R3"], "cppl_cp_plan_start_date": [D("2019-06-01")]}
        ),
        "ssd_early_help_episodes": pd.DataFrame(
            {"earl_person_id": ["P4"], "earl_episode_start_date": [D("2018-01-01")]}
        ),
    }


@pytest.fixture
def cohort():
    c = pd.DataFrame({"pers_person_id": ["P1", "P2", "P3", "P4", "P5"], "index_date": [D("2020-01-01")] * 5})
    social_care.known_before(c, _tables())
    return c.set_index("pers_person_id")


def test_tiers_are_cumulative_and_the_headline_is_the_referral_tier(cohort):
    assert cohort["tier_contact"].to_dict() == {"P1": True, "P2": True, "P3": True, "P4": False, "P5": False}
    assert cohort["tier_referral"].to_dict() == {"P1": False, "P2": True, "P3": True, "P4": False, "P5": False}
    assert cohort["tier_assessment"].to_dict() == {"P1": False, "P2": True, "P3": True, "P4": False, "P5": False}
    assert cohort["tier_child_in_need"].to_dict() == {"P1": False, "P2": False, "P3": True, "P4": False, "P5": False}
    assert (cohort["known_to_csc"] == cohort["tier_referral"]).all()


def test_referrals_for_the_childs_own_disability_and_what_followed_are_left_out_of_the_sensitivity(cohort):
    assert cohort["known_excluding_own_disability"].to_dict() == {
        "P1": False,
        "P2": False,
        "P3": True,
        "P4": False,
        "P5": False,
    }


def test_early_help_is_its_own_route(cohort):
    assert cohort["early_help_before_index"].to_dict()["P4"] and not cohort.loc["P4", "known_to_csc"]
    assert cohort["early_help_only"].to_dict() == {"P1": False, "P2": False, "P3": False, "P4": True, "P5": False}


def test_records_start_is_checked_against_the_extract():
    t = _tables()
    assert social_care.check_records_start(t, D("2018-01-01")) is None
    assert "before records_start" in social_care.check_records_start(t, D("2018-06-01"))
    assert social_care.check_records_start(t, D("2016-01-01")) is None  # a handful of events: a quiet year is no sign
    busy = {
        **t,
        "ssd_contacts": pd.DataFrame(
            {"cont_person_id": [f"P{i}" for i in range(60)], "cont_contact_date": [D("2019-05-01")] * 60}
        ),
    }
    with pytest.raises(UserError, match="more than a year later"):
        social_care.check_records_start(busy, D("2016-01-01"))
