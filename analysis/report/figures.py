"""Figures for the book. Each takes disclosure-controlled aggregates and returns a matplotlib Figure.

Palette: seaborn's colour-blind-safe palette; bars also differ by hatching where colour carries meaning, so the
figures read in greyscale.
"""

from __future__ import annotations

import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from analysis.privacy import disclosure

PALETTE = sns.color_palette("colorblind")
# Larger type than matplotlib's default: a 7-inch figure is drawn at about half size on a 390 px phone screen
sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE, font_scale=1.25)
# Labels can hold names from the data (an authority called "$x$" is text, not a formula to typeset)
plt.rcParams["text.parse_math"] = False
plt.rcParams["svg.fonttype"] = "none"  # text stays text: selectable, read by screen readers and the disclosure scan
plt.rcParams["svg.hashsalt"] = "adversity-report"  # the same SVG ids on every build


def _as_svg() -> None:
    """In a chapter's kernel, figures are published as SVG: they stay sharp at any width, on a phone and in the PDF."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("config", "InlineBackend.figure_formats = ['svg']")
        # no creation date in the file: the same figure gives the same bytes, and no date reaches the site
        kwargs = {"bbox_inches": "tight", "metadata": {"Date": None, "Creator": None}}
        shell.run_line_magic("config", f"InlineBackend.print_figure_kwargs = {kwargs!r}")


_as_svg()


def _message(text: str):
    """A small figure that says why there is nothing to draw."""
    lines = textwrap.wrap(text, 55)  # a long sentence would overflow the figure and collapse its layout
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(lines) + 1.0), layout="constrained")
    ax.text(0.5, 0.5, "\n".join(lines), ha="center", va="center")
    ax.set_axis_off()
    return fig


def prevalence_bars(table: pd.DataFrame, label: str, value: str, low: str, high: str, xlabel: str):
    """Horizontal bars with 95% intervals; suppressed rows are labelled, not drawn."""
    t = table.iloc[::-1]
    v, lo, hi = disclosure.numeric(t[value]), disclosure.numeric(t[low]), disclosure.numeric(t[high])
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


def share_bars(table: pd.DataFrame, label: str, value: str, xlabel: str):
    """Horizontal bars of shares without intervals; suppressed rows are labelled, not drawn."""
    return prevalence_bars(table.assign(_lo=table[value], _hi=table[value]), label, value, "_lo", "_hi", xlabel)


def count_bars(table: pd.DataFrame, label: str, count: str, xlabel: str):
    """Horizontal bars of (disclosure-controlled) counts."""
    t = table.iloc[::-1]
    v = disclosure.numeric(t[count])
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(t) + 1.2), layout="constrained")
    y = np.arange(len(t))
    ax.barh(y, v.fillna(0), color=PALETTE[2], edgecolor="black")
    for yi, vi in zip(y, v):
        ax.text(
            (0 if np.isnan(vi) else vi) + 0.5,
            yi,
            "suppressed" if np.isnan(vi) else f"{int(vi):,}",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(y, t[label])
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(10, float(np.nanmax(np.append(v.to_numpy(), 0))) * 1.15))
    return fig


def linkage_weights(table: pd.DataFrame):
    """Candidate pairs by match weight band, each band labelled by its signed lower edge."""
    bands = table.assign(Band=table["Match weight from"].map(lambda w: f"{w:+.0f}"))
    return count_bars(bands, "Band", "Pairs", "Candidate pairs")


def age_distribution(table: pd.DataFrame, threshold: int, title: str = ""):
    """Children by age at first documented adversity as a histogram: each band spans its years of age and its height
    is its share per year, so a wide band is not drawn as if more children fell in it. Suppressed bands are shaded
    and labelled "suppressed", never drawn as zero."""
    lo, hi = table["Age band starts"].astype(float), table["Age band ends before"].astype(float)
    per_year = disclosure.numeric(table["Share"]) * 100 / (hi - lo)
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    top = max(2.0, float(np.nanmax(np.append(per_year.to_numpy(dtype=float), 0))) * 1.25)
    for a, b, v, early in zip(lo, hi, per_year, table["Before threshold"]):
        style = {"color": PALETTE[0] if early else PALETTE[1], "hatch": "" if early else "//", "edgecolor": "black"}
        if np.isnan(v):
            ax.axvspan(a, b, color="0.9", zorder=0)  # a shaded span across the whole height: not a value of any size
            ax.text((a + b) / 2, top * 0.5, "suppressed", ha="center", va="center", rotation=90, fontsize=10)
        else:
            ax.bar(a, v, width=b - a, align="edge", **style)
    ax.set_ylim(0, top)
    ax.axvline(threshold, color="black", linestyle="--")
    ax.text(threshold + 0.2, top * 0.92, f"age {threshold}", fontsize=11)
    ax.set_xlim(0, float(hi.max()))
    ax.set_xlabel("Age when adversity was first documented (years)")
    ax.set_ylabel("Share per year of age (%)")
    if title:  # the message, computed by the chapter from the published measures
        ax.set_title(title, loc="left", fontsize=12, wrap=True)
    return fig


def forest(table: pd.DataFrame | None):
    """Odds ratios with 95% intervals on a log scale: crude (open circles) and adjusted (filled squares)."""
    if table is not None:  # an odds ratio withheld by disclosure control is not drawn
        cols = ["Odds ratio", "Lower 95%", "Upper 95%"]
        shown = table[cols].apply(pd.to_numeric, errors="coerce").notna().all(axis=1)
        table = table[shown].astype({c: float for c in cols})
    if table is None or table.empty:
        return _message("No odds ratios to show")
    exposures = list(dict.fromkeys(table["Exposure"]))[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(exposures) + 1.4), layout="constrained")
    for offset, (model, marker, face) in zip((0.15, -0.15), (("crude", "o", "white"), ("adjusted", "s", "black"))):
        t = table[table["Model"] == model].set_index("Exposure")
        y = [exposures.index(e) + offset for e in t.index]
        ax.errorbar(
            t["Odds ratio"],
            y,
            xerr=[t["Odds ratio"] - t["Lower 95%"], t["Upper 95%"] - t["Odds ratio"]],
            fmt=marker,
            color="black",
            markerfacecolor=face,
            capsize=3,
            label=model.capitalize(),
        )
    ax.axvline(1, color="grey", linestyle="--")
    ax.set_xscale("log")
    ticks = [
        t
        for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16)
        if table["Lower 95%"].min() / 1.5 <= t <= table["Upper 95%"].max() * 1.5
    ]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_yticks(range(len(exposures)), exposures)
    ax.set_xlabel("Odds ratio of having an EHC plan (log scale)")
    ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    return fig


def cumulative_incidence(table: pd.DataFrame | None, landmark: int):
    """Cumulative incidence of a first EHC needs assessment request by age, one line per group with its 95%
    band; groups differ by line style as well as colour."""
    if table is None or table.empty:
        return _message("No cumulative incidence to show")
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for i, (group, t) in enumerate(table.groupby("Group", sort=False)):
        v = disclosure.numeric(t["Cumulative incidence"]) * 100
        lo, hi = disclosure.numeric(t["Lower 95%"]) * 100, disclosure.numeric(t["Upper 95%"]) * 100
        ax.step(t["Age"], v, where="post", color=PALETTE[i], linestyle=["-", "--"][i % 2], label=group)
        ax.fill_between(t["Age"], lo, hi, step="post", color=PALETTE[i], alpha=0.2)
    ax.set_xlabel("Age (years)")
    ax.set_ylabel("Share with a request (%)")
    ax.set_xlim(landmark, None)
    ax.set_ylim(0, None)
    ax.legend(frameon=False)
    return fig


def upset(combinations: pd.DataFrame):
    """Co-occurrence of adversity domains as an UpSet plot (UpSetPlot), from the disclosure-controlled table of
    combinations; pooled small combinations are left out of the plot."""
    import upsetplot

    shown = combinations[
        (combinations["Combination"] != "other combinations") & disclosure.shown(combinations["Children"])
    ]
    memberships = [c.split(" + ") for c in shown["Combination"]]
    if len({d for m in memberships for d in m}) < 2:  # an UpSet plot needs at least two sets
        return _message("Too few children to show combinations")
    fig = plt.figure(figsize=(8, 5))
    with warnings.catch_warnings():  # UpSetPlot 0.9 uses pandas idioms that pandas 2.3 warns about
        warnings.simplefilter("ignore", FutureWarning)
        data = upsetplot.from_memberships(memberships, data=shown["Children"].astype(int).to_numpy())
        upsetplot.UpSet(data, sort_by="cardinality", facecolor="black", element_size=None).plot(fig=fig)
    return fig


def swimlane(events: pd.DataFrame):
    """The order of events by age: the median age (dot) and quartiles (bar) at each kind of first event."""
    t = events[disclosure.shown(events["Median age"])].iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(t) + 1.4), layout="constrained")
    y = np.arange(len(t))
    med, lo, hi = (t[c].astype(float) for c in ("Median age", "Lower quartile", "Upper quartile"))
    is_request = (t["Event"] == "EHC needs assessment request").to_numpy()
    ax.hlines(y, lo, hi, color="black", linewidth=3)
    ax.scatter(med[~is_request], y[~is_request], color=PALETTE[0], edgecolor="black", zorder=3, s=60, marker="o")
    ax.scatter(med[is_request], y[is_request], color=PALETTE[1], edgecolor="black", zorder=3, s=90, marker="D")
    ax.set_yticks(y, t["Event"])
    ax.set_xlabel("Age (years): median and interquartile range")
    return fig


def completeness(table: pd.DataFrame):
    """Share of records with a value, by field and year, as a labelled heat map in a single-hue palette."""
    t = table[table["Year"] != "All years"].assign(Complete=lambda d: disclosure.numeric(d["Complete"]) * 100)
    grid = t.pivot(index="Field", columns="Year", values="Complete")
    if grid.empty or grid.isna().all().all():
        return _message("Too few dated records to show completeness by year")
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(grid) + 3), layout="constrained")
    sns.heatmap(
        grid,
        annot=True,
        annot_kws={"size": 9},
        fmt=".0f",
        cmap="Blues",
        vmin=0,
        vmax=100,
        cbar_kws={"label": "Complete (%)"},
        linewidths=0.5,
        linecolor="white",
        ax=ax,
    )
    ax.set_xlabel("Year of the record")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=45)
    return fig


def flow_diagram(flow: pd.DataFrame):
    """A selection and linkage flow diagram: main steps down the middle, exclusions branching to the right."""
    fig, ax = plt.subplots(figsize=(8, 0.8 * len(flow) + 0.6), layout="constrained")
    ax.set_axis_off()
    box = {"boxstyle": "round,pad=0.5", "edgecolor": "black"}
    last_main = None
    for i, (_, row) in enumerate(flow.iterrows()):
        n = row["Children"]
        text = f"{row['Step']}\n{n if isinstance(n, str) else format(int(n), ',')}"
        excluded = str(row["Step"]).startswith("excluded")
        if excluded:
            ax.text(
                0.78,
                -i,
                text,
                ha="center",
                va="center",
                fontsize=9,
                bbox={**box, "facecolor": "white", "linestyle": "--"},
            )
            ax.annotate("", xy=(0.6, -i), xytext=(0.3, -i), arrowprops={"arrowstyle": "->", "color": "black"})
            ax.plot([0.3, 0.3], [-(last_main or 0) - 0.3, -i], color="black", linewidth=1)
        else:
            ax.text(0.3, -i, text, ha="center", va="center", fontsize=9, bbox={**box, "facecolor": "#dbe9f6"})
            if last_main is not None:
                ax.annotate(
                    "", xy=(0.3, -i + 0.3), xytext=(0.3, -i + 0.7), arrowprops={"arrowstyle": "->", "color": "black"}
                )
            last_main = i
    ax.set_xlim(0, 1)
    ax.set_ylim(-len(flow) + 0.4, 0.6)
    return fig


def child_timelines(child_events: pd.DataFrame, cohort: pd.DataFrame, n: int = 20, seed: int = 0):
    """Internal edition only: pseudonymised timelines for a sample of children, one line per child from their
    first documented adversity (marks by domain) to their request (diamond)."""
    sample = cohort[cohort["has_adversity"]].sample(min(n, int(cohort["has_adversity"].sum())), random_state=seed)
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(sample) + 1.5), layout="constrained")
    domains = sorted(child_events["domain"].unique())
    markers = dict(zip(domains, "os^vP*XDph<>"))
    for i, (_, child) in enumerate(sample.iterrows()):
        ev = child_events[child_events["child"] == child["child"]]
        ax.hlines(i, ev["age"].min(), child["age_at_index"], color="grey")
        for d, g in ev.groupby("domain"):
            ax.scatter(g["age"], [i] * len(g), marker=markers[d], color="black", label=d, zorder=3)
        ax.scatter(
            [child["age_at_index"]],
            [i],
            marker="D",
            color=PALETTE[1],
            edgecolor="black",
            zorder=3,
            label="EHC needs assessment request",
        )
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(
        unique.values(),
        [k.replace("_", " ") for k in unique],
        frameon=False,
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1, 1),
    )
    ax.set_yticks(range(len(sample)), [c[:8] for c in sample["child"]])
    ax.set_xlabel("Age (years)")
    return fig


def internal_timelines(study):
    """The internal edition's pseudonymised timelines, with their heading and caption; nothing in the public
    edition (whose readers must not see child-level data)."""
    from IPython.display import Markdown, display

    if not study.internal or study.child_events.empty:
        return None
    display(
        Markdown(
            "## Timelines of individual children (internal edition only)\n\nPseudonymised timelines for a "
            "random sample of children with documented adversity: each line runs from the first documented "
            "adversity to the request (diamond)."
        )
    )
    return child_timelines(study.child_events, study.cohort)


def costs(info):
    """Estimated cost of each service with its sensitivity range (from a `Costs` section, or None)."""
    if info is None or info.suppressed or not info.table:
        return _message("No costs estimated")
    t = pd.DataFrame(info.table["data"], columns=info.table["columns"])
    t = t[(t["item"] != "total") & disclosure.shown(t["central"])].iloc[::-1]  # a hidden cost is not drawn
    if t.empty:
        return _message("Every cost rests on too few children to show")
    t = t.assign(**{c: disclosure.numeric(t[c]) for c in ("central", "low", "high")})
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(t) + 1.4), layout="constrained")
    y = np.arange(len(t))
    ax.barh(y, t["central"] / 1000, color=PALETTE[0], edgecolor="black")
    ax.errorbar(
        t["central"] / 1000,
        y,
        xerr=[(t["central"] - t["low"]) / 1000, (t["high"] - t["central"]) / 1000],
        fmt="none",
        ecolor="black",
        capsize=4,
    )
    ax.set_yticks(y, t["label"])
    ax.set_xlabel("Estimated cost (£ thousands)")
    return fig
