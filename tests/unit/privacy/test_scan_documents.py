"""The scan reads PDF and Word files as prose, as it reads a page: a UPN, a small count in a sentence, a child's
key and a small count in a Word table are each found, though none is visible in the files' raw bytes; clean
documents pass, and a damaged one is still searched (fast: the PDFs are written by hand, no browser needed)."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import docx
import pandas as pd
import pytest

from analysis.paths import SAMPLE_EXTRACT
from analysis.privacy.scan import scan
from analysis.privacy.scan.documents import docx_text, pdf_text

PEOPLE = pd.read_csv(SAMPLE_EXTRACT / "ssd_person.csv", dtype=str)
UPN = PEOPLE["pers_upn"].dropna().iloc[0]
CLEAN = ["Of 148 children in the cohort, 60 were known to social care.", "Figure 2 shows ages 0 to 17."]


def _pdf(lines: list[str], title: str = "Report") -> bytes:
    """A one-page PDF whose text is in a compressed content stream, as Chromium writes it (so the raw bytes do not
    show it), with a document title."""
    escaped = [s.replace("(", "\\(").replace(")", "\\)") for s in lines]
    text = " ".join(f"({s}) Tj 0 -16 Td" for s in escaped)
    stream = zlib.compress(f"BT /F1 11 Tf 50 780 Td {text} ET".encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (" + title.encode("latin-1") + b") >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _docx(paragraphs: list[list[str]], table: list[list[str]] | None = None) -> bytes:
    """A Word file; each paragraph is given as its runs, so a sentence can be split across runs as Word splits it."""
    doc = docx.Document()
    for runs in paragraphs:
        p = doc.add_paragraph()
        for run in runs:
            p.add_run(run)
    if table:
        t = doc.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, value in enumerate(row):
                t.cell(i, j).text = value
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _scan(tmp_path: Path, files: dict[str, bytes]) -> pd.DataFrame:
    site = tmp_path / "out" / "html"
    for name, body in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(body)
    return scan(site, SAMPLE_EXTRACT, threshold=10)


def test_pdf_text_and_docx_text_read_what_a_reader_reads(tmp_path):
    pdf = _pdf(["Pupil " + UPN + " was included.", "Only 3 children."], title="Draft")
    assert UPN.encode() not in pdf and b"children" not in pdf  # compressed: the bytes alone show neither
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = pdf_text(tmp_path / "r.pdf")
    assert UPN in text and "Only 3 children." in text and "Draft" in text
    word = _docx([["Only ", "3", " children"]], [["Group", "Children"], ["A", "120"]])
    text = docx_text(word)
    assert "Only 3 children" in text and "Group\tChildren" in text and "A\t120" in text


def test_planted_problems_in_a_pdf_are_found(tmp_path):
    found = _scan(tmp_path, {"report.pdf": _pdf(CLEAN + [f"Pupil {UPN} was included.", "Only 3 children were."])})
    assert set(zip(found["page"], found["kind"])) == {("report.pdf", "identifier"), ("report.pdf", "small count")}
    assert found[found["kind"] == "small count"]["value"].tolist() == ["3 children"]
    assert UPN not in " ".join(found["value"]), "the finding repeats the identifier"


def test_planted_problems_in_a_word_file_are_found(tmp_path):
    word = _docx(
        [CLEAN[:1], ["Pupil ", UPN[:5], UPN[5:], " was included."], ["Only ", "3", " children were."]],
        table=[["Group", "Children"], ["A", "120"], ["B", "4"]],
    )
    found = _scan(tmp_path, {"briefing.docx": word})
    assert set(zip(found["page"], found["kind"])) == {
        ("briefing.docx", "identifier"),
        ("briefing.docx", "small count"),
    }, found
    small = found[found["kind"] == "small count"]
    assert sorted(small["value"]) == ["3 children", "4"]
    assert small["detail"].str.contains("table 1, column 'Children'").any()


def test_a_page_number_is_no_count_but_the_same_words_in_a_sentence_are(tmp_path):
    assert _scan(tmp_path / "a", {"r.pdf": _pdf(["1 of 1", *CLEAN, "Page 1 of 1"])}).empty
    found = _scan(tmp_path / "b", {"r.pdf": _pdf(["In all, 1 of 1 was seen.", *CLEAN])})
    assert set(found["value"]) == {"1 of 1"} and found["detail"].str.contains("N = 1").any()


def test_child_keys_in_documents_are_child_level(tmp_path):
    key = "c_0123456789abcdef"
    found = _scan(tmp_path, {"a.pdf": _pdf([f"Child {key} was seen."]), "b.docx": _docx([[f"Child {key}."]])})
    assert set(zip(found["page"], found["kind"])) == {("a.pdf", "child-level row"), ("b.docx", "child-level row")}


def test_clean_documents_pass_also_inside_a_zip(tmp_path):
    import zipfile

    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("report.pdf", _pdf(CLEAN))
        z.writestr("briefing.docx", _docx([[s] for s in CLEAN], table=[["Group", "Children"], ["A", "120"]]))
    files = {"report.pdf": _pdf(CLEAN), "briefing.docx": _docx([[s] for s in CLEAN]), "all.zip": bundle.getvalue()}
    assert _scan(tmp_path, files).empty


def test_a_document_inside_the_download_zip_is_read(tmp_path):
    import zipfile

    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("downloads/report.pdf", _pdf(["Only 3 children were."]))
    found = _scan(tmp_path, {"all.zip": bundle.getvalue()})
    assert found[["page", "kind"]].values.tolist() == [["all.zip:downloads/report.pdf", "small count"]]


@pytest.mark.parametrize("name", ["broken.pdf", "broken.docx"])
def test_a_damaged_document_is_still_searched_for_identifiers(tmp_path, name):
    body = b"%PDF-1.7\n garbage " + UPN.encode() + b" more garbage\n"
    found = _scan(tmp_path, {name: body})
    assert found["kind"].tolist() == ["identifier"], found


def test_the_printed_report_and_briefing_beside_the_site_are_read(tmp_path):
    site = tmp_path / "out" / "html"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<p>Report</p>")
    (site.parent / "report.pdf").write_bytes(_pdf(["Only 3 children were."]))
    (site.parent / "briefing.docx").write_bytes(_docx([["Pupil ", UPN, "."]]))
    found = scan(site, SAMPLE_EXTRACT, threshold=10)
    assert set(zip(found["page"], found["kind"])) == {
        ("../report.pdf", "small count"),
        ("../briefing.docx", "identifier"),
    }
