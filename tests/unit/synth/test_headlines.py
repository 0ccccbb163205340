"""The issue 16 truths: internally consistent, and the same when recomputed child by child from the written files
with the coding frame (a second, deliberately naive implementation of the definitions)."""

import datetime as dt
import json
from collections import defaultdict

import pandas as pd
import pytest
import yaml

from analysis.paths import REPO
from analysis.synth import hard
from analysis.synth import la as plain
from analysis.synth.write import write

SCENARIOS = {"plain": plain.generate, "hard": hard.generate}


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def authority(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    la = SCENARIOS[request.param](12_000, 20, 9)
    write(la, out)
    return out, la


def _counts(node, path=""):
    """Every count-based truth in the headlines, with where it is."""
    if isinstance(node, dict) and "numerator" in node:
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _counts(v, f"{path}.{k}")


def test_every_count_is_a_share_of_its_denominator(authority):
    out, la = authority
    assert json.loads((out / "truth" / "headlines.json").read_text()) == json.loads(json.dumps(la.headlines))
    found = list(_counts(la.headlines))
    assert len(found) > 20
    for where, c in found:
        assert 0 <= c["numerator"] <= c["denominator"], where
        assert c["share"] == (c["numerator"] / c["denominator"] if c["denominator"] else None), where


def test_the_tiers_nest(authority):
    _, la = authority
    h = la.headlines
    tiers = h["known_to_csc_tiers"]
    n = [tiers[t]["numerator"] for t in ("contact_or_above", "referral_or_above", "assessment_or_above")]
    assert n == sorted(n, reverse=True) and n[-1] >= tiers["child_in_need_or_above"]["numerator"]
    assert h["known_to_csc"] == tiers["referral_or_above"]
    assert h["known_to_csc_excluding_n2"]["numerator"] <= h["known_to_csc"]["numerator"]
    assert {c["denominator"] for c in tiers.values()} == {h["cohort"]} == {la.truth_measures["cohort"]}


def test_the_first_adversity_measures_nest(authority):
    _, la = authority
    h = la.headlines
    main, reference = h["first_adversity_before_5"], h["first_adversity_before_5_reference"]
    assert main["denominator"] <= reference["denominator"] == h["with_adversity"]["numerator"]
    strata = h["first_adversity_before_5_by_age_at_request"]
    for part in ("numerator", "denominator"):
        assert sum(s[part] for s in strata.values()) == main[part]
    standard = h["first_adversity_before_5_standardised"]
    assert sum(standard["standard_counts"].values()) == h["cohort_early_adversity_coded"]["denominator"]
    assert sum(standard["weights"].values()) == pytest.approx(1)
    shares = [s["share"] for s in strata.values() if s["share"] is not None]
    assert len(shares) >= 2  # 20 years: children observed from birth request at 5 to 15
    assert min(shares) - 1e-12 <= standard["value"] <= max(shares) + 1e-12
    assert standard["complete"] == all(s["denominator"] > 0 for b, s in strata.items() if standard["weights"][b] > 0)


def test_the_landmark_risks(authority):
    _, la = authority
    lm = la.headlines["landmark"]
    assert (lm["landmark_age"], lm["horizon_age"]) == (5, 8)
    assert lm["exposed"]["denominator"] + lm["unexposed"]["denominator"] == lm["eligible"] > 1000
    r1, r0 = lm["exposed"]["share"], lm["unexposed"]["share"]
    assert lm["risk_ratio"] == pytest.approx(r1 / r0) and lm["risk_difference"] == pytest.approx(r1 - r0)
    assert lm["by_horizon_age"]["8"]["exposed"] == lm["exposed"]
    for group in ("exposed", "unexposed"):
        events = [lm["by_horizon_age"][h][group]["numerator"] for h in sorted(lm["by_horizon_age"], key=int)]
        assert events == sorted(events)
    assert r1 > r0  # adversity before five raises the chance of a request


# --- a second implementation, child by child, from the files an authority hands over ---------------------------


def _birthday(dob: dt.date, n: int) -> dt.date:
    try:
        return dob.replace(year=dob.year + n)
    except ValueError:  # 29 February in a common year
        return dt.date(dob.year + n, 3, 1)


def _date(text) -> dt.date:
    return dt.date.fromisoformat(str(text)[:10])


def _read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _recompute(out) -> dict:
    """known_to_csc (referral tier), with_adversity and first_adversity_before_5 (main definition), naively."""
    ext, truth = out / "extract", out / "truth"
    params = yaml.safe_load((truth / "params.yml").read_text())
    records_start = _date(params["records_start"])
    pop_path = ext / "population.csv" if (ext / "population.csv").exists() else truth / "population.csv"
    pop = _read(pop_path)
    dob_of_sen = dict(zip(pop["person_table_id"], pop["birth_date"].map(_date)))
    pers_of_sen = dict(zip(pop["person_table_id"], pop["pers_person_id"]))
    index = {}
    for r in _read(ext / "sen2_requests.csv").itertuples():
        index[r.person_table_id] = min(index.get(r.person_table_id, _date(r.received_date)), _date(r.received_date))
    referral_tier = defaultdict(list)
    for name, person, date in (
        ("ssd_cin_episodes", "cine_person_id", "cine_referral_date"),
        ("ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date"),
        ("ssd_cin_plans", "cinp_person_id", "cinp_cin_plan_start_date"),
        ("ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date"),
        ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date"),
        ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date"),
    ):
        for p, d in zip(*(_read(ext / f"{name}.csv")[c] for c in (person, date))):
            referral_tier[p].append(_date(d))
    adversity = _documented(ext)
    known = with_adv = main_n = main_d = 0
    for sen, idx in index.items():
        pers, dob = pers_of_sen[sen], dob_of_sen[sen]
        known += any(d < idx for d in referral_tier.get(pers, []))
        dates = [d for d in adversity.get(("pers", pers), []) + adversity.get(("sen", sen), []) if d < idx]
        with_adv += bool(dates)
        if dates and idx >= _birthday(dob, 5) and dob >= records_start:
            main_d += 1
            main_n += min(dates) < _birthday(dob, 5)
    return {"known_to_csc": known, "with_adversity": with_adv, "first_adversity_before_5": (main_n, main_d)}


def _documented(ext) -> dict:
    """Dates of documented adversity by person, read through the coding frame the report ships."""
    frame = yaml.safe_load((REPO / "data_templates" / "adversity_frame.yml").read_text())
    out = defaultdict(list)
    asm = _read(ext / "ssd_cin_assessments.csv").set_index("cina_assessment_id")
    for r in _read(ext / "ssd_assessment_factors.csv").itertuples():
        if any(c in frame["assessment_factors"] for c in json.loads(r.cinf_assessment_factors_json)):
            a = asm.loc[r.cinf_assessment_id]
            out["pers", a["cina_person_id"]].append(_date(a["cina_assessment_auth_date"]))
    for name, person, code, date, mapping in (
        ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_initial_category", "cppl_cp_plan_start_date", "cp_categories"),
        ("ssd_cin_episodes", "cine_person_id", "cine_cin_primary_need_code", "cine_referral_date", "primary_need"),
        (
            "ssd_cla_episodes",
            "clae_person_id",
            "clae_cla_primary_need_code",
            "clae_cla_episode_start_date",
            "primary_need",
        ),
    ):
        for p, c, d in zip(*(_read(ext / f"{name}.csv")[k] for k in (person, code, date))):
            if c in frame[mapping]:
                out["pers", p].append(_date(d))
    for r in _read(ext / "adversity_review.csv").itertuples():
        key = ("pers", r.person_id) if r.person_id else ("sen", r.person_table_id)
        out[key].append(_date(r.date_first_documented))
    return out


def test_a_naive_recomputation_agrees(authority):
    out, la = authority
    h = la.headlines
    assert _recompute(out) == {
        "known_to_csc": h["known_to_csc"]["numerator"],
        "with_adversity": h["with_adversity"]["numerator"],
        "first_adversity_before_5": (
            h["first_adversity_before_5"]["numerator"],
            h["first_adversity_before_5"]["denominator"],
        ),
    }
