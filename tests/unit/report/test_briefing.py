"""The Word briefing: real headings, one chart with alternative text, the main points, about two pages, the
authority as author, and nothing disclosure control withheld."""

import copy
import dataclasses
import zipfile

import docx
import matplotlib.pyplot as plt
import pytest
from docx.oxml.ns import qn

from analysis import paths
from analysis.preview import open_study
from analysis.privacy.disclosure import SUPPRESSED
from analysis.privacy.scan.run import scan
from analysis.report import briefing, downloads
from analysis.report import main_points as mp

HEADINGS = ["Main points", "What this means", "Recommendations", "Contact"]


@pytest.fixture(scope="module")
def sample():
    return open_study(None)


@pytest.fixture(scope="module")
def written(sample, tmp_path_factory):
    path = briefing.write_briefing(sample, tmp_path_factory.mktemp("briefing"))
    return path, docx.Document(str(path))


def _text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def _headings(doc, level: int) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == f"Heading {level}"]


def _suppressed(sample, *names):
    """The sample with the named measures replaced by the suppression symbol."""
    measures = copy.deepcopy(sample.measures)
    measures.update({n: SUPPRESSED for n in names})
    return dataclasses.replace(sample, measures=measures)


def test_the_briefing_is_a_word_document_with_real_headings(written, sample):
    path, doc = written
    assert path.name == "briefing.docx"
    title = [p.text for p in doc.paragraphs if p.style.name == "Title"]
    assert title == [briefing.TITLE]
    assert sample.params["la_name"] in [p.text for p in doc.paragraphs if p.style.name == "Subtitle"]
    assert _headings(doc, 1) == HEADINGS
    assert _headings(doc, 2) == [r.title for r in sample.fired]


def test_it_carries_the_release_facts_and_the_synthetic_warning(written, sample, tmp_path):
    _, doc = written
    text = _text(doc)
    for key, value in mp.release_facts(sample).items():
        assert f"{mp.RELEASE_LABELS[key]}: {value}" in text
    assert sample.params["synthetic"] and briefing.SYNTHETIC in text
    real = dataclasses.replace(sample, params={**sample.params, "synthetic": False, "contact": "data@borough.gov.uk"})
    text = _text(docx.Document(str(briefing.write_briefing(real, tmp_path))))
    assert briefing.SYNTHETIC not in text and "SYNTHETIC" not in text
    assert "Questions about this briefing: data@borough.gov.uk." in text


def test_the_main_points_are_bullets_with_acronyms_spelled_out_once(written, sample):
    _, doc = written
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert bullets == briefing.prose(sample)["main points"]
    assert 4 <= len(bullets) <= 6
    body = _text(doc)
    assert body.count("Education, Health and Care (EHC)") == 1
    assert body.count("special educational needs and disabilities (SEND)") == 1
    expanded = body.index("Education, Health and Care (EHC)")
    assert body.find("EHC needs assessment") == -1 or body.find(" EHC needs assessment") > expanded


def test_one_chart_at_200_dpi_with_alternative_text_that_gives_its_values(written, sample):
    _, doc = written
    assert len(doc.inline_shapes) == 1
    shape = doc.inline_shapes[0]
    alt = shape._inline.docPr.get("descr")
    chart = briefing.chart(sample)
    assert alt == chart.alt() and alt.startswith("Bar chart of")
    for value in chart.table["Share"]:
        assert mp.percent(float(value)) in alt
    image = doc.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].image
    assert image.horz_dpi == 200
    assert shape.width <= briefing.MAX_WIDTH and shape.height <= briefing.MAX_HEIGHT
    assert f"Figure 1: {chart.title()}" in _text(doc)


def test_about_two_pages(written):
    _, doc = written
    words = sum(len(p.text.split()) for p in doc.paragraphs)
    assert 200 < words < 900
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_properties_name_the_authority_and_british_english(written, sample):
    _, doc = written
    props = doc.core_properties
    assert props.author == props.last_modified_by == sample.params["la_name"]
    assert briefing.TITLE in props.title and props.language == "en-GB"
    lang = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "en-GB"


def test_no_save_time_in_the_file_so_two_builds_give_the_same_bytes(written, sample):
    """python-docx stamps each entry with the time it saved the file; the briefing keeps only its own date."""
    path, doc = written
    with zipfile.ZipFile(path) as z:
        assert {i.date_time for i in z.infolist()} == {downloads.ZIP_TIME}
    prepared = str(sample.provenance.prepared_at)[:10]
    assert doc.core_properties.created.date().isoformat() == prepared == doc.core_properties.modified.date().isoformat()


def test_a_suppressed_measure_is_withheld_in_the_briefing_too(sample, tmp_path):
    hidden = _suppressed(sample, "with_adversity", "early_help_before_request")
    text = _text(docx.Document(str(briefing.write_briefing(hidden, tmp_path))))
    assert "The number of children with adversity documented before their request is withheld" in text
    assert "The number of children who had early help before their request is withheld" in text
    shown = sample.measures["with_adversity"]
    assert not shown["suppressed"]  # the sample shows it: hiding it must remove its numbers
    assert f"({mp.percent(shown['value'])}) had adversity" not in text
    assert f"({mp.percent(sample.measures['early_help_before_request']['value'])}) had early help" not in text


def test_without_a_chart_to_draw_there_is_no_picture_and_no_crash(sample, tmp_path):
    tables = {k: v.copy() for k, v in sample.tables.items()}
    for name in ("domain_prevalence", "known_tiers"):
        tables[name] = tables[name].assign(Share=SUPPRESSED)
    path = briefing.write_briefing(dataclasses.replace(sample, tables=tables), tmp_path / "own.docx")
    assert path == tmp_path / "own.docx"
    doc = docx.Document(str(path))
    assert len(doc.inline_shapes) == 0 and _headings(doc, 1) == HEADINGS


def test_a_chart_supplied_by_the_build_keeps_the_alt_text_given(sample, tmp_path):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar([0, 1], [1, 2])
    png = tmp_path / "given.png"
    fig.savefig(png, dpi=200)
    plt.close(fig)
    doc = docx.Document(str(briefing.write_briefing(sample, tmp_path, png, alt="Two bars, the second twice the first")))
    assert [s._inline.docPr.get("descr") for s in doc.inline_shapes] == ["Two bars, the second twice the first"]


def test_the_briefing_passes_the_publish_gate(sample, tmp_path):
    site = tmp_path / "site"
    briefing.write_briefing(sample, site)
    allow = [
        sample.params["la_name"],
        sample.params["la_code"],
        sample.params["study_start"],
        sample.params["study_end"],
    ]
    findings = scan(site, paths.SAMPLE_EXTRACT, allow=[str(a) for a in allow], tables_dir=site, json_dir=site)
    assert findings.empty, findings.to_string()
