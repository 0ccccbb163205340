"""Calendar ages: a child is N on their Nth birthday, never at N x 365.25 days.

Every threshold the report uses ("before age 5", "requested at 5 or over", age bands) compares a date with a
birthday. A child born on 29 February has their birthday on 1 March in common years, as English law counts it.
Ages in decimal years (days / 365.25) remain only for display: medians and quartiles of ages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

YEAR_DAYS = 365.25


def birthday(dob: pd.Series, n) -> pd.Series:
    """Each child's Nth birthday (`n` one number, or one per child).

    >>> birthday(pd.Series(pd.to_datetime(["2015-06-30", "2016-02-29"])), 5).dt.strftime("%Y-%m-%d").tolist()
    ['2020-06-30', '2021-03-01']
    """
    dob = pd.to_datetime(pd.Series(dob))
    year = dob.dt.year + (n.to_numpy() if isinstance(n, pd.Series) else n)
    leap_day = (dob.dt.month == 2) & (dob.dt.day == 29)
    common = ~((year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0)))
    month = np.where(leap_day & common, 3, dob.dt.month)
    day = np.where(leap_day & common, 1, dob.dt.day)
    parts = pd.DataFrame({"year": year, "month": month, "day": day}, index=dob.index)
    out = pd.Series(pd.NaT, index=dob.index, dtype="datetime64[ns]")
    known = dob.notna()
    out[known] = pd.to_datetime(parts[known].astype(int))
    return out


def before_age(date: pd.Series, dob: pd.Series, n: int) -> pd.Series:
    """Whether each date falls before the child's Nth birthday (missing dates are not before anything).

    >>> dob = pd.Series(pd.to_datetime(["2015-06-30", "2015-06-30"]))
    >>> before_age(pd.Series(pd.to_datetime(["2020-06-29", "2020-06-30"])), dob, 5).tolist()
    [True, False]
    """
    return (pd.to_datetime(date) < birthday(dob, n)).fillna(False).astype(bool)


def completed_years(date: pd.Series, dob: pd.Series) -> pd.Series:
    """Age in completed years on each date (the age a child would give), as a nullable integer.

    >>> dob = pd.Series(pd.to_datetime(["2015-06-30", "2015-06-30"]))
    >>> completed_years(pd.Series(pd.to_datetime(["2020-06-29", "2020-06-30"])), dob).tolist()
    [4, 5]
    """
    date, dob = pd.to_datetime(date), pd.to_datetime(dob)
    years = date.dt.year - dob.dt.year
    not_yet = (date.dt.month < dob.dt.month) | ((date.dt.month == dob.dt.month) & (date.dt.day < dob.dt.day))
    return (years - not_yet.astype(int)).astype("Int64")


def decimal_years(date: pd.Series, dob: pd.Series) -> pd.Series:
    """Age in decimal years (days / 365.25), for display only."""
    return (pd.to_datetime(date) - pd.to_datetime(dob)).dt.days / YEAR_DAYS


def calendar_years(date: pd.Series, dob: pd.Series) -> pd.Series:
    """Age on a time scale where every birthday falls on a whole number: completed years plus the fraction of the
    current year of life. The landmark comparison's curves use it, so "by age 8" is the eighth birthday itself.

    >>> dob = pd.Series(pd.to_datetime(["2016-02-29", "2015-06-30"]))
    >>> calendar_years(pd.Series(pd.to_datetime(["2021-03-01", "2020-12-30"])), dob).round(4).tolist()
    [5.0, 5.5014]
    """
    n = completed_years(date, dob).astype(float)
    known = n.notna()
    out = pd.Series(np.nan, index=n.index)
    k = n[known].astype(int)
    last, nxt = birthday(dob[known], k), birthday(dob[known], k + 1)
    out[known] = k + (pd.to_datetime(date[known]) - last).dt.days / (nxt - last).dt.days
    return out
