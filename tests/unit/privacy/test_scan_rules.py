"""The scan's rules on small inputs: written dates, grouped NHS numbers, counts in prose and under group headers,
the child-level shape of a table without ids, image metadata and untouched theme files (fast, except the check of
the report's own tables, which reuses the sample build)."""

from __future__ import annotations

import csv
import importlib.metadata
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image, PngImagePlugin

from analysis.paths import SAMPLE_EXTRACT
from analysis.privacy.scan import count_columns, scan
from analysis.privacy.scan.binary import png_texts
from analysis.privacy.scan.child_rows import child_shape
from analysis.privacy.scan.dates import dates_in

PEOPLE = pd.read_csv(SAMPLE_EXTRACT / "ssd_person.csv", dtype=str)


def _site(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    site = tmp_path / "out" / "html"
    for name, body in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(body.encode() if isinstance(body, str) else body)
    return site


@pytest.mark.parametrize(
    "text",
    [
        "28 April 2005",
        "28th of April, 2005",
        "28 Apr 2005",
        "28-Apr-2005",
        "28-Apr-05",
        "April 28, 2005",
        "Apr 28 2005",
        "28/04/2005",
        "28/04/05",
        "28.04.2005",
        "28-04-2005",
        "2005-04-28",
        "2005/04/28",
        "20050428",
        "2005-04-28T00:00:00",
        "04/28/2005",
    ],
)
def test_every_common_written_form_of_a_date(text):
    assert "2005-04-28" in {d for _, _, d, _ in dates_in(f"Born {text}.")}


@pytest.mark.parametrize(
    "text",
    ["M0-32-14 8-14-27", "version 3.10.12", "1.2.2016.5", "Built 2005-04-28T13:42:13+00:00", "on 5 May 12 children"],
)
def test_numbers_that_are_not_dates(text):
    assert list(dates_in(text)) == []


def test_a_birth_date_in_any_form_and_an_nhs_number_in_groups(tmp_path):
    extract = tmp_path / "extract"
    shutil.copytree(SAMPLE_EXTRACT, extract)
    (extract / "ssd_linked_identifiers.csv").write_text(
        "link_table_id,link_person_id,link_identifier_type,link_identifier_value\nL1,P0000001,NHS Number,9990000018\n"
    )
    site = _site(
        tmp_path,
        {
            "a.html": "<p>Born 7 January 2007.</p>",
            "b.html": "<p>NHS 999 000 0018</p>",
            "c.html": "<p>NHS 999-000-0018</p>",
            "d.html": "<p>Counts 999 000 1234 and 2007.01.07.3</p>",
        },
    )
    found = scan(site, extract)
    assert list(found["page"]) == ["a.html", "b.html", "c.html"], found.to_string()
    assert found.set_index("page").loc["b.html", "detail"].startswith("NHS Number written in groups")


@pytest.mark.parametrize(
    ("sentence", "small"),
    [
        ("Only 3 children were placed out of area.", True),
        ("Neglect: 3 (2.9%).", True),
        ("Just 4 out of 104 were matched.", True),
        ("3 more pupils joined.", True),
        ("Fig. 6 Children by age at their first request.", False),
        ("Year 6 pupils and Key Stage 2 pupils.", False),
        ("Counts of fewer than 5 children are suppressed.", False),
        ("The cohort is 2,985 children (100%).", False),
        ("Children aged 3 children's centres.", False),
    ],
)
def test_counts_in_prose(tmp_path, sentence, small):
    found = scan(_site(tmp_path, {"a.html": f"<p>{sentence}</p>"}), None)
    assert (not found.empty) == small, found.to_string()


def test_an_age_group_header_is_a_count_but_an_age_is_not():
    rows = [["Boys", "3", "40", "7"], ["Girls", "25", "31", "9"]]
    assert count_columns(["Group", "Age under 5", "Age 5 to 10", "Age"], rows) == [1, 2]
    assert count_columns(["Group", "Ages 11 and over", "Age at request", "Year 2016"], rows) == [1, 3]


def test_the_case_note_agreement_statistics_are_not_counts():
    """F1 and kappa of 1.00 and an all-suppressed 'Dates within 30 days' look like whole numbers: taken for counts,
    every precision shown beside them read as recovering a suppressed count, and no build with notes published."""
    header = ["Domain", "Children reviewed", "F1", "F1 lower 95%", "Kappa", "Dates within 30 days"]
    rows = [["Domestic abuse", "104", "1.00", "1.00", "1", "c"], ["Neglect", "104", "c", "c", "c", "c"]]
    assert count_columns(header, rows) == [1]


def _rows(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def test_child_level_shapes():
    flags = "Age,Sex,Neglect,Abuse\n" + "".join(f"{4 + i % 3},F,{i % 2},{(i + 1) % 2}\n" for i in range(12))
    dated = "Sex,Date of request\n" + "".join(f"M,2020-01-{i + 1:02d}\n" for i in range(12))
    ages = "Age at request,Sex\n" + "".join(f"{3 + i / 7:.2f},M\n" for i in range(12))
    repeated = "Sex,Ethnicity\n" + "M,WBRI\nF,WBRI\n" * 6
    aggregate = "Date,Children\n" + "".join(f"2020-01-{i + 1:02d},{20 + i}\n" for i in range(12))
    coding = "Source,Code,Domain\n" + "".join(f"CIN,{i}B,Neglect\n" for i in range(12))
    for table in (flags, dated, ages, repeated):
        assert child_shape(*_rows(table)), table
    short = "Neglect,Abuse\n1,0\n0,1\n"  # too few rows to say
    for table in (aggregate, coding, short):
        assert child_shape(*_rows(table)) is None, table


def test_none_of_the_reports_own_tables_is_child_level(sample_report):
    tables = sorted((sample_report / "tables").glob("*.csv"))
    assert tables
    for path in tables:
        header, rows = _rows(path.read_text(encoding="utf-8"))
        assert child_shape(header, rows) is None, path.name


def test_text_in_png_chunks_compressed_or_not():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "plain words")
    info.add_text("Author", "squeezed words", zip=True)
    info.add_itxt("Description", "international words", zip=True)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG", pnginfo=info)
    text = "\n".join(png_texts(buffer.getvalue()))
    assert all(words in text for words in ("plain words", "squeezed words", "international words")), text


def test_an_untouched_theme_file_is_skipped_and_an_edited_one_is_read(tmp_path):
    sphinx = importlib.metadata.distribution("sphinx")
    original = next(Path(str(sphinx.locate_file(f))) for f in sphinx.files if f.name == "sphinx_highlight.js")
    name = f"{PEOPLE['pers_forename'].iloc[0]} {PEOPLE['pers_surname'].iloc[0]}"
    body = original.read_bytes()
    site = _site(tmp_path, {"_static/sphinx_highlight.js": body, "_static/edited.js": body + f"// {name}\n".encode()})
    found = scan(site, SAMPLE_EXTRACT)
    assert set(found["page"]) == {"_static/edited.js"} and found["detail"].str.startswith("full name").any()
