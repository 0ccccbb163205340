"""The extract contract, defined once: every table, column, type, code list and key.

Validation (`analysis.validate`) builds pandera schemas from these definitions; the templates and the data
dictionary in `data_templates/` are generated from them too.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from analysis.contract import codes

if TYPE_CHECKING:  # pandera loads when an extract is validated, not whenever the contract is read
    import pandera.pandas as pa

STR, DATE, INT = "string", "date", "integer"


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    kind: str
    meaning: str
    required: bool = True
    codes: tuple[str, ...] | None = None
    references: str | None = None  # "table.column"
    identifier: bool = False  # a direct identifier: never leaves the link stage
    header_optional: bool = False  # added to the contract after earlier templates: an extract may leave it out


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    meaning: str
    key: str
    columns: tuple[Column, ...]
    optional: bool = False
    group: str = "CSC"
    # Columns an extract may add beyond the template: typed and checked when present (so that a value in them is
    # never silently ignored), never required, and not passed on to the analysis.
    extra_columns: tuple[Column, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


C = Column
_PERSON = "ssd_person.pers_person_id"
_SEN2_PERSON = "sen2_person.person_table_id"

TABLES: tuple[Table, ...] = (
    Table(
        "ssd_person",
        "One row per child known to children's social care.",
        "pers_person_id",
        (
            C("pers_person_id", STR, "The LA's person identifier in the social care system.", identifier=True),
            C("pers_upn", STR, "Unique Pupil Number, where known.", required=False, identifier=True),
            C("pers_forename", STR, "Forename.", required=False, identifier=True),
            C("pers_surname", STR, "Surname.", required=False, identifier=True),
            C("pers_sex", STR, "Sex as recorded (F, M or U).", codes=tuple(codes.SEX)),
            C("pers_ethnicity", STR, "DfE ethnicity code (4 characters, e.g. WBRI).", required=False),
            C("pers_dob", DATE, "Date of birth.", identifier=True),
            C("pers_postcode", STR, "Latest home postcode (from ssd_address).", required=False, identifier=True),
        ),
        extra_columns=(
            C("pers_death_date", DATE, "Date of death (SSD pers_death_date, CIN PersonDeathDate).", required=False),
        ),
    ),
    Table(
        "ssd_contacts",
        "Contacts with children's social care.",
        "cont_contact_id",
        (
            C("cont_contact_id", STR, "Contact identifier."),
            C("cont_person_id", STR, "Person.", references=_PERSON, identifier=True),
            C("cont_contact_date", DATE, "Date of the contact."),
            C(
                "cont_contact_source_code",
                STR,
                "Source of the contact (CIN referral source codes).",
                required=False,
                codes=codes.REFERRAL_SOURCE,
            ),
        ),
    ),
    Table(
        "ssd_early_help_episodes",
        "Early help episodes (reported apart from statutory social care).",
        "earl_episode_id",
        (
            C("earl_episode_id", STR, "Episode identifier."),
            C("earl_person_id", STR, "Person.", references=_PERSON, identifier=True),
            C("earl_episode_start_date", DATE, "Episode start date."),
            C("earl_episode_end_date", DATE, "Episode end date.", required=False),
            C("earl_episode_reason", STR, "Reason for the episode, as recorded locally.", required=False),
        ),
        optional=True,
    ),
    Table(
        "ssd_cin_episodes",
        "Referrals to children's social care (one per CIN episode).",
        "cine_referral_id",
        (
            C("cine_referral_id", STR, "Referral identifier."),
            C("cine_person_id", STR, "Person.", references=_PERSON, identifier=True),
            C("cine_referral_date", DATE, "Date of referral."),
            C(
                "cine_cin_primary_need_code",
                STR,
                "CIN primary need code.",
                required=False,
                codes=tuple(codes.CIN_PRIMARY_NEED),
            ),
            C("cine_referral_source_code", STR, "Referral source.", required=False, codes=codes.REFERRAL_SOURCE),
            C("cine_close_date", DATE, "Date the episode closed.", required=False),
        ),
    ),
    Table(
        "ssd_cin_assessments",
        "Social work assessments.",
        "cina_assessment_id",
        (
            C("cina_assessment_id", STR, "Assessment identifier."),
            C("cina_person_id", STR, "Person.", references=_PERSON, identifier=True),
            C(
                "cina_referral_id",
                STR,
                "Referral the assessment belongs to.",
                references="ssd_cin_episodes.cine_referral_id",
            ),
            C("cina_assessment_start_date", DATE, "Date the assessment started."),
            C("cina_assessment_auth_date", DATE, "Date the assessment was completed and authorised.", required=False),
        ),
    ),
    Table(
        "ssd_assessment_factors",
        "Factors identified at the end of an assessment: a JSON array of CIN codes "
        "per assessment, or one row per factor in a column cinf_assessment_factor.",
        "cinf_table_id",
        (
            C("cinf_table_id", STR, "Row identifier."),
            C("cinf_assessment_id", STR, "Assessment.", references="ssd_cin_assessments.cina_assessment_id"),
            C("cinf_assessment_factors_json", STR, 'Factor codes as a JSON array, e.g. ["3B", "4B"].'),
        ),
    ),
    Table(
        "ssd_cin_plans",
        "Child in need plans.",
        "cinp_cin_plan_id",
        (
            C("cinp_cin_plan_id", STR, "Plan identifier."),
            C("cinp_referral_id", STR, "Referral.", required=False, references="ssd_cin_episodes.cine_referral_id"),
            C("cinp_person_id", STR, "Person.", references=_PERSON, identifier=True),
            C("cinp_cin_plan_start_date", DATE, "Plan start date."),
            C("cinp_cin_plan_end_date", DATE, "Plan end date.", required=False),
        ),
        optional=True,
    ),
    Table(
        "ssd_s47_enquiry",
        "Section 47 enquiries.",
        "s47e_s47_enquiry_id",
        (
            C("s47e_s47_enquiry_id", STR, "Enquiry identifier."),
            C("s47e_referral_id", STR, "Referral.", required=False, references="ssd_cin_episodes.cine_referral_id"),
            C("s47e_person_id", STR, "Person.", references=_PERSON, identifier=True),
            C("s47e_s47_start_date", DATE, "Date the enquiry started."),
            C("s47e_s47_end_date", DATE, "Date the enquiry ended.", required=False),
        ),
        optional=True,
    ),
    Table(
        "ssd_cp_plans",
        "Child protection plans.",
        "cppl_cp_plan_id",
        (
            C("cppl_cp_plan_id", STR, "Plan identifier."),
            C("cppl_referral_id", STR, "Referral.", required=False, references="ssd_cin_episodes.cine_referral_id"),
            C("cppl_person_id", STR, "Person.", references=_PERSON, identifier=True),
            C("cppl_cp_plan_start_date", DATE, "Plan start date."),
            C("cppl_cp_plan_end_date", DATE, "Plan end date.", required=False),
            C("cppl_cp_plan_initial_category", STR, "Initial category of abuse.", codes=tuple(codes.CP_CATEGORY)),
            C(
                "cppl_cp_plan_latest_category",
                STR,
                "Latest category of abuse.",
                required=False,
                codes=tuple(codes.CP_CATEGORY),
            ),
        ),
    ),
    Table(
        "ssd_cla_episodes",
        "Episodes of being looked after.",
        "clae_cla_episode_id",
        (
            C("clae_cla_episode_id", STR, "Episode identifier."),
            C("clae_person_id", STR, "Person.", references=_PERSON, identifier=True),
            C("clae_cla_episode_start_date", DATE, "Episode start date."),
            C(
                "clae_cla_primary_need_code",
                STR,
                "CIN primary need code at entry.",
                required=False,
                codes=tuple(codes.CIN_PRIMARY_NEED),
            ),
            C("clae_cla_episode_ceased_date", DATE, "Episode end date.", required=False),
        ),
    ),
    Table(
        "ssd_linked_identifiers",
        "Other identifiers for a person: former UPNs, NHS numbers, or the SEND "
        "system's person id where the LA keeps a crosswalk.",
        "link_table_id",
        (
            C("link_table_id", STR, "Row identifier."),
            C("link_person_id", STR, "Person.", references=_PERSON, identifier=True),
            C("link_identifier_type", STR, "Kind of identifier.", codes=codes.LINKED_IDENTIFIER_TYPES),
            C("link_identifier_value", STR, "The identifier.", identifier=True),
            C("link_valid_from_date", DATE, "Valid from.", required=False),
            C("link_valid_to_date", DATE, "Valid to.", required=False),
        ),
        optional=True,
    ),
    Table(
        "sen2_person",
        "SEN2 module 1: one row per child in the SEN2 return.",
        "person_table_id",
        (
            C("person_table_id", STR, "The SEND system's person identifier.", identifier=True),
            C("upn", STR, "Unique Pupil Number, where known.", required=False, identifier=True),
            C(
                "upn_unknown",
                STR,
                "Reason a UPN is not known (SEN2 UPNunknown code).",
                required=False,
                codes=codes.SEN2_UPN_UNKNOWN,
            ),
            C("forename", STR, "Forename.", required=False, identifier=True),
            C("surname", STR, "Surname.", required=False, identifier=True),
            C("person_birth_date", DATE, "Date of birth.", identifier=True),
            C("sex", STR, "Sex (F, M or U).", codes=tuple(codes.SEX)),
            C("ethnicity", STR, "DfE ethnicity code.", required=False),
            C("postcode", STR, "Home postcode.", required=False, identifier=True),
        ),
        group="SEND",
    ),
    Table(
        "sen2_requests",
        "SEN2 module 2: requests for an EHC needs assessment.",
        "requests_table_id",
        (
            C("requests_table_id", STR, "Request identifier."),
            C("person_table_id", STR, "Person.", references=_SEN2_PERSON, identifier=True),
            C("received_date", DATE, "Date the request was received (start of the 20-week period)."),
            C("request_source", STR, "Who made the request.", required=False),
            C("request_outcome", STR, "Decision whether to assess.", required=False, codes=tuple(codes.SEN2_OUTCOME)),
            C("request_outcome_date", DATE, "Date of that decision.", required=False),
        ),
        group="SEND",
    ),
    Table(
        "sen2_assessment",
        "SEN2 module 3: the outcome of an EHC needs assessment.",
        "assessment_table_id",
        (
            C("assessment_table_id", STR, "Assessment identifier."),
            C("requests_table_id", STR, "Request.", references="sen2_requests.requests_table_id"),
            C("assessment_outcome", STR, "Decision to issue a plan.", required=False, codes=tuple(codes.SEN2_OUTCOME)),
            C("assessment_outcome_date", DATE, "Date of that decision (plan issue date when Y).", required=False),
            C("week20", STR, "20-week time limit exceptions apply (1 yes, 0 no).", required=False, codes=("0", "1")),
        ),
        group="SEND",
    ),
    Table(
        "sen2_named_plan",
        "SEN2 module 4a: the EHC plan issued after an assessment.",
        "named_plan_table_id",
        (
            C("named_plan_table_id", STR, "Plan identifier."),
            C("assessment_table_id", STR, "Assessment.", references="sen2_assessment.assessment_table_id"),
            C("start_date", DATE, "Date the plan started."),
            C("cease_date", DATE, "Date the plan ceased.", required=False),
            C("cease_reason", STR, "Why it ceased (1 to 9).", required=False, codes=tuple(codes.PLAN_CEASE_REASON)),
        ),
        optional=True,
        group="SEND",
    ),
    Table(
        "sen2_active_plans",
        "SEN2 module 5a: plans active at the census date.",
        "active_plans_table_id",
        (
            C("active_plans_table_id", STR, "Row identifier."),
            C("requests_table_id", STR, "Request that led to the plan.", references="sen2_requests.requests_table_id"),
            C("last_review", DATE, "Date of the last annual review.", required=False),
        ),
        group="SEND",
    ),
    Table(
        "sen2_sen_need",
        "SEN2 module 5c: type of need on an active plan, ranked.",
        "sen_need_table_id",
        (
            C("sen_need_table_id", STR, "Row identifier."),
            C("active_plans_table_id", STR, "Active plan.", references="sen2_active_plans.active_plans_table_id"),
            C("sen_type", STR, "Type of need.", codes=tuple(codes.SEN_TYPE)),
            C("sen_type_rank", INT, "1 primary, 2 secondary.", codes=("1", "2")),
        ),
        group="SEND",
    ),
    Table(
        "adversity_review",
        "Adversity found by manual case review, for what coded data cannot show.",
        "review_id",
        (
            C("review_id", STR, "Row identifier."),
            C(
                "person_id",
                STR,
                "Social care person (give this, the SEND person, or both).",
                required=False,
                references=_PERSON,
                identifier=True,
            ),
            C(
                "person_table_id",
                STR,
                "SEND person, for adversity found in education or health records of a child never known to social "
                "care (give this, the social care person, or both).",
                required=False,
                references=_SEN2_PERSON,
                identifier=True,
                header_optional=True,
            ),
            C("adversity_type", STR, "Type of adversity.", codes=codes.REVIEW_ADVERSITY_TYPES),
            C("date_first_documented", DATE, "Date the adversity was first documented in any record."),
            C("source_document_type", STR, "Kind of document it was found in.", codes=codes.REVIEW_SOURCE_TYPES),
            C("reviewer", STR, "Reviewer's initials or role.", required=False),
        ),
        optional=True,
        group="Project",
    ),
    Table(
        "case_notes",
        "Social care case notes, exported from the case-management system, for the case-note coder. Never "
        "published: the notes are coded on the way in and their text, ids and matched words are then dropped.",
        "note_id",
        (
            C("note_id", STR, "The case-management system's note identifier.", identifier=True),
            C("pers_person_id", STR, "Social care person the note is about.", references=_PERSON, identifier=True),
            C("note_date", DATE, "Date the note records (the date of the event, or when it was written)."),
            C("note_type", STR, "Kind of note (case note, home visit, telephone call, ...).", required=False),
            C(
                "author_role",
                STR,
                "Role of the note's author (social worker, family support worker, ...).",
                required=False,
            ),  # fmt: skip
            C("note_text", STR, "The note's free text.", required=False),
        ),
        optional=True,
        group="Project",
    ),
    Table(
        "population",
        "Every child resident in the area (for denominators), where the LA can supply it.",
        "population_id",
        (
            C("population_id", STR, "Row identifier.", identifier=True),
            C(
                "pers_person_id",
                STR,
                "Social care person, if known to CSC.",
                required=False,
                references=_PERSON,
                identifier=True,
            ),
            C(
                "person_table_id",
                STR,
                "SEND person, if in the SEN2 return.",
                required=False,
                references=_SEN2_PERSON,
                identifier=True,
            ),
            C("birth_date", DATE, "Date of birth.", identifier=True),
            C("sex", STR, "Sex (F, M or U).", codes=tuple(codes.SEX)),
            C(
                "imd_decile",
                STR,
                "Index of Multiple Deprivation decile of home address (1 most deprived).",
                required=False,
                codes=tuple(str(i) for i in range(1, 11)),
            ),
            C("entry_date", DATE, "Date the child entered the area's population (birth or moving in).", required=False),
            C("exit_date", DATE, "Date the child left the area (moving out or death).", required=False),
        ),
        optional=True,
        group="Project",
    ),
)

TABLE = {t.name: t for t in TABLES}


def pandera_schema(table: Table) -> pa.DataFrameSchema:
    """A pandera schema for a table whose dates are already parsed and strings stripped (blank = missing)."""
    import pandera.pandas as pa

    cols = {}
    for col in table.columns:
        checks = [pa.Check.isin(list(col.codes), error=f"code not in the {col.name} code list")] if col.codes else []
        dtype = "datetime64[ns]" if col.kind == DATE else "string"
        cols[col.name] = pa.Column(
            dtype, checks=checks, nullable=not col.required, unique=col.name == table.key, required=True, coerce=False
        )
    return pa.DataFrameSchema(cols, strict=False, name=table.name)
