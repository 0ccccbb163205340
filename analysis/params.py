"""Run parameters: one YAML file, validated into a frozen dataclass.

Relative paths in the file are resolved against the current working directory (where `make` runs).
The hashing key is never a parameter: see `analysis.pseudonymise`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from analysis.errors import UserError

SOURCE_KINDS = ("ssd", "returns", "templates")
EDITIONS = ("public", "internal")
FORBIDDEN_KEYS = {"key", "hash_key", "hashing_key", "salt", "secret", "password"}


@dataclasses.dataclass(frozen=True)
class RunParams:
    """Everything that shapes one run of the report."""

    la_name: str
    la_code: str
    study_start: dt.date
    study_end: dt.date
    extract: Path | None = None
    source_kind: str = "ssd"
    index_event: str = "first_ehcna_request"
    age_threshold: int = 5
    edition: str = "public"
    disclosure_threshold: int = 10
    match_threshold: float = 0.9
    linkage_backend: str = "duckdb"
    synthetic: bool = False  # set from the extract (a SYNTHETIC marker that `synth` writes), never from the file
    spark_master: str = "local[*]"  # or a cluster's master URL, or "existing" for the active session
    out: Path = Path("_build/report")
    unit_costs: Path | None = None  # YAML of unit costs for the cost chapter (each with its source and year)
    earliest_birth: dt.date | None = None  # births before this are errors (default: 25 years before the extract)
    records_start: dt.date | None = None  # when social care records begin (default: the study window's start)
    horizon_age: int | None = None  # the age at which the landmark comparison sets risks side by side
    previous_edition: Path | None = None  # the last public edition's output folder: its ledger is attacked too
    national_data: Path | None = None  # a folder of DfE Explore Education Statistics files (national chapter)
    statistical_neighbours: tuple[str, ...] = ()  # authorities' codes (931 or E10000025) to compare with
    pdf: bool = True  # print the whole report to OUT/report.pdf (needs Debian's Chromium)
    contact: str | None = None  # a team's name or mailbox for the Summary and the briefing, never a person's
    statistics_status: str | None = None  # e.g. "Official statistics in development"; default: management information

    def as_public_dict(self) -> dict[str, Any]:
        """Parameters as plain values for the provenance page (no secrets are ever held here)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.isoformat() if isinstance(v, dt.date) else (str(v) if isinstance(v, Path) else v)
            if isinstance(v, tuple):
                out[f.name] = list(v)
        if not self.spark_master.startswith("local"):  # an internal host name is not for a public page
            out["spark_master"] = "a cluster (its address is not published)"
        return out


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise UserError(f"{where}: '{value}' is not a date; write it as YYYY-MM-DD.") from None


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserError(f"{where}: '{value}' must be a whole number from {low} to {high}.")
    return value


