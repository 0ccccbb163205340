"""Cumulative incidence of an EHC needs assessment request, by age, with delayed entry (records begin at the
start of the extract), right censoring at the extract date and leaving the area as a competing event
(Aalen-Johansen, lifelines)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter

YEAR_DAYS = 365.25
EVENT, COMPETING, CENSORED = 1, 2, 0


def cumulative_incidence(entry: pd.Series, exit_: pd.Series, event: pd.Series, at: list[float]) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of `EVENT` at each age in `at` (years), with a 95% interval.

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
    aj = AalenJohansenFitter(calculate_variance=True, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns that it jitters tied times; the seed keeps it repeatable
        aj.fit(records["exit"], records["event"], event_of_interest=EVENT, entry=records["entry"], weights=records["n"])
    cif = aj.cumulative_density_.iloc[:, 0]
    ci = aj.confidence_interval_cumulative_density_
    table = aj.event_table
    rows = []
    for age in at:
        t = age * YEAR_DAYS
        idx = cif.index[cif.index <= t]
        at_risk = int(((entry.to_numpy() < t) & (exit_.to_numpy() >= t)).sum())
        events = int(table.loc[table.index <= t, aj.label_cmprisk].sum())
        if len(idx) == 0:
            rows.append((age, 0.0, 0.0, 0.0, at_risk, events))
            continue
        last = idx[-1]
        rows.append(
            (age, float(cif.loc[last]), float(ci.loc[last].iloc[0]), float(ci.loc[last].iloc[1]), at_risk, events)
        )
    out = pd.DataFrame(rows, columns=["age", "cumulative_incidence", "lower", "upper", "at_risk", "events"])
    out[["lower", "upper"]] = out[["lower", "upper"]].clip(0, 1)
    return out


def landmark_frame(
    pop: pd.DataFrame, landmark_years: float, study_start: pd.Timestamp, study_end: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Follow-up from the landmark age: entry, exit (ages in days), event type, and counts of who is excluded.

    Children enter at the landmark age, or later when records (or residence) begin later; those who had a request,
    left, or were not yet at the landmark age before the extract date are excluded and counted.
    """
    dob = pop["dob"]
    landmark = dob + pd.to_timedelta(round(landmark_years * YEAR_DAYS), unit="D")
    start = pd.concat([landmark, pop["entry"].fillna(study_start).clip(lower=study_start)], axis=1).max(axis=1)
    leave = pop["exit"].fillna(pd.Timestamp.max)
    end = pd.concat([leave, pd.Series(study_end, index=pop.index)], axis=1).min(axis=1)
    request = pop["first_request"]
    not_yet = landmark > study_end
    gone = ~not_yet & (leave <= start)
    before = ~not_yet & ~gone & request.notna() & (request <= start)
    keep = ~(not_yet | gone | before) & (start < end)
    excluded = {
        "not yet at the landmark age by the extract date": int(not_yet.sum()),
        "left the area before follow-up began": int(gone.sum()),
        "requested an assessment before follow-up began": int(before.sum()),
        "no follow-up time": int((~(not_yet | gone | before) & (start >= end)).sum()),
    }
    p = pop[keep]
    stop = pd.concat([end[keep], request[keep].fillna(pd.Timestamp.max)], axis=1).min(axis=1)
    event = np.where(
        request[keep].notna() & (request[keep] <= stop), EVENT, np.where(leave[keep] <= stop, COMPETING, CENSORED)
    )
    frame = pd.DataFrame(
        {
            "entry": (start[keep] - p["dob"]).dt.days.astype(float),
            "exit": (stop - p["dob"]).dt.days.astype(float),
            "event": event,
        },
        index=p.index,
    )
    return frame, excluded
