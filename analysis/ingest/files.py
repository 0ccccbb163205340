"""Read an extract folder into raw string tables, one per contract table, remembering where each row came from.

Each table may come as `<table>.csv` (UTF-8, UTF-8 with BOM or Windows-1252), `<table>.parquet`, `<table>.xlsx`
(first sheet), or as a sheet named after the table in any workbook in the folder (such as a filled-in
`extract_template.xlsx`); exactly one of these, since two sources for one table are an error rather than a silent
choice. Damage that leaves the rest of a file readable (a stray byte in another encoding, a NUL byte, a column
named twice, a Parquet value that is a list) becomes a problem row on the table (`RawTable.problems`), naming the
row and column; a file that cannot be read at all is a `UserError`. Typing and checks happen in `validate`.
Nothing here writes anything.
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis.contract import schema
from analysis.errors import UserError

MARK = 0xE100  # a bad byte b (or a NUL, b = 0) is held as the private-use character MARK + b while parsing
_MARKED = re.compile("[\ue100-\ue1ff]")
_ESCAPED = re.compile("[\udc80-\udcff]")  # what `surrogateescape` makes of a byte that does not decode
_BAD_BYTE = re.compile("[\udc80-\udcff\x00]")  # those, and NUL
_GOOD_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")  # a character that did decode as UTF-8
NUL_RULE = "holds a NUL byte (shown as \\x00); the value may have been cut short: re-export the file"
MIXED_RULE = "bytes that are not UTF-8 (shown as \\xNN), in a file that is otherwise UTF-8: save it as UTF-8"
CP1252_RULE = "bytes that are not Windows-1252 text (shown as \\xNN): save the file as UTF-8"
PARQUET_UTF8_RULE = "text that is not valid UTF-8 (bad bytes shown as \\xNN): the value cannot be read"
TWICE_RULE = "column given twice (the names differ only in spaces or case); only the first was read"


@dataclasses.dataclass
class RawTable:
    name: str
    path: Path
    frame: pd.DataFrame  # every value a stripped string or <NA>; column "_row" holds the line number in the file
    problems: list[dict] = dataclasses.field(default_factory=list)  # found while reading (validation problem rows)


def problem(table: str, file: str, row, column: str, value, rule: str, severity: str = "error") -> dict:
    """A row of the validation report (`validate.PROBLEM_COLUMNS`)."""
    return {
        "table": table,
        "file": file,
        "row": row,
        "column": column,
        "value": "" if value is None else str(value),
        "rule": rule,
        "severity": severity,
    }


# --- CSV ---------------------------------------------------------------------------------------------------------


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({type(exc).__name__}: {exc.strerror or exc}).") from None


def _decode(data: bytes) -> tuple[str, str, bool]:
    """The text, the rule for any bytes that did not decode (left as lone surrogates), and whether there are any
    such bytes or NULs for the caller to report.

    A file in which some non-ASCII bytes decode as UTF-8 and others do not is UTF-8 with stray bytes (mixed
    encodings), not Windows-1252: reading it all as Windows-1252 would garble every correctly written name.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")  # the usual case, and the fast one
        return text, MIXED_RULE, "\x00" in text
    except UnicodeDecodeError:
        text = data.decode("utf-8", "surrogateescape")
    if _GOOD_NON_ASCII.search(text):
        return text, MIXED_RULE, True
    text = data.decode("cp1252", "surrogateescape")  # only bytes cp1252 leaves undefined stay undecoded
    return text, CP1252_RULE, "\x00" in text or bool(_ESCAPED.search(text))


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[str], list[tuple]]:
    """The cells below the header, the header, and (line, column, value, rule) for each damaged cell. UTF-8 (with or
    without a BOM) or Windows-1252; any other byte, and any NUL, is reported where it is rather than guessed at."""
    data = _bytes(path)
    if not data.strip():
        raise UserError(f"{path}: the file is empty; it needs at least a header row.")
    head = data[:1000]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head.count(0) > len(head) // 4:
        raise UserError(f"{path}: the file looks like UTF-16 text; save it as CSV in UTF-8 (or Windows-1252).")
    text, bad_rule, damaged = _decode(data)
    if damaged:  # the C parser stops a value at a NUL and cannot take surrogates: hold both as marks meanwhile
        text = _BAD_BYTE.sub(lambda m: chr(MARK + (0 if m[0] == "\x00" else ord(m[0]) - 0xDC00)), text)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, header=None, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserError(f"{path}: cannot be read as CSV ({exc}).") from None
    found = _unmark(frame, bad_rule) if damaged else []
    return frame.iloc[1:].reset_index(drop=True), list(frame.iloc[0]), found


def _shown(value: str) -> str:
    return _MARKED.sub(lambda m: f"\\x{ord(m[0]) - MARK:02x}", value)


