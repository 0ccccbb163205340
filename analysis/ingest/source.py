"""An extract of any source kind, read and checked: the ingest stage's entry point.

The statutory returns (CIN census and SEN2 XML) come through `returns`, every other table through `files`; both
give raw text tables that `validate` types and checks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.ingest import returns, validate
from analysis.ingest.files import RawTable, problem, read_extract

SYNTHETIC_MARKER = "SYNTHETIC"  # a file `synth` writes beside the tables of every extract it makes


def is_synthetic(extract_dir: Path) -> bool:
    """Whether the extract was made by `synth` (so its pages say so, and its example costs may stand)."""
    return (Path(extract_dir) / SYNTHETIC_MARKER).is_file()


def read_source(folder: str | Path, source_kind: str = "ssd") -> tuple[dict[str, RawTable], list[dict]]:
    """Read an extract of any source kind: the statutory returns (CIN census and SEN2 XML, with any tables the
    returns cannot carry given as CSV, XLSX or Parquet beside them) or SSD-shaped tables and templates.

    A table the returns leave empty (contacts and looked-after episodes are not in the census) is taken from a
    file beside them; a table both fill is an error naming both, never a silent choice.
    Returns the raw tables and the problems found while reading XML (each a validation problem row).
    """
    folder = Path(folder)
    xml, problems = {}, []
    if source_kind == "returns" or (folder.is_dir() and any(p.suffix.lower() == ".xml" for p in folder.iterdir())):
        xml, problems = returns.read_returns(folder)
    tables = read_extract(folder)
    for name, raw in xml.items():
        if name not in tables:
            tables[name] = raw
        elif not raw.frame.empty:
            files = f"{tables[name].path.name}, {raw.path.name}"
            rule = f"more than one source for table {name}: {tables[name].path.name} and the return {raw.path.name}"
            raw.problems += [problem(name, files, "", "", "", f"{rule}; keep only one"), *tables[name].problems]
            tables[name] = raw
    return tables, problems


def check_extract(
    extract_dir: Path,
    extract_date: pd.Timestamp | None = None,
    source_kind: str = "ssd",
    earliest_birth: pd.Timestamp | None = None,
) -> validate.ValidationResult:
    """Ingest and validate; the result holds typed tables and every problem found. `earliest_birth` is the earliest
    plausible birth date (by default 25 years before the extract date)."""
    raw, read_problems = read_source(extract_dir, source_kind)
    return validate.validate(raw, extract_date, read_problems, earliest_birth)


def extract_files(extract_dir: Path) -> list[Path]:
    """The files of an extract folder that can hold tables (for fingerprints and provenance); folders and broken
    links with such names are not files (reading them is `read_extract`'s to refuse)."""
    kinds = (".csv", ".parquet", ".xlsx", ".xml")
    return sorted(p for p in Path(extract_dir).iterdir() if p.suffix in kinds and p.is_file())
