"""Write a synthetic LA as the XML returns an LA submits: one CIN census file per year and one SEN2 file.

Each census year ends on 31 March. A year's file holds every child with a referral active at some point in that
year, and under each referral the assessments, plans and enquiries active in that year, with end dates only where
they had happened by the census date; so consecutive years overlap as real returns do. Only the elements that carry
the synthetic data are written. The same LA gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from analysis.synth import la as synth

GENDER_OF_SEX = {"M": "1", "F": "2"}  # anything else is 0, not recorded


def _iso(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as yyyy-mm-dd strings and every missing value as None, ready to write."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), None)


def _records(frame: pd.DataFrame, by: str) -> dict[str, list[dict]]:
    """Rows as dicts grouped by `by`, each group in the frame's order."""
    out: dict[str, list[dict]] = {}
    for row in frame.to_dict("records"):
        out.setdefault(row[by], []).append(row)
    return out


def _el(tag: str, value, depth: int) -> list[str]:
    """A leaf element on its own line, or nothing when the value is missing."""
    return [] if value is None else [f"{'  ' * depth}<{tag}>{escape(str(value))}</{tag}>"]


def _header(collection: str, year: int, reference_date: str) -> list[str]:
    """The XML declaration, `<Message>` and its `<Header>`."""
    return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<Message>",
        "  <Header>",
        "    <CollectionDetails>",
        *_el("Collection", collection, 3),
        *_el("Year", year, 3),
        *_el("ReferenceDate", reference_date, 3),
        "    </CollectionDetails>",
        "    <Source>",
        *_el("SourceLevel", "L", 3),
        *_el("LEA", "999", 3),
        *_el("SoftwareCode", "adversity-report synth", 3),
        *_el("DateTime", f"{reference_date}T00:00:00", 3),
        "    </Source>",
        "  </Header>",
    ]


def _census_year(date: str) -> int:
    """The collection year (the year of the 31 March that ends the reporting year) a yyyy-mm-dd date falls in."""
    return int(date[:4]) + (1 if date[5:7] > "03" else 0)


def _active(start: str, end: str | None, period: tuple[str, str]) -> bool:
    """Whether something running from `start` to `end` (None: still open) overlaps the reporting period."""
    return start <= period[1] and (end is None or end >= period[0])


def _by_date(end: str | None, period: tuple[str, str]) -> str | None:
    """An end date as the census date's return knows it: only if it has happened by then."""
    return end if end is not None and end <= period[1] else None


