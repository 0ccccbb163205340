"""Link social care people to SEND people, as LAs really can.

Passes, in order, each on what the earlier ones left: the LA's own crosswalk (`ssd_linked_identifiers` rows of
type "SEND Person ID"); UPN and former UPN; exact forename, surname and birth date; then a probabilistic pass with
Splink (forename, surname, birth date, sex and postcode, term-frequency adjusted), trained by expectation
maximisation on the data itself. Every link is one to one: a person claimed by two candidates is left unlinked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile

import numpy as np
import pandas as pd

from analysis.errors import UserError

CROSSWALK_COLUMNS = ["pers_person_id", "person_table_id", "method", "match_probability"]
METHODS = ("LA crosswalk", "UPN", "name and birth date", "probabilistic")


@dataclasses.dataclass
class Linkage:
    crosswalk: pd.DataFrame
    send_people: int
    csc_people: int
    model: dict | None = None  # Splink's trained model (settings and parameters)
    weights: pd.Series | None = None  # match weight of every candidate pair Splink scored
    probabilistic_note: str = "not run"  # "ran", or why the probabilistic pass did not run

    def summary(self) -> pd.DataFrame:
        """Links by method, in pass order, with the share of SEND people each pass linked."""
        by = self.crosswalk.groupby("method").size().reindex(list(METHODS), fill_value=0)
        out = pd.DataFrame({"method": [*by.index, "all methods"], "linked": [*by.to_numpy(), len(self.crosswalk)]})
        out["share_of_send_people"] = out["linked"] / max(self.send_people, 1)
        return out

    def expected_precision(self) -> float | None:
        """Splink's own estimate of precision: the mean match probability of the accepted links."""
        return None if self.crosswalk.empty else float(self.crosswalk["match_probability"].mean())


