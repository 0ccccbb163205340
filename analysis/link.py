"""Link social care people to SEND people.

Deterministic passes, in order: UPN; then exact forename, surname and birth date. Each SEND person is linked at
most once. (A probabilistic Splink pass on what is left is planned: see issue 5.)
"""

from __future__ import annotations

import dataclasses

import pandas as pd

CROSSWALK_COLUMNS = ["pers_person_id", "person_table_id", "method", "match_probability"]


@dataclasses.dataclass
class Linkage:
    crosswalk: pd.DataFrame
    send_people: int
    csc_people: int

    def summary(self) -> pd.DataFrame:
        """Links by method, with the share of SEND people each pass linked."""
        by = self.crosswalk.groupby("method", sort=False).size().rename("linked").reset_index()
        total = pd.DataFrame({"method": ["all methods"], "linked": [len(self.crosswalk)]})
        out = pd.concat([by, total], ignore_index=True)
        out["share_of_send_people"] = out["linked"] / max(self.send_people, 1)
        return out


def _norm(s: pd.Series) -> pd.Series:
    return s.astype("string").str.upper().str.replace(r"[^A-Z]", "", regex=True)


def _one_to_one(pairs: pd.DataFrame) -> pd.DataFrame:
    """Keep only pairs where each side matched exactly one record on the other side."""
    a = pairs.groupby("pers_person_id")["person_table_id"].transform("size")
    b = pairs.groupby("person_table_id")["pers_person_id"].transform("size")
    return pairs[(a == 1) & (b == 1)]


def link(ssd_person: pd.DataFrame, sen2_person: pd.DataFrame) -> Linkage:
    """Run the deterministic passes and return the crosswalk."""
    csc = ssd_person[["pers_person_id", "pers_upn", "pers_forename", "pers_surname", "pers_dob"]].copy()
    send = sen2_person[["person_table_id", "upn", "forename", "surname", "person_birth_date"]].copy()
    found = []

    upn = csc.dropna(subset=["pers_upn"]).merge(send.dropna(subset=["upn"]), left_on="pers_upn", right_on="upn")
    upn = _one_to_one(upn[["pers_person_id", "person_table_id"]]).assign(method="UPN")
    found.append(upn)

    csc_left = csc[~csc["pers_person_id"].isin(upn["pers_person_id"])]
    send_left = send[~send["person_table_id"].isin(upn["person_table_id"])]
    csc_left = csc_left.assign(k1=_norm(csc_left["pers_forename"]), k2=_norm(csc_left["pers_surname"]))
    send_left = send_left.assign(k1=_norm(send_left["forename"]), k2=_norm(send_left["surname"]))
    names = csc_left.dropna(subset=["k1", "k2", "pers_dob"]).merge(
        send_left.dropna(subset=["k1", "k2", "person_birth_date"]),
        left_on=["k1", "k2", "pers_dob"], right_on=["k1", "k2", "person_birth_date"])
    names = _one_to_one(names[["pers_person_id", "person_table_id"]]).assign(method="name and birth date")
    found.append(names)

    crosswalk = pd.concat(found, ignore_index=True).assign(match_probability=1.0)[CROSSWALK_COLUMNS]
    return Linkage(crosswalk.sort_values("person_table_id", ignore_index=True), len(send), len(csc))
