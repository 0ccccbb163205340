"""What the national context chapter says: its sentences for the fixture cut from DfE's published files, with and
without neighbours, with and without overdispersion and authorities left off the funnel; the texts it shows when no
national data were supplied; and names, file names and codes written as markup, which must come out as text."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from analysis.derive import national
from analysis.ingest import national as national_files
from analysis.report import national_figures, national_prose

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "national"
MARKDOWN = (
    national_prose.intro,
    national_prose.trend_text,
    national_prose.funnel_text,
    national_prose.trend_caption,
    national_prose.funnel_caption,
)
HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))")


def html(markdown: str) -> str:
    """Markdown as the book renders it (CommonMark, raw HTML allowed, as in MyST)."""
    return MarkdownIt("commonmark").render(markdown)


def texts(n, trend, threshold: int = 10) -> list[str]:
    """Every text the chapter writes as Markdown (the alt texts are plain text: see `test_alt_text`)."""
    return [f(n) for f in MARKDOWN] + [national_prose.source_text(n, threshold)]


@pytest.fixture(scope="module")
def release():
    return national_files.read_release(FIXTURE)


@pytest.fixture(scope="module")
def oxfordshire(release):
    n, tables = national.national_context(release, "931", ("825", "E10000032", "999"))
    return n, tables["national_trend"]


def test_the_authority_beside_its_region_and_england(oxfordshire):
    n, _ = oxfordshire
    text = national_prose.intro(n)
    assert text.startswith("In 2024, Oxfordshire received 1,734 requests for an EHC needs assessment, against 24,030")
    assert "in the South East region and 154,489 in England" in text
    assert "In January 2025 it maintained 7,307 EHC plans (638,745 in England)" in text
    assert "38.5% were issued within the statutory 20 weeks, against 46.4% in England." in text


def test_the_trend_names_the_neighbours_found_and_the_source_the_codes_not_found(oxfordshire):
    n, trend = oxfordshire
    text = national_prose.trend_text(n)
    assert text.startswith("**Over time.**")
    assert "the average of its statistical neighbours (Buckinghamshire and West Sussex)" in text
    assert n.series_break in html(text)
    assert "South East, England and its statistical neighbours" in national_prose.trend_caption(n)
    assert "its statistical neighbours over the years" in national_prose.trend_alt(n, trend)
    assert national_figures.trend_title(trend) in national_prose.trend_alt(n, trend)
    source = html(national_prose.source_text(n, 10))
    assert "assessments.csv, caseload.csv, requests.csv and timeliness_20_week.csv" in source
    assert "not found in the files: 999." in source
    assert "a count from 1 to 9 in any area" in source
    assert "<strong>Source.</strong>" in source


def test_without_neighbours_the_texts_say_so_and_do_not_claim_any(release):
    n, tables = national.national_context(release, "931")
    trend = tables["national_trend"]
    assert "no statistical neighbours (none were given in `statistical_neighbours`)" in national_prose.trend_text(n)
    assert "neighbours" not in national_prose.trend_caption(n) + national_prose.trend_alt(n, trend)
    assert "Oxfordshire beside South East and England:" in national_prose.trend_caption(n)
    assert "not found" not in national_prose.source_text(n, 10)
    missing = dataclasses.replace(n, neighbours_missing=["999"])
    assert "none of the codes in `statistical_neighbours` is in the files" in national_prose.trend_text(missing)


def test_the_funnel_says_where_the_authority_lies_and_how_far_to_read_it(oxfordshire):
    n, _ = oxfordshire
    text = national_prose.funnel_text(n)
    assert "funnel plot of the 151 authorities with plans to compare in 2024, Oxfordshire lies **within the 95%" in text
    assert "around England's share (46.4%)" in text
    assert "Authorities differ far more than chance alone" in text  # the fixture is overdispersed
    assert "Not placed: City of London and Dorset (no usable count published)." in text
    assert text.endswith("a screen, not a verdict.")
    assert national_prose.funnel_alt(n).endswith("Oxfordshire is within the 95% limits.")
    assert "in 2024, every authority" in national_prose.funnel_caption(n)
    plain = national_prose.funnel_text(dataclasses.replace(n, funnel_overdispersed=False, funnel_not_placed=[]))
    assert "chance alone" not in plain and "Not placed" not in plain


def test_without_national_data_the_chapter_says_how_to_add_it():
    assert national_prose.intro(None).startswith("No national data were supplied")
    assert "`national_data`" in national_prose.intro(None)
    for f in (national_prose.trend_text, national_prose.funnel_text):
        assert f(None).strip() == ""
    assert national_prose.source_text(None, 10).strip() == ""
    assert national_prose.trend_alt(None, None) == national_figures.NOT_SUPPLIED
    for f in (national_prose.trend_caption, national_prose.funnel_alt, national_prose.funnel_caption):
        assert f(None) == national_figures.NOT_SUPPLIED


@pytest.mark.parametrize("payload", HOSTILE)
def test_names_files_and_codes_written_as_markup_come_out_as_text(oxfordshire, payload):
    n, trend = oxfordshire
    n = dataclasses.replace(
        n,
        la_name=f"Oxford {payload}",
        region=payload,
        neighbours_found=[payload],
        neighbours_missing=[payload, "line\n\n# heading"],
        funnel_not_placed=[payload],
        funnel_position=payload,
        files=[f"{payload}.csv"],
    )
    trend = trend.assign(Area=trend["Area"].where(trend["Area type"] != "Authority", n.la_name))
    for text in texts(n, trend):
        for raw in ("<script", "<img", "](javascript:", "\n"):
            assert raw not in text
    rendered = html("\n\n".join(texts(n, trend)))
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered
    assert "<h1" not in rendered
    assert payload.replace("<", "&lt;").replace(">", "&gt;") in rendered  # shown as text, as typed
    for alt in (national_prose.trend_alt(n, trend), national_prose.funnel_alt(n)):  # escaped once, by Sphinx
        assert f"Oxford {payload}" in alt and "\n" not in alt and "&amp;" not in alt


def test_alt_text_names_the_authority_as_written(oxfordshire):
    n, trend = oxfordshire
    n = dataclasses.replace(n, la_name="Brighton & Hove", region="South East")
    assert "of Brighton & Hove, South East" in national_prose.trend_alt(n, trend)
    assert national_prose.funnel_alt(n).endswith("Brighton & Hove is within the 95% limits.")
