"""Known to children's social care: the events, the routes and the tiers of involvement.

"Known" means different things: a contact alone is a call to the front door; a referral is what the DfE's
Children in Need census counts and what the FOI template asks for; an assessment, a child in need plan or more is
statutory involvement. The report gives each tier (cumulative: each tier includes those above it) and takes the
referral tier as the headline. Referrals whose primary need is the child's own disability (N2) are a different
path (reverse causation: the need that brings a SEND request brings the referral), so a sensitivity analysis leaves
them, and every event that followed from them, out. Early help is not statutory social care: it is its own route,
never silently in or out of "known".
"""

from __future__ import annotations

import pandas as pd

from analysis.errors import UserError

# route -> (table, person column, date column, referral id column or None)
ROUTES = {
    "contact": ("ssd_contacts", "cont_person_id", "cont_contact_date", None),
    "referral": ("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "cine_referral_id"),
    "assessment": ("ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date", "cina_referral_id"),
    "child in need plan": ("ssd_cin_plans", "cinp_person_id", "cinp_cin_plan_start_date", "cinp_referral_id"),
    "section 47 enquiry": ("ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date", "s47e_referral_id"),
    "child protection plan": ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_referral_id"),
    "looked after": ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", None),
}
EARLY_HELP = {"early help": ("ssd_early_help_episodes", "earl_person_id", "earl_episode_start_date", None)}
# tier -> the routes that put a child in it (cumulative)
TIERS = {
    "contact": tuple(ROUTES),
    "referral": tuple(r for r in ROUTES if r != "contact"),
    "assessment": ("assessment", "child in need plan", "section 47 enquiry", "child protection plan", "looked after"),
    "child in need": ("child in need plan", "section 47 enquiry", "child protection plan", "looked after"),
}
TIER_LABEL = {
    "contact": "A contact or more",
    "referral": "A referral or more (the headline)",
    "assessment": "An assessment or more",
    "child in need": "A child in need plan, section 47 enquiry, protection plan or care",
}
HEADLINE_TIER = "referral"
OWN_DISABILITY = "N2"


def events(tables: dict[str, pd.DataFrame], routes: dict = ROUTES) -> pd.DataFrame:
    """Every dated event of the given routes: pers_person_id, route, date, and whether it followed from a referral
    for the child's own disability (`own_disability`); absent optional tables add none."""
    n2 = _own_disability_referrals(tables)
    parts = []
    for route, (table, person, date, referral) in routes.items():
        if table not in tables:
            continue
        t = tables[table]
        own = t[referral].isin(n2) if referral else pd.Series(False, index=t.index)
        if route == "looked after":  # care episodes carry their own primary need
            own = t["clae_cla_primary_need_code"].eq(OWN_DISABILITY).fillna(False)
        parts.append(
            pd.DataFrame({"pers_person_id": t[person], "route": route, "date": t[date], "own_disability": own})
        )
    if not parts:
        return pd.DataFrame(
            {
                "pers_person_id": pd.Series(dtype="string"),
                "route": pd.Series(dtype="string"),
                "date": pd.Series(dtype="datetime64[ns]"),
                "own_disability": pd.Series(dtype=bool),
            }
        )
    return pd.concat(parts, ignore_index=True).dropna(subset=["date", "pers_person_id"])


def _own_disability_referrals(tables: dict[str, pd.DataFrame]) -> set:
    ref = tables.get("ssd_cin_episodes")
    if ref is None:
        return set()
    return set(ref.loc[ref["cine_cin_primary_need_code"] == OWN_DISABILITY, "cine_referral_id"].dropna())


def known_before(c: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> None:
    """Add to the cohort (in place): each route and tier before the index date, the headline `known_to_csc`, the
    sensitivity without own-disability referrals, early help, and the date and age of the first event per route."""
    ev = events(tables).merge(c[["pers_person_id", "index_date"]], on="pers_person_id")
    ev = ev[ev["date"] < ev["index_date"]]
    for route in ROUTES:
        c[f"route_{route.replace(' ', '_')}"] = c["pers_person_id"].isin(ev.loc[ev["route"] == route, "pers_person_id"])
    for tier, routes in TIERS.items():
        c[f"tier_{tier.replace(' ', '_')}"] = c["pers_person_id"].isin(
            ev.loc[ev["route"].isin(routes), "pers_person_id"]
        )
    c["known_to_csc"] = c[f"tier_{HEADLINE_TIER}"]
    kept = ev[ev["route"].isin(TIERS[HEADLINE_TIER]) & ~ev["own_disability"]]
    c["known_excluding_own_disability"] = c["pers_person_id"].isin(kept["pers_person_id"])
    eh = events(tables, EARLY_HELP).merge(c[["pers_person_id", "index_date"]], on="pers_person_id")
    c["early_help_before_index"] = c["pers_person_id"].isin(eh.loc[eh["date"] < eh["index_date"], "pers_person_id"])
    c["early_help_only"] = c["early_help_before_index"] & ~c["tier_contact"]
    c["first_csc_date"] = c["pers_person_id"].map(ev.groupby("pers_person_id")["date"].min())
    firsts = ev.groupby(["pers_person_id", "route"])["date"].min().unstack()
    for route in ROUTES:  # the date of the first event of each kind before the request (for the timelines)
        c[f"first_{route.replace(' ', '_')}_date"] = (
            c["pers_person_id"].map(firsts[route]) if route in firsts else pd.Series(pd.NaT, index=c.index)
        )


RECORDS_GAP_DAYS = 365  # social care records that truly begin on records_start have events within a year of it ...
BUSY_YEAR = 50  # ... when the records are busy enough (this many events in some year) for an empty year to mean it


def check_records_start(tables: dict[str, pd.DataFrame], records_start: pd.Timestamp) -> str | None:
    """Hold `records_start` up against the extract: a note when events are dated before it (the records begin
    earlier than the parameter says, so fewer children count as observed from birth than could), an error when no
    event comes within a year after it although the records are busy later (the parameter is probably wrong, and
    every "before age N" would be too). A small extract, such as a case series, can have a quiet first year."""
    ev = pd.concat([events(tables)["date"], events(tables, EARLY_HELP)["date"]])
    if ev.empty:
        return None
    earliest = ev.min()
    busiest = ev[ev >= records_start].dt.year.value_counts().max() if (ev >= records_start).any() else 0
    if earliest > records_start + pd.Timedelta(days=RECORDS_GAP_DAYS) and busiest >= BUSY_YEAR:
        raise UserError(
            f"records_start is {records_start.date()}, but the extract's first social care event comes more than a "
            f"year later ({earliest:%B %Y}). Set records_start to the date the authority's records really begin."
        )
    if earliest < records_start:
        return (
            f"Some social care events are dated before records_start ({records_start.date()}): the records begin "
            "earlier than the parameter says, so fewer children count as observed from birth than could."
        )
    return None
