"""End to end: the sample extract through every stage to HTML, measures.json and tables (slow: runs papermill
and Jupyter Book)."""

import json
import re

import nbformat
import pandas as pd
import pytest

from analysis.paths import SAMPLE_EXTRACT
from analysis.report.book import toc_chapters

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(sample_report):
    return sample_report


def _executed(built) -> dict:
    """The executed chapter notebooks of a build, by chapter name (kept in the build's chapter cache)."""
    out = {}
    for path in (built / ".cache" / "chapters").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        out[nb.metadata["adversity_report"]["chapter"]] = path
    return out


def _text(html_path):
    s = html_path.read_text()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", s[s.index("<main") : s.index("</main>")]))


def test_every_toc_chapter_is_rendered(built):
    assert (built / "html" / "index.html").is_file()
    for f in toc_chapters():
        page = built / "html" / f"{f}.html"
        assert page.is_file(), f
        if f.startswith("book/chapters/"):  # every chapter has a figure; glossary, references and the statement not
            assert "<img" in page.read_text(), f"{f} has no figure"


def test_measures_json_numbers_are_the_ones_in_the_book(built):
    m = json.loads((built / "measures.json").read_text())
    summary = _text(built / "html" / "book" / "chapters" / "summary.html")
    for key in ("known_to_csc", "first_adversity_before_5"):
        if m[key]["suppressed"]:
            assert "suppressed" in summary
            continue
        pct = f"{100 * m[key]['value']:.1f}%"
        assert f"{m[key]['numerator']} of {m[key]['denominator']} ({pct}" in summary, key
    assert f"The cohort is {m['cohort_size']} children" in summary
    # and each headline carries what the issue asks for
    for key in ("known_to_csc", "first_adversity_before_5"):
        assert {"numerator", "denominator", "value", "interval", "name"} <= set(m[key])
    assert {d["name"] for d in m["domains"]} >= {"domestic_abuse"}


def test_glued_values_come_from_the_study(built):
    nb = nbformat.read(_executed(built)["summary"], as_version=4)
    glued = {
        o["metadata"]["scrapbook"]["name"]: o["data"].get(o["metadata"]["scrapbook"]["mime_prefix"] + "text/plain")
        for c in nb.cells
        for o in c.get("outputs", [])
        if "scrapbook" in o.get("metadata", {})
    }
    assert glued["la_name"] == "'Synthetic Borough'"
    assert glued["cohort_size"].strip("'") == str(json.loads((built / "measures.json").read_text())["cohort_size"])


def test_parameter_cells_are_hidden_from_readers(built):
    for page in (built / "html" / "book" / "chapters").glob("*.html"):
        html = page.read_text()
        # the injected value (the run's study folder) never shows; the code panel shows only the chapter's own code
        assert ".work/study" not in html and "injected-parameters" not in html, page.name
        assert "Show the code for this chapter" in html, page.name


def test_published_tables_are_written_and_disclosure_controlled(built):
    tables = {p.stem: pd.read_csv(p, dtype=str) for p in (built / "tables").glob("*.csv")}
    assert {"table_1", "domain_prevalence", "first_adversity_age", "selection_flow"} <= set(tables)
    t1 = tables["table_1"]
    counts = pd.to_numeric(t1["Children"], errors="coerce")
    assert not counts.between(1, 9).any()


def test_no_identifier_reaches_the_outputs(built):
    person = pd.read_csv(SAMPLE_EXTRACT / "ssd_person.csv", dtype=str)
    send = pd.read_csv(SAMPLE_EXTRACT / "sen2_person.csv", dtype=str)
    needles = (
        set(person["pers_person_id"])
        | set(send["person_table_id"])
        | set(send["upn"].dropna())
        | set(person["pers_postcode"].dropna())
        | set(send["forename"] + " " + send["surname"])
    )
    needles = {n for n in needles if len(n) >= 6}
    haystacks = (
        list((built / "html").rglob("*.html"))
        + list((built / "tables").glob("*.csv"))
        + list(_executed(built).values())
    )
    for path in haystacks:
        text = path.read_text(errors="ignore")
        leaked = [n for n in needles if n in text]
        assert not leaked, f"{path.name} contains identifiers, e.g. {leaked[:3]}"


def test_chapters_print_no_warnings_or_errors(built):
    for path in _executed(built).values():
        nb = nbformat.read(path, as_version=4)
        streams = [o["text"] for c in nb.cells for o in c.get("outputs", []) if o["output_type"] in ("stream", "error")]
        assert not streams, f"{path.name}: {streams[0][:300]}"


def test_the_public_edition_shows_no_child_level_sections(built):
    for page in ("data_quality", "timelines"):
        assert "internal edition only" not in _text(built / "html" / "book" / "chapters" / f"{page}.html")


def test_the_report_is_printed_and_briefed(built):
    """OUT/report.pdf holds every chapter, numbered pages and embedded fonts; OUT/briefing.docx has the main points;
    both are also in the site's downloads, where the Summary links to them."""
    import docx
    from pypdf import PdfReader

    from analysis.report import pdf

    reader = PdfReader(built / "report.pdf")
    headings = " ".join(pdf._outline_titles(reader.outline))
    heading = re.compile(r'<h1>(?:<span class="section-number">[^<]*</span>)?([^<]+)<a class="headerlink"')
    titles = [heading.search((built / "html" / f"{f}.html").read_text()) for f in toc_chapters()]
    assert all(t and t.group(1).strip() in headings for t in titles), headings
    assert pdf.fonts_embedded(reader) and f"1 of {len(reader.pages)}" in reader.pages[0].extract_text()
    brief = docx.Document(built / "briefing.docx")
    assert "Main points" in [p.text for p in brief.paragraphs if p.style.name.startswith("Heading")]
    for name in ("report.pdf", "briefing.docx", "all-tables.zip"):
        assert (built / "html" / "downloads" / name).is_file(), name
        assert f"../../downloads/{name}" in (built / "html" / "book" / "chapters" / "summary.html").read_text()
