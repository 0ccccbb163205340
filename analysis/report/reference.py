"""The reference study the report reproduces, cited once: its published figures, for the prose to set beside the
authority's own (they are constants of a publication, not results of this run)."""

from __future__ import annotations

CITATION = (
    "a retrospective case series of 100 EHC needs assessment records in one English local authority (the "
    "reference study this report reproduces)"
)
KNOWN = (54, 100)  # children already known to Children's Services
BEFORE_FIVE = 0.79  # of adversity cases, first documented before age five
COMMONEST = ("domestic abuse", "parental mental illness", "parental separation")


def known() -> str:
    return f"{KNOWN[0]} of {KNOWN[1]}"


def before_five() -> str:
    return f"{BEFORE_FIVE:.0%}"
