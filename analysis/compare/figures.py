"""The comparison book's figure: a funnel plot of one measure across authorities."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from analysis.compare.flags import FLAGS, FunnelResult
from analysis.stats.funnel import EXACT

_HIGHLIGHT = (0.004, 0.451, 0.698)  # seaborn colour-blind blue; the diamond shape sets the unit apart anyway
_MARKERS = {
    "high (99.8%)": ("^", "black"),
    "high (95%)": ("^", "white"),
    "within": ("o", "white"),
    "low (95%)": ("v", "white"),
    "low (99.8%)": ("v", "black"),
}

plt.rcParams["text.parse_math"] = False  # authority names from the returns are text, never maths


def funnel_plot(
    result: FunnelResult,
    highlight: str | None = None,
    *,
    highlight_label: str | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    percent: bool = True,
    ax=None,
):
    """Proportion against denominator with the target, the 95% and 99.8% limits and one point per unit.

    Readable without colour: the target is a solid line, 95% limits dashed, 99.8% limits dotted; points are
    hollow circles inside the limits and triangles (up: high, down: low; filled: outside 99.8% after the
    false-discovery control) outside them. A unit whose count was suppressed is a vertical bar over the range its
    count may take (with its triangle at the middle when every count in the range is flagged alike). The unit
    `highlight` (e.g. the LA running the report) is a large diamond with its name beside it.
    """
    t = result.table
    scale = 100 if percent else 1
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    else:
        fig = ax.figure
    n_max = float(t["denominator"].max()) * 1.05
    lim = _draw_limits(ax, result, n_max, scale, percent)
    _draw_units(ax, result, highlight, scale)
    if highlight is not None:
        _draw_highlight(ax, result, str(highlight), highlight_label, scale)
    _finish_axes(ax, result, lim, n_max, scale, percent, title=title, xlabel=xlabel, ylabel=ylabel)
    return fig


def _draw_limits(ax, result: FunnelResult, n_max: float, scale: float, percent: bool):
    """The target line and the 95% and 99.8% limits over a grid of denominators spanning the units (exact
    limits as steps, since they move only at whole counts); returns the limits for setting the y-axis."""
    n_min = max(1.0, float(result.table["denominator"].min()) * 0.9)
    grid = np.unique(np.round(np.geomspace(n_min, n_max, 300)))
    lim = result.limits_at(grid)
    ax.axhline(
        result.target * scale,
        color="black",
        linestyle="-",
        linewidth=1.2,
        label=f"Target {result.target * scale:.1f}{'%' if percent else ''} ({result.target_source})",
    )
    drawstyle = "steps-post" if result.method in EXACT else "default"
    for cols, style, label in (
        (("lower_95", "upper_95"), "--", "95% limits"),
        (("lower_998", "upper_998"), ":", "99.8% limits"),
    ):
        for i, col in enumerate(cols):
            ax.plot(
                grid,
                lim[col].to_numpy() * scale,
                color="#444444",
                linestyle=style,
                linewidth=1.3,
                drawstyle=drawstyle,
                label=label if i == 0 else None,
            )
    return lim


def _draw_units(ax, result: FunnelResult, highlight: str | None, scale: float) -> None:
    """One marker per unit, grouped by flag so the legend counts each, and a bar per suppressed count; the
    highlighted unit is left to `_draw_highlight`."""
    t = result.table
    other = t if highlight is None else t[t[result.id_col] != str(highlight)]
    cens = other[other["censored"]]
    if not cens.empty:  # a thick grey bar with end caps, so it reads apart from the thin black target line
        ax.vlines(
            cens["denominator"],
            cens["proportion_low"] * scale,
            cens["proportion_high"] * scale,
            color="#777777",
            linewidth=2.6,
            zorder=2,
            label=f"Suppressed count, its range ({len(cens)})",
        )
        for end in ("proportion_low", "proportion_high"):
            ax.scatter(cens["denominator"], cens[end] * scale, marker="_", color="#777777", s=30, zorder=2)
    middle = (other["proportion_low"] + other["proportion_high"]) / 2
    for f in FLAGS:
        pts = other[(other["flag"] == f) & ~(other["censored"] & (f == "within"))]
        if pts.empty:
            continue
        marker, face = _MARKERS[f]
        ax.scatter(
            pts["denominator"],
            middle[pts.index] * scale,
            marker=marker,
            facecolors=face,
            edgecolors="black",
            s=36 if f == "within" else 54,
            linewidths=0.9,
            zorder=3,
            label=f"{f.capitalize()} ({len(pts)})",
        )


def _draw_highlight(ax, result: FunnelResult, highlight: str, highlight_label: str | None, scale: float) -> None:
    """The highlighted unit as a large diamond with its name in a box beside it (nothing if it was not compared)."""
    t = result.table
    mine = t[t[result.id_col] == highlight]
    if mine.empty:
        return
    row = mine.iloc[0]
    name = highlight_label or str(row[result.name_col])
    y = (row["proportion_low"] + row["proportion_high"]) / 2
    if row["censored"]:
        ax.vlines(
            [row["denominator"]],
            row["proportion_low"] * scale,
            row["proportion_high"] * scale,
            color=_HIGHLIGHT,
            linewidth=2.2,
            zorder=4,
        )
    ax.scatter(
        [row["denominator"]],
        [y * scale],
        marker="D",
        s=110,
        facecolors=_HIGHLIGHT,
        edgecolors="black",
        linewidths=1.5,
        zorder=4,
        label=f"{name} ({row['flag']})",
    )
    ax.annotate(
        name,
        (row["denominator"], y * scale),
        xytext=(22, 22),
        textcoords="offset points",
        fontsize=9,
        fontweight="bold",
        zorder=5,
        bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "black", "linewidth": 0.6},
        arrowprops={"arrowstyle": "-", "color": "black", "linewidth": 0.8},
    )


def _finish_axes(
    ax,
    result: FunnelResult,
    lim,
    n_max: float,
    scale: float,
    percent: bool,
    *,
    title: str | None,
    xlabel: str | None,
    ylabel: str | None,
) -> None:
    """Labels, title, legend and limits wide enough for both the 99.8% funnel and every unit, kept within 0-100%."""
    t = result.table
    ax.set_xlabel(xlabel or f"Denominator ({result.denominator})")
    ax.set_ylabel(ylabel or f"{result.numerator} / {result.denominator}{' (%)' if percent else ''}")
    ax.set_xlim(0, n_max)
    low = min(float(lim["lower_998"].min()), float(t["proportion_low"].min()))
    high = max(float(lim["upper_998"].max()), float(t["proportion_high"].max()))
    pad = 0.05 * (high - low) + 0.005
    ax.set_ylim(max(0.0, low - pad) * scale, min(1.0, high + pad) * scale)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
