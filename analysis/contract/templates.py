"""Generate the files an LA fills in from the extract contract in `analysis.schema`.

Three things are written to `data_templates/`, all from `schema.TABLES` and `analysis.codes`:

* `templates/<table>.csv`: a header-only CSV per table;
* `extract_template.xlsx`: one workbook, a README sheet then one sheet per table;
* `data_dictionary.md`: the data dictionary.

Every output is byte-for-byte deterministic, so `check_drift` can tell when the committed files no longer match
the schema. Run `python -m analysis.contract.templates` to regenerate, or add `--check` to list drift.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
import tempfile
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from analysis import paths
from analysis.contract import codes, schema

CSV_DIR, XLSX, DICTIONARY = "templates", "extract_template.xlsx", "data_dictionary.md"
FIXED_TIME = dt.datetime(2026, 1, 1)  # written into the workbook instead of "now", for reproducibility
SHEET_MAX = 31  # Excel's limit on sheet names
LIST_MAX = 255  # Excel's limit on the text of a list data validation
GROUPS = {
    "CSC": "Children's social care (CSC)",
    "SEND": "Special educational needs and disabilities (SEND)",
    "Project": "Project tables",
}
KIND = {schema.STR: "text", schema.DATE: "date", schema.INT: "whole number"}
# Code lists that carry labels; a column's codes get labels when its code set equals one of these exactly.
LABELLED = (
    codes.SEX,
    codes.CIN_PRIMARY_NEED,
    codes.CP_CATEGORY,
    codes.SEN_TYPE_LABEL,
    codes.PLAN_CEASE_REASON,
    codes.SEN2_OUTCOME,
    codes.REFERRAL_SOURCE_LABEL,
)
FACTORS_COLUMN = "cinf_assessment_factors_json"  # holds assessment factor codes inside a JSON array


def labels(col: schema.Column) -> dict[str, str]:
    """Labels for a column's codes, where codes.py has a labelled list with exactly those codes."""
    return next((dict(d) for d in LABELLED if col.codes and set(col.codes) == set(d)), {})


def sheet_name(table: schema.Table) -> str:
    """The workbook sheet for a table: its name, or if longer than 31 characters its first 28 characters, '~'
    and the table's two-digit position in schema.TABLES (so names stay unique and the README can map them back)."""
    if len(table.name) <= SHEET_MAX:
        return table.name
    return f"{table.name[: SHEET_MAX - 3]}~{schema.TABLES.index(table):02d}"


def groups() -> dict[str, list[schema.Table]]:
    """Tables by group, in GROUPS order, then any other group in schema order."""
    out: dict[str, list[schema.Table]] = {g: [] for g in GROUPS}
    for table in schema.TABLES:
        out.setdefault(table.group, []).append(table)
    return {g: ts for g, ts in out.items() if ts}


# --- CSV templates -------------------------------------------------------------------------------------------------


def write_csvs(folder: Path) -> None:
    """One header-only CSV per table, columns in schema order; a CSV for a table no longer in the schema goes."""
    (folder / CSV_DIR).mkdir(parents=True, exist_ok=True)
    for stale in _extra_csvs(folder):
        (folder / stale).unlink()
    for table in schema.TABLES:
        (folder / CSV_DIR / f"{table.name}.csv").write_bytes((",".join(table.column_names) + "\n").encode())


# --- XLSX workbook -------------------------------------------------------------------------------------------------


def _list_formula(col: schema.Column) -> str | None:
    """The quoted list for an Excel list validation, or None when the codes cannot fit in one."""
    if not col.codes or any("," in c or '"' in c for c in col.codes):
        return None
    text = ",".join(col.codes)
    return f'"{text}"' if len(text) <= LIST_MAX else None


def _header_comment(col: schema.Column, validated: bool) -> str:
    lines = [col.meaning, f"{KIND[col.kind]}, {'required' if col.required else 'optional'}"]
    if col.identifier:
        lines.append("identifier (never published)")
    if col.name == FACTORS_COLUMN:
        lines.append("Codes: CIN assessment factors, see data_dictionary.md.")
    elif col.codes and not validated:
        lines.append("Allowed codes (too many for a drop-down): " + ", ".join(col.codes))
    return "\n".join(lines)


