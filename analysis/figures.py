"""Figures for the book. Each takes disclosure-controlled aggregates and returns a matplotlib Figure.

Palette: seaborn's colour-blind-safe palette; bars also differ by hatching where colour carries meaning, so the
figures read in greyscale.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from analysis.disclosure import SUPPRESSED

PALETTE = sns.color_palette("colorblind")
sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE)


def _numeric(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype(object).where(s.astype(object) != SUPPRESSED), errors="coerce")


def prevalence_bars(table: pd.DataFrame, label: str, value: str, low: str, high: str, xlabel: str):
    """Horizontal bars with 95% intervals; suppressed rows are labelled, not drawn."""
    t = table.iloc[::-1]
    v, lo, hi = _numeric(t[value]), _numeric(t[low]), _numeric(t[high])
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(t) + 1.2), layout="constrained")
    y = np.arange(len(t))
    ax.barh(y, v.fillna(0) * 100, color=PALETTE[0], edgecolor="black")
    err = np.vstack([(v - lo).fillna(0), (hi - v).fillna(0)]) * 100
    ax.errorbar(v.fillna(0) * 100, y, xerr=err, fmt="none", ecolor="black", capsize=3)
    for yi, vi in zip(y, v):
        if np.isnan(vi):
            ax.text(0.5, yi, "suppressed (small number)", va="center", fontsize=9)
    ax.set_yticks(y, t[label])
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(5, float(np.nanmax(np.append(hi.to_numpy() * 100, 0))) * 1.1))
    return fig


def count_bars(table: pd.DataFrame, label: str, count: str, xlabel: str):
    """Horizontal bars of (disclosure-controlled) counts."""
    t = table.iloc[::-1]
    v = _numeric(t[count])
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(t) + 1.2), layout="constrained")
    y = np.arange(len(t))
    ax.barh(y, v.fillna(0), color=PALETTE[2], edgecolor="black")
    for yi, vi in zip(y, v):
        ax.text((0 if np.isnan(vi) else vi) + 0.5, yi, "suppressed" if np.isnan(vi) else f"{int(vi):,}",
                va="center", fontsize=9)
    ax.set_yticks(y, t[label])
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(10, float(np.nanmax(np.append(v.to_numpy(), 0))) * 1.15))
    return fig


def age_distribution(table: pd.DataFrame, threshold: int):
    """Share of children by age band at first documented adversity, with the age threshold marked."""
    v = _numeric(table["Share"]) * 100
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    x = np.arange(len(table))
    colours = [PALETTE[0] if early else PALETTE[1] for early in table["Before threshold"]]
    hatches = ["" if early else "//" for early in table["Before threshold"]]
    ax.set_ylim(0, max(10.0, float(np.nanmax(np.append(v.to_numpy(dtype=float), 0))) * 1.15))
    bars = ax.bar(x, v.fillna(0), color=colours, edgecolor="black")
    for bar, h in zip(bars, hatches):
        bar.set_hatch(h)
    boundary = int(np.argmin(table["Before threshold"].to_numpy())) if (~table["Before threshold"]).any() else len(x)
    ax.axvline(boundary - 0.5, color="black", linestyle="--")
    ax.text(boundary - 0.45, ax.get_ylim()[1] * 0.92, f"age {threshold}", fontsize=9)
    for xi, vi in zip(x, v):
        if np.isnan(vi):
            ax.text(xi, 0.5, "c", ha="center")
    ax.set_xticks(x, table["Age band"])
    ax.set_xlabel("Age when adversity was first documented")
    ax.set_ylabel("Share of children with adversity (%)")
    return fig


def grouped_share(table: pd.DataFrame, group: str, columns: dict[str, str], ylabel: str):
    """Grouped bars of percentages (label -> column), hatched so the groups differ without colour."""
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    width = 0.8 / len(table)
    x = np.arange(len(columns))
    for i, (_, row) in enumerate(table.iterrows()):
        vals = _numeric(pd.Series([row[c] for c in columns.values()], dtype=object)).to_numpy(dtype=float)
        ax.bar(x + i * width, np.nan_to_num(vals), width, label=row[group], color=PALETTE[i],
               hatch=["", "//", "..", "xx"][i % 4], edgecolor="black")
    ax.set_xticks(x + width * (len(table) - 1) / 2, list(columns))
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    return fig


def forest(table: pd.DataFrame):
    """Odds ratios with 95% intervals on a log scale: crude (open circles) and adjusted (filled squares)."""
    exposures = list(dict.fromkeys(table["Exposure"]))[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(exposures) + 1.4), layout="constrained")
    for offset, (model, marker, face) in zip((0.15, -0.15), (("crude", "o", "white"), ("adjusted", "s", "black"))):
        t = table[table["Model"] == model].set_index("Exposure")
        y = [exposures.index(e) + offset for e in t.index]
        ax.errorbar(t["Odds ratio"], y, xerr=[t["Odds ratio"] - t["Lower 95%"], t["Upper 95%"] - t["Odds ratio"]],
                    fmt=marker, color="black", markerfacecolor=face, capsize=3, label=model.capitalize())
    ax.axvline(1, color="grey", linestyle="--")
    ax.set_xscale("log")
    ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16) if table["Lower 95%"].min() / 1.5 <= t <= table["Upper 95%"].max() * 1.5]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_yticks(range(len(exposures)), exposures)
    ax.set_xlabel("Odds ratio of having an EHC plan (log scale)")
    ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    return fig


def cumulative_incidence(table: pd.DataFrame, landmark: int):
    """Cumulative incidence of a first EHC needs assessment request by age, one line per group with its 95%
    band; groups differ by line style as well as colour."""
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for i, (group, t) in enumerate(table.groupby("Group", sort=False)):
        v = _numeric(t["Cumulative incidence"]) * 100
        lo, hi = _numeric(t["Lower 95%"]) * 100, _numeric(t["Upper 95%"]) * 100
        ax.step(t["Age"], v, where="post", color=PALETTE[i], linestyle=["-", "--"][i % 2], label=group)
        ax.fill_between(t["Age"], lo, hi, step="post", color=PALETTE[i], alpha=0.2)
    ax.set_xlabel("Age (years)")
    ax.set_ylabel("Children with a request (%)")
    ax.set_xlim(landmark, None)
    ax.set_ylim(0, None)
    ax.legend(frameon=False)
    return fig
