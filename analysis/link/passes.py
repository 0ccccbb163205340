"""Link social care people to SEND people, as LAs really can.

Passes, in order, each on what the earlier ones left: the LA's own crosswalk (`ssd_linked_identifiers` rows of
type "SEND Person ID"); UPN and former UPN; exact forename, surname and birth date; then a probabilistic pass with
Splink (forename, surname, birth date, sex and postcode, term-frequency adjusted), trained by expectation
maximisation on the data itself. Every link is one to one: a person claimed by two candidates is left unlinked.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from analysis.link import names, probabilistic
from analysis.link.probabilistic import Backend

CROSSWALK_COLUMNS = ["pers_person_id", "person_table_id", "method", "match_probability"]
METHODS = ("LA crosswalk", "UPN", "name and birth date", "probabilistic")


@dataclasses.dataclass
class Linkage:
    crosswalk: pd.DataFrame
    send_people: int
    csc_people: int
    model: dict | None = None  # Splink's trained model (settings and parameters)
    scored: pd.DataFrame | None = None  # every candidate pair Splink scored (probabilistic.SCORED_COLUMNS)
    probabilistic_note: str = "not run"  # "ran", or why the probabilistic pass did not run
    threshold: float = 0.9
    sweep: pd.DataFrame | None = None  # probabilistic links and their mean probability at each threshold of SWEEP
    blind: pd.DataFrame | None = None  # the UPN-linked pairs linked again without their UPN, at each threshold

    @property
    def weights(self) -> pd.Series | None:
        """The match weight of every candidate pair Splink scored."""
        return None if self.scored is None else self.scored["match_weight"].astype(float)

    def summary(self) -> pd.DataFrame:
        """Links by method, in pass order, with the share of SEND people each pass linked."""
        by = self.crosswalk.groupby("method").size().reindex(list(METHODS), fill_value=0)
        out = pd.DataFrame({"method": [*by.index, "all methods"], "linked": [*by.to_numpy(), len(self.crosswalk)]})
        out["share_of_send_people"] = out["linked"] / max(self.send_people, 1)
        return out

    def expected_precision(self) -> float | None:
        """Splink's own estimate of the precision of the probabilistic links: their mean match probability. The exact
        passes are left out: they are certain by construction and would pull any average towards 1."""
        probable = self.crosswalk.loc[self.crosswalk["method"] == "probabilistic", "match_probability"]
        return None if probable.empty else float(probable.mean())


def _one_to_one(pairs: pd.DataFrame) -> pd.DataFrame:
    """Keep only pairs where each side matched exactly one record on the other side."""
    pairs = pairs.drop_duplicates(["pers_person_id", "person_table_id"])
    a = pairs.groupby("pers_person_id")["person_table_id"].transform("size")
    b = pairs.groupby("person_table_id")["pers_person_id"].transform("size")
    return pairs[(a == 1) & (b == 1)]


def _people(ssd_person: pd.DataFrame, sen2_person: pd.DataFrame, linked_ids: pd.DataFrame | None):
    csc = pd.DataFrame(
        {
            "pers_person_id": ssd_person["pers_person_id"],
            "upn": ssd_person["pers_upn"],
            "forename": names.letters(ssd_person["pers_forename"]),
            "surname": names.letters(ssd_person["pers_surname"]),
            "surname_parts": names.parts(ssd_person["pers_surname"]),
            "dob": ssd_person["pers_dob"],
            "sex": ssd_person["pers_sex"],
            "postcode": ssd_person["pers_postcode"].astype("string").str.upper().str.replace(" ", ""),
        }
    )
    send = pd.DataFrame(
        {
            "person_table_id": sen2_person["person_table_id"],
            "upn": sen2_person["upn"],
            "forename": names.letters(sen2_person["forename"]),
            "surname": names.letters(sen2_person["surname"]),
            "surname_parts": names.parts(sen2_person["surname"]),
            "dob": sen2_person["person_birth_date"],
            "sex": sen2_person["sex"],
            "postcode": sen2_person["postcode"].astype("string").str.upper().str.replace(" ", ""),
        }
    )
    upns = csc[["pers_person_id", "upn"]].dropna()
    if linked_ids is not None and len(linked_ids):
        more = linked_ids[
            linked_ids["link_identifier_type"].isin(["Unique Pupil Number", "Former Unique Pupil Number"])
        ]
        upns = pd.concat(
            [
                upns,
                more.rename(columns={"link_person_id": "pers_person_id", "link_identifier_value": "upn"})[
                    ["pers_person_id", "upn"]
                ],
            ]
        )
    return csc, send, upns.drop_duplicates()


def link(
    ssd_person: pd.DataFrame,
    sen2_person: pd.DataFrame,
    linked_ids: pd.DataFrame | None = None,
    *,
    threshold: float = 0.9,
    probabilistic: bool = True,
    backend: str | Backend = "duckdb",
    seed: int = 1,
) -> Linkage:
    """Run every pass and return the crosswalk with how each link was made, and what measuring the linkage needs."""
    csc, send, upns = _people(ssd_person, sen2_person, linked_ids)
    crosswalk = _exact_passes(csc, send, upns, linked_ids).assign(match_probability=1.0)
    out = Linkage(crosswalk[CROSSWALK_COLUMNS], len(send), len(csc), threshold=threshold)
    if probabilistic and len(csc) and len(send):
        backend = backend if isinstance(backend, Backend) else Backend(backend)
        try:
            out = _probabilistic(out, csc, send, backend, seed)
        except (ValueError, ZeroDivisionError) as exc:  # too few records to train on: say so, link exactly only
            out.probabilistic_note = f"not run: the model could not be trained on so few records ({exc})"
            out.scored = pd.DataFrame(columns=probabilistic.SCORED_COLUMNS)
    out.crosswalk = out.crosswalk[CROSSWALK_COLUMNS].sort_values("person_table_id", ignore_index=True)
    return out


SWEEP = (0.5, 0.8, 0.9, 0.95, 0.99)  # thresholds the linkage report compares with the run's own


def _probabilistic(out: Linkage, csc: pd.DataFrame, send: pd.DataFrame, backend: Backend, seed: int) -> Linkage:
    """Score, guard against twins, link one to one, and measure: the links each threshold would make, and which
    UPN-linked pairs the pass finds again when their UPN is withheld (the gold standard for recall)."""
    with probabilistic.database(backend) as db:
        linker = probabilistic.train(db, csc, send, seed)
        scored = probabilistic.score(linker, max(len(csc), len(send)))
        model = linker.misc.save_model_to_json()
    usable = scored[~scored["twin_guard"]]
    open_ = usable[
        ~usable["pers_person_id"].isin(out.crosswalk["pers_person_id"])
        & ~usable["person_table_id"].isin(out.crosswalk["person_table_id"])
    ]
    gold = out.crosswalk[out.crosswalk["method"] == "UPN"]
    in_gold = usable["pers_person_id"].isin(gold["pers_person_id"])
    gold_edges = usable[in_gold & usable["person_table_id"].isin(gold["person_table_id"])]
    sweep, blind = [], []
    with probabilistic.resolver(csc, send, pd.concat([open_, gold_edges])) as resolve:
        for t in sorted({*SWEEP, out.threshold}):
            made = resolve(open_, t).merge(open_.reset_index(), on=["pers_person_id", "person_table_id"])
            sweep.append(
                {
                    "threshold": t,
                    "links": len(made),
                    "mean_probability": float(made["match_probability"].mean()) if len(made) else None,
                    "pairs": made["index"].to_numpy(),  # rows of `scored`: the links' units in the disclosure registry
                    "made": made,
                }
            )
            blind.append(_blind(gold, resolve(gold_edges, t), t))
    links = next(r["made"] for r in sweep if r["threshold"] == out.threshold)
    probable = links[["pers_person_id", "person_table_id", "match_probability"]].assign(method="probabilistic")
    crosswalk = pd.concat([out.crosswalk, probable], ignore_index=True) if len(probable) else out.crosswalk
    return dataclasses.replace(
        out,
        crosswalk=crosswalk,
        model=model,
        scored=scored,
        probabilistic_note="ran",
        sweep=pd.DataFrame(sweep).drop(columns="made"),
        blind=pd.concat(blind, ignore_index=True),
    )


def _blind(gold: pd.DataFrame, found: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """For each UPN-linked pair: did the pass, without the UPN, link it (found), or link either side elsewhere
    (wrong)?"""
    keys = ["pers_person_id", "person_table_id"]
    hit = gold[keys].merge(found, on=keys, how="left", indicator=True)["_merge"].eq("both").to_numpy()
    wrong = gold["person_table_id"].isin(found["person_table_id"]).to_numpy() & ~hit
    return pd.DataFrame(
        {"threshold": threshold, "person_table_id": gold["person_table_id"].to_numpy(), "found": hit, "wrong": wrong}
    )


def _exact_passes(
    csc: pd.DataFrame, send: pd.DataFrame, upns: pd.DataFrame, linked_ids: pd.DataFrame | None
) -> pd.DataFrame:
    """The deterministic passes in order (the LA's crosswalk, UPN, exact name and birth date), each on the people
    the earlier passes left unlinked."""
    found: list[pd.DataFrame] = []

    def unlinked(frame: pd.DataFrame, col: str) -> pd.DataFrame:
        done = pd.concat([f[col] for f in found]) if found else pd.Series(dtype="string")
        return frame[~frame[col].isin(done)]

    if linked_ids is not None and len(linked_ids):
        xw = linked_ids[linked_ids["link_identifier_type"] == "SEND Person ID"].rename(
            columns={"link_person_id": "pers_person_id", "link_identifier_value": "person_table_id"}
        )
        xw = xw[xw["person_table_id"].isin(send["person_table_id"])]
        found.append(_one_to_one(xw[["pers_person_id", "person_table_id"]]).assign(method="LA crosswalk"))

    upn = unlinked(upns, "pers_person_id").merge(unlinked(send, "person_table_id").dropna(subset=["upn"]), on="upn")
    found.append(_one_to_one(upn[["pers_person_id", "person_table_id"]]).assign(method="UPN"))

    keys = ["forename", "surname", "dob"]
    names = (
        unlinked(csc, "pers_person_id")
        .dropna(subset=keys)
        .merge(unlinked(send, "person_table_id").dropna(subset=keys), on=keys)
    )
    found.append(_one_to_one(names[["pers_person_id", "person_table_id"]]).assign(method="name and birth date"))
    return pd.concat([f for f in found if len(f)] or found[:1], ignore_index=True)
