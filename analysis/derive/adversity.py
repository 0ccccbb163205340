"""Adversity events: one row per child, domain, date documented and source, through the coding frame.

Date rules: assessment factors are identified at the end of an assessment, so they are dated by its
authorisation date; child protection categories by the plan's start date; CIN primary need by the referral date
(or the start of care); case review by the date first documented. Assessments without an authorisation date
cannot be dated and are counted as exclusions.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import yaml

from analysis.errors import UserError

EVENT_COLUMNS = ["pers_person_id", "domain", "date", "source"]


@dataclasses.dataclass(frozen=True)
class CodingFrame:
    domains: dict[str, dict]
    assessment_factors: dict[str, str]
    cp_categories: dict[str, str]
    review_types: dict[str, str]
    primary_need: dict[str, str]

    def label(self, domain: str) -> str:
        return self.domains[domain]["label"]

    def as_table(self) -> pd.DataFrame:
        """The frame as a table for the Methods chapter."""
        rows = [("CIN assessment factor", k, self.label(v)) for k, v in self.assessment_factors.items()]
        rows += [("Child protection category", k, self.label(v)) for k, v in self.cp_categories.items()]
        rows += [("CIN primary need", k, self.label(v)) for k, v in self.primary_need.items()]
        rows += [("Case review type", k, self.label(v)) for k, v in self.review_types.items()]
        return pd.DataFrame(rows, columns=["Source", "Code", "Domain"])


def load_frame(path: str | Path) -> CodingFrame:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read the coding frame ({exc}).") from None
    frame = CodingFrame(
        raw["domains"],
        {str(k): v for k, v in raw["assessment_factors"].items()},
        raw["cp_categories"],
        raw["review_types"],
        raw.get("primary_need") or {},
    )
    for section in ("assessment_factors", "cp_categories", "review_types", "primary_need"):
        for code, domain in getattr(frame, section).items():
            if domain not in frame.domains:
                raise UserError(f"{path}: {section} maps '{code}' to unknown domain '{domain}'.")
    return frame


def events(tables: dict[str, pd.DataFrame], frame: CodingFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Adversity events from every coded source, and counts of rows that could not be used."""
    factors, excluded = _assessment_factors(tables, frame)
    cp = tables["ssd_cp_plans"]
    parts = [
        factors,
        _coded(
            cp["cppl_person_id"],
            cp["cppl_cp_plan_initial_category"],
            frame.cp_categories,
            cp["cppl_cp_plan_start_date"],
            "child protection plan",
        ),
    ]
    for table, person, date, code in (
        ("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "cine_cin_primary_need_code"),
        ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", "clae_cla_primary_need_code"),
    ):
        t = tables[table]
        parts.append(_coded(t[person], t[code], frame.primary_need, t[date], "primary need"))
    if "adversity_review" in tables:
        rv = tables["adversity_review"]
        parts.append(
            _coded(
                rv["person_id"], rv["adversity_type"], frame.review_types, rv["date_first_documented"], "case review"
            )
        )
    out = pd.concat(parts, ignore_index=True)[EVENT_COLUMNS]
    out = out.astype({"pers_person_id": "string", "domain": "string", "source": "string"})
    return out.sort_values(EVENT_COLUMNS, ignore_index=True), excluded


def _coded(person: pd.Series, code: pd.Series, mapping: dict[str, str], date: pd.Series, source: str) -> pd.DataFrame:
    """Events from one coded field: codes the frame maps to a domain, each dated by its source's rule."""
    events = pd.DataFrame({"pers_person_id": person, "domain": code.map(mapping), "date": date, "source": source})
    return events.dropna(subset=["domain"])


def _assessment_factors(tables: dict[str, pd.DataFrame], frame: CodingFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Factors identified at the end of an assessment, dated by its authorisation; undated ones are counted."""
    asm = tables["ssd_cin_assessments"][["cina_assessment_id", "cina_person_id", "cina_assessment_auth_date"]]
    fac = tables["ssd_assessment_factors"][["cinf_assessment_id", "cinf_assessment_factors_json"]].copy()
    fac["code"] = fac["cinf_assessment_factors_json"].map(_codes)
    fac = fac.explode("code").dropna(subset=["code"])
    fac = fac.merge(asm, left_on="cinf_assessment_id", right_on="cina_assessment_id")
    undated = fac["cina_assessment_auth_date"].isna()
    excluded = {"assessment factors without an authorisation date": int(undated.sum())}
    fac = fac[~undated]
    coded = _coded(
        fac["cina_person_id"],
        fac["code"],
        frame.assessment_factors,
        fac["cina_assessment_auth_date"],
        "assessment factor",
    )
    return coded, excluded


def _codes(text) -> list[str]:
    """Factor codes from the canonical JSON array that validation writes."""
    return [] if pd.isna(text) else json.loads(text)
