"""Adversity events: one row per person, domain, date documented, source and code, through the coding frame.

Date rules: assessment factors are identified at the end of an assessment, so they are dated by its authorisation
date, or by its start date when it was never authorised (counted, and said in the book); child protection
categories by the plan's start date; CIN primary need by the referral date (or the start of care); case review by
the date first documented. A case review finding may name the social care person, the SEND person (adversity
found in education or health records of a child never known to social care) or both.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import yaml

from analysis.contract import codes
from analysis.errors import UserError

EVENT_COLUMNS = ["pers_person_id", "person_table_id", "domain", "date", "source", "code"]
NOTES_SOURCE = "case notes (coder)"  # adversity the case-note coder found (`derive.case_notes`)
SECTIONS = ("assessment_factors", "cp_categories", "primary_need", "review_types")
SOURCE_LABEL = {
    "assessment_factors": "CIN assessment factor",
    "cp_categories": "Child protection category",
    "primary_need": "CIN primary need",
    "review_types": "Case review type",
}
EVENT_SOURCE = {  # an event's source, as the coding frame's table names it
    "assessment factor": SOURCE_LABEL["assessment_factors"],
    "child protection plan": SOURCE_LABEL["cp_categories"],
    "primary need": SOURCE_LABEL["primary_need"],
    "case review": SOURCE_LABEL["review_types"],
}
CODE_LISTS = {  # every code an extract may hold, which the frame must map or list as not adversity
    "assessment_factors": tuple(codes.ASSESSMENT_FACTORS),
    "cp_categories": tuple(codes.CP_CATEGORY),
    "primary_need": tuple(codes.CIN_PRIMARY_NEED),
}


@dataclasses.dataclass(frozen=True)
class CodingFrame:
    domains: dict[str, dict]
    assessment_factors: dict[str, str]
    cp_categories: dict[str, str]
    review_types: dict[str, str]
    primary_need: dict[str, str]
    not_adversity: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)

    def label(self, domain: str) -> str:
        return self.domains[domain]["label"]

    def as_table(self) -> pd.DataFrame:
        """The frame as a table for the Methods chapter: every code, mapped or deliberately not counted."""
        rows = [(SOURCE_LABEL[s], k, self.label(v)) for s in SECTIONS for k, v in getattr(self, s).items()]
        rows += [
            (SOURCE_LABEL[s], k, f"not counted: {why}")
            for s, listed in self.not_adversity.items()
            for k, why in listed.items()
        ]
        return pd.DataFrame(rows, columns=["Source", "Code", "Domain"])


def load_frame(path: str | Path) -> CodingFrame:
    """Read the coding frame; every code must map to a known domain, and every code of the CIN and child
    protection lists must be mapped or listed as not adversity."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        frame = CodingFrame(
            raw["domains"],
            {str(k): v for k, v in raw["assessment_factors"].items()},
            raw["cp_categories"],
            raw["review_types"],
            raw.get("primary_need") or {},
            {
                s: {str(k): str(v) for k, v in (listed or {}).items()}
                for s, listed in (raw.get("not_adversity") or {}).items()
            },
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"{path}: cannot read the coding frame ({type(exc).__name__}: {exc}).") from None
    for section in SECTIONS:
        for code, domain in getattr(frame, section).items():
            if domain not in frame.domains:
                raise UserError(f"{path}: {section} maps '{code}' to unknown domain '{domain}'.")
    for section, known in CODE_LISTS.items():
        unlisted = sorted(set(known) - set(getattr(frame, section)) - set(frame.not_adversity.get(section, {})))
        if unlisted:
            raise UserError(
                f"{path}: {section} neither maps nor lists under not_adversity the codes {', '.join(unlisted)}; "
                "every code must be one or the other, so that none is dropped silently."
            )
    return frame


def events(tables: dict[str, pd.DataFrame], frame: CodingFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Adversity events from every coded source, and counts of rows dated by a fallback rule or left out."""
    factors, notes = _assessment_factors(tables, frame)
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
        found = _coded(
            rv["person_id"],
            rv["adversity_type"],
            frame.review_types,
            rv["date_first_documented"],
            "case review",
            send_person=rv["person_table_id"],
        )
        parts.append(found)
    out = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)[EVENT_COLUMNS]
    out = out.astype({c: "string" for c in ("pers_person_id", "person_table_id", "domain", "source", "code")})
    out["date"] = pd.to_datetime(out["date"])
    return out.sort_values(EVENT_COLUMNS, ignore_index=True), notes


def _coded(
    person: pd.Series,
    code: pd.Series,
    mapping: dict[str, str],
    date: pd.Series,
    source: str,
    send_person: pd.Series | None = None,
) -> pd.DataFrame:
    """Events from one coded field: codes the frame maps to a domain, each dated by its source's rule."""
    events = pd.DataFrame(
        {
            "pers_person_id": person.astype("string"),
            "person_table_id": (
                send_person if send_person is not None else pd.Series(pd.NA, index=person.index)
            ).astype("string"),
            "domain": code.map(mapping),
            "date": date,
            "source": source,
            "code": code,
        }
    )
    return events.dropna(subset=["domain", "date"])


def _assessment_factors(tables: dict[str, pd.DataFrame], frame: CodingFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Factors identified at the end of an assessment: dated by its authorisation, or by its start when it was never
    authorised (counted); factors of an assessment with neither date are left out (counted)."""
    asm = tables["ssd_cin_assessments"][
        ["cina_assessment_id", "cina_person_id", "cina_assessment_auth_date", "cina_assessment_start_date"]
    ]
    fac = tables["ssd_assessment_factors"][["cinf_assessment_id", "cinf_assessment_factors_json"]].copy()
    fac["code"] = fac["cinf_assessment_factors_json"].map(_codes)
    fac = fac.explode("code").dropna(subset=["code"])
    fac = fac.merge(asm, left_on="cinf_assessment_id", right_on="cina_assessment_id")
    by_start = fac["cina_assessment_auth_date"].isna() & fac["cina_assessment_start_date"].notna()
    date = fac["cina_assessment_auth_date"].fillna(fac["cina_assessment_start_date"])
    notes = {"factors_dated_by_start": int(by_start.sum()), "factors_undated": int(date.isna().sum())}
    coded = _coded(fac["cina_person_id"], fac["code"], frame.assessment_factors, date, "assessment factor")
    return coded, notes


def code_counts(ev: pd.DataFrame, frame: CodingFrame) -> pd.DataFrame:
    """The frame as published in Methods: every code with the number of events it contributed (0 for codes the
    extract never used; codes not counted as adversity show none)."""
    table = frame.as_table()
    counted = ev.assign(Source=ev["source"].map(EVENT_SOURCE)).groupby(["Source", "code"]).size()
    events = [counted.get((s, c), 0) for s, c in zip(table["Source"], table["Code"])]
    mapped = ~table["Domain"].str.startswith("not counted")
    return table.assign(Events=[int(n) if m else pd.NA for n, m in zip(events, mapped)])


def _codes(text) -> list[str]:
    """Factor codes from the canonical JSON array that validation writes."""
    return [] if pd.isna(text) else json.loads(text)
