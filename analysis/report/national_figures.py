"""Figures for the national context chapter: the authority beside England, its region and its statistical
neighbours over time, and the funnel plot of every authority. They take the published tables (`national_trend`,
`national_funnel`) as plain DataFrames, in the house style of `report.figures`; the authority is drawn in the
strongest colour and named, and each title states what the figure shows.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import numpy as np
import pandas as pd

from analysis.report.figures import PALETTE, _message

PANELS = (  # column of national_trend, panel title (short: it must fit a phone), drawn as an index or a percentage
    ("EHC needs assessment requests", "Requests", True),
    ("EHC needs assessments", "Assessments", True),
    ("EHC plans (January)", "Plans in January", True),
    ("Plans issued within 20 weeks (%)", "Within 20 weeks", False),
)
# Sizes for a figure that is read at 390 px as well as on a desktop: a 6.4-inch SVG shown 390 px wide keeps 12-point
# text at about 10 px, where the 8.5-inch figure with 9-point ticks had fallen to 6 px.
TREND_SIZE, TREND_TEXT = (6.4, 6.6), 12
STYLE = {  # area type -> colour, line width, line style, z-order
    "Authority": (PALETTE[3], 3.0, "-", 4),
    "Region": (PALETTE[0], 1.6, "--", 3),
    "England": ("black", 1.6, "-", 3),
    "Neighbours": (PALETTE[2], 1.6, ":", 2),
}
BREAK_YEAR = 2023


def _numbers(values: pd.Series) -> pd.Series:
    """A published column as numbers: a symbol (c, x, z, ...) is missing, never zero."""
    return pd.to_numeric(values.astype(object), errors="coerce")


def _growth(table: pd.DataFrame, column: str, kind: str) -> tuple[float, int, int] | None:
    """Percentage change of one area's column from its first to its last year with a value."""
    rows = table[table["Area type"] == kind]
    v = _numbers(rows[column])
    years = rows["Year"][v.notna()]
    if len(years) < 2 or v[v.notna()].iloc[0] <= 0:
        return None
    first, last = v[v.notna()].iloc[0], v[v.notna()].iloc[-1]
    return 100 * (last / first - 1), int(years.iloc[0]), int(years.iloc[-1])


NOT_SUPPLIED = "No national data were supplied (national_data in the parameters), so there is nothing to draw."


def not_supplied():
    """The figure a reader sees when no national files were given: a sentence, not an empty frame."""
    return _message(NOT_SUPPLIED)


def trend_title(table: pd.DataFrame) -> str:
    """The message: how requests changed in the authority and in England."""
    names = table.loc[table["Area type"] == "Authority", "Area"]
    name = names.iloc[0] if len(names) else "The authority"
    mine, england = (_growth(table, PANELS[0][0], k) for k in ("Authority", "England"))
    if mine is None or PANELS[0][0] not in table.columns:
        return f"{name} beside England, its region and its statistical neighbours"
    change, y0, y1 = mine
    words = f"{name}: requests for an EHC needs assessment {'rose' if change >= 0 else 'fell'} {abs(change):.0f}%"
    words += f" from {y0} to {y1}"
    if england is not None:
        words += f", against {'a rise' if england[0] >= 0 else 'a fall'} of {abs(england[0]):.0f}% in England"
    return words


def national_trend(table: pd.DataFrame):
    """Four panels (requests, assessments, plans, 20-week timeliness) over the years, the authority against its
    region, England and its neighbours' average; counts as an index (first year = 100) so that areas of every size
    share an axis, timeliness as a percentage. A dotted line marks the 2023 break in the series."""
    if table is None or table.empty:
        return _message("No national figures to draw.")
    panels = [p for p in PANELS if p[0] in table.columns]
    fig, axes = plt.subplots(2, 2, figsize=TREND_SIZE, layout="constrained", sharex=True)
    for ax, (column, title, indexed) in zip(axes.flat, panels):
        _panel(ax, table, column, indexed)
        ax.set_title(title + (" (index)" if indexed else " (%)"), fontsize=TREND_TEXT)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_axis_off()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=1, frameon=False, fontsize=TREND_TEXT)
    fig.suptitle(textwrap.fill(trend_title(table), 55), fontsize=TREND_TEXT)
    return fig