def load_params(path: str | Path) -> RunParams:
    """Read and validate a parameters file; every problem names the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"Parameters file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({exc}).") from None
    if not isinstance(raw, dict):
        raise UserError(f"{path}: expected a mapping of keys to values at the top level.")
    return params_from_dict(raw, str(path))


KNOWN_KEYS = (
    "la_name",
    "la_code",
    "extract",
    "source_kind",
    "study_window",
    "index_event",
    "age_threshold",
    "edition",
    "disclosure",
    "linkage",
    "out",
    "unit_costs",
    "earliest_birth",
    "records_start",
    "horizon_age",
    "previous_edition",
    "national_data",
    "statistical_neighbours",
    "pdf",
    "contact",
    "statistics_status",
)
NO_ROUNDING = (
    "disclosure.rounding_base is no longer a parameter: every published number is now checked by an attacker that "
    "tries to recover each hidden count by differencing (see Methods), and cells are hidden until it cannot. Rounding "
    "counts while shares and intervals are computed from the exact counts would protect nothing (a share times its "
    "denominator gives the count back). Remove rounding_base from the parameters."
)


def params_from_dict(raw: dict[str, Any], source: str = "parameters") -> RunParams:
    """Validate a mapping (as read from YAML) into RunParams."""
    _check_keys(raw, source)
    start, end = _window(raw, source)
    disclosure, linkage = _section(raw, "disclosure", source), _section(raw, "linkage", source)
    if disclosure.get("rounding_base") is not None:
        raise UserError(f"{source}: {NO_ROUNDING}")
    return RunParams(
        la_name=str(raw["la_name"]),
        la_code=_la_code(raw["la_code"], source),
        study_start=start,
        study_end=end,
        extract=Path(raw["extract"]) if raw.get("extract") else None,
        source_kind=_choice(raw, "source_kind", SOURCE_KINDS, source),
        index_event=_choice(raw, "index_event", ("first_ehcna_request",), source),
        age_threshold=_int(raw.get("age_threshold", 5), f"{source}: age_threshold", 1, 17),
        edition=_choice(raw, "edition", EDITIONS, source),
        disclosure_threshold=_threshold(
            disclosure.get("threshold", 10), _choice(raw, "edition", EDITIONS, source), source
        ),
        match_threshold=_probability(linkage.get("match_threshold", 0.9), f"{source}: linkage.match_threshold"),
        linkage_backend=_choice(linkage, "backend", ("duckdb", "spark"), f"{source}: linkage"),
        spark_master=_spark_master(linkage, source),
        out=Path(raw.get("out", "_build/report")),
        unit_costs=Path(raw["unit_costs"]) if raw.get("unit_costs") else None,
        earliest_birth=_date(raw["earliest_birth"], f"{source}: earliest_birth") if raw.get("earliest_birth") else None,
        records_start=_records_start(raw, start, end, source),
        horizon_age=_horizon(raw, source),
        previous_edition=Path(raw["previous_edition"]) if raw.get("previous_edition") else None,
        national_data=_national_data(raw, source),
        statistical_neighbours=_neighbours(raw, source),
        pdf=_flag(raw, "pdf", True, source),
        contact=_text(raw, "contact", source),
        statistics_status=_text(raw, "statistics_status", source),
    )


def _flag(raw: dict[str, Any], key: str, default: bool, source: str) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise UserError(f"{source}: {key}: '{value}' must be true or false.")
    return value


def _text(raw: dict[str, Any], key: str, source: str, limit: int = 200) -> str | None:
    """A short line of text for the published pages (it is escaped there), or None."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit or "\n" in value.strip():
        raise UserError(f"{source}: {key}: give one line of text of at most {limit} characters.")
    return value.strip()


SPARK_MASTERS = re.compile(r"^(local(\[(\*|\d+)\])?|existing|yarn|(spark|k8s|mesos)://[^@\s]+)$")


def _spark_master(linkage: dict, source: str) -> str:
    """Where Spark runs: local (the default), a cluster's master URL, or the active session. Never credentials."""
    master = str(linkage.get("spark_master", "local[*]"))
    if not SPARK_MASTERS.match(master):
        raise UserError(
            f"{source}: linkage.spark_master is {master!r}: give local[*], local[N], yarn, existing (the Spark session "
            "already running in this process), or a master URL such as spark://host:7077, without user names or "
            "passwords (a cluster's credentials belong in its own configuration, not in the parameters)."
        )
    return master


def _check_keys(raw: dict[str, Any], source: str) -> None:
    """No secrets, no unknown keys, every required key."""
    secret = FORBIDDEN_KEYS & {k.lower() for k in _walk_keys(raw)}
    if secret:
        raise UserError(
            f"{source}: '{sorted(secret)[0]}' looks like a secret. The hashing key must not be in the parameters file; "
            "set ADVERSITY_REPORT_KEY or ADVERSITY_REPORT_KEY_FILE instead."
        )
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    if unknown:
        raise UserError(f"{source}: unknown key '{unknown[0]}'. Known keys: {', '.join(sorted(KNOWN_KEYS))}.")
    for required in ("la_name", "la_code", "study_window"):
        if required not in raw:
            raise UserError(f"{source}: the required key '{required}' is missing.")


PUBLIC_MIN_THRESHOLD = 5  # below this, a published count could point at a handful of children
LA_CODE = re.compile(r"^(\d{3}|E\d{8})$")