def _unmark(frame: pd.DataFrame, bad_rule: str) -> list[tuple]:
    """Find the marked cells (line = position + 1), report each, and put U+FFFD (or nothing, for NUL) in place."""
    found = []
    for col in frame.columns:
        hit = frame[col].str.contains(_MARKED, regex=True, na=False)
        if not hit.any():
            continue
        name = _shown(str(frame.iloc[0][col])).strip()
        for pos, value in frame.loc[hit, col].items():
            rule = NUL_RULE if chr(MARK) in value else bad_rule
            found.append((pos + 1, name, _shown(value), rule))
        frame.loc[hit, col] = frame.loc[hit, col].str.replace(chr(MARK), "").str.replace(_MARKED, "\ufffd", regex=True)
    return found


# --- Parquet -----------------------------------------------------------------------------------------------------


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise UserError(f"{path}: cannot be read as Parquet ({type(exc).__name__}: {exc}).") from None


def _nested(kind: pa.DataType) -> bool:
    return pa.types.is_nested(kind) or pa.types.is_union(kind)


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column as text, as the CSV route would give it: dates as yyyy-mm-dd (with the time only when there is one).
    Raises pyarrow's errors for what has no text form (lists, structures, invalid UTF-8)."""
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    if _nested(column.type):
        raise pa.ArrowInvalid("a nested type")
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        column.validate(full=True)  # Parquet does not promise valid UTF-8
        return column
    if pa.types.is_timestamp(column.type):
        if pc.all(pc.equal(pc.floor_temporal(column, unit="day"), column)).as_py() is not False:
            return pc.cast(pc.cast(column, pa.date32()), pa.string())
        seconds = pc.cast(column, pa.timestamp("s", tz=column.type.tz), safe=False)  # %S would add fractions
        return pc.strftime(seconds, format="%Y-%m-%d %H:%M:%S")
    return pc.cast(column, pa.string())


def _value_problems(column: pa.ChunkedArray, name: str, first_row: int, found: list[tuple]) -> pa.ChunkedArray:
    """Report every value of a column that has no text form (a list or structure, or bytes that are not UTF-8),
    naming its row, and give the column as text with those values missing."""
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    kind, out = column.type, []
    if any(f(kind) for f in (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary)):
        for i, v in enumerate(pc.cast(column, pa.large_binary()).to_pylist()):
            try:
                out.append(None if v is None else v.decode("utf-8"))
            except UnicodeDecodeError:
                found.append((first_row + i, name, v.decode("utf-8", "backslashreplace")[:200], PARQUET_UTF8_RULE))
                out.append(None)
        return pa.chunked_array([pa.array(out, pa.string())], pa.string())
    if _nested(kind):
        rule = f"a list or structure, not a single value (Parquet type {kind}); store one value per cell"
    else:
        rule = f"a value with no text form (Parquet type {kind}); store it as text, a number or a date"
    values = column.to_pylist()
    found.extend((first_row + i, name, str(v)[:200], rule) for i, v in enumerate(values) if v is not None)
    return pa.chunked_array([pa.nulls(len(values), pa.string())], pa.string())


def _blank(column: pa.ChunkedArray) -> bool:
    """Whether a column holds nothing but blanks (as the empty columns past the data of a spreadsheet do)."""
    if column.null_count == len(column):
        return True
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return False
    try:
        return pc.all(pc.equal(pc.utf8_trim_whitespace(column), "")).as_py() is not False
    except pa.ArrowInvalid:  # not valid UTF-8: not blank, and reported when read
        return False


# --- XLSX --------------------------------------------------------------------------------------------------------


def _workbook_sheets(path: Path) -> list[str]:
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            return list(book.sheet_names)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise UserError(
            f"{path}: cannot be read as an Excel workbook; is it truncated or not really .xlsx? "
            f"({type(exc).__name__}: {exc})"
        ) from None


def _read_sheet(path: Path, sheet: str | int) -> tuple[pd.DataFrame, list[str]]:
    """The cells below the header, and the header. Date cells arrive as `yyyy-mm-dd hh:mm:ss` text."""
    try:
        frame = pd.read_excel(
            path, sheet_name=sheet, header=None, dtype=str, engine="openpyxl", keep_default_na=False, na_filter=False
        )
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise UserError(f"{path}: sheet '{sheet}' cannot be read ({type(exc).__name__}: {exc}).") from None
    if frame.empty:
        return frame, []
    return frame.iloc[1:].reset_index(drop=True), list(frame.iloc[0])


# --- one table ---------------------------------------------------------------------------------------------------


