"""The Word briefing for elected members (`OUT/briefing.docx`): about two A4 pages with the main points, one chart,
what they mean, the recommendations and a contact.

Every number in it comes from `measures.json` or a published table, both already through disclosure control, so it
passes the same publish gate as the book; nothing child-level is read. Accessible as Word checks it: real heading
styles, a chart with alternative text that states its values, document title and language (en-GB) set, and the
authority (never a person) as author.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tempfile
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from analysis.privacy import disclosure
from analysis.report import downloads, figures, main_points, narrative

BRIEFING = "briefing.docx"
TITLE = "Adversity before SEND: briefing for elected members"
LANGUAGE = "en-GB"
DPI = 200
MAX_WIDTH, MAX_HEIGHT = Cm(15), Cm(8.5)  # the chart's box on the page, so that the briefing keeps to two pages
SYNTHETIC = (
    "SYNTHETIC DATA: every figure in this briefing comes from a synthetic authority made for testing. It describes "
    "no real children and must not be used for decisions."
)
CHARTS = (  # published tables that can make the briefing's chart (the first with two shares to show), what each
    # shows and what its rows are
    ("domain_prevalence", "Domain", "each kind of adversity documented before the request", "kinds of adversity"),
    ("known_tiers", "Known to social care", "how far children were known to social care before the request", "levels"),
)


@dataclasses.dataclass(frozen=True)
class Chart:
    """The briefing's chart: the rows it draws (those disclosure control left), what they show, and how many
    rows were withheld."""

    table: pd.DataFrame
    label: str
    subject: str
    rows: str
    withheld: int

    def title(self) -> str:
        """The chart's message, decided by its largest share."""
        shares = disclosure.numeric(self.table["Share"])
        top = self.table.loc[shares.idxmax()]
        name = re.sub(r" \(.*\)$", "", str(top[self.label]))
        if self.label == "Domain":
            return f"{name} was the commonest adversity documented before a request"
        lead = main_points.proportion(float(shares.max()), "children")
        what = narrative.lowercase(name)
        return f"{lead[:1].upper()}{lead[1:]} had {what} with children's social care before their request"

    def alt(self) -> str:
        """Alternative text that gives every value the chart shows, and how many rows were withheld."""
        shares = disclosure.numeric(self.table["Share"])
        values = "; ".join(
            f"{narrative.lowercase(str(lab))} {main_points.percent(float(v))}"
            for lab, v in zip(self.table[self.label], shares)
        )
        text = f"Bar chart of {self.subject}, as a share of children with 95% confidence intervals: {values}."
        return f"{text} {self.withheld_note()}".rstrip()

    def withheld_note(self) -> str:
        """How many rows disclosure control withheld, or nothing."""
        if not self.withheld:
            return ""
        verb = "is" if self.withheld == 1 else "are"
        return f"{self.withheld} of the {self.rows} {verb} withheld because too few children were involved."


def chart(study) -> Chart | None:
    """The first candidate table with at least two shares to show (the social care tiers only: that table also
    holds early help, which is not a tier), or None."""
    tiers = {d.get("description") for d in study.measures.get("known_tiers", []) if isinstance(d, dict)}
    for name, label, subject, rows in CHARTS:
        t = study.tables.get(name)
        if t is None or label not in t or "Share" not in t:
            continue
        t = t[t[label].isin(tiers)] if name == "known_tiers" else t
        drawn = t[disclosure.shown(t["Share"]) & t["Share"].notna()]
        if len(drawn) >= 2:
            return Chart(drawn.reset_index(drop=True), label, subject, rows, len(t) - len(drawn))
    return None


def render_chart(found: Chart, png: Path) -> Path:
    """The chart as a PNG at 200 dpi, drawn by `figures.prevalence_bars` from the published table's shown rows."""
    t = found.table.assign(**{found.label: found.table[found.label].map(lambda s: textwrap.fill(str(s), 34))})
    fig = figures.prevalence_bars(t, found.label, "Share", "Lower 95%", "Upper 95%", "Share of children (%)")
    fig.savefig(png, dpi=DPI)
    plt.close(fig)
    return png


def _page(doc) -> None:
    """A4 with 2 cm margins, a plain sans-serif body, and British English as the language of every run."""
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(11)
    normal.paragraph_format.space_after = Pt(4)
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), LANGUAGE)


