"""The prepared study: everything the chapters read, saved once per run and cached by a hash of
(extract, parameters, code). Chapters open it through `analysis.preview`; they never touch the extract.

Each section a chapter reads is a small dataclass, so a chapter names the fields it uses (`study.linkage.recall`)
and a typo fails at once rather than in the rendered prose. `measures` stays a mapping: it is `measures.json`, the
published contract other tools read, and is written out exactly as built.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import types
import typing
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.derive.national import NationalContext
from analysis.privacy.protect import Audit

log = logging.getLogger("adversity_report")


@dataclasses.dataclass(frozen=True)
class ValidationCounts:
    errors: int
    warnings: int


@dataclasses.dataclass(frozen=True)
class LeadTime:
    """Years from first documented adversity to the request (median and quartiles), over `n` children."""

    median: float
    q1: float
    q3: float
    n: int


@dataclasses.dataclass(frozen=True)
class LinkageQuality:
    """Linkage quality as published in linkage.json (counts disclosure-controlled)."""

    match_rate: float | str
    send_people: int | str
    csc_people: int | str
    linked: int | str
    expected_precision: float | None
    probabilistic_pass: str
    precision: float | None = None
    recall: float | None = None
    recall_under_5: float | None = None
    recall_5_plus: float | None = None
    recall_under_5_at_request: float | None = None
    recall_5_plus_at_request: float | None = None
    estimated_recall: dict | None = None  # from the UPN gold subset: value, interval, by age band (error.py)
    threshold_sweep: list | None = None  # links, expected precision and recall without a UPN at each threshold


@dataclasses.dataclass(frozen=True)
class ComparisonInfo:
    """The landmark comparison: whether it could be made (it needs a resident population), and the facts the chapter
    states beside its tables."""

    available: bool
    why_not: str | None
    landmark_age: int
    horizon_age: int
    eligible: int | str | None
    adjusted_for: list[str]
    followed_to_horizon: int | str | None = None


@dataclasses.dataclass(frozen=True)
class Limitations:
    """What the data themselves say about the limits of the analysis."""

    median_years_csc_data: float | None
    share_under_5_years_csc_data: float | None
    share_not_observed_from_birth: float | None
    records_start: str
    records_note: str | None = None  # what the extract says about the records-start date


@dataclasses.dataclass(frozen=True)
class AdversitySources:
    """How adversity was found: whether case notes and a manual review were supplied, the lexicon the case-note
    coder used (its file name, domains and words), and which instruments each domain rests on (by label)."""

    notes_supplied: bool
    review_supplied: bool
    lexicon: str | None  # file name of the lexicon in use, when notes were coded
    lexicon_domains: int
    lexicon_terms: int  # terms and abbreviations, over every domain
    instruments: dict[str, list[str]]  # domain label -> "coded records", "manual case review", "case notes (coder)"
    agreement_domains: int  # domains the review and the coder were compared on


@dataclasses.dataclass(frozen=True)
class Costs:
    """The cost of need for children with early adversity; `table` is the cost table (pandas split form)."""

    children: int | str
    suppressed: bool
    table: dict | None
    currency: str
    file: str


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """A rule that held: its text is a template citing measures by name, worded by `report.narrative`."""

    id: str
    title: str
    text: str
    measure: str
    status: str = "fired"  # fired, not fired (the interval does not clear the comparator) or not assessable


@dataclasses.dataclass(frozen=True)
class Provenance:
    extract_fingerprint: str
    extract_files: list[dict]
    code_version: str
    python: str
    packages: dict[str, str]
    prepared_at: str


_WHY_NOT = {
    "not fired": "evidence not clear of chance",
    "not assessable": "a measure it needs was suppressed or not computed",
}
SWEEP_COLUMNS = {  # linkage.json's threshold sweep, as the data-quality page and its CSV name the columns
    "threshold": "Match probability threshold",
    "links": "Probabilistic links",
    "expected_precision": "Expected precision",
    "recall_without_upn": "Recall without UPN (gold pairs)",
    "wrong_link_rate": "Wrong links (gold pairs)",
}


@dataclasses.dataclass
class Study:
    params: dict  # the run parameters as plain values (no secrets are ever held there)
    measures: dict  # measures.json
    lead_time: LeadTime
    linkage: LinkageQuality
    linkage_model: dict | None
    exclusions: dict[str, int]
    comparison: ComparisonInfo
    recommendations: list[Recommendation]
    validation: ValidationCounts
    provenance: Provenance
    limitations: Limitations
    costs: Costs | None
    cohort: pd.DataFrame
    child_events: pd.DataFrame
    tables: dict[str, pd.DataFrame]  # published, disclosure-controlled
    folder: Path | None = None  # where the study was loaded from
    excluded: pd.DataFrame | None = None  # pseudonymised children left out of the cohort (internal edition only)
    disclosure: Audit | None = None  # what disclosure control hid and why; recoverable cells refuse the build
    ledger: dict[str, int] | None = None  # every published count by key, for the next edition's attacker
    national: NationalContext | None = None  # beside England, region and neighbours (`national_data`)
    adversity_sources: AdversitySources | None = None  # codes, review, case notes: which domain rests on which

    @property
    def internal(self) -> bool:
        return self.params["edition"] == "internal"

    @property
    def fired(self) -> list[Recommendation]:  # the recommendations whose evidence was clear of chance
        return [r for r in self.recommendations if r.status == "fired"]

    def page_tables(self) -> dict[str, pd.DataFrame]:
        """The tables a page shows that are not published statistics (see `page_tables`)."""
        return page_tables(self)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)  # and its tables/ (`save_tables`)
        info = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name in _INFO}
        (folder / "study.json").write_text(json.dumps(info, indent=1, sort_keys=True, default=str))
        self.cohort.to_parquet(folder / "cohort.parquet", index=False)
        self.child_events.to_parquet(folder / "child_events.parquet", index=False)
        if self.excluded is not None:
            self.excluded.to_parquet(folder / "excluded.parquet", index=False)
        save_tables(self.tables, folder / "tables")

    @classmethod
    def load(cls, folder: str | Path) -> Study:
        folder = Path(folder)
        info = json.loads((folder / "study.json").read_text())
        hints = typing.get_type_hints(cls)
        sections = {name: _typed(hints[name], info[name]) for name in _INFO if name in info}  # a later field: default
        excluded = folder / "excluded.parquet"
        return cls(
            **sections,
            cohort=pd.read_parquet(folder / "cohort.parquet"),
            child_events=pd.read_parquet(folder / "child_events.parquet"),
            tables=load_tables(folder / "tables"),
            folder=folder,
            excluded=pd.read_parquet(excluded) if excluded.is_file() else None,
        )


def page_tables(study: Study) -> dict[str, pd.DataFrame]:
    """The tables a page shows that are not statistics about children (how the report was made), so that every
    table on the site has its CSV: the run parameters, the extract's files, the software, the threshold sweep."""
    prov, sources = study.provenance, study.adversity_sources
    sweep = pd.DataFrame(study.linkage.threshold_sweep or [], columns=list(SWEEP_COLUMNS)).rename(columns=SWEEP_COLUMNS)
    return {
        "run_parameters": pd.DataFrame(study.params.items(), columns=["Parameter", "Value"]).astype(str),
        "extract_files": pd.DataFrame(prov.extract_files),
        "software": pd.DataFrame([("python", prov.python), *prov.packages.items()], columns=["Package", "Version"]),
        "linkage_threshold_sweep": sweep,
        "rules_not_applied": pd.DataFrame(
            [(r.title, _WHY_NOT[r.status]) for r in study.recommendations if r.status != "fired"],
            columns=["Rule", "Why it did not apply"],
        ),
        **({"costs": pd.DataFrame(**study.costs.table)} if study.costs and study.costs.table else {}),
        "adversity_instruments": pd.DataFrame(
            [(d, ", ".join(found)) for d, found in (sources.instruments.items() if sources else [])],
            columns=["Domain", "Found in"],
        ),
    }


