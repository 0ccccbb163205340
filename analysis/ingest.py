"""Read an extract folder into raw string tables, one per contract table, remembering where each row came from.

CSV (UTF-8, UTF-8 with BOM or Windows-1252) and Parquet are read here; typing and checks happen in `validate`.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pandas as pd

from analysis import schema
from analysis.errors import UserError

ENCODINGS = ("utf-8-sig", "cp1252")


@dataclasses.dataclass
class RawTable:
    name: str
    path: Path
    frame: pd.DataFrame  # every value a stripped string or <NA>; column "_row" holds the line number in the file


def _read_csv(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    if not data.strip():
        raise UserError(f"{path}: the file is empty; it needs at least a header row.")
    for enc in ENCODINGS:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise UserError(f"{path}: the file is neither UTF-8 nor Windows-1252 text.")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.ParserError as exc:
        raise UserError(f"{path}: cannot be read as CSV ({exc}).") from None
    return frame


def _clean(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    frame = frame.astype("string").apply(lambda s: s.str.strip()).replace("", pd.NA)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.insert(0, "_row", range(first_row, first_row + len(frame)))
    return frame


def read_extract(folder: str | Path) -> dict[str, RawTable]:
    """Read every contract table found in `folder`. A missing required table is a user error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"Extract folder not found: {folder}")
    tables: dict[str, RawTable] = {}
    for table in schema.TABLES:
        csv, parquet = folder / f"{table.name}.csv", folder / f"{table.name}.parquet"
        if csv.is_file():
            tables[table.name] = RawTable(table.name, csv, _clean(_read_csv(csv), first_row=2))
        elif parquet.is_file():
            frame = pd.read_parquet(parquet).astype("string")
            tables[table.name] = RawTable(table.name, parquet, _clean(frame, first_row=1))
        elif not table.optional:
            raise UserError(
                f"{folder}: the required table '{table.name}' is missing (expected {table.name}.csv or "
                f"{table.name}.parquet). See data_templates/data_dictionary.md."
            )
    return tables