def _norm(s: pd.Series) -> pd.Series:
    return s.astype("string").str.upper().str.replace(r"[^A-Z]", "", regex=True).replace("", pd.NA)


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
            "forename": _norm(ssd_person["pers_forename"]),
            "surname": _norm(ssd_person["pers_surname"]),
            "dob": ssd_person["pers_dob"],
            "sex": ssd_person["pers_sex"],
            "postcode": ssd_person["pers_postcode"].astype("string").str.upper().str.replace(" ", ""),
        }
    )
    send = pd.DataFrame(
        {
            "person_table_id": sen2_person["person_table_id"],
            "upn": sen2_person["upn"],
            "forename": _norm(sen2_person["forename"]),
            "surname": _norm(sen2_person["surname"]),
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
    backend: str = "duckdb",
    seed: int = 1,
) -> Linkage:
    """Run every pass and return the crosswalk with how each link was made."""
    csc, send, upns = _people(ssd_person, sen2_person, linked_ids)
    crosswalk = _exact_passes(csc, send, upns, linked_ids).assign(match_probability=1.0)
    model = weights = None
    note = "not run"
    if probabilistic and len(csc) and len(send):
        try:
            scored, model = _splink(csc, send, backend, seed)
            note = "ran"
        except (ValueError, ZeroDivisionError) as exc:  # too few records to train on: say so, link exactly only
            scored = pd.DataFrame(columns=["pers_person_id", "person_table_id", "match_weight", "match_probability"])
            note = f"not run: the model could not be trained on so few records ({exc})"
        weights = scored["match_weight"].astype(float)
        best = _best_open_pairs(scored, crosswalk, threshold)
        if len(best):
            probable = best[["pers_person_id", "person_table_id", "match_probability"]].assign(method="probabilistic")
            crosswalk = pd.concat([crosswalk, probable], ignore_index=True)
    crosswalk = crosswalk[CROSSWALK_COLUMNS].sort_values("person_table_id", ignore_index=True)
    return Linkage(crosswalk, len(send), len(csc), model, weights, note)


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


def _best_open_pairs(scored: pd.DataFrame, crosswalk: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Scored pairs at or above the threshold between people no exact pass linked, one link per person."""
    open_ = scored[
        (scored["match_probability"] >= threshold)
        & ~scored["pers_person_id"].isin(crosswalk["pers_person_id"])
        & ~scored["person_table_id"].isin(crosswalk["person_table_id"])
    ]
    return _one_to_one(
        open_.sort_values("match_probability", ascending=False)
        .drop_duplicates("pers_person_id")
        .drop_duplicates("person_table_id")
    )


def _splink_frame(df: pd.DataFrame, id_col: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": df[id_col].astype(str),
            "forename": df["forename"],
            "surname": df["surname"],
            "dob": pd.to_datetime(df["dob"]).dt.date,
            "sex": df["sex"],
            "postcode": df["postcode"],
        }
    )


def _splink(csc: pd.DataFrame, send: pd.DataFrame, backend: str, seed: int) -> tuple[pd.DataFrame, dict]:
    """Train a Splink model on both sides (all people, so the exact matches teach it) and score candidate pairs.

    Expectation maximisation runs twice, blocked on birth date and then on forename with surname, so that each
    comparison is estimated in one of the two sessions; blocking on surname alone made over a hundred million
    pairs at 100,000 x 100,000 people.
    """
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("forename"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.ExactMatch("sex"),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[block_on("dob"), block_on("surname", "forename"), block_on("postcode")],
    )
    with _database(backend) as db:
        linker = Linker(
            [
                db.register(_splink_frame(csc, "pers_person_id"), dataset_display_name="csc_people"),
                db.register(_splink_frame(send, "person_table_id"), dataset_display_name="send_people"),
            ],
            settings,
            log_level=logging.ERROR,
        )
        linker.training.estimate_probability_two_random_records_match(
            [block_on("forename", "surname", "dob")], recall=0.8
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"))
        pred = linker.inference.predict(threshold_match_probability=0.001).as_pandas_dataframe()
        model = linker.misc.save_model_to_json()
    left_is_csc = pred["source_dataset_l"] == "csc_people"
    scored = pd.DataFrame(
        {
            "pers_person_id": np.where(left_is_csc, pred["unique_id_l"], pred["unique_id_r"]),
            "person_table_id": np.where(left_is_csc, pred["unique_id_r"], pred["unique_id_l"]),
            "match_weight": pred["match_weight"].astype(float),
            "match_probability": pred["match_probability"].astype(float),
        }
    )
    return scored, model


@contextlib.contextmanager
def _database(backend: str):
    """Splink's database: DuckDB in process, or Spark in local mode (all cores) with Splink's similarity UDFs.

    Spark writes intermediate tables (identifiers included) to disk: they go to a private temporary folder that is
    removed, with the Spark session, when linkage ends.
    """
    if backend != "spark":
        from splink import DuckDBAPI

        yield DuckDBAPI()
        return
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import SparkAPI, similarity_jar_location
    except ImportError:
        raise UserError(
            "linkage.backend is spark, but PySpark is not installed: run "
            "`make spark` (Spark also needs Java 17 or later), "
            "or set linkage.backend: duckdb."
        ) from None
    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        raise UserError(
            "linkage.backend is spark, but no Java runtime was found (Spark needs Java 17 or later): "
            "install one, or set linkage.backend: duckdb."
        )
    with tempfile.TemporaryDirectory(prefix="adversity-report-spark-") as scratch:
        spark = (
            SparkSession.builder.master("local[*]")
            .appName("adversity-report-linkage")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", str(4 * (os.cpu_count() or 1)))
            .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
            .config("spark.local.dir", scratch)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        try:
            spark.sparkContext.setLogLevel("ERROR")
            spark.sparkContext.setCheckpointDir(os.path.join(scratch, "checkpoints"))
            yield SparkAPI(spark_session=spark)
        finally:
            spark.stop()