_FRAMES = {"cohort", "child_events", "tables", "folder", "excluded"}
_INFO = tuple(f.name for f in dataclasses.fields(Study) if f.name not in _FRAMES)


def _plain(value):
    """A section as JSON-ready values."""
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _typed(hint, value):
    """A JSON section back as its dataclass (or list of them); plain values as they are."""
    if value is None:
        return None
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _typed(args[0], value)
    if origin is list and args and dataclasses.is_dataclass(args[0]):
        return [args[0](**v) for v in value]
    if dataclasses.is_dataclass(hint):
        return hint(**value)
    return value


def save_tables(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Published tables as JSON (split form, full float precision), one file each."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, t in tables.items():
        t.to_json(folder / f"{name}.json", orient="split", index=False, double_precision=15)


def load_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        p.stem: pd.read_json(p, orient="split", convert_dates=False, precise_float=True)
        for p in sorted(folder.glob("*.json"))
    }


def fingerprint(files: list[Path], root: Path | None = None) -> str:
    """A hash of the files' names (relative to `root`, or bare) and contents."""
    h = hashlib.sha256()
    for p in sorted(files):
        h.update((p.relative_to(root).as_posix() if root else p.name).encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def code_version() -> str:
    """A hash of the runtime package (every module, recursively): any change to it invalidates cached studies.
    Tools and tests live outside the package, so editing them keeps the caches."""
    return fingerprint(sorted(paths.PACKAGE.rglob("*.py")), root=paths.PACKAGE)[:16]


def cached(key: str, make: Callable[[], Study], cache: Path = paths.CACHE) -> Study:
    """The study saved under `cache/key`, made (and saved, atomically) when there is none."""
    folder = cache / key
    if (folder / "study.json").is_file():
        log.info("Using the cached study %s", folder.name)
        return Study.load(folder)
    study = make()
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    study.save(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return Study.load(folder)
