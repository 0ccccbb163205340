"""Planted note text: a build from an extract whose case notes hold a unique marker publishes neither the marker
nor any note id, anywhere under OUT but the private cache (inside compressed files too: the workbook, the Word
briefing, the download-all ZIP, the printed PDF). Slow: a whole build."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.paths import EXAMPLE_PARAMS, SAMPLE_EXTRACT

pytestmark = pytest.mark.slow

MARKER = "Zqxplantedcasenote"
NOTE_ID = "NPLANTED{:05d}"


def _plant(extract: Path) -> list[str]:
    """Case notes for the sample's social care persons, each with the marker beside words the coder counts."""
    people = pd.read_csv(extract / "ssd_person.csv", dtype=str)
    people = people.head(400)
    dob = pd.to_datetime(people["pers_dob"])
    rows = []
    for i, (pid, born) in enumerate(zip(people["pers_person_id"], dob)):
        date = min(born + pd.Timedelta(days=400), pd.Timestamp("2026-03-01"))
        text = f"{MARKER} {i}: parents separated last month. Mum reports DV from her partner."
        rows.append((NOTE_ID.format(i), pid, date.strftime("%Y-%m-%d"), "Case note", "Social worker", text))
    notes = pd.DataFrame(rows, columns=["note_id", "pers_person_id", "note_date", "note_type", "author_role",
                                        "note_text"])  # fmt: skip
    notes.to_csv(extract / "case_notes.csv", index=False)
    return list(notes["note_id"])


def _texts(path: Path):
    """A file's bytes, and each member of a zip-based file (xlsx, docx, zip) and the text of a PDF."""
    data = path.read_bytes()
    yield str(path), data
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                yield f"{path}!{name}", z.read(name)
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        yield f"{path} (text)", "\n".join(p.extract_text() or "" for p in PdfReader(path).pages).encode()


def test_no_note_text_or_note_id_is_published(tmp_path):
    extract = tmp_path / "extract"
    shutil.copytree(SAMPLE_EXTRACT, extract)
    ids = _plant(extract)
    out = tmp_path / "out"
    rc = cli.main(["build", "--params", str(EXAMPLE_PARAMS), "--extract", str(extract), "--out", str(out)])
    assert rc == 0
    html = (out / "html" / "book" / "chapters" / "adversity.html").read_text()
    assert "How adversity was found" in html and "lexicon" in html
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if ".cache" in path.relative_to(out).parts:
            continue
        for where, data in _texts(path):
            low = data.lower()
            if MARKER.lower().encode() in low or b"nplanted" in low:
                found.append(where)
    assert found == [], found
    assert len(ids) == 400
