"""Sensitivity analyses of the headline shares: do they hold when the meaning of "known", the weakest links, the
definition of the before-N share or the age threshold change? Each variant is computed from the same cohort."""

from __future__ import annotations

import pandas as pd

from analysis.stats.proportions import Proportion

KNOWN = "Known to social care before the request"
EARLY = "First adversity before the threshold age"
WITHOUT_NOTES = "Codes and case review only (without the case notes)"


def _row(analysis: str, measure: str, hits: pd.Series, among: pd.Series) -> dict:
    """One share, with its masks (`hits`, `among`) for the disclosure registry."""
    hits, among = hits.to_numpy(bool), among.to_numpy(bool)
    p = Proportion(int((hits & among).sum()), int(among.sum()))
    empty = p.denominator == 0
    return {"Analysis": analysis, "Measure": measure, "Children": p.numerator, "Of": p.denominator,
            "Share": None if empty else p.value, "Lower 95%": None if empty else p.interval[0],
            "Upper 95%": None if empty else p.interval[1], "hits": hits, "among": among}  # fmt: skip


def headline_variants(c: pd.DataFrame, age: int) -> list[dict]:
    """The two headline shares under the main analysis and each sensitivity analysis (one row per share)."""
    everyone = pd.Series(True, index=c.index)
    main = c["has_adversity"] & c["observed_from_birth"] & c["requested_at_threshold_or_over"]
    exact = c["link_method"] != "probabilistic"
    early = c["first_adversity_before_threshold"].fillna(False).astype(bool)
    rows = [
        _row("Main analysis", KNOWN, c["known_to_csc"], everyone),
        _row("Main analysis", EARLY, early, main),
        _row("Known: a contact or more", KNOWN, c["tier_contact"], everyone),
        _row("Known: an assessment or more", KNOWN, c["tier_assessment"], everyone),
        _row("Known: leaving out referrals for the child's own disability", KNOWN,
             c["known_excluding_own_disability"], everyone),
        _row("Excluding probabilistic links", KNOWN, c["known_to_csc"] & exact, everyone),
        _row("Excluding probabilistic links", EARLY, early & exact, main & exact),
        _row("Reference study's definition (every child with adversity)", EARLY, early, c["has_adversity"]),
    ]  # fmt: skip
    if "has_adversity_without_notes" in c:  # case notes were coded: the share from the other instruments alone
        without = c["has_adversity_without_notes"] & c["observed_from_birth"] & c["requested_at_threshold_or_over"]
        rows.append(_row(WITHOUT_NOTES, EARLY, c["first_adversity_before_threshold_without_notes"], without))
    for t in sensitivity_thresholds(age):
        among = c["has_adversity"] & c["observed_from_birth"] & c[f"requested_at_{t}_or_over"]
        rows.append(
            _row(
                f"Age threshold {t} instead of {age}",
                EARLY,
                c[f"first_adversity_before_{t}"].fillna(False).astype(bool),
                among,
            )
        )
    return rows


def sensitivity_thresholds(age: int) -> list[int]:
    """The other age thresholds tried: two years either side."""
    return sorted({max(1, age - 2), age + 2} - {age})
