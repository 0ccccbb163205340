"""The report printed to one PDF: a tiny two-chapter site shaped like a Jupyter Book build prints with a cover and
contents, page numbers, both chapters, embedded fonts and none of the site's buttons; without Chromium the error
says how to fix it (the printing tests skip when Chromium is not installed)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from analysis.errors import UserError
from analysis.report.pdf import PdfInfo, chapter_pages, print_report

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed")

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{up}_static/site.css"></head><body>
<aside class="bd-header-announcement"><div>SYNTHETIC DATA: made-up children.</div></aside>
<header class="bd-header"><button>Toggle navigation</button><input placeholder="Search"></header>
<div class="bd-sidebar-primary"><nav>Sidebar contents</nav></div>
<main id="main-content"><div class="bd-header-article d-print-none"><a class="btn">Fullscreen mode</a></div>
<article class="bd-article"><section id="{id}"><h1>{title}<a class="headerlink" href="#{id}">#</a></h1>
{body}</section></article>
<footer class="prev-next-footer d-print-none">Next page</footer></main></body></html>"""
SUMMARY = """<p>The cohort is 163 children. See the <a href="methods.html#design">design</a>.</p>
<figure><img alt="A bar chart" src="{up}_images/chart.svg"><figcaption>Fig. 1 A chart.
<a class="reference download internal" download="" href="{up}_downloads/t.csv"><code class="download">Download the
data (CSV)</code></a></figcaption></figure>
<details class="sd-dropdown"><summary>Show the code for this chapter</summary><pre>print(1)</pre></details>"""
METHODS = """<section id="design"><h2>Design<a class="headerlink" href="#design">#</a></h2>
<p>{text}</p></section>"""
CHART = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200"><rect width="400" height="200" fill="#ddd"/>'
    '<text x="20" y="100" font-family="sans-serif">Chart label</text></svg>'
)


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "html"
    (site / "_static").mkdir(parents=True)
    (site / "_images").mkdir()
    (site / "_static/site.css").write_text("body { font-family: sans-serif; }")
    (site / "_images/chart.svg").write_text(CHART)
    up = "../../"
    pages = {
        "summary": ("Summary", SUMMARY.format(up=up)),
        "methods": ("Methods of the study", METHODS.format(text="Records were linked. " * 400)),
    }
    for name, (title, body) in pages.items():
        path = site / "book/chapters" / f"{name}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PAGE.format(title=title, id=name, up=up, body=body))
    return site


TOC = ["book/chapters/summary", "book/chapters/methods"]


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> tuple[PdfInfo, Path]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium package is not installed")
    tmp = tmp_path_factory.mktemp("pdf")
    out = tmp / "out" / "report.pdf"
    info = print_report(
        _site(tmp), TOC, out, title="Adversity before SEND", subtitle="Test Borough", printed=dt.date(2026, 3, 31)
    )
    return info, out


@needs_chromium
def test_the_pdf_has_a_cover_contents_and_both_chapters(printed):
    info, out = printed
    reader = PdfReader(out)
    assert info.pages == len(reader.pages) >= 4  # cover, contents, summary, methods (two pages or more)
    assert info.bytes == out.stat().st_size and info.fonts_embedded and info.missing_chapters == []
    first = reader.pages[0].extract_text()
    assert "Adversity before SEND" in first and "Test Borough" in first and "31 March 2026" in first
    assert "SYNTHETIC DATA" in first
    contents = reader.pages[1].extract_text()
    assert "Contents" in contents and "Summary" in contents and "Methods of the study" in contents
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "The cohort is 163 children" in text and "Records were linked." in text


@needs_chromium
def test_pages_are_numbered_and_the_contents_give_each_chapters_page(printed):
    _, out = printed
    reader = PdfReader(out)
    n = len(reader.pages)
    assert f"1 of {n}" in reader.pages[0].extract_text()
    assert all(f"{i + 1} of {n}" in page.extract_text() for i, page in enumerate(reader.pages))
    contents = " ".join(reader.pages[1].extract_text().split())
    assert "Summary 3" in contents and "Methods of the study 4" in contents, contents
    assert [o.title for o in reader.outline if not isinstance(o, list)][1:] == ["Summary", "Methods of the study"]


@needs_chromium
def test_no_site_chrome_is_printed(printed):
    _, out = printed
    text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    for chrome in ("Toggle navigation", "Download", "Fullscreen", "Sidebar contents", "Next page", "Show the code"):
        assert chrome not in text, chrome
    assert "#" not in text  # the headings' permalink signs


@needs_chromium
def test_fonts_are_embedded_and_the_chart_is_drawn(printed):
    _, out = printed
    reader = PdfReader(out)
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            fonts = [d.get_object() for d in font.get("/DescendantFonts") or []] or [font]
            assert all({"/FontFile", "/FontFile2", "/FontFile3"} & set(f["/FontDescriptor"]) for f in fonts)
    assert "Chart label" in reader.pages[2].extract_text()  # the SVG image resolved from the site's _images


@needs_chromium
def test_a_link_to_another_chapter_stays_inside_the_pdf(printed):
    _, out = printed
    reader = PdfReader(out)
    links = [a.get_object() for a in reader.pages[2].get("/Annots") or []]
    assert links and all("/Dest" in a for a in links)  # named destinations, no file:// URI
    assert not any("/URI" in (a.get("/A") or {}) for a in links)


def test_without_chromium_the_error_says_how_to_fix_it(tmp_path):
    site = _site(tmp_path)
    with pytest.raises(UserError, match="install Debian's chromium package.*pdf: false"):
        print_report(site, TOC, tmp_path / "r.pdf", title="T", subtitle="S", chromium=str(tmp_path / "no-chromium"))
    assert not (tmp_path / "r.pdf").exists()


def test_without_chromium_on_path_the_error_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserError, match="no `chromium` command was found.*pdf: false"):
        print_report(_site(tmp_path), TOC, tmp_path / "r.pdf", title="T", subtitle="S", chromium=None)


@needs_chromium
def test_a_page_missing_from_the_site_is_an_error(tmp_path):
    with pytest.raises(UserError, match="book/chapters/costs.html is not in the built site"):
        print_report(_site(tmp_path), [*TOC, "book/chapters/costs"], tmp_path / "r.pdf", title="T", subtitle="S")


@needs_chromium
def test_the_contents_printed_with_known_pages_takes_one_print_and_a_wrong_guess_is_corrected(printed, tmp_path):
    """A rebuild passes the pages the last print found: right, Chromium runs once; wrong (a prose edit moved a
    chapter), the PDF is printed again with the true numbers."""
    first, _ = printed
    assert first.prints == 2 and first.chapter_pages == [3, 4]  # nothing known beforehand: printed twice
    site = _site(tmp_path)
    again = print_report(site, TOC, tmp_path / "a.pdf", title="T", subtitle="S", expected_pages=[3, 4])
    assert again.prints == 1 and again.chapter_pages == [3, 4]
    wrong = print_report(site, TOC, tmp_path / "b.pdf", title="T", subtitle="S", expected_pages=[3, 9])
    assert wrong.prints == 2 and wrong.chapter_pages == [3, 4]
    contents = " ".join(PdfReader(tmp_path / "b.pdf").pages[1].extract_text().split())
    assert "Methods of the study 4" in contents and "Methods of the study 9" not in contents
    assert chapter_pages(tmp_path / "b.pdf", ["no-such-anchor"]) == [None]  # an anchor the PDF does not hold