def _readme_sheet(wb: Workbook) -> None:
    ws = wb.active
    ws.title = "README"
    ws.append(["Extract template"])
    ws.append(
        [
            "Fill in one sheet per table from row 2, keeping the header row; dates as yyyy-mm-dd; leave a cell "
            "blank when the value is missing. See data_dictionary.md for every column and code."
        ]
    )
    ws.append([])
    ws.append(["Sheet", "Table", "Group", "Required or optional", "Meaning"])
    for table in schema.TABLES:
        ws.append(
            [sheet_name(table), table.name, table.group, "optional" if table.optional else "required", table.meaning]
        )
    for cell in (ws["A1"], *ws[4]):
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDE", (26, 26, 10, 20, 100)):
        ws.column_dimensions[letter].width = width


def _table_sheet(wb: Workbook, table: schema.Table) -> None:
    ws = wb.create_sheet(sheet_name(table))
    ws.append(table.column_names)
    ws.freeze_panes = "A2"
    for i, col in enumerate(table.columns, start=1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        dim = ws.column_dimensions[letter]
        dim.width = max(len(col.name) + 2, 14)
        if col.kind == schema.DATE:
            dim.number_format = "yyyy-mm-dd"
        elif col.kind == schema.STR:
            dim.number_format = "@"  # text, so codes such as "01" or "1A" are kept as typed
        formula = _list_formula(col)
        if formula:
            dv = DataValidation(
                type="list",
                formula1=formula,
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Not in the code list",
                error=f"{col.name} must be one of: {', '.join(col.codes)}"[:LIST_MAX],
            )
            dv.add(f"{letter}2:{letter}1048576")
            ws.add_data_validation(dv)
        cell.comment = Comment(
            _header_comment(col, bool(formula)), "analysis.contract.templates", width=300, height=120
        )


def _save_deterministic(wb: Workbook, path: Path) -> None:
    """Save with fixed timestamps: openpyxl's save_workbook stamps "now" into docProps/core.xml and every zip
    entry. Entries are stored uncompressed so the bytes do not depend on the zlib version."""
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        ExcelWriter(wb, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for name in src.namelist():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.create_system, info.external_attr = 3, 0o644 << 16
            dst.writestr(info, src.read(name))
    path.write_bytes(out.getvalue())


def write_xlsx(folder: Path) -> None:
    """The workbook: a README sheet mapping sheet names to tables, then one sheet per table."""
    wb = Workbook()
    _readme_sheet(wb)
    for table in schema.TABLES:
        _table_sheet(wb, table)
    folder.mkdir(parents=True, exist_ok=True)
    _save_deterministic(wb, folder / XLSX)


# --- Data dictionary -----------------------------------------------------------------------------------------------

INTRO = f"""\
# Data dictionary for the extract

<!-- Generated from analysis/contract/ (schema, codes) by `python -m analysis.contract.templates`. Do not edit. -->

The extract is the person-level data a local authority (LA) supplies for this report: records from children's
social care (CSC) and from special educational needs and disabilities (SEND) services, which the report links
child by child. Social care tables and columns follow the names of the D2I Standard Safeguarding Dataset (SSD); SEND
tables follow the person-level modules of the DfE SEN2 return. The Project tables are specific to this report.

## How to supply the extract

- **Files.** Either one CSV file per table, named after the table (for example `ssd_person.csv`), or the
  workbook `{XLSX}`, one sheet per table (its README sheet maps sheet names to tables).
  Header-only CSV templates are in `{CSV_DIR}/`.
- **Columns.** The first row holds the column names below. Keep every column in the header, even an optional one
  you cannot fill. Required tables must be supplied; optional tables may be left out.
- **Encoding.** UTF-8, UTF-8 with a byte order mark (BOM), or Windows-1252.
- **Dates.** `yyyy-mm-dd` (preferred), `dd/mm/yyyy`, or Excel serial day numbers.
- **Missing values.** Leave the cell blank. A blank cell is a missing value; do not write `NULL`, `N/A` or `0`.
- **Assessment factors.** `ssd_assessment_factors` accepts either the SSD form, one row per assessment with
  the factor codes as a JSON array in `{FACTORS_COLUMN}` (for example `["3B", "4B"]`),
  or one row per factor, with the code in a column `cinf_assessment_factor` instead.
- **Identifiers.** Columns marked *identifier (never published)* are used only to link records; they are replaced by
  keyed pseudonyms before any analysis and never appear in any output.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _codes_text(col: schema.Column) -> str:
    if col.name == FACTORS_COLUMN:
        return "CIN assessment factor codes (see [Code lists and their history](#code-lists-and-their-history))"
    if not col.codes:
        return ""
    names = labels(col)
    if not names:
        return ", ".join(f"`{c}`" for c in col.codes)
    return "; ".join(f"`{c}` {names[c]}" for c in col.codes)


def _table_section(table: schema.Table) -> list[str]:
    status = "Optional table: may be left out." if table.optional else "Required table."
    lines = [
        f"### `{table.name}`",
        "",
        table.meaning,
        "",
        f"{status} Key: `{table.key}` (unique on every row).",
        "",
        "| Column | Meaning | Type | Required | Allowed codes | Refers to |",
        "|---|---|---|---|---|---|",
    ]
    for col in table.columns:
        meaning = col.meaning + (" *identifier (never published)*" if col.identifier else "")
        ref = f"`{col.references}`" if col.references else ""
        lines.append(
            f"| `{col.name}` | {_cell(meaning)} | {KIND[col.kind]} | "
            f"{'required' if col.required else 'optional'} | {_cell(_codes_text(col))} | {ref} |"
        )
    for col in table.extra_columns:  # not in the template's header, but checked when an extract has them
        lines.append(
            f"| `{col.name}` | {_cell(col.meaning + ' *may be added; checked when present*')} | {KIND[col.kind]} | "
            f"optional | {_cell(_codes_text(col))} | |"
        )
    return lines + [""]


def _factor_order(code: str) -> tuple[int, str]:
    number, letter = re.match(r"(\d+)(.*)", code).groups()
    return int(number), letter


def _code_history() -> list[str]:
    lines = [
        "## Code lists and their history",
        "",
        "Years are the collection years in which a code is valid. Use the code valid in the year it was recorded.",
        "",
        "### CIN assessment factors",
        "",
        "| Code | Valid from | Valid to |",
        "|---|---|---|",
    ]
    for code in sorted(codes.ASSESSMENT_FACTORS, key=_factor_order):
        first, last = codes.ASSESSMENT_FACTORS[code]
        lines.append(f"| `{code}` | {first} | {last or 'still valid'} |")
    lines += ["", "### SEN2 type of need", "", "| Code | Meaning | Valid from |", "|---|---|---|"]
    for code, first in codes.SEN_TYPE.items():
        lines.append(f"| `{code}` | {codes.SEN_TYPE_LABEL.get(code, '')} | {first} |")
    return lines + [""]


def dictionary_text() -> str:
    """The whole data dictionary as Markdown."""
    lines = [INTRO]
    for group, tables in groups().items():
        lines += [f"## {GROUPS.get(group, group)}", ""]
        for table in tables:
            lines += _table_section(table)
    lines += _code_history()
    return "\n".join(lines).rstrip("\n") + "\n"


def write_dictionary(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DICTIONARY).write_bytes(dictionary_text().encode())


# --- Entry points --------------------------------------------------------------------------------------------------


def write_all(folder: str | Path = paths.TEMPLATES) -> None:
    """Write the CSV templates, the workbook and the data dictionary into `folder`."""
    folder = Path(folder)
    write_csvs(folder)
    write_xlsx(folder)
    write_dictionary(folder)


def generated_files() -> list[str]:
    """Paths (relative to the templates folder) of every generated file."""
    return [f"{CSV_DIR}/{t.name}.csv" for t in schema.TABLES] + [XLSX, DICTIONARY]


def _extra_csvs(folder: Path) -> list[str]:
    """CSV templates in `folder` for tables that are not in the schema."""
    expected = set(generated_files())
    return sorted(n for p in (folder / CSV_DIR).glob("*.csv") if (n := f"{CSV_DIR}/{p.name}") not in expected)


def check_drift(folder: str | Path = paths.TEMPLATES) -> list[str]:
    """Generated files in `folder` that are missing or differ from a fresh generation from the schema, then any
    CSV template for a table the schema no longer has."""
    folder = Path(folder)
    with tempfile.TemporaryDirectory() as tmp:
        write_all(tmp)
        differ = [
            name
            for name in generated_files()
            if not (folder / name).is_file() or (folder / name).read_bytes() != (Path(tmp) / name).read_bytes()
        ]
    return differ + _extra_csvs(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list files that differ from the schema; exit 1 if any")
    parser.add_argument("--folder", type=Path, default=paths.TEMPLATES)
    args = parser.parse_args(argv)
    if args.check:
        drift = check_drift(args.folder)
        for name in drift:
            print(f"out of date: {args.folder / name}")
        if drift:
            print("Run `python -m analysis.contract.templates` to regenerate.")
        return 1 if drift else 0
    write_all(args.folder)
    print(f"wrote {len(generated_files())} files to {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
