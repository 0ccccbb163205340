"""Who the linkage misses: cohort children linked and unlinked by sex, ethnic group and age at request, and the
children linked by UPN, linked again without it, by the same groups and by whether they moved home between the two
records (Harron et al. 2017: compare linked with unlinked records, and find where missed links cluster)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.privacy.registry import TableSpec

ETHNIC_GROUPS = {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black", "C": "Chinese", "O": "Other"}
LABELS = ("Characteristic", "Group")


def ethnic_group(codes: pd.Series) -> pd.Series:
    """The DfE major ethnic group of a 4-character code (CHNE is Chinese); missing or unknown codes read "Not known"."""
    text = codes.astype("string").str.upper().str.strip()
    group = text.str[0].map(ETHNIC_GROUPS).where(text != "CHNE", "Chinese")
    return group.where(~text.isin(["REFU", "NOBT"]) & text.notna(), "Not known").fillna("Not known")


def _rows(groups: dict[str, pd.Series]) -> list[tuple[str, str, np.ndarray]]:
    """(characteristic, group, mask) for every group of every characteristic, in a stable order."""
    out = []
    for name, g in groups.items():
        keys = list(g.cat.categories) if isinstance(g.dtype, pd.CategoricalDtype) else sorted(g.dropna().unique())
        out += [(name, str(k), (g == k).to_numpy()) for k in keys if (g == k).any()]
    return out


def linked_by_group(cohort: pd.DataFrame, units: np.ndarray, ethnicity: pd.Series) -> tuple[pd.DataFrame, TableSpec]:
    """Cohort children and those linked to a social care record, by sex, ethnic group and age at request.
    `ethnicity`: each cohort child's SEN2 code."""
    linked = (cohort["link_method"] != "not linked").to_numpy()
    rows = _rows(
        {
            "Sex": cohort["sex"].astype("string").fillna("Not known"),
            "Ethnic group": ethnic_group(ethnicity.reset_index(drop=True)),
            "Age at request": cohort["age_band"],
        }
    )
    t = pd.DataFrame(
        {
            "Characteristic": [r[0] for r in rows],
            "Group": [r[1] for r in rows],
            "Children": [int(r[2].sum()) for r in rows],
            "Linked": [int((r[2] & linked).sum()) for r in rows],
        }
    )
    spec = TableSpec(LABELS, {"Children": [units[r[2]] for r in rows], "Linked": [units[r[2] & linked] for r in rows]})
    return t, spec


def recall_by_group(gold: pd.DataFrame, units: np.ndarray) -> tuple[pd.DataFrame, TableSpec]:
    """Children linked by UPN and those the passes without a UPN found again, by sex, ethnic group, age band at
    request and whether the postcode differs between the two records. `gold`: one row per pair with columns found,
    sex, ethnicity, band, moved."""
    rows = _rows(
        {
            "Sex": gold["sex"].astype("string").fillna("Not known"),
            "Ethnic group": ethnic_group(gold["ethnicity"]),
            "Age at request": gold["band"],
            "Address": gold["moved"].map({True: "Postcode differs", False: "Same postcode"}),
        }
    )
    found = gold["found"].to_numpy(bool)
    t = pd.DataFrame(
        {
            "Characteristic": [r[0] for r in rows],
            "Group": [r[1] for r in rows],
            "Linked by UPN": [int(r[2].sum()) for r in rows],
            "Found without UPN": [int((r[2] & found).sum()) for r in rows],
        }
    )
    counts = {"Linked by UPN": [units[r[2]] for r in rows], "Found without UPN": [units[r[2] & found] for r in rows]}
    return t, TableSpec(LABELS, counts)
