"""What a reader downloads: one Excel workbook of every published table (a contents sheet, a sheet per table, notes)
and a ZIP of everything published as data (the CSVs, the workbook, the JSON files and a data guide). Both are made
from the tables already through disclosure control, and both are scanned with the site before anything is published.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd

from analysis.privacy import disclosure, safe_text

WORKBOOK = "tables.xlsx"
BUNDLE = "downloads/all-tables.zip"  # inside the site, so the book can link to it
NOTES = (
    (
        disclosure.SUPPRESSED,
        "Suppressed: a count small enough to identify children, or one that would let a reader work such a count "
        "out from the other published numbers (disclosure control; see Methods).",
    ),
    ("blank", "Not applicable: no children to count, so no share."),
    ("Shares", "Proportions from 0 to 1 in the files; the book shows them as percentages."),
)
STAMP = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")  # when a workbook was made, saved
ZIP_TIME = (2000, 1, 1, 0, 0, 0)  # a fixed time in every entry: two builds of the same inputs give the same bytes


def write_workbook(tables: dict[str, pd.DataFrame], path: Path, title: str) -> None:
    """Contents, one sheet per table (in the order given), and notes; every cell formula-safe."""
    names = _sheet_names(list(tables))
    contents = pd.DataFrame(
        {"Sheet": list(names.values()), "Table": list(tables), "Rows": [len(t) for t in tables.values()]}
    )
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        safe_text.table(pd.DataFrame({title: []})).to_excel(xl, sheet_name="Contents", index=False)
        safe_text.table(contents).to_excel(xl, sheet_name="Contents", index=False, startrow=2)
        for name, frame in tables.items():
            safe_text.table(frame).to_excel(xl, sheet_name=names[name], index=False)
        pd.DataFrame(NOTES, columns=["Symbol", "Meaning"]).to_excel(xl, sheet_name="Notes", index=False)
    same_bytes(path, stamps=True)


def same_bytes(path: Path, *, stamps: bool) -> None:
    """Rewrite an Office file (a zip) with every entry at `ZIP_TIME`, and without its properties' created and
    modified times when `stamps` is true. openpyxl and python-docx stamp the time a file was saved into its entries
    (openpyxl into its properties too); without it, two builds of the same inputs give the same bytes, as the site
    and the ZIP do (and the scan's memo knows the file again)."""
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts:
            if stamps and name == "docProps/core.xml":
                data = STAMP.sub(b"", data)
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)


def _sheet_names(tables: list[str]) -> dict[str, str]:
    """Excel's sheet names: at most 31 characters, unique."""
    out: dict[str, str] = {}
    for name in tables:
        short, n = name[:31], 1
        while short in out.values():
            n += 1
            short = f"{name[: 31 - len(str(n)) - 1]}_{n}"
        out[name] = short
    return out


def write_bundle(stage: Path, guidance: str) -> Path:
    """The download-all ZIP, inside the staged site: tables/*.csv, the workbook, the JSON files and the guide."""
    bundle = stage / "html" / BUNDLE
    bundle.parent.mkdir(parents=True, exist_ok=True)
    members = sorted((stage / "tables").glob("*.csv")) + [stage / WORKBOOK] + sorted(stage.glob("*.json"))
    with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("README.txt", ZIP_TIME), guidance)
        for path in members:
            name = path.relative_to(stage).as_posix()
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    return bundle


def guidance(params: dict, tables: list[str]) -> str:
    """The data guide that opens the ZIP: what the files are, the symbols, and the disclosure rule."""
    lines = [
        f"Adversity before SEND: {params.get('la_name', '')} ({params.get('edition', '')} edition)",
        f"Study window: {params.get('study_start', '')} to {params.get('study_end', '')}.",
        "",
        "tables/*.csv   one file per published table (UTF-8)",
        f"{WORKBOOK}    the same tables as one workbook: a contents sheet, a sheet per table, and notes",
        "measures.json  every headline measure with its numerator, denominator, interval and linkage bias analysis",
        "linkage.json   linkage quality: links by method, estimated recall, the threshold sweep",
        "*.json         the disclosure audit and ledger, and the linkage model",
        "",
        "Symbols:",
        *(f"  {symbol}: {meaning}" for symbol, meaning in NOTES),
        "",
        f"Any count of children below {params.get('disclosure_threshold', '')} (other than none) is suppressed, and so "
        "is any other count that would let one be worked out.",
        "",
        "Tables: " + ", ".join(tables),
    ]
    return "\n".join(lines) + "\n"
