"""Synthetic Freedom of Information returns from many authorities, with planted outliers and their truth."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.compare.returns import COLUMNS, DOMAINS, NOT_RECORDED, _column_for
from analysis.errors import UserError
from analysis.privacy import disclosure

SYNTH_YEAR = "2024-25"
SYNTH_TARGETS = {"known_to_csc": 0.50, "with_adversity": 0.42, "first_adversity_before_5": 0.75}
# Domain prevalence among children with a request (domestic abuse, mental illness and separation commonest).
SYNTH_DOMAINS = {
    "domestic_abuse": 0.20,
    "parental_mental_illness": 0.17,
    "parental_separation": 0.15,
    "parental_substance_misuse": 0.09,
    "neglect": 0.08,
    "emotional_abuse": 0.07,
    "physical_abuse": 0.05,
    "parental_imprisonment": 0.03,
    "sexual_abuse": 0.02,
}
# Primary need of the children requested (new-plan shares, calendar 2024), a quarter with no need recorded.
_NEW_PLAN_SHARES = {
    "SLCN": 27.7,
    "ASD": 27.5,
    "SEMH": 26.3,
    "MLD": 7.5,
    "PD": 2.3,
    "SPLD": 2.3,
    "SLD": 1.3,
    "OTH": 1.2,
    "HI": 0.7,
    "PMLD": 0.6,
    "VI": 0.5,
    "MSI": 0.2,
}
SYNTH_NOT_RECORDED = 0.25
LOGIT_SD = 0.015  # between-LA variation of true proportions (logit scale): chance flags at 99.8% stay near 0.2%
# (measure column, direction, true proportion) for the planted outliers
PLANTED = (
    ("known_to_csc", "high", 0.72),
    ("known_to_csc", "low", 0.30),
    ("first_adversity_before_5", "high", 0.93),
    ("first_adversity_before_5", "low", 0.50),
    ("with_adversity", "high", 0.65),
    ("domain_domestic_abuse", "high", 0.34),
)
# Outliers are planted in LAs of this size: big enough to be far outside the limits, not so big that one outlier
# moves the pooled target and pushes the largest LAs outside their limits.
PLANTED_REQUESTS = (500, 1500)


def _jitter(rng, p: float, size: int) -> np.ndarray:
    logit = np.log(p / (1 - p)) + rng.normal(0, LOGIT_SD, size)
    return 1 / (1 + np.exp(-logit))


def synth_returns(n_las: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """`n_las` synthetic LA returns in the template's long form, and the truth (planted outliers per measure,
    suppressed and missing cells). Requests per LA are log-normal (median 600, clipped to 100 to 4,000); true
    proportions vary a little between LAs (logit SD `LOGIT_SD`); six LAs of 500 to 1,500 requests carry planted
    outliers (`PLANTED`); counts from 1 to 5 are returned as `c`; a few LAs do not hold some figures (blank) and
    one leaves out a row altogether.

    The steps share one random generator and must run in this order for the same seed to give the same bytes."""
    if n_las < len(PLANTED) + 6:
        raise UserError(f"--returns needs at least {len(PLANTED) + 6} LAs to plant {len(PLANTED)} outliers.")
    rng = np.random.default_rng(seed)
    codes_ = [f"E99{i:06d}" for i in range(1, n_las + 1)]
    names = [f"Synthetic LA {i:03d}" for i in range(1, n_las + 1)]
    requests = np.clip(np.round(rng.lognormal(np.log(600), 0.75, n_las)), 100, 4000).astype(int)
    planted_at = _planted_las(rng, requests)
    truth_p, outliers = _true_proportions(rng, n_las, planted_at, codes_, names)
    long = _long_form(rng, codes_, names, requests, truth_p)
    long, missing = _leave_out(rng, long, codes_, planted_at)
    long, suppressed = _suppress(long)
    truth = {
        "seed": seed,
        "n_las": n_las,
        "year": SYNTH_YEAR,
        "targets": SYNTH_TARGETS,
        "domain_prevalence": SYNTH_DOMAINS,
        "logit_sd": LOGIT_SD,
        "planted_requests": list(PLANTED_REQUESTS),
        "outliers": outliers,
        "missing_cells": missing,
        "suppressed_cells": len(suppressed),
        "suppressed_by_measure": pd.Series([_column_for(s["measure"], s["category"]) for s in suppressed], dtype=object)
        .value_counts()
        .to_dict(),
    }
    return long, truth


def _suppress(long: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Counts from 1 to 5 returned as `c`, as an LA's disclosure control would; returns the long form and the cells
    suppressed."""
    small = long["count"].map(lambda v: isinstance(v, int) and 1 <= v <= 5)
    suppressed = long.loc[small, ["la_code", "measure", "category"]].to_dict("records")
    long.loc[small, "count"] = disclosure.SUPPRESSED
    return long.reset_index(drop=True), suppressed


def _planted_las(rng: np.random.Generator, requests: np.ndarray) -> np.ndarray:
    """The LAs (by position) that carry the planted outliers, one for each of `PLANTED`, chosen among those of
    `PLANTED_REQUESTS` requests."""
    lo, hi = PLANTED_REQUESTS
    mid = np.flatnonzero((requests >= lo) & (requests <= hi))
    if len(mid) < len(PLANTED):  # a small set of LAs: take those nearest the range
        mid = np.argsort(np.abs(requests - (lo + hi) / 2))[: len(PLANTED)]
    return rng.choice(mid, size=len(PLANTED), replace=False)