def _threshold(value: Any, edition: str, source: str) -> int:
    """The disclosure threshold: a public edition may not go below PUBLIC_MIN_THRESHOLD."""
    low = PUBLIC_MIN_THRESHOLD if edition == "public" else 1
    if edition == "public" and isinstance(value, int) and not isinstance(value, bool) and 1 <= value < low:
        raise UserError(
            f"{source}: disclosure.threshold {value} is too low for a public edition (at least {low}); a lower "
            "threshold is only for the internal edition, which is never published."
        )
    return _int(value, f"{source}: disclosure.threshold", low, 100)


def _la_code(value: Any, source: str) -> str:
    """The authority's code: the old three-digit DfE code (e.g. 931) or the GSS code (e.g. E10000024)."""
    code = str(value).strip()
    if not LA_CODE.match(code):
        raise UserError(f"{source}: la_code '{value}' must be a three-digit DfE code (931) or a GSS code (E10000024).")
    return code


def _national_data(raw: dict[str, Any], source: str) -> Path | None:
    """The folder of national statistics files (Explore Education Statistics), if any: it must exist."""
    if not raw.get("national_data"):
        return None
    folder = Path(raw["national_data"])
    if not folder.is_dir():
        raise UserError(
            f"{source}: national_data: the folder {folder} was not found; give the folder holding the CSV files "
            "downloaded from Explore Education Statistics, or leave national_data out."
        )
    return folder


def _neighbours(raw: dict[str, Any], source: str) -> tuple[str, ...]:
    """Statistical neighbours: a list of authority codes, each a three-digit DfE code or a GSS code."""
    value = raw.get("statistical_neighbours") or []
    if isinstance(value, (str, int)) or not isinstance(value, list):
        raise UserError(
            f'{source}: statistical_neighbours must be a list of authority codes, such as ["825", "E10000032"].'
        )
    codes = []
    for item in value:
        code = str(item).strip()
        if not LA_CODE.match(code):
            raise UserError(
                f"{source}: statistical_neighbours: '{item}' must be a three-digit DfE code (931) or a GSS code "
                "(E10000025); write it in quotes so that a code such as 001 keeps its zeros."
            )
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _records_start(raw: dict[str, Any], start: dt.date, end: dt.date, source: str) -> dt.date:
    """When the authority's social care records begin: the study window's start unless said otherwise."""
    if not raw.get("records_start"):
        return start
    records = _date(raw["records_start"], f"{source}: records_start")
    if records >= end:
        raise UserError(f"{source}: records_start ({records}) must be before study_window.end ({end}).")
    return records


def _horizon(raw: dict[str, Any], source: str) -> int:
    """The horizon age of the landmark comparison: three years after the age threshold unless said otherwise."""
    age = _int(raw.get("age_threshold", 5), f"{source}: age_threshold", 1, 17)
    return _int(raw.get("horizon_age", age + 3), f"{source}: horizon_age", age + 1, 25)


def _window(raw: dict[str, Any], source: str) -> tuple[dt.date, dt.date]:
    window = raw["study_window"]
    if not isinstance(window, dict) or not {"start", "end"} <= set(window):
        raise UserError(f"{source}: study_window needs 'start' and 'end' dates.")
    start = _date(window["start"], f"{source}: study_window.start")
    end = _date(window["end"], f"{source}: study_window.end")
    if start >= end:
        raise UserError(f"{source}: study_window.start ({start}) must be before study_window.end ({end}).")
    return start, end


def _section(raw: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    """A nested mapping such as `disclosure:`; absent or empty is an empty mapping."""
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise UserError(f"{source}: '{key}' must be a mapping of settings (such as threshold: 10), not '{value}'.")
    return value


DEFAULTS = {"source_kind": "ssd", "index_event": "first_ehcna_request", "edition": "public", "backend": "duckdb"}


def _choice(raw: dict[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str:
    value = raw.get(key, DEFAULTS[key])
    if value not in allowed:
        raise UserError(f"{where}: {key} '{value}' must be one of {', '.join(allowed)}.")
    return value


def _probability(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < float(value) < 1:
        raise UserError(f"{where}: '{value}' must be a probability between 0 and 1.")
    return float(value)


def _walk_keys(obj: Any):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from _walk_keys(v)
