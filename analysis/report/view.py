"""How published tables appear in the book: no index, proportions as percentages, a sentence when empty."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from analysis.privacy import disclosure, safe_text
from analysis.report import narrative


def table(table: pd.DataFrame | None, empty: str = "None.", percent: tuple[str, ...] = (), precision: int = 1):
    """A table for the page: a Styler without the index, or `empty` as text when there is no table or it has no rows.
    Cells and headers are escaped: a column name or file name from an extract is text, never markup."""
    if table is None or table.empty:
        return Markdown(safe_text.escape(empty))
    fmt = {col: narrative.cell_pct for col in percent}
    styled = table.style.hide(axis="index").format(fmt, precision=precision, na_rep="", escape="html")
    return styled.format_index(escape="html", axis=1)


def _share(n, pct, low, high) -> str:
    if disclosure.is_suppressed(pct):
        return pct
    return f"{narrative.count(int(n))} ({narrative.pct(pct)}; {narrative.pct(low)} to {narrative.pct(high)})"


def prevalence_by_group(prev: pd.DataFrame | None, empty: str = "None."):
    """The long comparison table as one row per exposure, a column per group: 'n (p%; low to high)'."""
    if prev is None or prev.empty:
        return Markdown(safe_text.escape(empty))
    cells = prev.assign(
        cell=[_share(*r) for r in prev[["With exposure", "Share", "Lower 95%", "Upper 95%"]].itertuples(index=False)]
    )
    wide = cells.pivot(index="Exposure", columns="Group", values="cell")
    wide = wide.reindex(list(dict.fromkeys(prev["Exposure"]))).reset_index()
    wide.columns.name = None
    return table(wide)


def sensitivity(variants: pd.DataFrame):
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
    return table(wide.reset_index())


def costs(info):
    """The cost table for readers: money rounded to pounds, small quantities suppressed, placeholders marked."""
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
            "Estimate": [_money(c) for c in t["central"]],
            "Range": [
                lo if disclosure.is_suppressed(lo) else f"{_money(lo)} to {_money(hi)}"
                for lo, hi in zip(t["low"], t["high"])
            ],
        }
    )
    return table(out)


def _money(value) -> str:
    """Pounds to the pound, or the symbol for a cost too few children used."""
    return value if disclosure.is_suppressed(value) else f"£{value:,.0f}"


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


def rules_not_fired(study):
    """The rules that did not fire, and why: their evidence was not clear of chance, or could not be assessed."""
    rows = [
        (
            r.title,
            "evidence not clear of chance"
            if r.status == "not fired"
            else "a measure it needs was suppressed or not computed",
        )
        for r in study.recommendations
        if r.status != "fired"
    ]
    return table(pd.DataFrame(rows, columns=["Rule", "Why it did not apply"]), empty="Every rule applied.")


def internal_exclusions(study):
    """The internal edition's list of children left out of the cohort (pseudonymised); nothing in the public
    edition."""
    if not study.internal or study.excluded is None:
        return None
    return Markdown(
        "### Children left out (internal edition only)\n\n"
        + ("None." if study.excluded.empty else study.excluded.to_markdown(index=False))
    )


SWEEP_COLUMNS = {
    "threshold": "Match probability threshold",
    "links": "Probabilistic links",
    "expected_precision": "Expected precision",
    "recall_without_upn": "Recall without UPN (gold pairs)",
    "wrong_link_rate": "Wrong links (gold pairs)",
}


def threshold_sweep(rows: list | None):
    """The threshold sweep of linkage.json as a table: links, expected precision and recall without a UPN."""
    frame = pd.DataFrame(rows or [], columns=list(SWEEP_COLUMNS))
    if frame.empty:
        return table(None, empty="The probabilistic pass did not run.")
    frame = frame.rename(columns=SWEEP_COLUMNS)
    return table(frame, percent=tuple(SWEEP_COLUMNS.values())[2:], precision=2)
