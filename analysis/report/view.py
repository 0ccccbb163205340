"""How published tables appear in the book: no index, proportions as percentages, a sentence when empty."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown

from analysis import paths
from analysis.privacy import disclosure, safe_text
from analysis.report import narrative, toc

_NUMBERING = {"prefix": "", "count": 0}  # a chapter runs in its own kernel: one counter per page
TABLES_URL = "../../tables"  # every chapter page sits two folders down; the build copies tables/*.csv to the root


def chapter(name: str, tocs: tuple[Path, ...] = (paths.BOOK_TOC, paths.COMPARE_TOC)) -> None:
    """Start numbering a chapter's tables as its place in its book: `Table 3.1`, `Table 3.2`, ... (a root page's
    are `Table 1`, `Table 2`, ...), so a table keeps its number in the HTML, the PDF and the workbook's notes."""
    place = 0
    for toc_path in tocs:
        entries = [Path(f).name for f in toc.toc_chapters(toc_path)]
        if name in entries:
            place = entries.index(name)
            break
    _NUMBERING.update(prefix=f"{place}." if place else "", count=0)


def table(
    table: pd.DataFrame | None,
    empty: str = "None.",
    percent: tuple[str, ...] = (),
    precision: int = 1,
    *,
    title: str = "",
    csv: str = "",
):
    """A table for the page, as a statistics producer publishes one: numbered and titled (a caption a screen reader
    announces), no index, thousands separators, numbers right-aligned, and a link to its data as CSV (`csv` names
    the published table it comes from). `empty` as text when there is no table or it has no rows. Cells, headers
    and titles are escaped: a column name or file name from an extract is text, never markup."""
    if table is None or table.empty:
        return Markdown(safe_text.escape(empty))
    fmt = {col: narrative.cell_pct for col in percent}
    styled = table.style.hide(axis="index").format(fmt, precision=precision, na_rep="", escape="html", thousands=",")
    styled = styled.format_index(escape="html", axis=1).set_table_attributes('class="report-table"')
    numeric = [c for c in table.columns if c in percent or _numeric(table[c])]
    styled = styled.set_properties(subset=numeric, **{"text-align": "right"}).set_table_styles(
        {c: [{"selector": "th", "props": "text-align: right"}] for c in numeric}, overwrite=False
    )
    if not title:
        return styled
    _NUMBERING["count"] += 1
    styled = styled.set_uuid(f"t{_NUMBERING['prefix'].rstrip('.')}-{_NUMBERING['count']}")  # the same on every build
    caption = f"Table {_NUMBERING['prefix']}{_NUMBERING['count']}: {html.escape(title)}"
    link = f'<a href="{TABLES_URL}/{html.escape(csv)}.csv" download>Download the data (CSV)</a>' if csv else ""
    # a region a keyboard can reach and scroll (on a phone a wide table scrolls inside it), named by its caption
    box = f'<div class="report-table-wrap" role="region" tabindex="0" aria-label="{caption}">'
    return HTML(f"{box}{styled.set_caption(caption).to_html()}</div><p class='report-table-data'>{link}</p>")


def _numeric(column: pd.Series) -> bool:
    """A column of numbers, whether or not disclosure control put its symbol in some cells: aligned right."""
    if pd.api.types.is_numeric_dtype(column):
        return True
    values = column[~column.map(disclosure.is_suppressed) & column.notna()]
    return not values.empty and bool(
        values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all()
    )


def _share(n, pct, low, high) -> str:
    if disclosure.is_suppressed(pct):
        return pct
    return f"{narrative.count(int(n))} ({narrative.pct(pct)}; {narrative.pct(low)} to {narrative.pct(high)})"


def prevalence_by_group(prev: pd.DataFrame | None, empty: str = "None.", **caption):
    """The long comparison table as one row per exposure, a column per group: 'n (p%; low to high)'."""
    if prev is None or prev.empty:
        return Markdown(safe_text.escape(empty))
    cells = prev.assign(
        cell=[_share(*r) for r in prev[["With exposure", "Share", "Lower 95%", "Upper 95%"]].itertuples(index=False)]
    )
    wide = cells.pivot(index="Exposure", columns="Group", values="cell")
    wide = wide.reindex(list(dict.fromkeys(prev["Exposure"]))).reset_index()
    wide.columns.name = None
    return table(wide, **caption)


