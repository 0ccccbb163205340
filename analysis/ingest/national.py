"""Published national statistics as an authority downloads them from Explore Education Statistics (EES): the DfE
"Education, health and care plans" release (requests, assessments, caseload, 20-week timeliness) and, when
supplied, any other release in the same layout, such as "Characteristics of children in need".

The EES layout: one CSV per table, a header row, then one row per time period x geography x breakdown, with
`time_period` (2024, or 202425 for an academic year), `geographic_level` (National, Regional, Local authority),
`region_code`/`region_name`, the authority's codes (`old_la_code`, three digits such as 931, and `new_la_code`,
a GSS code such as E10000025; some files have `la_code` holding either) and `la_name`, then `breakdown_topic` and
`breakdown`, then the measures. Codes are read as text (931 is not 931.0). A measure cell that is not a number is
one of the GSS symbols (`x` not available, `z` not applicable, `c` confidential, `u` low reliability, `low`, ...):
it is missing, never zero, and the symbol is kept beside the numbers.

Files are identified by their columns (a file renamed on download is still found) and otherwise by their name; a
file that is not in the EES layout (the publisher's data guidance, a README, a spreadsheet) is logged and left
out. A folder with no EES file at all, or an EES file without the columns it needs, is a `UserError` naming the
file, the row, the column and the rule.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path

import pandas as pd

from analysis.errors import UserError

log = logging.getLogger("adversity_report")

# what identifies each file of the EHC plans release: the measures it must hold (its name is a fallback)
KINDS = {
    "requests": ("requests_received_in_year",),
    "assessments": ("assess_in_year", "assess_issued"),
    "caseload": ("ehcplans",),
    "timeliness": ("plans_issued_den_ex", "plans_issued_20_weeks_ex"),
}
NAMES = {"requests": "requests", "assessments": "assessments", "caseload": "caseload", "timeliness": "timeliness"}
GEOGRAPHY = ("time_period", "geographic_level")
CODE_COLUMNS = ("old_la_code", "new_la_code", "la_code")
LABELS = (
    "time_identifier",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "la_name",
    "breakdown_topic",
    "breakdown",
)
LEVELS = {"National", "Regional", "Local authority"}
OLD_CODE = re.compile(r"^\d{3}$")
NEW_CODE = re.compile(r"^E\d{8}$")
PERIOD = re.compile(r"^(\d{4})(\d{2})?$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclasses.dataclass(frozen=True)
class EesFile:
    """One EES file, tidy: the keys (codes as text, `year` as a number), the measures as numbers (a symbol is NaN)
    and, with the same index and columns as the measures, the symbol each missing cell held (NA where a number)."""

    kind: str  # requests, assessments, caseload, timeliness, or the file's stem for any other EES file
    path: Path
    keys: pd.DataFrame
    values: pd.DataFrame
    symbols: pd.DataFrame

    def frame(self) -> pd.DataFrame:
        """Keys and measures side by side."""
        return pd.concat([self.keys, self.values], axis=1)


@dataclasses.dataclass(frozen=True)
class NationalRelease:
    """The EES files read from one folder, by kind, and the files left out with the reason."""

    folder: Path
    files: dict[str, EesFile]
    ignored: list[tuple[str, str]]

    def get(self, kind: str) -> EesFile | None:
        return self.files.get(kind)

    @property
    def ehc_plans(self) -> bool:
        """Whether any file of the EHC plans release is present."""
        return any(k in self.files for k in KINDS)


def read_release(folder: str | Path) -> NationalRelease:
    """Every EES file in `folder` (CSV, any name), identified by its columns; other files are logged and left out."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"national_data: the folder {folder} was not found; give the folder of the EES files.")
    files: dict[str, EesFile] = {}
    ignored: list[tuple[str, str]] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.suffix.lower() != ".csv":
            ignored.append((path.name, "not a CSV file"))
            continue
        header = _read(path, nrows=0).columns
        if not set(GEOGRAPHY) & set(header):
            ignored.append((path.name, "not in the Explore Education Statistics layout (no time_period column)"))
            continue
        kind = identify(path, header)
        if kind in files:
            raise UserError(
                f"national_data: {path.name} and {files[kind].path.name} both look like the {kind} file; keep one."
            )
        files[kind] = read_file(path, kind)
    for name, why in ignored:
        log.info("national_data: left out %s (%s)", name, why)
    if not files:
        raise UserError(
            f"national_data: {folder} holds none of the expected files (requests.csv, assessments.csv, caseload.csv, "
            "timeliness_20_week.csv, as downloaded from Explore Education Statistics, or any CSV in that layout with "
            "time_period and geographic_level columns)."
        )
    return NationalRelease(folder, files, ignored)


def area_names(release: NationalRelease) -> list[str]:
    """Every country, region and authority name the release holds: published place names, which the disclosure
    scan must not mistake for a child's surname (a child called Bradford beside the City of Bradford)."""
    names: set[str] = set()
    for f in release.files.values():
        for col in ("country_name", "region_name", "la_name"):
            if col in f.keys:
                names.update(str(v) for v in f.keys[col].dropna().unique() if str(v).strip())
    return sorted(names)


def identify(path: Path, header) -> str:
    """The kind of an EES file: by the measures it holds, else by its name, else its stem (another release)."""
    columns = set(header)
    for kind, needed in KINDS.items():
        if set(needed) <= columns:
            return kind
    stem = path.stem.lower()
    for kind, word in NAMES.items():
        if stem.startswith(word):
            return kind
    return path.stem