def _panel(ax, table: pd.DataFrame, column: str, indexed: bool) -> None:
    for kind, (colour, width, style, z) in STYLE.items():
        rows = table[table["Area type"] == kind]
        if rows.empty:
            continue
        v = _numbers(rows[column])
        years = rows["Year"].to_numpy()
        if v.notna().sum() == 0:
            continue
        y = 100 * v / v[v.notna()].iloc[0] if indexed else 100 * v
        ax.plot(years, y, style, color=colour, lw=width, zorder=z, marker="o", ms=4, label=rows["Area"].iloc[0])
    ax.axvline(BREAK_YEAR - 0.5, color="grey", lw=1, ls=":")
    ax.text(BREAK_YEAR - 0.45, 0.02, "break", transform=ax.get_xaxis_transform(), fontsize=TREND_TEXT - 1, color="grey")
    ax.xaxis.set_major_locator(plt.MaxNLocator(3, integer=True))
    ax.yaxis.set_major_locator(plt.MaxNLocator(4))
    ax.tick_params(labelsize=TREND_TEXT - 1)


def national_funnel(table: pd.DataFrame, *, target: float | None = None, year: int | None = None):
    """Every authority's share of plans issued within 20 weeks against the number issued, with the 95% and 99.8%
    limits around England's share; the authority named and drawn in the strongest colour. Authorities whose share
    is not published (or is hidden as a small count) are not drawn."""
    if table is None or table.empty:
        return _message("No authority could be placed on the funnel.")
    n, p = _numbers(table["Plans issued (excluding exceptions)"]), _numbers(table["Within 20 weeks (%)"])
    mine = (table["This authority"] == "Yes").to_numpy()
    drawn = (n.notna() & p.notna()).to_numpy()
    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    ax.scatter(n[drawn & ~mine], 100 * p[drawn & ~mine], s=18, color="grey", alpha=0.7, label="Other authorities")
    order = np.argsort(n.to_numpy(dtype=float))
    ordered = table.iloc[order]
    x = _numbers(ordered["Plans issued (excluding exceptions)"])
    for col, style, label in (("95%", "--", "95% limits"), ("99.8%", ":", "99.8% limits")):
        lo, hi = _numbers(ordered[f"Lower {col} limit"]), _numbers(ordered[f"Upper {col} limit"])
        line = (x.notna() & lo.notna() & hi.notna()).to_numpy()  # limits hidden beside a small count: no gap
        ax.plot(x[line], 100 * lo[line], style, color=PALETTE[0], lw=1.4, label=label)
        ax.plot(x[line], 100 * hi[line], style, color=PALETTE[0], lw=1.4)
    if target is not None:
        ax.axhline(100 * target, color="black", lw=1.2, label=f"England ({100 * target:.1f}%)")
    title = "Plans issued within 20 weeks, every authority"
    if (mine & drawn).any():
        row = table[mine].iloc[0]
        xi, yi = float(n[mine].iloc[0]), 100 * float(p[mine].iloc[0])
        ax.scatter([xi], [yi], s=90, color=PALETTE[3], edgecolor="black", zorder=5, label=row["Authority"])
        ax.annotate(row["Authority"], (xi, yi), xytext=(8, 8), textcoords="offset points", fontsize=10,
                    fontweight="bold")  # fmt: skip
        when = f" in {year}" if year else ""
        title = f"{row['Authority']} issued {yi:.0f}% of EHC plans within 20 weeks{when}: {row['Position']}"
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(ticker.FixedLocator([10, 30, 100, 300, 1000, 3000, 10000]))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    placed = n[drawn]
    if len(placed):
        ax.set_xlim(max(1.0, float(placed.min()) * 0.8), float(placed.max()) * 1.25)
    ax.set_xlabel("EHC plans issued, excluding exceptions (log scale)")
    ax.set_ylabel("Issued within 20 weeks (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=9, loc="best", frameon=True)
    ax.set_title(title, fontsize=12, wrap=True)
    return fig