def sensitivity(variants: pd.DataFrame, **caption):
    """The sensitivity table with one column per measure, cells as 'n of N (p%; low to high)'."""

    def cell(n, d, pct, low, high):
        if disclosure.is_suppressed(n) or disclosure.is_suppressed(d):
            return disclosure.SUPPRESSED
        return (
            f"{narrative.count(int(n))} of {narrative.count(int(d))} "
            f"({narrative.pct(pct)}; {narrative.pct(low)} to {narrative.pct(high)})"
        )

    cells = variants.assign(
        cell=[cell(*r) for r in variants[["Children", "Of", "Share", "Lower 95%", "Upper 95%"]].itertuples(index=False)]
    )
    wide = cells.pivot(index="Analysis", columns="Measure", values="cell")
    wide = wide.reindex(list(dict.fromkeys(variants["Analysis"])))[list(dict.fromkeys(variants["Measure"]))]
    wide.columns.name = None
    return table(wide.reset_index(), **caption)


def costs(info, **caption):
    """The cost table for readers: money to three significant figures, small quantities suppressed, placeholders
    marked."""
    if info is None or info.suppressed or not info.table:
        return Markdown("Too few children to estimate costs." if info else "No costs were estimated.")
    t = pd.DataFrame(info.table["data"], columns=info.table["columns"])
    out = pd.DataFrame(
        {
            "Item": t["label"],
            "Quantity": t["quantity_label"].fillna(""),
            "Amount": [_amount(q) for q in t["quantity"]],
            "Unit cost": [("" if pd.isna(u) else f"£{u:,.0f} {unit}") for u, unit in zip(t["unit_cost"], t["unit"])],
            "Source and price year": [
                ("" if pd.isna(src) else f"{src} ({year})" + (" EXAMPLE VALUE" if ex else ""))
                for src, year, ex in zip(t["source"], t["price_year"], t["example"])
            ],
            "Estimate": [narrative.money(c) for c in t["central"]],
            "Range": [
                lo if disclosure.is_suppressed(lo) else f"{narrative.money(lo)} to {narrative.money(hi)}"
                for lo, hi in zip(t["low"], t["high"])
            ],
        }
    )
    return table(out, **caption)


def _amount(quantity) -> str:
    if disclosure.is_suppressed(quantity):
        return quantity
    return "" if pd.isna(quantity) else f"{quantity:,.0f}"


def recommendations(study):
    """Each recommendation that applied, as a heading and its text citing the measures."""
    parts = [
        f"### {safe_text.escape(r.title)}\n\n{safe_text.escape(narrative.recommendation(r, study.measures))}"
        for r in study.recommendations
        if r.status == "fired"
    ]
    return Markdown("\n\n".join(parts) or "No rule's evidence was clear of chance for these results.")


def rules_not_fired(study, **caption):
    """The rules that did not fire, and why (the study's `rules_not_applied` page table)."""
    return table(study.page_tables()["rules_not_applied"], empty="Every rule applied.", **caption)


def internal_exclusions(study):
    """The internal edition's list of children left out of the cohort (pseudonymised); nothing in the public
    edition."""
    if not study.internal or study.excluded is None:
        return None
    return table(
        study.excluded,
        "No child was left out of the cohort.",
        title="Children left out of the cohort, pseudonymised (internal edition only)",
    )


def bullets(sentences: list[str], empty: str = "None."):
    """Sentences as a bulleted list (escaped: a sentence may carry a name from the extract)."""
    return Markdown("\n".join(f"- {safe_text.escape(s)}" for s in sentences) or safe_text.escape(empty))


def facts(pairs: dict[str, str]):
    """Label and value pairs as a definition-style list: **Published:** 2 December 2026."""
    return Markdown("\n".join(f"- **{safe_text.escape(k)}:** {safe_text.escape(v)}" for k, v in pairs.items()))


DOWNLOADS = "../../downloads"  # the site's downloads folder, seen from a chapter page


def downloads(params: dict):
    """Links to the report's documents: the PDF (unless the run turned it off), the Word briefing, every table."""
    links = [("report.pdf", "The whole report as a PDF")] if params.get("pdf", True) else []
    links += [("briefing.docx", "A two-page briefing for elected members (Word)"), ("all-tables.zip", "Every table")]
    items = "".join(f'<li><a href="{DOWNLOADS}/{f}" download>{html.escape(text)}</a></li>' for f, text in links)
    return HTML(f'<ul class="report-downloads">{items}</ul>')


def threshold_sweep(frame: pd.DataFrame, **caption):
    """The threshold sweep (the study's `linkage_threshold_sweep` page table): links, expected precision and recall
    without a UPN at each match-probability threshold."""
    if frame.empty:
        return table(None, empty="The probabilistic pass did not run.")
    return table(frame, percent=tuple(frame.columns[2:]), precision=2, **caption)