def write_returns(la: synth.SyntheticLA, out: Path) -> list[Path]:
    """Write `CIN_census_{year}.xml` for each census year and `SEN2_{year}.xml` to `out`; return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = _write_cin(la, out)
    paths.append(_write_sen2(la, out))
    return paths


# --- CIN census ---------------------------------------------------------------------------------------------------


def _write_cin(la: synth.SyntheticLA, out: Path) -> list[Path]:
    """One `CIN_census_{year}.xml` per census year from the first referral's year to the extract date's."""
    t = {
        name: _iso(la.tables[name])
        for name in ("ssd_person", "ssd_cin_episodes", "ssd_cin_plans", "ssd_s47_enquiry", "ssd_cp_plans")
    }
    factors = la.tables["ssd_assessment_factors"].set_index("cinf_assessment_id")["cinf_assessment_factors_json"]
    asm = la.tables["ssd_cin_assessments"]
    t["ssd_cin_assessments"] = _iso(asm.assign(_factors=asm["cina_assessment_id"].map(factors)))
    people = {p["pers_person_id"]: p for p in t["ssd_person"].to_dict("records")}
    # the parts of each referral: (tag, start, end used to decide the years it is active in, record)
    parts: dict[str, list[tuple]] = {}
    for name, tag, ref_col, start, end in (
        (
            "ssd_cin_assessments",
            "Assessments",
            "cina_referral_id",
            "cina_assessment_start_date",
            "cina_assessment_auth_date",
        ),
        ("ssd_cin_plans", "CINPlanDates", "cinp_referral_id", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
        ("ssd_s47_enquiry", "Section47", "s47e_referral_id", "s47e_s47_start_date", "s47e_s47_start_date"),
        (
            "ssd_cp_plans",
            "ChildProtectionPlans",
            "cppl_referral_id",
            "cppl_cp_plan_start_date",
            "cppl_cp_plan_end_date",
        ),
    ):
        for r in t[name].sort_values(start, kind="stable").to_dict("records"):
            parts.setdefault(r[ref_col], []).append((tag, r[start], r[end], r))
    referrals = t["ssd_cin_episodes"].sort_values(["cine_person_id", "cine_referral_date"], kind="stable")
    spans = []  # (referral, start, end of all its activity or None while any part is open)
    for ref in referrals.to_dict("records"):
        ends = [ref["cine_close_date"]] + [end for _, _, end, _ in parts.get(ref["cine_referral_id"], [])]
        spans.append((ref, ref["cine_referral_date"], None if None in ends else max(ends)))
    last_year = _census_year(la.extract_date.isoformat())
    first_year = min((_census_year(s) for _, s, _ in spans), default=last_year)
    paths = []
    for year in range(first_year, last_year + 1):
        period = (f"{year - 1}-04-01", min(f"{year}-03-31", la.extract_date.isoformat()))
        children: dict[str, list[dict]] = {}
        for ref, start, end in spans:
            if _active(start, end, period):
                children.setdefault(ref["cine_person_id"], []).append(ref)
        lines = _header("CIN", year, f"{year}-03-31") + ["  <Children>"]
        for child in sorted(children):
            lines += _cin_child(people[child], children[child], parts, period)
        lines += ["  </Children>", "</Message>", ""]
        path = out / f"CIN_census_{year}.xml"
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def _cin_child(
    person: dict, referrals: list[dict], parts: dict[str, list[tuple]], period: tuple[str, str]
) -> list[str]:
    """One `Child` element with its referrals and what was active in the period."""
    lines = [
        "    <Child>",
        "      <ChildIdentifiers>",
        *_el("LAchildID", person["pers_person_id"], 4),
        *_el("UPN", person["pers_upn"], 4),
        *_el("PersonBirthDate", person["pers_dob"], 4),
        *_el("GenderCurrent", GENDER_OF_SEX.get(person["pers_sex"], "0"), 4),
        "      </ChildIdentifiers>",
        "      <ChildCharacteristics>",
        *_el("Ethnicity", person["pers_ethnicity"], 4),
        "      </ChildCharacteristics>",
    ]
    for ref in referrals:
        lines += [
            "      <CINdetails>",
            *_el("CINreferralDate", ref["cine_referral_date"], 4),
            *_el("ReferralSource", ref["cine_referral_source_code"], 4),
            *_el("PrimaryNeedCode", ref["cine_cin_primary_need_code"], 4),
            *_el("CINclosureDate", _by_date(ref["cine_close_date"], period), 4),
        ]
        for tag, start, end, r in parts.get(ref["cine_referral_id"], []):
            if _active(start, end, period):
                lines += [f"        <{tag}>", *_CIN_PART[tag](r, period), f"        </{tag}>"]
        lines.append("      </CINdetails>")
    return lines + ["    </Child>"]


def _assessment(r: dict, period: tuple[str, str]) -> list[str]:
    """An assessment's fields; its factors only once it has been authorised."""
    auth = _by_date(r["cina_assessment_auth_date"], period)
    codes = json.loads(r["_factors"]) if auth and r["_factors"] else []
    return [
        *_el("AssessmentActualStartDate", r["cina_assessment_start_date"], 5),
        *_el("AssessmentAuthorisationDate", auth, 5),
        *(
            [
                "          <FactorsIdentifiedAtAssessment>",
                *[f for c in codes for f in _el("AssessmentFactors", c, 6)],
                "          </FactorsIdentifiedAtAssessment>",
            ]
            if codes
            else []
        ),
    ]


_CIN_PART = {
    "Assessments": _assessment,
    "CINPlanDates": lambda r, period: [
        *_el("CINPlanStartDate", r["cinp_cin_plan_start_date"], 5),
        *_el("CINPlanEndDate", _by_date(r["cinp_cin_plan_end_date"], period), 5),
    ],
    "Section47": lambda r, period: _el("S47ActualStartDate", r["s47e_s47_start_date"], 5),
    "ChildProtectionPlans": lambda r, period: [
        *_el("CPPstartDate", r["cppl_cp_plan_start_date"], 5),
        *_el("CPPendDate", _by_date(r["cppl_cp_plan_end_date"], period), 5),
        *_el("InitialCategoryOfAbuse", r["cppl_cp_plan_initial_category"], 5),
        *_el("LatestCategoryOfAbuse", r["cppl_cp_plan_latest_category"], 5),
    ],
}


