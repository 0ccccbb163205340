"""The probabilistic pass: a Splink model of forename, surname, birth date, sex and postcode, trained on the data
itself, scored pairs, a twin guard, and one-to-one links by Splink's single-best-links clustering.

Comparisons a careful analyst writes for English children's records:
- forename: exact; a direct nickname or variant (Oliver ↔ Ollie, from the `nicknames` list); Jaro-Winkler 0.92, 0.8;
- surname: exact; a shared part of a hyphenated or double-barrelled name; Jaro-Winkler 0.92, 0.8;
- birth date: exact; day and month transposed; one character keyed wrong; same year and month;
- postcode: exact (term-frequency adjusted); same district (a move within the area); sex: exact.
Twin guard: twins share surname, birth date, sex and postcode; only their forenames differ. Splink treats the fields
as independent evidence, so three agreements outweigh one disagreement and twin A in one source links to twin B in
the other. A pair that agrees on birth date and surname but whose forenames are unrelated (below Jaro-Winkler 0.92
and not variants) is therefore never linked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import os
import shutil
import tempfile

import numpy as np
import pandas as pd

from analysis.errors import UserError
from analysis.link import names

CSC, SEND = "csc_people", "send_people"
SCORED_COLUMNS = ["pers_person_id", "person_table_id", "match_weight", "match_probability", "twin_guard"]
DUCKDB_MEMORY = "4GB"  # DuckDB spills to a private temporary folder beyond this rather than failing
CHUNK_PEOPLE = 200_000  # predict in chunks of about this many people a side


@dataclasses.dataclass(frozen=True)
class Backend:
    """Where Splink runs: DuckDB in process, or Spark (`local[*]`, a cluster's master URL, or "existing" for the
    session already active in a research environment)."""

    name: str = "duckdb"
    spark_master: str = "local[*]"


def splink_frame(people: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """One side as Splink reads it: cleaned names with their variants and parts, the birth date as text."""
    dob = pd.to_datetime(people["dob"])
    return pd.DataFrame(
        {
            "unique_id": people[id_col].astype(str),
            "forename": people["forename"],
            "forename_variants": names.variants(people["forename"]),
            "surname": people["surname"],
            "surname_parts": people["surname_parts"],
            "dob": dob.dt.strftime("%Y-%m-%d").where(dob.notna(), None),
            "sex": people["sex"],
            "postcode": people["postcode"],
        }
    )


def settings():
    """The model: comparisons as the module docstring lists them, and blocking rules that between them catch a
    changed surname, a moved home and a mistyped birth date (each rule leaves one of those free)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    def name(col: str, related) -> cl.CustomComparison:
        levels = [cll.NullLevel(col), cll.ExactMatchLevel(col), related]
        levels += [cll.JaroWinklerLevel(col, 0.92), cll.JaroWinklerLevel(col, 0.8), cll.ElseLevel()]
        return cl.CustomComparison(levels, output_column_name=col)

    swapped = (
        "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
        "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)"
    )
    district = "substr(postcode_l, 1, length(postcode_l) - 3) = substr(postcode_r, 1, length(postcode_r) - 3)"
    return SettingsCreator(
        link_type="link_only",
        comparisons=[
            name("forename", cll.CustomLevel("array_contains(forename_variants_l, forename_r)", "known variant")),
            name("surname", cll.ArrayIntersectLevel("surname_parts", 1)),
            cl.CustomComparison(
                [
                    cll.NullLevel("dob"),
                    cll.ExactMatchLevel("dob"),
                    cll.CustomLevel(swapped, "day and month transposed"),
                    cll.DamerauLevenshteinLevel("dob", 1),
                    cll.CustomLevel("substr(dob_l, 1, 7) = substr(dob_r, 1, 7)", "same year and month"),
                    cll.ElseLevel(),
                ],
                output_column_name="dob",
            ),
            cl.ExactMatch("sex"),
            cl.CustomComparison(
                [
                    cll.NullLevel("postcode"),
                    cll.ExactMatchLevel("postcode", term_frequency_adjustments=True),
                    cll.CustomLevel(district, "same district"),
                    cll.ElseLevel(),
                ],
                output_column_name="postcode",
            ),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dob"),
            block_on("forename", "surname"),
            block_on("postcode"),
            block_on("forename", "substr(dob, 1, 7)"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def train(db, csc: pd.DataFrame, send: pd.DataFrame, seed: int):
    """A linker on both sides, trained on all people so that the exact matches teach it.

    Expectation maximisation runs twice, blocked on birth date and then on forename with surname, so that each
    comparison is estimated in one of the two sessions.
    """
    from splink import Linker, block_on

    linker = Linker(
        [
            db.register(splink_frame(csc, "pers_person_id"), dataset_display_name=CSC),
            db.register(splink_frame(send, "person_table_id"), dataset_display_name=SEND),
        ],
        settings(),
        log_level=logging.ERROR,
    )
    linker.training.estimate_probability_two_random_records_match([block_on("forename", "surname", "dob")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"))
    return linker


def score(linker, people: int) -> pd.DataFrame:
    """Every candidate pair the blocking rules make, scored, with the twin guard's verdict."""
    chunks = max(1, -(-people // CHUNK_PEOPLE))
    pred = linker.inference.predict(
        threshold_match_probability=0.001, num_chunks_left=chunks, num_chunks_right=chunks
    ).as_pandas_dataframe()
    left_is_csc = pred["source_dataset_l"] == CSC
    return pd.DataFrame(
        {
            "pers_person_id": np.where(left_is_csc, pred["unique_id_l"], pred["unique_id_r"]),
            "person_table_id": np.where(left_is_csc, pred["unique_id_r"], pred["unique_id_l"]),
            "match_weight": pred["match_weight"].astype(float),
            "match_probability": pred["match_probability"].astype(float),
            "twin_guard": twin_guard(pred),
        },
        columns=SCORED_COLUMNS,
    )


def twin_guard(pred: pd.DataFrame) -> np.ndarray:
    """True where a pair looks like two siblings born together: the same birth date and surname (or a surname part)
    but forenames that are neither equal, variants nor close (the two Jaro-Winkler levels and below)."""
    # gamma levels count up from the else level (0): forename and surname 1 JW 0.8, 2 JW 0.92, 3 variant or shared
    # part, 4 exact; birth date 4 exact
    unrelated = pred["gamma_forename"].to_numpy() <= 1
    same_dob = pred["gamma_dob"].to_numpy() == 4
    same_surname = pred["gamma_surname"].to_numpy() >= 3
    return unrelated & same_dob & same_surname


def single_best_links(linker, db, edges: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """One-to-one links among the given scored pairs by Splink's single-best-links clustering: a pair links when
    each is the other's best remaining match at or above the threshold, so B–Y survives A taking X."""
    empty = pd.DataFrame(columns=["pers_person_id", "person_table_id"])
    edges = edges[edges["match_probability"] >= threshold]
    if edges.empty:
        return empty
    table = db.register(
        pd.DataFrame(
            {
                "unique_id_l": edges["pers_person_id"].astype(str),
                "source_dataset_l": CSC,
                "unique_id_r": edges["person_table_id"].astype(str),
                "source_dataset_r": SEND,
                "match_probability": edges["match_probability"].astype(float),
            }
        ),
        table_name=f"__edges_{next(_tables)}",
    )
    clusters = linker.clustering.cluster_using_single_best_links(
        table, duplicate_free_datasets=[CSC, SEND], threshold_match_probability=threshold
    ).as_pandas_dataframe()
    clusters = clusters[clusters.groupby("cluster_id")["unique_id"].transform("size") == 2]
    side = clusters.pivot(index="cluster_id", columns="source_dataset", values="unique_id")
    if side.empty:
        return empty
    return pd.DataFrame({"pers_person_id": side[CSC].to_numpy(), "person_table_id": side[SEND].to_numpy()})


_tables = itertools.count()


@contextlib.contextmanager
def resolver(csc: pd.DataFrame, send: pd.DataFrame, edges: pd.DataFrame):
    """A function (edges, threshold) -> one-to-one links, on a small in-process DuckDB holding only the people the
    edges name: the clustering reads every node of its linker, and scored people are a small share of everyone (at
    500,000 children, clustering on everyone took 6 of the linkage's 12 seconds)."""
    from splink import Linker

    csc = csc[csc["pers_person_id"].astype(str).isin(edges["pers_person_id"].astype(str))]
    send = send[send["person_table_id"].astype(str).isin(edges["person_table_id"].astype(str))]
    if csc.empty or send.empty:
        yield lambda e, t: pd.DataFrame(columns=["pers_person_id", "person_table_id"])
        return
    with database(Backend()) as db:
        linker = Linker(
            [
                db.register(splink_frame(csc, "pers_person_id"), dataset_display_name=CSC),
                db.register(splink_frame(send, "person_table_id"), dataset_display_name=SEND),
            ],
            settings(),
            log_level=logging.ERROR,
        )
        yield lambda e, t: single_best_links(linker, db, e, t)


@contextlib.contextmanager
def database(backend: Backend):
    """Splink's database: DuckDB in process with a memory limit and a private spill folder, or Spark."""
    if backend.name == "spark":
        with _spark(backend.spark_master) as api:
            yield api
        return
    import duckdb
    from splink import DuckDBAPI

    with tempfile.TemporaryDirectory(prefix="adversity-report-duckdb-") as scratch:
        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        con.execute(f"SET temp_directory = '{scratch}'")
        try:
            yield DuckDBAPI(con)
        finally:
            con.close()


@contextlib.contextmanager
def _spark(master: str):
    """Spark: a local session (all cores) with Splink's similarity UDFs, a cluster given by its master URL, or the
    session already active ("existing"), which is left running.

    A local session writes intermediate tables (identifiers included) to a private temporary folder that is removed,
    with the session, when linkage ends. On a cluster, where those tables go is the cluster's configuration.
    """
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import SparkAPI, similarity_jar_location
    except ImportError:
        raise UserError(
            "linkage.backend is spark, but PySpark is not installed: run `make spark` (Spark also needs Java 17 or "
            "later), or set linkage.backend: duckdb."
        ) from None
    if master == "existing":
        spark = SparkSession.getActiveSession()
        if spark is None:
            raise UserError("linkage.spark_master is existing, but no Spark session is active in this process.")
        yield SparkAPI(spark_session=spark)
        return
    if master.startswith("local") and shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        raise UserError(
            "linkage.backend is spark, but no Java runtime was found (Spark needs Java 17 or later): "
            "install one, or set linkage.backend: duckdb."
        )
    with tempfile.TemporaryDirectory(prefix="adversity-report-spark-") as scratch:
        builder = SparkSession.builder.master(master).appName("adversity-report-linkage")
        builder = builder.config("spark.jars", similarity_jar_location()).config(
            "spark.ui.showConsoleProgress", "false"
        )
        if master.startswith("local"):
            builder = (
                builder.config("spark.sql.shuffle.partitions", str(4 * (os.cpu_count() or 1)))
                .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
                .config("spark.local.dir", scratch)
                .config("spark.ui.enabled", "false")
            )
        spark = builder.getOrCreate()
        try:
            spark.sparkContext.setLogLevel("ERROR")
            if master.startswith("local"):
                spark.sparkContext.setCheckpointDir(os.path.join(scratch, "checkpoints"))
            yield SparkAPI(spark_session=spark)
        finally:
            spark.stop()
