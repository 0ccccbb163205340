"""The whole report as one PDF, printed by Chromium from the built HTML book.

Readers who cannot browse a site (a committee pack, an archive, an email attachment) need one document. Printing
the pages the book already built keeps the PDF word for word the same as the site, which the disclosure scan has
judged, instead of a second rendering that could drift from it. Each page's article is copied into one HTML file,
without the site's navigation, search, buttons and download links; a cover and a contents list come first, and
Chromium prints it with page numbers. The PDF is then read back with pypdf: a missing chapter or a font that is
not embedded (the PDF would print differently elsewhere, and archives refuse it) is an error, not a warning.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import shutil
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import lxml.html.builder as E
from lxml.html import HtmlElement

from analysis.errors import UserError
from analysis.report.chromium import Browser

# What a page shows for browsing, not reading: removed from every article before printing. Closed dropdowns hide
# what a reader of the page sees only on a click (the chapter's code), so they are not printed either.
CHROME = (
    "script",
    "noscript",
    "button",
    "form",
    "input",
    "dialog",
    "details[not(@open)]",
    "a[@download]",
    "*[contains(concat(' ', normalize-space(@class), ' '), ' headerlink ')]",
    "*[contains(concat(' ', normalize-space(@class), ' '), ' download ')]",
    "*[contains(concat(' ', normalize-space(@class), ' '), ' d-print-none ')]",
    "*[contains(concat(' ', normalize-space(@class), ' '), ' toggle-details ')]",
    "*[contains(concat(' ', normalize-space(@class), ' '), ' copybtn ')]",
)
SCREEN_CSS = ("togglebutton.css", "copybutton.css", "sphinx-thebe.css")  # styles for buttons, not printed
PRINT_CSS = """
@page { size: A4; margin: 20mm;
  @bottom-center { content: counter(page) " of " counter(pages); font: 9pt sans-serif; color: #333; }
  /* top */ }
html { font-size: 10.5pt; background: #fff; }
body { margin: 0; color: #000; background: #fff; font-family: "DejaVu Sans", "Liberation Sans", sans-serif; }
.print-cover { min-height: 230mm; display: flex; flex-direction: column; justify-content: center; }
.print-cover h1 { font-size: 2.4rem; margin-bottom: 0.5rem; }
.print-cover .subtitle { font-size: 1.4rem; }
.print-cover .banner { font-weight: bold; border: 2px solid #000; padding: 0.5rem; margin-top: 2rem; }
.print-contents { break-before: page; }
.print-contents ol { list-style: none; padding: 0; }
.print-contents li { display: flex; gap: 0.5rem; margin: 0.35rem 0; }
.print-contents .dots { flex: 1; border-bottom: 1px dotted #666; margin-bottom: 0.3rem; }
.print-chapter { break-before: page; }
h1, h2, h3, h4, caption, figcaption { break-after: avoid; }
table, figure, img, svg, pre, .admonition { break-inside: avoid; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
img, svg, video, object { max-width: 100% !important; height: auto; }
.report-table-wrap, .table-wrapper, .cell_output, .output { overflow: visible !important; max-height: none !important; }
body, h1, h2, h3 { font-variant-ligatures: none; }  /* "fi" stays two letters when the text is copied or searched */
h1 { font-size: 2rem; margin: 0 0 1rem; }
h2 { font-size: 1.45rem; margin: 1.6rem 0 0.6rem; }
h3 { font-size: 1.2rem; margin: 1.2rem 0 0.5rem; }
p, li { line-height: 1.45; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #bbb; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #000; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.4rem; }
figure { margin: 1rem 0; }
figcaption { font-size: 0.9rem; margin-top: 0.4rem; }
.caption-number { font-weight: 600; }
pre { white-space: pre-wrap; font-size: 0.85rem; background: #f5f5f5; padding: 0.5rem; }
.admonition, .sd-card { border-left: 4px solid #555; padding: 0.2rem 0.8rem; margin: 1rem 0; background: #f7f7f7; }
a { color: #0b4f8a; }
"""


@dataclasses.dataclass(frozen=True)
class PdfInfo:
    """What the printed PDF was checked for: its size, its fonts and the chapters its text lacks (none, or it
    would not have been written)."""

    pages: int
    bytes: int
    fonts_embedded: bool
    missing_chapters: list[str]
    chapter_pages: list[int | None] = dataclasses.field(default_factory=list)  # as the contents prints them
    prints: int = 0  # Chromium runs it took: 1 when the contents' page numbers were known beforehand


@dataclasses.dataclass
class _Page:
    """One page of the book: where it lives, its anchor in the combined file, its title and its cleaned article."""

    name: str
    url: str
    anchor: str
    title: str
    article: HtmlElement
    ids: dict[str, str]  # the page's own element ids -> their ids in the combined file (renamed on a clash)


def print_report(
    site: Path,
    toc: list[str],
    out_pdf: Path,
    *,
    title: str,
    subtitle: str,
    chromium: str | None = None,
    printed: dt.date | None = None,
    expected_pages: list[int | None] | None = None,
    browser: Browser | None = None,
) -> PdfInfo:
    """Print the book at `site` (a built HTML folder) to `out_pdf`: a cover, the contents with page numbers, then
    the pages named in `toc` (paths relative to the site, without `.html`, in reading order), in `browser` (one the
    caller started early) or else in a Chromium started now (`chromium`: its executable).

    The contents is printed with `expected_pages` (the page each chapter started on in the previous build); the
    print tells on which page each chapter really starts (its named destinations), and only when that differs is
    the PDF printed again with the true numbers. A prose edit seldom moves a chapter, so a rebuild usually prints
    once. Nothing is written to `out_pdf` unless the checks pass.
    Raises UserError when Chromium is missing or fails, a page is missing, a chapter is missing from the printed
    text or a font is not embedded."""
    with contextlib.ExitStack() as stack:
        browser = browser or stack.enter_context(Browser(chromium))
        site = Path(site).resolve()
        pages = [_read_page(site, name) for name in toc]
        if not pages:
            raise UserError("The report has no pages to print: the table of contents is empty.")
        banner = _banner(site / f"{toc[0]}.html")
        cover = {"title": title, "subtitle": subtitle, "banner": banner, "date": printed or dt.date.today()}
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="report-pdf-")))
        html, pdf = work / "report.html", work / "report.pdf"
        guess = list(expected_pages) if expected_pages and len(expected_pages) == len(pages) else None
        html.write_bytes(combined_html(pages, cover, guess))
        browser.print_pdf(html, pdf)
        numbers, prints = chapter_pages(pdf, [p.anchor for p in pages]), 1
        if any(numbers) and numbers != guess:
            html.write_bytes(combined_html(pages, cover, numbers))
            browser.print_pdf(html, pdf)
            prints += 1
        info = dataclasses.replace(check_pdf(pdf, [p.title for p in pages]), chapter_pages=numbers, prints=prints)
        Path(out_pdf).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, out_pdf)
    return info


# --- the combined HTML -------------------------------------------------------------------------------------------
def _read_page(site: Path, name: str) -> _Page:
    """A built page's article, cleaned of the site's chrome, and its title (its first heading)."""
    path = site / f"{name}.html"
    if not path.is_file():
        raise UserError(f"Cannot print the report: the page {name}.html is not in the built site {site}.")
    root = lxml.html.parse(str(path)).getroot()
    found = root.xpath("//article[contains(concat(' ', normalize-space(@class), ' '), ' bd-article ')]")
    found = found or root.xpath("//article") or root.xpath("//*[@role='main']") or root.xpath("//main")
    if not found:
        raise UserError(f"Cannot print the report: {name}.html has no article (was it built by Jupyter Book?).")
    article = copy.deepcopy(found[0])
    for xpath in CHROME:
        for el in article.xpath(f".//{xpath}"):
            if el.getparent() is not None:
                el.drop_tree()  # keeps the text that follows the element
    for el in article.xpath(".//img[@loading]"):
        del el.attrib["loading"]  # a lazy image may never load in a print
    heading = next(iter(article.xpath(".//h1")), None)
    title = " ".join((heading.text_content() if heading is not None else name.rsplit("/", 1)[-1]).split())
    anchor = "print-" + name.replace("/", "-").replace(".", "-")
    return _Page(name, path.as_uri(), anchor, title, article, {})


def _banner(first_page: Path) -> str:
    """The site's announcement when it marks the edition (synthetic data, or internal use only)."""
    if not first_page.is_file():
        return ""
    root = lxml.html.parse(str(first_page)).getroot()
    texts = [
        " ".join(el.text_content().split()) for el in root.xpath("//*[contains(@class, 'bd-header-announcement')]")
    ]
    return next((t for t in texts if "SYNTHETIC" in t.upper() or "INTERNAL" in t.upper()), "")


def _unique_ids(pages: list[_Page]) -> None:
    """Ids stay as they are unless an earlier page used them (every page has its own "summary" or "notes"): those
    are renamed after their page, so every link lands where it did on the site."""
    seen = {p.anchor for p in pages}
    for page in pages:
        for el in page.article.xpath(".//*[@id]"):
            old = el.get("id")
            new = old if old not in seen else f"{page.anchor}--{old}"
            el.set("id", new)
            page.ids[old] = new
            seen.add(new)


def _relink(page: _Page, anchors: dict[str, _Page]) -> None:
    """Links to pages of the book become links within the PDF; images and styles point at the site's files; a link
    to any other file of the site (a download, the index) keeps its text but loses its link, as a file path means
    nothing in a PDF."""
    for a in page.article.xpath(".//a[@href]"):
        target, fragment = urldefrag(urljoin(page.url, a.get("href")))
        if target in anchors:
            other = anchors[target]
            a.set("href", "#" + (other.ids.get(fragment, fragment) if fragment else other.anchor))
        elif urlsplit(target).scheme in ("", "file"):
            del a.attrib["href"]
    page.article.rewrite_links(lambda link: link if link.startswith("#") else urljoin(page.url, link))


def combined_html(pages: list[_Page], cover: dict, numbers: list[int | None] | None = None) -> bytes:
    """One HTML document: the cover, the contents (with page numbers once known) and every page's article.

    Built from deep copies, so the same pages can be combined again with the page numbers."""
    pages = [dataclasses.replace(p, article=copy.deepcopy(p.article), ids={}) for p in pages]
    _unique_ids(pages)
    anchors = {p.url: p for p in pages}
    for page in pages:
        _relink(page, anchors)

    top = f'@top-center {{ content: "{_css_string(cover["banner"])}"; font: bold 9pt sans-serif; }}'
    head = E.HEAD(
        E.META(charset="utf-8"),
        E.TITLE(cover["title"]),
        *_stylesheets(pages[0]),
        E.STYLE(PRINT_CSS.replace("/* top */", top if cover["banner"] else "")),
    )
    body = E.BODY(_cover(cover), _contents(pages, numbers or [None] * len(pages)))
    for page in pages:
        page.article.set("class", (page.article.get("class") or "") + " print-article")
        body.append(E.SECTION(page.article, E.CLASS("print-chapter"), id=page.anchor))
    doc = E.HTML(head, body, lang="en-GB")
    doc.set("data-theme", "light")
    return lxml.html.tostring(doc, doctype="<!DOCTYPE html>", encoding="utf-8")


def _stylesheets(page: _Page) -> list[HtmlElement]:
    """The site's stylesheets for content (tables, figures, code, the project's own), linked where they are; not the
    theme's, which lay out a screen (sidebars, navigation) and size text by the window (and Chromium doubles each
    chapter's title in the PDF outline under them)."""
    root = lxml.html.parse(urlsplit(page.url).path).getroot()
    hrefs = [urljoin(page.url, link.get("href")) for link in root.xpath("//head/link[@rel='stylesheet'][@href]")]
    keep = [h for h in hrefs if "/_static/styles/" not in h and not urlsplit(h).path.endswith(SCREEN_CSS)]
    return [E.LINK(rel="stylesheet", href=h) for h in keep]


def _cover(cover: dict) -> HtmlElement:

    parts = [E.H1(cover["title"]), E.P(cover["subtitle"], E.CLASS("subtitle"))]
    parts.append(E.P(f"Printed {cover['date'].day} {cover['date']:%B %Y}", E.CLASS("date")))
    if cover["banner"]:
        parts.append(E.P(cover["banner"], E.CLASS("banner")))
    return E.SECTION(*parts, E.CLASS("print-cover"))


def _contents(pages: list[_Page], numbers: list[int | None]) -> HtmlElement:

    items = [
        E.LI(E.A(p.title, href=f"#{p.anchor}"), E.SPAN(E.CLASS("dots")), E.SPAN("" if n is None else str(n)))
        for p, n in zip(pages, numbers)
    ]
    return E.NAV(E.H2("Contents"), E.OL(*items), E.CLASS("print-contents"), **{"aria-label": "Contents"})


def _css_string(text: str) -> str:
    """Text as the inside of a CSS string (the banner repeated at the top of every page)."""
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


# --- checking the PDF --------------------------------------------------------------------------------------------
def _squeeze(text: str) -> str:
    """Text without spaces, ligatures or case, so a title matches however a line broke it."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def chapter_pages(pdf: Path, anchors: list[str]) -> list[int | None]:
    """The page (from 1) each chapter starts on: Chromium writes every anchor the contents links to as a named
    destination. None for an anchor the PDF does not hold. PDFium looks each one up in milliseconds; pypdf took
    0.2 s to read every destination of a 51-page report."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument(str(pdf))
    try:
        found = [pdfium_c.FPDF_GetNamedDestByName(doc.raw, a.encode()) for a in anchors]
        index = [pdfium_c.FPDFDest_GetDestPageIndex(doc.raw, d) if d else -1 for d in found]
        return [i + 1 if i >= 0 else None for i in index]
    finally:
        doc.close()


def check_pdf(pdf: Path, titles: list[str]) -> PdfInfo:
    """Page count, every chapter's title in the text beyond the contents list, and every font embedded; raises
    UserError when a chapter is missing or a font is not embedded."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    headings = _squeeze("\n".join(_outline_titles(reader.outline)))
    if headings:  # the bookmarks are the headings Chromium printed: reading them is much faster than the text
        missing = [t for t in titles if _squeeze(t) not in headings]
    else:  # each title is once in the contents and again at its chapter's head: once only means it did not print
        text = _squeeze("\n".join(page.extract_text() or "" for page in reader.pages))
        missing = [t for t in titles if text.count(_squeeze(t)) < 2]
    embedded = fonts_embedded(reader)
    info = PdfInfo(len(reader.pages), pdf.stat().st_size, embedded, missing)
    if missing:
        raise UserError(f"The printed report lacks chapter(s): {', '.join(missing)}; no PDF was written.")
    if not embedded:
        raise UserError("The printed report has fonts that are not embedded; no PDF was written.")
    return info


def _outline_titles(outline) -> list[str]:
    """Every bookmark's title, nested ones too."""
    titles = []
    for item in outline:
        titles += _outline_titles(item) if isinstance(item, list) else [str(item.title)]
    return titles


def fonts_embedded(reader) -> bool:
    """Whether every font the pages use (also inside form XObjects, and a composite font's descendants) carries its
    font file; a Type 3 font draws its glyphs itself, so it is embedded by nature."""
    seen: set[int] = set()
    stack = [page.get("/Resources") for page in reader.pages]
    while stack:
        resources = stack.pop()
        resources = resources.get_object() if resources is not None else None
        if not resources or id(resources) in seen:
            continue
        seen.add(id(resources))
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            fonts = [d.get_object() for d in font.get("/DescendantFonts") or []] or [font]
            for f in fonts:
                if f.get("/Subtype") == "/Type3":
                    stack.append(f.get("/Resources"))
                    continue
                descriptor = (f.get("/FontDescriptor") or {}).get_object() if f.get("/FontDescriptor") else {}
                if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    return False
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                stack.append(xobject.get("/Resources"))
    return True
