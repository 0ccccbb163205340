"""Children as the disclosure registry counts them: one code per child, whichever records hold the child.

A SEND person is keyed by the cohort's own pseudonym; a social care person by the pseudonym of the SEND person
linkage matched them to, else by a social care pseudonym; a resident child by either, else by their row. So a child
counted in a SEND table, a social care figure and the population comparison is one unit, and the attacker can
difference across all three.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.privacy.pseudonymise import pseudonym
from analysis.privacy.registry import Registry

UNIVERSE = "children"


class ChildUnits:
    """Registry codes for the children of one run (the run's hashing key makes the same pseudonyms as the cohort)."""

    def __init__(self, reg: Registry, key: bytes, crosswalk: pd.DataFrame) -> None:
        self.reg, self.key = reg, key
        self.linked = crosswalk.drop_duplicates("pers_person_id").set_index("pers_person_id")["person_table_id"]

    def send(self, ids: pd.Series) -> np.ndarray:
        """SEND people, by person_table_id."""
        return self.reg.units(UNIVERSE, pseudonym(pd.Series(ids).reset_index(drop=True), self.key, "c_"))

    def csc(self, ids: pd.Series) -> np.ndarray:
        """Social care people, by pers_person_id."""
        return self.reg.units(UNIVERSE, self._keys(pd.Series(pd.NA, index=range(len(ids))), pd.Series(ids)))

    def keys(self, keys: pd.Series) -> np.ndarray:
        """Children already pseudonymised with the run's key (the cohort's `child`)."""
        return self.reg.units(UNIVERSE, pd.Series(keys))

    def cohort(self, cohort: pd.DataFrame) -> np.ndarray:
        return self.reg.units(UNIVERSE, cohort["child"])

    def population(self, pop: pd.DataFrame) -> np.ndarray:
        """Resident children, one unit per row: a row whose child another row already names (a duplicate row, or a
        false link) is its own unit, so that counts of rows and of units agree."""
        keys = self._keys(pop["person_table_id"], pop["pers_person_id"])
        twice = keys.duplicated()
        keys[twice] = [f"p_{i}" for i in np.flatnonzero(twice.to_numpy())]
        return self.reg.units(UNIVERSE, keys)

    def _keys(self, send: pd.Series, csc: pd.Series) -> pd.Series:
        send, csc = send.reset_index(drop=True).astype(object), csc.reset_index(drop=True).astype(object)
        send = send.where(send.notna(), csc.map(self.linked))
        keys = pd.Series([f"p_{i}" for i in range(len(send))], dtype=object)
        has_send, has_csc = send.notna(), send.isna() & csc.notna()
        keys[has_send] = pseudonym(send[has_send], self.key, "c_")
        keys[has_csc] = pseudonym(csc[has_csc], self.key, "s_")
        return keys
