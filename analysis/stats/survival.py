"""Cumulative incidence with delayed entry, right censoring and a competing event (Aalen-Johansen, lifelines), on
plain arrays of times: the report uses it for a first EHC needs assessment request by age, with leaving the area
as the competing event."""

from __future__ import annotations

import warnings

import pandas as pd

YEAR_DAYS = 365.25
EVENT, COMPETING, CENSORED = 1, 2, 0


def cumulative_incidence(entry: pd.Series, exit_: pd.Series, event: pd.Series, at: list[float]) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of `EVENT` just before each age in `at` (years: events at exactly that
    age count from the next, and the children followed then are those still at risk at it), with a 95% interval and its
    variance (Greenwood-type, as lifelines computes it; used for ratios and differences by the delta method).

    `entry` and `exit_` are ages in days (delayed entry allowed); `event` is EVENT, COMPETING or CENSORED.
    Lifelines breaks ties between event kinds with a seeded jitter, so results are repeatable.
    """
    # Children with the same entry, exit and outcome are one weighted record: tied events of one kind stay tied
    # (the estimator handles that), only ties between kinds are jittered, and lifelines' per-time variance loop
    # runs over fewer distinct times.
    records = (
        pd.DataFrame({"entry": entry.to_numpy(float), "exit": exit_.to_numpy(float), "event": event.to_numpy(int)})
        .value_counts()
        .rename("n")
        .reset_index()
    )
    from lifelines import AalenJohansenFitter  # loaded on first use: a build from a cached study fits nothing

    aj = AalenJohansenFitter(calculate_variance=True, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns that it jitters tied times; the seed keeps it repeatable
        aj.fit(records["exit"], records["event"], event_of_interest=EVENT, entry=records["entry"], weights=records["n"])
    cif = aj.cumulative_density_.iloc[:, 0]
    ci = aj.confidence_interval_cumulative_density_
    var = aj.variance_
    table = aj.event_table
    rows = []
    for age in at:
        t = age * YEAR_DAYS
        idx = cif.index[cif.index < t]  # just before age t: "by age t" is before the t-th birthday
        at_risk = int(((entry.to_numpy() < t) & (exit_.to_numpy() >= t)).sum())
        events = int(table.loc[table.index < t, aj.label_cmprisk].sum())
        if len(idx) == 0:
            rows.append((age, 0.0, 0.0, 0.0, at_risk, events, 0.0))
            continue
        last = idx[-1]
        low, high = float(ci.loc[last].iloc[0]), float(ci.loc[last].iloc[1])
        rows.append((age, float(cif.loc[last]), low, high, at_risk, events, float(var.loc[last])))
    out = pd.DataFrame(rows, columns=["age", "cumulative_incidence", "lower", "upper", "at_risk", "events", "variance"])
    out[["lower", "upper"]] = out[["lower", "upper"]].clip(0, 1)
    return out
