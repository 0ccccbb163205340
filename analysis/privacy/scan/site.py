"""The walk over a built site, handing each file to the reader for its format.

Every file is read, whatever its suffix: pages, tables, JSON, notebooks, PDF and Word documents by their readers
(a document's text as prose, like a page's); compressed files (.gz, zip archives, the other parts of a workbook or
Word file, objects.inv) after decompressing them; images for the text in their metadata; any other text file for
identifiers; any other binary file for the identifiers in its printable runs. In a vendor folder (`_static`, where
the theme puts its scripts, styles and fonts) a file byte-identical to one an installed package ships is skipped (see
`vendor`); every other file there is searched for identifiers, but only data files are judged for counts, as a
theme's code is not prose.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import snowballstemmer

from analysis.privacy.scan.binary import decode, image_texts, inflate, inventory_text, printable
from analysis.privacy.scan.documents import read_docx, read_pdf
from analysis.privacy.scan.findings import Findings
from analysis.privacy.scan.html_pages import read_html
from analysis.privacy.scan.json_files import read_json
from analysis.privacy.scan.notebooks import read_notebook
from analysis.privacy.scan.tables import read_csv, read_xlsx
from analysis.privacy.scan.text import read_text
from analysis.privacy.scan.vendor import pristine, template_words

# Sphinx's search index lists each word of the pages on its own, so an allowed phrase ("Kingston upon Thames") is
# found there only as separate words. The pages themselves are checked with the whole-phrase rule, so a name that
# leaked into a page is still caught there.
SEARCH_INDEX = "searchindex.js"
TEXT_SUFFIXES = {".txt", ".md", ".svg", ".xml", ".js", ".rst", ".css", ".map", ".po", ".yml", ".yaml", ".tex"}
PROSE_SUFFIXES = {".txt", ".md", ".rst"}  # written for readers: their counts are judged as well
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp", ".ico", ".avif", ".heic"}
ZIP_SUFFIXES = {".zip", ".docx", ".pptx", ".odt", ".ods", ".odp", ".epub"}
SHEET_PARTS = ("xl/worksheets/", "xl/sharedStrings.xml")  # a workbook's cells: read by `read_xlsx`
WORD_TEXT_PARTS = ("word/document.xml", "word/header", "word/footer")  # a Word file's text: read by `read_docx`
VENDOR_DIRS = {"_static"}  # theme scripts, fonts and translations (see the module docstring)


def read_file(f: Findings, path: Path, vendor: bool = False) -> None:
    """One file of the site (or beside it), by its suffix."""
    data = path.read_bytes()
    page, key = f.page(path), (path.name, vendor, hashlib.sha256(data).digest())
    f.seen.add(key)
    if key in f.judged:  # the same bytes under the same name (the report beside the site and in its downloads, or
        # a file the last build published unchanged: see `memo`), so a rebuild need not load the packages' hashes
        f.repeat(*f.judged[key], page)
        return
    start = len(f.rows)
    if not (vendor and pristine(data)):
        read_data(f, page, path.name, data, vendor)
    f.judged[key] = (page, f.rows[start:])


def read_data(f: Findings, page: str, name: str, data: bytes, vendor: bool = False) -> None:
    """The bytes of a file called `name`, shown to readers as `page`."""
    suffix = Path(name).suffix.lower()
    if suffix == ".gz":
        read_data(f, page, name[:-3], inflate(data, 31), vendor)
    elif suffix == ".xlsx":
        read_xlsx(f, page, data)
        read_zip(f, page, data, vendor, skip=SHEET_PARTS)
    elif suffix == ".docx":
        read_zip(f, page, data, vendor, skip=WORD_TEXT_PARTS if read_docx(f, page, data) else ())
    elif suffix == ".pdf":
        read_pdf(f, page, data)
    elif suffix in ZIP_SUFFIXES:
        read_zip(f, page, data, vendor)
    elif suffix == ".inv":
        read_text(f, page, inventory_text(data), "the inventory of the site's pages and labels")
    elif suffix in IMAGE_SUFFIXES:
        read_text(f, page, "\n".join(image_texts(data)), "the image's metadata", _known(name, vendor))
    else:
        read_decoded(f, page, name, data, vendor)


def read_decoded(f: Findings, page: str, name: str, data: bytes, vendor: bool) -> None:
    """A file that is not compressed: by its suffix if it is text, for printable runs if it is binary."""
    suffix, text = Path(name).suffix.lower(), decode(data)
    if text is None:
        read_text(f, page, printable(data), "the file's printable text", _known(name, vendor))
    elif suffix in (".html", ".htm"):
        read_html(f, page, text)
    elif suffix in (".csv", ".tsv"):
        read_csv(f, page, text, tsv=suffix == ".tsv")
    elif suffix == ".json":
        read_json(f, page, text)
    elif suffix == ".ipynb":
        read_notebook(f, page, text)
    elif name == SEARCH_INDEX:  # every word of the pages alone: a place name published by design is split in words
        read_text(f, page, text, known=_known(name, vendor) | index_words(f.ids.allowed))
    else:  # scripts, styles, SVG, plain text and any other text file
        read_text(f, page, text, known=_known(name, vendor), counts=suffix in PROSE_SUFFIXES and not vendor)


def read_zip(f: Findings, page: str, data: bytes, vendor: bool, skip: tuple[str, ...] = ()) -> None:
    """Every member of a zip archive (a .docx or a workbook is one), named as archive:member."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith(skip)]
    except (zipfile.BadZipFile, OSError):
        read_text(f, page, printable(data), "the file's printable text")
        return
    for member in members:
        with archive.open(member) as handle:
            body = handle.read(256 * 1024 * 1024)
        read_data(f, f"{page}:{member.filename}", member.filename.rsplit("/", 1)[-1], body, vendor)


def index_words(phrases: tuple[tuple[str, ...], ...]) -> frozenset[str]:
    """The words of the phrases published by design as Sphinx's English search index holds them: each word and its
    Porter stem ("West Midlands" is indexed as "west" and "midland")."""
    stem = snowballstemmer.stemmer("porter").stemWord
    words = {t for p in phrases for t in p}
    return frozenset(words | {stem(w) for w in words})


def _known(name: str, vendor: bool) -> frozenset[str]:
    return template_words(name) if vendor else frozenset()


def walk(folder: Path) -> Iterator[tuple[Path, bool]]:
    """Every file under `folder` in a fixed order, and whether it is in a vendor folder."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        vendor = any(part in VENDOR_DIRS for part in Path(dirpath).relative_to(folder).parts)
        for f in sorted(filenames):
            yield Path(dirpath) / f, vendor
