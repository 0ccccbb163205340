"""Read an extract folder into raw string tables, one per contract table, remembering where each row came from.

Each table may come as `<table>.csv` (UTF-8, UTF-8 with BOM or Windows-1252), `<table>.parquet`, `<table>.xlsx`
(first sheet), or as a sheet named after the table in any workbook in the folder (such as a filled-in
`extract_template.xlsx`). Typing and checks happen in `validate`.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis.contract import schema
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
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:1000]:
        raise UserError(f"{path}: the file looks like UTF-16 text; save it as CSV in UTF-8 (or Windows-1252).")
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


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column as text, as the CSV route would give it: dates as yyyy-mm-dd (with the time only when there is one)."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    if pa.types.is_timestamp(column.type):
        if pc.all(pc.equal(pc.floor_temporal(column, unit="day"), column)).as_py() is not False:
            return pc.cast(pc.cast(column, pa.date32()), pa.string())
        seconds = pc.cast(column, pa.timestamp("s", tz=column.type.tz), safe=False)  # %S would add fractions
        return pc.strftime(seconds, format="%Y-%m-%d %H:%M:%S")
    return pc.cast(column, pa.string())


def _clean(table: pa.Table | pd.DataFrame, first_row: int) -> pd.DataFrame:
    """Every value as stripped text, blanks as <NA>, and the row number in the file in `_row` (done in Arrow: the
    per-value string functions of pandas take seconds per million rows)."""
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table.astype(object), preserve_index=False)
    columns = []
    for column in table.columns:
        text = pc.utf8_trim_whitespace(_as_text(column).cast(pa.string()))
        columns.append(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text))
    frame = pa.table(columns, names=[str(c).strip() for c in table.column_names]).to_pandas(
        types_mapper={pa.string(): pd.StringDtype()}.get
    )
    frame.insert(0, "_row", range(first_row, first_row + len(frame)))
    return frame


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise UserError(f"{path}: cannot be read as Parquet ({type(exc).__name__}: {exc}).") from None


def _workbook_sheets(path: Path) -> list[str]:
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            return list(book.sheet_names)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise UserError(
            f"{path}: cannot be read as an Excel workbook; is it truncated or not really .xlsx? "
            f"({type(exc).__name__}: {exc})"
        ) from None


def _read_sheet(path: Path, sheet: str | int) -> pd.DataFrame:
    try:
        frame = pd.read_excel(
            path, sheet_name=sheet, dtype=str, engine="openpyxl", keep_default_na=False, na_filter=False
        )
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise UserError(f"{path}: sheet '{sheet}' cannot be read ({type(exc).__name__}: {exc}).") from None
    return frame.loc[:, [not str(c).startswith("Unnamed:") for c in frame.columns]]


def read_extract(folder: str | Path, provided: set[str] = frozenset()) -> dict[str, RawTable]:
    """Read every contract table found in `folder`. A missing required table is a user error, unless another
    source (`provided`, e.g. the XML returns) supplies it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"Extract folder not found: {folder}")
    sheets = {}  # table name -> workbook holding a sheet of that name
    for book in sorted(folder.glob("*.xlsx")):
        if book.stem not in schema.TABLE:
            for sheet in _workbook_sheets(book):
                if sheet in schema.TABLE:
                    sheets.setdefault(sheet, book)
    tables: dict[str, RawTable] = {}
    for table in schema.TABLES:
        csv, parquet, xlsx = (folder / f"{table.name}.{ext}" for ext in ("csv", "parquet", "xlsx"))
        if csv.is_file():
            tables[table.name] = RawTable(table.name, csv, _clean(_read_csv(csv), first_row=2))
        elif parquet.is_file():
            tables[table.name] = RawTable(table.name, parquet, _clean(_read_parquet(parquet), first_row=1))
        elif xlsx.is_file():
            _workbook_sheets(xlsx)
            tables[table.name] = RawTable(table.name, xlsx, _clean(_read_sheet(xlsx, 0), first_row=2))
        elif table.name in sheets:
            book = sheets[table.name]
            tables[table.name] = RawTable(table.name, book, _clean(_read_sheet(book, table.name), first_row=2))
        elif not table.optional and table.name not in provided:
            raise UserError(
                f"{folder}: the required table '{table.name}' is missing (expected {table.name}.csv, "
                f"{table.name}.parquet, {table.name}.xlsx or a sheet '{table.name}' in a workbook). "
                "See data_templates/data_dictionary.md."
            )
    return tables