def _read(path: Path, **kwargs) -> pd.DataFrame:
    """A CSV as text (a byte-order mark dropped; a Windows code page if it is not UTF-8)."""
    args = dict(dtype=str, keep_default_na=False, na_filter=False, **kwargs)
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **args)
    except UnicodeDecodeError:
        return pd.read_csv(path, encoding="cp1252", **args)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserError(f"national_data: {path.name}: not a readable CSV file ({exc}).") from None


def read_file(path: Path, kind: str) -> EesFile:
    """One EES file, checked: the columns it needs, then each row's period, level and codes."""
    raw = _read(path)
    raw.columns = [str(c).strip() for c in raw.columns]
    _require(raw, path, kind)
    keys = pd.DataFrame(index=raw.index)
    keys["time_period"] = raw["time_period"].str.strip()
    keys["year"] = _years(keys["time_period"], path)
    keys["geographic_level"] = raw["geographic_level"].str.strip()
    _check_levels(keys["geographic_level"], path)
    for col in LABELS:
        keys[col] = raw[col].str.strip() if col in raw.columns else ""
    keys["old_la_code"], keys["new_la_code"] = _codes(raw, keys["geographic_level"], path)
    measures = [c for c in raw.columns if c not in (*GEOGRAPHY, *LABELS, *CODE_COLUMNS)]
    values, symbols = _measures(raw[measures], path)
    return EesFile(kind, path, keys, values, symbols)


def _require(raw: pd.DataFrame, path: Path, kind: str) -> None:
    """The columns every EES file needs, and the measures of a known kind (row 1 is the header)."""
    needed = list(GEOGRAPHY) + list(KINDS.get(kind, ()))
    missing = [c for c in needed if c not in raw.columns]
    has_la = "geographic_level" in raw.columns and (raw["geographic_level"].str.strip() == "Local authority").any()
    if not missing and has_la and not set(CODE_COLUMNS) & set(raw.columns):
        missing = ["old_la_code or new_la_code"]
    if missing:
        raise UserError(
            f"national_data: {path.name}, row 1 (the header), column '{missing[0]}': required column missing "
            f"(an Explore Education Statistics {kind} file needs {', '.join(needed)} and the authority's code). "
            f"Download the file again from Explore Education Statistics rather than editing it."
        )


def _fail(path: Path, index, column: str, value, rule: str):
    raise UserError(f"national_data: {path.name}, row {int(index) + 2}, column '{column}': '{value}' {rule}.")


def _years(periods: pd.Series, path: Path) -> pd.Series:
    """2024 -> 2024 (a calendar or financial year); 202425 -> 2025 (an academic year, counted in its January)."""
    parts = periods.str.extract(PERIOD)
    bad = parts[0].isna()
    if bad.any():
        i = bad.idxmax()
        _fail(path, i, "time_period", periods[i], "is not a year (2024) or an academic year (202425)")
    start = parts[0].astype(int)
    academic = parts[1].notna()
    return start.where(~academic, start + 1)


def _check_levels(levels: pd.Series, path: Path) -> None:
    """Every row's level is blank or a known one; other levels (e.g. Local authority district) are kept as text."""
    blank = levels == ""
    if blank.any():
        i = blank.idxmax()
        _fail(path, i, "geographic_level", "", "is empty: each row needs National, Regional or Local authority")


def _codes(raw: pd.DataFrame, levels: pd.Series, path: Path) -> tuple[pd.Series, pd.Series]:
    """The old (three-digit) and new (GSS) code of each authority row, from whichever columns the file has."""
    old = raw["old_la_code"].str.strip() if "old_la_code" in raw.columns else pd.Series("", index=raw.index)
    new = raw["new_la_code"].str.strip() if "new_la_code" in raw.columns else pd.Series("", index=raw.index)
    if "la_code" in raw.columns:
        either = raw["la_code"].str.strip()
        old = old.where(old != "", either.where(either.str.match(OLD_CODE), ""))
        new = new.where(new != "", either.where(either.str.match(NEW_CODE), ""))
    la = levels == "Local authority"
    for name, codes, pattern, example in (("old_la_code", old, OLD_CODE, "931"), ("new_la_code", new, NEW_CODE, "")):
        bad = la & (codes != "") & ~codes.str.match(pattern)
        if bad.any():
            i = bad.idxmax()
            rule = "is not a three-digit DfE code such as 931" if example else "is not a GSS code such as E10000025"
            _fail(path, i, name if name in raw.columns else "la_code", codes[i], rule)
    none = la & (old == "") & (new == "")
    if none.any():
        _fail(path, none.idxmax(), "old_la_code or new_la_code", "", "is empty on a Local authority row")
    return old, new


def _measures(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numbers, and the symbol of every cell that is not one (blank is kept as an empty symbol): never zero."""
    text = raw.apply(lambda s: s.str.strip().str.replace(",", "", regex=False))
    is_number = text.apply(lambda s: s.str.match(NUMBER))
    values = text.where(is_number).apply(pd.to_numeric, errors="coerce").astype(float)
    symbols = text.where(~is_number).astype("string")
    return values, symbols


def symbol_counts(f: EesFile) -> dict[str, int]:
    """How many cells held each symbol (for the log and the chapter's note on symbols)."""
    stacked = f.symbols.stack()
    return {str(k): int(v) for k, v in stacked.value_counts().items()}
