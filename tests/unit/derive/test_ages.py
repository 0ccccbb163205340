import pandas as pd
import pytest

from analysis.derive import ages, cohort

D = pd.Timestamp


def _series(*dates):
    return pd.Series(pd.to_datetime(list(dates)))


@pytest.mark.parametrize(
    "dob, n, expected",
    [
        ("2015-06-30", 5, "2020-06-30"),
        ("2016-02-29", 5, "2021-03-01"),  # a leap-day child's birthday in a common year is 1 March
        ("2016-02-29", 4, "2020-02-29"),
        ("2015-12-31", 1, "2016-12-31"),
    ],
)
def test_birthdays_are_calendar_birthdays(dob, n, expected):
    assert ages.birthday(_series(dob), n).iloc[0] == D(expected)


def test_completed_years_agree_with_birthdays():
    dob = _series("2016-02-29", "2016-02-29", "2010-07-15", "2010-07-15")
    on = _series("2021-02-28", "2021-03-01", "2015-07-14", "2015-07-15")
    assert ages.completed_years(on, dob).tolist() == [4, 5, 4, 5]


def test_a_child_whose_only_adversity_is_on_their_fifth_birthday_is_not_before_five():
    """The issue's test: days / 365.25 put a fifth-birthday event "before 5"; a calendar age does not."""
    c = pd.DataFrame(
        {
            "person_table_id": ["S1", "S2"],
            "pers_person_id": ["P1", "P2"],
            "dob": pd.to_datetime(["2012-03-01", "2012-03-01"]),
            "index_date": pd.to_datetime(["2019-01-01", "2019-01-01"]),
        }
    )
    events = pd.DataFrame(
        {
            "pers_person_id": ["P1", "P2"],
            "person_table_id": [pd.NA, pd.NA],
            "domain": ["neglect", "neglect"],
            "date": pd.to_datetime(["2017-03-01", "2017-02-28"]),  # the fifth birthday; the day before it
            "source": ["assessment factor"] * 2,
            "code": ["16A"] * 2,
        }
    )
    assert (D("2017-03-01") - D("2012-03-01")).days / 365.25 < 5  # the old rule would have said "before 5"
    cohort._adversity_before_index(c, events, 5)
    assert c["first_adversity_before_threshold"].tolist() == [False, True]
    assert c["first_adversity_age_years"].tolist() == [5, 4]
