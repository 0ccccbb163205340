"""The planted-leak corpus (tests/fixtures/leaks/): the clean sample build scans clean, and each planted form, placed
alone into a copy of it, is found with its kind on the page it was written to and nowhere else (slow: builds the
sample report once, then scans one copy per form)."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.ingest.files import read_extract
from analysis.params import load_params
from analysis.paths import EXAMPLE_PARAMS, SAMPLE_EXTRACT
from analysis.privacy.scan import published_values, scan, summarise

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "leaks"
CASES = yaml.safe_load((CORPUS / "cases.yml").read_text(encoding="utf-8"))
PUBLISHED = ("html", "tables", "measures.json", "linkage.json", "linkage_model.json")
# where a build leaves its executed chapters (the gate scans them before they are removed or cached)
EXECUTED = (".work/book_stage/book/chapters", ".cache/chapters")
ALLOW = published_values(load_params(EXAMPLE_PARAMS))


@pytest.fixture(scope="session")
def extract(tmp_path_factory) -> Path:
    """The committed sample extract with the corpus's linked identifiers (NHS numbers of three sample children)."""
    dest = tmp_path_factory.mktemp("leaks") / "extract"
    shutil.copytree(SAMPLE_EXTRACT, dest)
    shutil.copy(CORPUS / "extract" / "ssd_linked_identifiers.csv", dest)
    return dest


def run_scan(out: Path, extract_dir: Path) -> pd.DataFrame:
    return scan(out / "html", extract_dir, threshold=10, notebooks_dir=out / "notebooks", allow=ALLOW)


def copy_site(built: Path, dest: Path) -> Path:
    """What the scan reads of a build, hard-linked (fast; `_write` replaces a file rather than writing through it),
    with the executed chapters in dest/notebooks."""
    for name in PUBLISHED:
        src = (built / name).resolve()
        if src.is_dir():
            shutil.copytree(src, dest / name, copy_function=os.link)
        elif src.is_file():
            os.link(src, dest / name)
    executed = next((built / d for d in EXECUTED if (built / d).is_dir()), None)
    assert executed is not None, f"the build left no executed chapters in {EXECUTED}"
    shutil.copytree(executed, dest / "notebooks", copy_function=os.link, ignore=shutil.ignore_patterns(".*"))
    return dest


def _target(out: Path, case: dict) -> Path:
    """The file a case goes into; of several matches, the first (for a glued value, the first that glues it)."""
    if "*" not in case["into"]:
        return out / case["into"]
    matches = sorted(out.glob(case["into"]))
    if case["how"].startswith("glue "):
        name = json.dumps(case["how"].split()[1])
        matches = [m for m in matches if f'"name": {name}' in m.read_text(encoding="utf-8")]
    assert matches, f"{case['id']}: nothing matches {case['into']}"
    return matches[0]


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # never write into the clean build's inode
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _png_chunk(kind: str, text: str) -> bytes:
    key, _, value = text.partition(": ")
    body = {
        "tEXt": key.encode("latin-1") + b"\x00" + value.encode("latin-1"),
        "zTXt": key.encode("latin-1") + b"\x00\x00" + zlib.compress(value.encode("latin-1")),
        "iTXt": key.encode() + b"\x00\x01\x00en\x00\x00" + zlib.compress(value.encode()),
    }[kind]
    tag = kind.encode()
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def _xlsx(text: str, dates: bool) -> bytes:
    frame = pd.read_csv(io.StringIO(text), dtype=str)
    if dates:
        frame.iloc[:, 0] = pd.to_datetime(frame.iloc[:, 0])
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


def _jpeg(comment: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG", comment=comment.encode())
    return buffer.getvalue()


def _notebook(path: Path, how: str, text: str) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    if how == "notebook output":
        output = {"output_type": "stream", "name": "stdout", "text": [text]}
        nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "", "outputs": [output]})
    else:  # glue NAME: the glued value a chapter shows in its prose
        name = how.split()[1]
        glued = [
            o
            for c in nb["cells"]
            for o in c.get("outputs", [])
            if o.get("metadata", {}).get("scrapbook", {}).get("name") == name
        ]
        assert glued, f"no glued value '{name}' in {path}"
        glued[0]["data"]["application/papermill.record/text/plain"] = repr(text)
    return json.dumps(nb)


def plant(out: Path, case: dict) -> Path:
    """Place one case into the copy `out`; return the file it went into."""
    how = case["how"]
    text = (CORPUS / case["file"]).read_text(encoding="utf-8") if "file" in case else case["text"]
    path = _target(out, case)
    old = path.read_bytes() if path.is_file() else b""
    if how.startswith("before "):
        html, marker = old.decode(), how.removeprefix("before ")
        i = html.rindex(marker)
        data = html[:i] + text + html[i:]
    elif how == "append":
        data = old + text.encode()
    elif how == "new":
        data = text
    elif how.startswith("sub "):
        data, n = re.subn(how.removeprefix("sub "), text, old.decode(), count=1, flags=re.M)
        assert n == 1, f"{case['id']}: nothing to substitute in {path}"
    elif how.startswith("json "):
        data = json.dumps({how.split()[1]: text, **json.loads(old)})
    elif how.startswith("png "):
        data = old[:-12] + _png_chunk(how.split()[1], text) + old[-12:]  # before IEND
    elif how == "jpeg comment":
        data = _jpeg(text)
    elif how == "gzip":
        data = gzip.compress(text.encode())
    elif how.startswith("zip "):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr(how.split()[1], text)
        data = buffer.getvalue()
    elif how.startswith("xlsx"):
        data = _xlsx(text, how == "xlsx dates")
    else:
        data = _notebook(path, how, text)
    _write(path, data)
    return path


def page_of(out: Path, path: Path) -> str:
    return Path(os.path.relpath(path, out / "html")).as_posix()


# --- the clean build -------------------------------------------------------------------------------------------
def test_the_clean_build_has_no_findings(sample_report, extract):
    for extract_dir in (SAMPLE_EXTRACT, extract):
        found = run_scan(sample_report, extract_dir)
        assert found.empty, "the clean sample build has findings:\n" + summarise(found)


def test_the_corpus_has_every_form_once():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 30
    assert {c["kind"] for c in CASES} == {"identifier", "small count", "child-level row"}


def test_every_leaked_value_is_in_the_extract(extract):
    """Planted identifiers are real values of the sample extract (and of the corpus's linked identifiers)."""
    frames = {raw.name: raw.frame for raw in read_extract(extract).values()}
    for case in CASES:
        if case["kind"] == "identifier":
            column, value = (s.strip() for s in case["from"].split("="))
            table, name = column.split(".")
            assert value in set(frames[table][name].dropna().astype(str)), case["id"]


# --- each planted form -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_a_planted_leak_is_found_on_its_page(case, sample_report, extract, tmp_path):
    out = copy_site(sample_report, tmp_path / "out")
    page = page_of(out, plant(out, case))
    found = run_scan(out, extract)
    here = found[found["page"].str.startswith(page)]
    assert case["kind"] in set(here["kind"]), f"{case['id']} not found as a {case['kind']}:\n" + summarise(found)
    assert len(here) == len(found), f"{case['id']} caused findings elsewhere:\n" + summarise(found)
    if case["kind"] == "identifier":
        value = case["from"].split("=")[1].strip()
        assert value not in found.to_string() + summarise(found), "a finding repeats the value it found"