def _true_proportions(
    rng: np.random.Generator, n_las: int, planted_at: np.ndarray, codes_: list[str], names: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, list]]:
    """Each LA's true proportion of every measure and domain, with the planted outliers set in place; and the
    outliers' truth, by measure."""
    truth_p = {m: _jitter(rng, p, n_las) for m, p in SYNTH_TARGETS.items()}
    truth_p.update({f"domain_{d}": _jitter(rng, p, n_las) for d, p in SYNTH_DOMAINS.items()})
    outliers: dict[str, list] = {}
    for (measure, direction, p), i in zip(PLANTED, planted_at):
        truth_p[measure][i] = p
        outliers.setdefault(measure, []).append(
            {"la_code": codes_[i], "la_name": names[i], "direction": direction, "true_proportion": p}
        )
    return truth_p, outliers


def _long_form(
    rng: np.random.Generator, codes_: list[str], names: list[str], requests: np.ndarray, truth_p: dict
) -> pd.DataFrame:
    """Counts drawn from the true proportions, one row per LA, measure and category (counts as objects, so that
    blanks and `c` can replace some)."""
    known = rng.binomial(requests, truth_p["known_to_csc"])
    with_adv = rng.binomial(requests, truth_p["with_adversity"])
    before5 = rng.binomial(with_adv, truth_p["first_adversity_before_5"])
    domains = {d: np.minimum(rng.binomial(requests, truth_p[f"domain_{d}"]), with_adv) for d in DOMAINS}
    shares = np.array([v for v in _NEW_PLAN_SHARES.values()])
    shares = np.append(shares / shares.sum() * (1 - SYNTH_NOT_RECORDED), SYNTH_NOT_RECORDED)
    need_codes = [*_NEW_PLAN_SHARES, NOT_RECORDED]
    needs = np.array([rng.multinomial(n, shares) for n in requests])

    rows = []
    for i in range(len(codes_)):
        base = {"la_code": codes_[i], "la_name": names[i], "year": SYNTH_YEAR}
        rows.append({**base, "measure": "requests", "category": "", "count": int(requests[i])})
        rows.append({**base, "measure": "known_to_csc", "category": "", "count": int(known[i])})
        rows.append({**base, "measure": "with_adversity", "category": "", "count": int(with_adv[i])})
        rows.append({**base, "measure": "first_adversity_before_5", "category": "", "count": int(before5[i])})
        for d in DOMAINS:
            rows.append({**base, "measure": "domain", "category": d, "count": int(domains[d][i])})
        for k, code in enumerate(need_codes):
            rows.append({**base, "measure": "primary_need", "category": code, "count": int(needs[i, k])})
    long = pd.DataFrame(rows, columns=COLUMNS)
    long["count"] = long["count"].astype(object)
    return long


def _leave_out(
    rng: np.random.Generator, long: pd.DataFrame, codes_: list[str], planted_at: np.ndarray
) -> tuple[pd.DataFrame, list[dict]]:
    """Blank the figures some LAs do not hold and drop one row altogether, never in a planted LA so that the truth
    stays checkable; returns the long form and the cells left out."""
    spare = [i for i in rng.permutation(len(codes_)) if i not in set(planted_at)]
    missing = []
    for i in spare[:3]:  # no age at first adversity
        missing.append({"la_code": codes_[i], "measure": "first_adversity_before_5", "category": ""})
    for i in spare[3:5]:  # no separation or imprisonment (no CIN code for either)
        for d in ("parental_separation", "parental_imprisonment"):
            missing.append({"la_code": codes_[i], "measure": "domain", "category": d})
    for m in missing:
        at = (long["la_code"] == m["la_code"]) & (long["measure"] == m["measure"]) & (long["category"] == m["category"])
        long.loc[at, "count"] = ""
    left_out = {"la_code": codes_[spare[5]], "measure": "with_adversity", "category": ""}  # the row is absent
    long = long[~((long["la_code"] == left_out["la_code"]) & (long["measure"] == "with_adversity"))]
    missing.append({**left_out, "row_left_out": True})
    return long, missing


def write_synth_returns(n_las: int, seed: int, out_dir) -> dict[str, Path]:
    """Write `out_dir/returns/*.csv` (a few files of several LAs each, like returns collected by region) and
    `out_dir/truth/outliers.json`."""
    out_dir = Path(out_dir)
    long, truth = synth_returns(n_las, seed)
    returns, truth_dir = out_dir / "returns", out_dir / "truth"
    returns.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    las = long["la_code"].drop_duplicates().tolist()
    n_files = max(1, min(9, math.ceil(len(las) / 20)))
    files = []
    for k, chunk in enumerate(np.array_split(np.array(las), n_files), start=1):
        path = returns / f"foi_returns_{k:02d}.csv"
        long[long["la_code"].isin(set(chunk))].to_csv(path, index=False)
        files.append(path.name)
    truth["files"] = files
    truth_path = truth_dir / "outliers.json"
    truth_path.write_text(json.dumps(truth, indent=2, default=_json_default) + "\n", encoding="utf-8")
    return {"returns": returns, "truth": truth_path}


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
