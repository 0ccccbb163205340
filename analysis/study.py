"""The prepared study: everything the chapters read, saved once per run and cached by a hash of
(extract, parameters, code). Chapters call `open_study`; they never touch the extract.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SAMPLE_EXTRACT = REPO / "data_templates" / "sample_extract"
EXAMPLE_PARAMS = REPO / "data_templates" / "params.example.yml"
CACHE = REPO / "_build" / "cache"


@dataclasses.dataclass
class Study:
    info: dict  # params, measures, flow, linkage, validation, comparison, recommendations, provenance
    cohort: pd.DataFrame
    child_events: pd.DataFrame
    tables: dict[str, pd.DataFrame]  # published, disclosure-controlled
    folder: Path | None = None  # where the study was loaded from
    excluded: pd.DataFrame | None = None  # pseudonymised children left out of the cohort (internal edition only)

    @property
    def params(self) -> dict:
        return self.info["params"]

    @property
    def measures(self) -> dict:
        return self.info["measures"]

    @property
    def internal(self) -> bool:
        return self.params["edition"] == "internal"

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tables").mkdir(exist_ok=True)
        (folder / "study.json").write_text(json.dumps(self.info, indent=1, sort_keys=True, default=str))
        self.cohort.to_parquet(folder / "cohort.parquet", index=False)
        self.child_events.to_parquet(folder / "child_events.parquet", index=False)
        if self.excluded is not None:
            self.excluded.to_parquet(folder / "excluded.parquet", index=False)
        for name, t in self.tables.items():
            t.to_json(folder / "tables" / f"{name}.json", orient="split", index=False, double_precision=15)

    @classmethod
    def load(cls, folder: str | Path) -> "Study":
        folder = Path(folder)
        info = json.loads((folder / "study.json").read_text())
        tables = {p.stem: pd.read_json(p, orient="split", convert_dates=False, precise_float=True)
                  for p in sorted((folder / "tables").glob("*.json"))}
        return cls(info, pd.read_parquet(folder / "cohort.parquet"),
                   pd.read_parquet(folder / "child_events.parquet"), tables, folder,
                   pd.read_parquet(folder / "excluded.parquet") if (folder / "excluded.parquet").is_file() else None)


def fingerprint(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def code_version() -> str:
    """A hash of the analysis package and the YAML rules it reads: any change invalidates cached studies."""
    files = sorted((REPO / "analysis").glob("*.py")) + sorted((REPO / "data_templates").glob("*.yml"))
    return fingerprint(files)[:16]


def open_study(study_dir: str | None = None) -> Study:
    """The study a chapter reads: the run's study folder, or (for nbval and previews) the committed sample."""
    if study_dir:
        return Study.load(study_dir)
    from analysis import pipeline  # deferred: the pipeline imports this module

    params = pipeline.load_params(EXAMPLE_PARAMS)
    return pipeline.prepare_cached(params, SAMPLE_EXTRACT)