def _properties(doc, study) -> None:
    """The document's title, subject, language and author: the authority, never a person."""
    la = study.params["la_name"]
    when = main_points.release_date(study)
    props = doc.core_properties
    props.title = f"{la}: {TITLE}"
    props.subject = "Adversity documented before a first EHC needs assessment request"
    props.author = props.last_modified_by = la
    props.language = LANGUAGE
    props.keywords = "SEND; EHC needs assessment; children's social care; adversity"
    props.comments = props.category = ""
    props.created = props.modified = dt.datetime(when.year, when.month, when.day)
    props.revision = 1


def _front(doc, study, intro: str) -> None:
    """Title, the authority, the synthetic-data warning when it applies, the release facts and what it covers."""
    doc.add_heading(TITLE, level=0)
    doc.add_paragraph(study.params["la_name"], style="Subtitle")
    if study.params.get("synthetic"):
        doc.add_paragraph().add_run(SYNTHETIC).bold = True
    for key, value in main_points.release_facts(study).items():
        para = doc.add_paragraph()
        para.add_run(f"{main_points.RELEASE_LABELS[key]}: ").bold = True
        para.add_run(value)
        para.paragraph_format.space_after = Pt(0)
    doc.add_paragraph(intro).paragraph_format.space_before = Pt(10)


def prose(study) -> dict[str, list[str]]:
    """The briefing's sentences by section, each acronym spelled out at its first use in the whole document."""
    p = study.params
    sections = {
        "intro": [
            f"What {p['la_name']}'s linked records of children's social care and SEND show about adversity "
            f"documented before a child's first request for an EHC needs assessment, from {main_points.period(p)}."
        ],
        "main points": main_points.main_points(study),
        "what this means": main_points.what_this_means(study),
        "recommendations": [narrative.recommendation(r, study.measures) for r in study.fired],
    }
    expanded = iter(main_points.expand_acronyms([s for texts in sections.values() for s in texts]))
    return {name: [next(expanded) for _ in texts] for name, texts in sections.items()}


def _figure(doc, study, chart_png: Path | None, alt: str | None, folder: Path) -> None:
    """The chart with its message as a caption above, its alternative text, and a note of withheld rows."""
    found = chart(study)
    if chart_png is None and found is None:
        return
    png = chart_png or render_chart(found, folder / "chart.png")
    if found is not None:
        doc.add_paragraph().add_run(f"Figure 1: {found.title()}").bold = True
    shape = doc.add_picture(str(png))
    scale = min(MAX_WIDTH / shape.width, MAX_HEIGHT / shape.height, 1)
    shape.width, shape.height = int(shape.width * scale), int(shape.height * scale)
    description = alt or (found.alt() if found is not None else "Chart from the report's published tables.")
    shape._inline.docPr.set("descr", description)
    if found is not None and chart_png is None:
        note = f"Shares of all requesting children, with 95% confidence intervals. {found.withheld_note()}"
        doc.add_paragraph(note.rstrip()).runs[0].italic = True


def _recommendations(doc, study, texts: list[str]) -> None:
    doc.add_heading("Recommendations", level=1)
    if not study.fired:
        doc.add_paragraph(
            "No recommendation rests on evidence clear of chance in this edition; the full report lists each rule "
            "and why it did not apply."
        )
    for rec, text in zip(study.fired, texts):
        doc.add_heading(rec.title, level=2)
        doc.add_paragraph(text)


def write_briefing(study, out: Path, chart_png: Path | None = None, *, alt: str | None = None) -> Path:
    """Write `out/briefing.docx` (or `out` itself when it names a .docx) and return its path. `chart_png` replaces
    the chart drawn here (give its alternative text as `alt`); by default the first published table in `CHARTS`
    with two shares to show is drawn at 200 dpi."""
    out = Path(out)
    path = out if out.suffix == ".docx" else out / BRIEFING
    path.parent.mkdir(parents=True, exist_ok=True)
    text = prose(study)
    doc = Document()
    _page(doc)
    _front(doc, study, text["intro"][0])
    doc.add_heading("Main points", level=1)
    for point in text["main points"]:
        doc.add_paragraph(point, style="List Bullet")
    with tempfile.TemporaryDirectory() as tmp:
        _figure(doc, study, chart_png, alt, Path(tmp))
    doc.add_heading("What this means", level=1)
    for sentence in text["what this means"]:
        doc.add_paragraph(sentence)
    _recommendations(doc, study, text["recommendations"])
    doc.add_heading("Contact", level=1)
    contact = main_points.release_facts(study)["contact"]
    doc.add_paragraph(
        f"Questions about this briefing: {contact}. The full report, with its methods, tables and data to download, "
        "is published alongside it."
    )
    _properties(doc, study)  # dated the day the study was prepared, not the day it was saved
    doc.save(path)
    downloads.same_bytes(path, stamps=False)
    return path