def _columns(names: list, table: pa.Table, found: list[tuple]) -> list[tuple[int, str]]:
    """(position, name) of the columns to read: unnamed columns only if they hold anything, and a name given twice
    (ignoring spaces and case) only the first time, the repeat reported."""
    keep, seen = [], {}
    for i, raw in enumerate(names):
        name = "" if raw is None else str(raw).strip()
        if not name:
            if _blank(table.column(i)):
                continue  # an empty column past the data, as spreadsheets leave
            name = f"Unnamed: {i}"
        key = re.sub(r"\s+", "", name).lower()
        if key in seen:
            found.append((1, seen[key], f"{seen[key]!r}, {str(raw)!r}", TWICE_RULE))
            continue
        seen[key] = name
        keep.append((i, name))
    return keep


def _clean(
    table: pa.Table | pd.DataFrame, first_row: int, names: list | None = None, found: list[tuple] | None = None
) -> pd.DataFrame:
    """Every value as stripped text, blanks as <NA>, and the row number in the file in `_row` (done in Arrow: the
    per-value string functions of pandas take seconds per million rows). `names` is the header when `table` has
    positional columns; damage is added to `found` as (row, column, value, rule)."""
    found = [] if found is None else found
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table.astype(object).rename(columns=str), preserve_index=False)
    names = list(table.column_names) if names is None else names
    columns, kept = [], []
    for i, name in _columns(names, table, found):
        try:
            text = _as_text(table.column(i))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            text = _value_problems(table.column(i), name, first_row, found)
        text = pc.utf8_trim_whitespace(text.cast(pa.string()))
        columns.append(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text))
        kept.append(name)
    frame = pa.table(columns, names=kept).to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
    frame.insert(0, "_row", range(first_row, first_row + len(frame)))
    return frame


def _read_table(name: str, path: Path, sheet: str | int | None) -> RawTable:
    """One table from one file (or one sheet of a workbook), with the damage found while reading it."""
    found: list[tuple] = []
    if path.suffix == ".csv":
        cells, header, found = _read_csv(path)
        frame = _clean(cells, 2, header, found)
    elif path.suffix == ".parquet":
        frame = _clean(_read_parquet(path), 1, None, found)
    else:
        if sheet == 0:
            _workbook_sheets(path)  # a clear message for a file that is not a workbook at all
        cells, header = _read_sheet(path, sheet)
        frame = _clean(cells, 2, header, found)
    where = path.name if sheet in (None, 0) else f"{path.name} (sheet {sheet})"
    return RawTable(name, path, frame, [problem(name, where, *f) for f in found])


# --- the folder --------------------------------------------------------------------------------------------------


def _readable(path: Path) -> None:
    """A clear error for a table's path that is not a file that can be read (a folder, a broken link)."""
    if path.is_file():
        return
    if path.is_symlink() and not path.exists():
        raise UserError(f"{path}: a link to a file that does not exist; put the file itself in the extract folder.")
    if path.is_dir():
        raise UserError(f"{path}: a folder, not a file; each table must be one CSV, Parquet or XLSX file.")
    raise UserError(f"{path}: not a regular file; each table must be one CSV, Parquet or XLSX file.")


def _sources(folder: Path) -> dict[str, list[tuple[Path, str | int | None]]]:
    """Every file, or workbook sheet, in `folder` that could hold each table: (path, sheet), sheet None for CSV
    and Parquet and 0 for the first sheet of a workbook named after the table."""
    found: dict[str, list[tuple[Path, str | int | None]]] = {}
    for table in schema.TABLES:
        for ext in ("csv", "parquet", "xlsx"):
            path = folder / f"{table.name}.{ext}"
            if path.exists() or path.is_symlink():
                _readable(path)
                found.setdefault(table.name, []).append((path, 0 if ext == "xlsx" else None))
    for book in sorted(folder.glob("*.xlsx")):
        if book.stem in schema.TABLE or book.name.startswith("~$"):  # ~$ is Excel's lock file of an open workbook
            continue
        _readable(book)
        for sheet in _workbook_sheets(book):
            if sheet in schema.TABLE:
                found.setdefault(sheet, []).append((book, sheet))
    return found


def read_extract(folder: str | Path, provided: set[str] = frozenset()) -> dict[str, RawTable]:
    """Read every contract table found in `folder`; missing tables are for `validate` to report (all at once).

    A table with more than one source is read from the first (CSV, Parquet, XLSX, then workbook sheets) so that it
    can still be checked, with an error naming every source. `provided` is kept for callers that pass the tables
    another source (the XML returns) supplies; it changes nothing here.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"Extract folder not found: {folder}")
    tables: dict[str, RawTable] = {}
    for name, found in _sources(folder).items():
        (path, sheet), *more = found
        raw = _read_table(name, path, sheet)
        if more:
            where = [p.name if s in (None, 0) else f"{p.name} (sheet {s})" for p, s in found]
            rule = f"more than one source for table {name}: {' and '.join(where)}; keep only one"
            raw.problems.append(problem(name, ", ".join(where), "", "", "", rule))
        tables[name] = raw
    return {t.name: tables[t.name] for t in schema.TABLES if t.name in tables}
