"""Case notes in and coded mentions out, as files: every problem named by file, row, column and rule, and the
output (child-level) kept out of the repository and safe to open in a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.errors import UserError
from analysis.privacy import safe_text

NOTE_COLUMNS = ["note_id", "person_id", "note_date", "text"]
OUT_COLUMNS = ["note_id", "person_id", "domain", "date", "negated", "hypothetical", "historical", "experiencer",
               "affirmed"]  # fmt: skip


def _problem(path: Path, row: int, column: str, value: str, rule: str, more: int) -> UserError:
    also = f" ({more} more rows break the same rule)" if more else ""
    return UserError(f"{path}, row {row}, column {column}: {value!r} {rule}{also}. Nothing was written.")


def _read_csv(path: Path, what: str = "") -> pd.DataFrame:
    """A UTF-8 CSV as text cells, its header stripped; a clear error when it is missing or unreadable (`what`
    names the option it came from)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file{f' ({what})' if what else ''}.") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserError(f"{path}: cannot read it as a UTF-8 CSV file ({type(exc).__name__}: {exc}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_reviewed(path: Path) -> list[str]:
    """Children already reviewed: every person_id of an earlier review (an `adversity_review`-shaped CSV, or an
    earlier review sheet). Blank cells are skipped (a finding recorded against the SEND person only), and a
    sheet's formula-safe quote (`'=...`) is taken off again."""
    frame = _read_csv(path, "--reviewed")
    if "person_id" not in frame.columns:
        send = ""
        if "person_table_id" in frame.columns:
            send = " (person_table_id is the SEND person; the notes name the social care person)"
        raise UserError(
            f"{path}, row 1 (the header): no column person_id{send} (rule: --reviewed is a review naming each "
            f"child's person_id, as adversity_review or a review sheet does; its columns are "
            f"{', '.join(frame.columns) or 'none'}). Nothing was written."
        )
    ids = frame["person_id"].str.strip()
    ids = ids[ids != ""]
    quoted = ids.str.startswith("'") & ids.str[1:2].isin(list(safe_text.FORMULA_START))
    return list(dict.fromkeys(ids.mask(quoted, ids.str[1:])))


def read_notes(path: str | Path) -> pd.DataFrame:
    """Read a notes CSV (note_id, person_id, note_date as YYYY-MM-DD, text) and check it. Rows are numbered as a
    spreadsheet shows them (the header is row 1)."""
    path = Path(path)
    frame = _read_csv(path)
    missing = [c for c in NOTE_COLUMNS if c not in frame.columns]
    if missing:
        raise UserError(
            f"{path}, row 1 (the header): no column {', '.join(missing)} (rule: a notes file has the columns "
            f"{', '.join(NOTE_COLUMNS)}). Nothing was written."
        )
    for column in ("note_id", "person_id"):
        blank = frame[column].str.strip() == ""
        if blank.any():
            i = int(blank.to_numpy().argmax())
            raise _problem(path, i + 2, column, frame[column].iat[i], "is empty (rule: every note has one)",
                           int(blank.sum()) - 1)  # fmt: skip
    dates = pd.to_datetime(frame["note_date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    bad = dates.isna()
    if bad.any():
        i = int(bad.to_numpy().argmax())
        rule = "is not a date (rule: note_date is written YYYY-MM-DD, for example 2024-03-31)"
        raise _problem(path, i + 2, "note_date", frame["note_date"].iat[i], rule, int(bad.sum()) - 1)
    repeated = frame["note_id"].duplicated()
    if repeated.any():
        i = int(repeated.to_numpy().argmax())
        rule = "appears on an earlier row too (rule: note_id is unique)"
        raise _problem(path, i + 2, "note_id", frame["note_id"].iat[i], rule, int(repeated.sum()) - 1)
    return frame.assign(note_date=dates)


def output_path(out: str | Path, given: tuple[Path, ...] = (), flag: str = "--out") -> Path:
    """Where coded notes (or a review sheet: `flag` names the option in messages) may be written: not inside the
    repository checkout (they are child-level data, and a file there is one `git add` from being published), not
    over an input, and into a folder that exists."""
    target = Path(out).expanduser().resolve()
    repo = paths.REPO.resolve()
    if target == repo or repo in target.parents:
        raise UserError(
            f"{out} is inside the repository checkout ({repo}); coded case notes are child-level data: write them "
            "to a folder outside it, with the rest of the private data."
        )
    if any(target == Path(g).resolve() for g in given):
        raise UserError(f"{out} is the notes file itself; choose another output file.")
    if target.is_dir():
        raise UserError(f"{out} is a folder; give a file name, for example {Path(out) / 'coded.csv'}.")
    if not target.parent.is_dir():
        raise UserError(f"The folder {target.parent} does not exist; create it or choose another {flag}.")
    return target


def write_coded(coded: pd.DataFrame, out: Path) -> None:
    """Write coded mentions (no note text, no matched span), every cell safe in a spreadsheet, atomically: a
    failed write leaves no partial file."""
    frame = coded[OUT_COLUMNS].assign(date=coded["date"].dt.strftime("%Y-%m-%d"))
    partial = out.with_name(out.name + ".partial")
    try:
        safe_text.write_csv(frame, partial)
        partial.replace(out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UserError(f"Cannot write {out} ({exc.strerror}); choose another --out.") from None
