"""Annual editions of one synthetic authority: the extract as it would have been exported at earlier extract
dates, cut from the same underlying records, so that what changes between two editions of an authority (and
what a pseudonymised identifier must survive) can be tested against a known truth.

An edition is cut table by table by the explicit rules in `RULES`: a record that came into being after the
cutoff is dropped, an end, cessation, authorisation or outcome dated after it is blanked (the episode was still
open, the decision still pending), and a row is dropped with its parent or with the person it belongs to.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd

from analysis.contract import schema
from analysis.synth.la import generate
from analysis.synth.write import write

EDITION_DATES = (dt.date(2025, 3, 31), dt.date(2026, 3, 31))
PENDING = "A"  # the SEN2 outcome code for a decision yet to be made


@dataclasses.dataclass(frozen=True)
class Rule:
    """How one table is cut at a cutoff date.

    born: own date columns on which the record came into being (all must be on or before the cutoff; a missing
        value does not drop the row, since it says nothing about when the record began).
    via: (own column, parent table, parent key, parent date): the record came into being on its parent's date, as
        it stands in the cut parent; a parent date still missing at the cutoff means the record did not exist yet.
    ends: date columns blanked when after the cutoff.
    pending: date column -> (column, value) set when that date is blanked (an outcome not yet decided).
    parents: (own column, parent table, parent key): the row is dropped when its parent is.
    optional_parents: the same, but the reference is blanked instead (the link was not yet known).
    known_from: (table, person column): a person is in the edition only once one of these records them.
    needs_one_of: columns of which at least one must remain after blanking, or the row is dropped.
    """

    born: tuple[str, ...] = ()
    via: tuple[str, str, str, str] | None = None
    ends: tuple[str, ...] = ()
    pending: dict[str, tuple[str, object]] = dataclasses.field(default_factory=dict)
    parents: tuple[tuple[str, str, str], ...] = ()
    optional_parents: tuple[tuple[str, str, str], ...] = ()
    known_from: tuple[tuple[str, str], ...] = ()
    needs_one_of: tuple[str, ...] = ()


_SSD = ("ssd_person", "pers_person_id")
_SEN2 = ("sen2_person", "person_table_id")
_REFERRAL = ("ssd_cin_episodes", "cine_referral_id")


def _person(column: str) -> tuple[str, str, str]:
    return (column, *_SSD)


def _referral(column: str) -> tuple[str, str, str]:
    return (column, *_REFERRAL)


RULES: dict[str, Rule] = {
    # a social care person exists once a social care record names them, and not before their birth
    "ssd_person": Rule(
        born=("pers_dob",),
        ends=("pers_death_date",),
        known_from=(
            ("ssd_contacts", "cont_person_id"),
            ("ssd_early_help_episodes", "earl_person_id"),
            ("ssd_cin_episodes", "cine_person_id"),
            ("ssd_cin_assessments", "cina_person_id"),
            ("ssd_cin_plans", "cinp_person_id"),
            ("ssd_s47_enquiry", "s47e_person_id"),
            ("ssd_cp_plans", "cppl_person_id"),
            ("ssd_cla_episodes", "clae_person_id"),
        ),
    ),
    "ssd_contacts": Rule(born=("cont_contact_date",), parents=(_person("cont_person_id"),)),
    "ssd_early_help_episodes": Rule(
        born=("earl_episode_start_date",), ends=("earl_episode_end_date",), parents=(_person("earl_person_id"),)
    ),
    "ssd_cin_episodes": Rule(
        born=("cine_referral_date",), ends=("cine_close_date",), parents=(_person("cine_person_id"),)
    ),
    "ssd_cin_assessments": Rule(
        born=("cina_assessment_start_date",),
        ends=("cina_assessment_auth_date",),
        parents=(_person("cina_person_id"), _referral("cina_referral_id")),
    ),
    # factors are identified when the assessment is authorised: none yet for an assessment still open
    "ssd_assessment_factors": Rule(
        via=("cinf_assessment_id", "ssd_cin_assessments", "cina_assessment_id", "cina_assessment_auth_date"),
        parents=(("cinf_assessment_id", "ssd_cin_assessments", "cina_assessment_id"),),
    ),
    "ssd_cin_plans": Rule(
        born=("cinp_cin_plan_start_date",),
        ends=("cinp_cin_plan_end_date",),
        parents=(_person("cinp_person_id"),),
        optional_parents=(_referral("cinp_referral_id"),),
    ),
    "ssd_s47_enquiry": Rule(
        born=("s47e_s47_start_date",),
        ends=("s47e_s47_end_date",),
        parents=(_person("s47e_person_id"),),
        optional_parents=(_referral("s47e_referral_id"),),
    ),
    "ssd_cp_plans": Rule(
        born=("cppl_cp_plan_start_date",),
        ends=("cppl_cp_plan_end_date",),
        parents=(_person("cppl_person_id"),),
        optional_parents=(_referral("cppl_referral_id"),),
    ),
    "ssd_cla_episodes": Rule(
        born=("clae_cla_episode_start_date",),
        ends=("clae_cla_episode_ceased_date",),
        parents=(_person("clae_person_id"),),
    ),
    "ssd_linked_identifiers": Rule(
        born=("link_valid_from_date",), ends=("link_valid_to_date",), parents=(_person("link_person_id"),)
    ),
    # a SEND person exists once a request names them
    "sen2_person": Rule(born=("person_birth_date",), known_from=(("sen2_requests", "person_table_id"),)),
    "sen2_requests": Rule(
        born=("received_date",),
        ends=("request_outcome_date",),
        pending={"request_outcome_date": ("request_outcome", PENDING)},
        parents=(("person_table_id", *_SEN2),),
    ),
    # an assessment exists once the request is agreed
    "sen2_assessment": Rule(
        via=("requests_table_id", "sen2_requests", "requests_table_id", "request_outcome_date"),
        ends=("assessment_outcome_date",),
        pending={"assessment_outcome_date": ("assessment_outcome", PENDING)},
        parents=(("requests_table_id", "sen2_requests", "requests_table_id"),),
    ),
    "sen2_named_plan": Rule(
        born=("start_date",),
        ends=("cease_date",),
        pending={"cease_date": ("cease_reason", None)},
        parents=(("assessment_table_id", "sen2_assessment", "assessment_table_id"),),
    ),
    # a plan is active once issued: the assessment's outcome date is the plan's issue date
    "sen2_active_plans": Rule(
        via=("requests_table_id", "sen2_assessment", "requests_table_id", "assessment_outcome_date"),
        ends=("last_review",),
        parents=(("requests_table_id", "sen2_requests", "requests_table_id"),),
    ),
    "sen2_sen_need": Rule(parents=(("active_plans_table_id", "sen2_active_plans", "active_plans_table_id"),)),
    "adversity_review": Rule(
        born=("date_first_documented",),
        optional_parents=(_person("person_id"), ("person_table_id", *_SEN2)),
        needs_one_of=("person_id", "person_table_id"),
    ),
    "case_notes": Rule(born=("note_date",), parents=(_person("pers_person_id"),)),
    # the resident population: not yet born or arrived is not yet resident; CSC and SEND ids only once known
    "population": Rule(
        born=("birth_date", "entry_date"),
        ends=("exit_date",),
        optional_parents=(_person("pers_person_id"), ("person_table_id", *_SEN2)),
    ),
}


def as_of(tables: dict[str, pd.DataFrame], cutoff: dt.date) -> dict[str, pd.DataFrame]:
    """The extract as it would have been exported on `cutoff`, cut from the records of a later one.

    First each table loses the rows that began after the cutoff and the ends after it (by its own dates only), then
    tables are settled in contract order, parents before children, so a row can follow its settled parent.
    """
    at = pd.Timestamp(cutoff)
    dated = {name: _own_dates(frame, RULES[name], at) for name, frame in tables.items()}
    out: dict[str, pd.DataFrame] = {}
    for table in schema.TABLES:
        if table.name in dated:
            out[table.name] = _settle(table.name, dated, out)
    return {name: out[name] for name in tables}  # in the caller's order


def _own_dates(frame: pd.DataFrame, rule: Rule, at: pd.Timestamp) -> pd.DataFrame:
    """Drop the rows begun after the cutoff; blank the ends after it, and set what a blanked end leaves pending."""
    keep = pd.Series(True, index=frame.index)
    for col in (c for c in rule.born if c in frame):
        keep &= ~(frame[col] > at)
    frame = frame[keep].copy()
    for col in (c for c in rule.ends if c in frame):
        later = frame[col] > at
        frame.loc[later, col] = pd.NaT
        if col in rule.pending:
            what, value = rule.pending[col]
            frame.loc[later, what] = value
    return frame.reset_index(drop=True)


def _settle(name: str, dated: dict[str, pd.DataFrame], settled: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Apply a table's links: known only once recorded, begun on the parent's date, dropped with the parent,
    optional references blanked when their target is not (yet) in the edition."""
    frame, rule = dated[name], RULES[name]
    keep = pd.Series(True, index=frame.index)
    if rule.known_from:
        named = [dated[t][c] for t, c in rule.known_from if t in dated]
        keep &= frame[schema.TABLE[name].key].isin(pd.concat(named) if named else [])
    if rule.via is not None and rule.via[1] in settled:
        col, parent, key, date = rule.via
        begun = settled[parent].drop_duplicates(key).set_index(key)[date]
        keep &= frame[col].map(begun).notna()
    for col, parent, key in rule.parents:
        if parent in settled:
            keep &= frame[col].isin(settled[parent][key])
    frame = frame[keep].copy()
    for col, parent, key in rule.optional_parents:
        if parent in settled and col in frame:
            frame[col] = frame[col].where(frame[col].isin(settled[parent][key]), None)
    if rule.needs_one_of:
        frame = frame[frame[list(rule.needs_one_of)].notna().any(axis=1)]
    return frame.reset_index(drop=True)


def write_editions(children: int, seed: int, out: Path, dates: tuple[dt.date, ...] = EDITION_DATES) -> list[Path]:
    """Generate one authority up to the last date and write an edition for each date to OUT/<yyyy-mm-dd>/extract/.

    The last edition is the authority as generated, with its ground truth beside it in OUT/<date>/truth/; the
    truth describes the whole authority at the last date, so earlier editions carry none.
    """
    dates = tuple(sorted(dates))
    la = generate(children, years=10, seed=seed, extract_date=dates[-1])
    folders = []
    for cutoff in dates:
        folder = Path(out) / cutoff.isoformat()
        if cutoff == la.extract_date:
            write(la, folder)
        else:
            tables = as_of(la.tables, cutoff)
            earlier = dataclasses.replace(
                la, tables=tables, truth={}, truth_measures={}, extract_date=cutoff, headlines=None, params=None
            )
            write(earlier, folder)
            shutil.rmtree(folder / "truth")  # `write` writes an empty truth beside any extract: not one of these
        folders.append(folder / "extract")
    return folders