# --- SEN2 ---------------------------------------------------------------------------------------------------------


def _write_sen2(la: synth.SyntheticLA, out: Path) -> Path:
    """One SEN2 person-level return holding every person, request, assessment and plan."""
    t = {
        name: _iso(la.tables[name])
        for name in (
            "sen2_person",
            "sen2_requests",
            "sen2_assessment",
            "sen2_named_plan",
            "sen2_active_plans",
            "sen2_sen_need",
        )
    }
    under = _Sen2Children(
        requests=_records(t["sen2_requests"], "person_table_id"),
        assessments=_records(t["sen2_assessment"], "requests_table_id"),
        plans=_records(t["sen2_named_plan"], "assessment_table_id"),
        active=_records(t["sen2_active_plans"], "requests_table_id"),
        needs=_records(t["sen2_sen_need"], "active_plans_table_id"),
    )
    year = la.extract_date.year
    lines = _header("SEN2", year, la.extract_date.isoformat()) + ["  <Persons>"]
    for p in t["sen2_person"].to_dict("records"):
        lines += _sen2_person(p, under)
    lines += ["  </Persons>", "</Message>", ""]
    path = out / f"SEN2_{year}.xml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclasses.dataclass
class _Sen2Children:
    """The records under each SEN2 element, by the id of the record they belong to."""

    requests: dict[str, list[dict]]  # by person
    assessments: dict[str, list[dict]]  # by request
    plans: dict[str, list[dict]]  # by assessment
    active: dict[str, list[dict]]  # by request
    needs: dict[str, list[dict]]  # by active plan


def _sen2_person(p: dict, under: _Sen2Children) -> list[str]:
    """One `Person` element with its requests."""
    lines = [
        "    <Person>",
        *_el("Surname", p["surname"], 3),
        *_el("Forename", p["forename"], 3),
        *_el("PersonBirthDate", p["person_birth_date"], 3),
        *_el("Sex", p["sex"], 3),
        *_el("Ethnicity", p["ethnicity"], 3),
        *_el("PostCode", p["postcode"], 3),
        *_el("UPN", p["upn"], 3),
        *_el("UPNunknown", p["upn_unknown"], 3),
    ]
    for q in under.requests.get(p["person_table_id"], []):
        lines += _sen2_request(q, under)
    return lines + ["    </Person>"]


def _sen2_request(q: dict, under: _Sen2Children) -> list[str]:
    """One `Requests` element with its assessments and their named plans, and its active plans and their needs."""
    lines = [
        "      <Requests>",
        *_el("ReceivedDate", q["received_date"], 4),
        *_el("RequestSource", q["request_source"], 4),
        *_el("RequestOutcomeDate", q["request_outcome_date"], 4),
        *_el("RequestOutcome", q["request_outcome"], 4),
    ]
    for a in under.assessments.get(q["requests_table_id"], []):
        lines += [
            "        <Assessment>",
            *_el("AssessmentOutcome", a["assessment_outcome"], 5),
            *_el("AssessmentOutcomeDate", a["assessment_outcome_date"], 5),
            *_el("Week20", a["week20"], 5),
        ]
        for n in under.plans.get(a["assessment_table_id"], []):
            lines += [
                "          <NamedPlan>",
                *_el("StartDate", n["start_date"], 6),
                *_el("CeaseDate", n["cease_date"], 6),
                *_el("CeaseReason", n["cease_reason"], 6),
                "          </NamedPlan>",
            ]
        lines.append("        </Assessment>")
    for ap in under.active.get(q["requests_table_id"], []):
        lines += ["        <ActivePlans>", *_el("LastReview", ap["last_review"], 5)]
        for s in under.needs.get(ap["active_plans_table_id"], []):
            lines += [
                "          <SENneed>",
                *_el("SENtype", s["sen_type"], 6),
                *_el("SENtypeRank", s["sen_type_rank"], 6),
                "          </SENneed>",
            ]
        lines.append("        </ActivePlans>")
    return lines + ["      </Requests>"]
