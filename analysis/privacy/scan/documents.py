"""PDF and Word documents: their text read as a reader sees it, so the report's PDF and the briefing are judged as
prose, exactly as the HTML pages are.

A PDF's page text sits in compressed content streams and a Word file's sentences are split across XML runs, so the
raw bytes hide both identifiers and counts ("3 children" can be `<w:t>3</w:t><w:t> children</w:t>`): only the
extracted text shows what a reader reads.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

from analysis.privacy.scan.binary import printable
from analysis.privacy.scan.findings import Findings
from analysis.privacy.scan.tables import Table, check
from analysis.privacy.scan.text import child_keys, prose, read_text


def _bytes(source: Path | str | bytes) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def pdf_text(source: Path | str | bytes) -> str:
    """Every page's text, then the document information (title, author, subject, keywords), the outline's titles and
    the links and notes of its annotations: all a reader of the PDF can see or copy."""
    from pypdf import PdfReader

    data = _bytes(source)
    reader = PdfReader(io.BytesIO(data))
    pages = _page_texts(data)
    parts = [_without_folio(text, i + 1, len(pages)) for i, text in enumerate(pages)]
    info = reader.metadata or {}
    parts += [str(v) for v in info.values() if v]
    parts += _outline_titles(reader.outline)
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A")
            action = action.get_object() if action is not None else {}
            parts += [str(v) for v in (annot.get("/Contents"), action.get("/URI")) if v]
    # Chromium sets "fi" and "ffl" as one glyph: "Griﬃn" must still match "Griffin"
    return unicodedata.normalize("NFKC", "\n".join(parts))


def _page_texts(data: bytes) -> list[str]:
    """Each page's text as PDFium (Chromium's own PDF engine) reads it out: a tenth of a second for the whole report,
    where pypdf's text extraction took seconds. Lines end in \\n, as in the HTML text, and PDFium's mark for a hyphen
    where a line may break (\\x02) is read as the hyphen it is ("Looked-after"). Its words and numbers are pypdf's,
    but for text set at an angle (a chart's vertical axis title), which PDFium gives a letter or two at a time."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        texts = []
        for page in doc:
            text_page = page.get_textpage()
            texts.append(text_page.get_text_range().replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "-"))
            text_page.close()
            page.close()
        return texts
    finally:
        doc.close()


def _without_folio(text: str, number: int, total: int) -> str:
    """A page's text without its own page number on a line of its own ("3 of 41", "Page 3 of 41"), which reads as
    'N of M' but counts pages, not children; the same words in a sentence are still judged."""
    folio = re.compile(rf"^[ \t]*(?:page[ \t]+)?{number}[ \t]+of[ \t]+{total}[ \t]*$", re.I | re.M)
    return folio.sub("", text)


def _outline_titles(outline) -> list[str]:
    """The titles of a PDF outline (bookmarks), nested lists included."""
    out: list[str] = []
    for item in outline:
        if isinstance(item, list):
            out += _outline_titles(item)
        elif getattr(item, "title", None):
            out.append(str(item.title))
    return out


def docx_parts(source: Path | str | bytes) -> tuple[str, list[list[list[str]]]]:
    """The running text of a Word file (paragraphs outside tables, headers and footers) and its tables (rows of
    cell texts, nested tables as tables of their own), kept apart so tables are judged as tables, as on a page."""
    import docx
    from docx.oxml.ns import qn
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    doc = docx.Document(io.BytesIO(_bytes(source)))
    parts = [doc.element.body]
    for section in doc.sections:
        for hf in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            if not hf.is_linked_to_previous:
                parts.append(hf._element)
    prose, tables = [], []
    for part in parts:
        for p in part.iter(qn("w:p")):
            if not any(a.tag == qn("w:tbl") for a in p.iterancestors()):
                prose.append(Paragraph(p, doc).text)
        for tbl in part.iter(qn("w:tbl")):
            rows = [[cell.text for cell in row.cells] for row in DocxTable(tbl, doc).rows]
            tables.append([[" ".join(c.split()) for c in row] for row in rows])
    return "\n".join(prose), tables


def docx_text(source: Path | str | bytes) -> str:
    """All the text of a Word file: paragraphs, then each table's cells row by row (a cell spanning columns once)."""
    return _joined(*docx_parts(source))


def _joined(prose: str, tables: list[list[list[str]]]) -> str:
    cells = ["\t".join(dict.fromkeys(row)) for table in tables for row in table]
    return "\n".join([prose, *cells])


def read_pdf(f: Findings, page: str, data: bytes) -> None:
    """A PDF as prose; a file pypdf cannot read is searched for identifiers in its printable runs instead."""
    try:
        text = pdf_text(data)
    except Exception as e:  # pypdf raises many types on damaged files; the scan must still read what it can
        read_text(f, page, printable(data), f"the PDF's printable text (unreadable by pypdf: {type(e).__name__})")
        return
    read_text(f, page, text, "the PDF's text", counts=True)


def read_docx(f: Findings, page: str, data: bytes) -> bool:
    """A Word file: its paragraphs as prose and its tables as tables, as on an HTML page. False when python-docx
    cannot read it (not a Word file after all, or a damaged one), so the caller reads its zip parts instead."""
    try:
        text, tables = docx_parts(data)
    except Exception:  # python-docx raises many types on damaged files
        return False
    everything = _joined(text, tables)
    f.identifiers(page, everything, "the document's text")
    for i, rows in enumerate(t for t in tables if t):
        check(f, page, Table(rows[0], rows[1:], f"the document's table {i + 1}"))
    prose(f, page, text, "the document's text")
    child_keys(f, page, everything, "the document's text")
    return True
