"""The national context chapter's sentences, one function per glued text, so that the chapter holds only calls.

Almost every value in these sentences comes from outside the project: the authority's name and region and its
neighbours' names are read from the files in the user's `national_data` folder, the codes that were not found are
what the user typed in `statistical_neighbours`, and the files are listed by their names on disk. A file named `<img
src=x onerror=...>.csv`, or a code written as a Markdown link, must show as text in the site, never run or link. So
each such value is escaped here (`safe_text.escape_inline`: HTML and the Markdown marks a value could carry, on one
line), before it joins the markup the chapter itself writes (**Over time.**, `statistical_neighbours`). Numbers are
formatted by `narrative`, as in every other chapter. `n` is the study's `NationalContext`, or None when no national
files were given, in which case each function returns what the chapter says instead.
"""

from __future__ import annotations

from analysis.privacy import safe_text
from analysis.report import narrative, national_figures

NOT_SUPPLIED = national_figures.NOT_SUPPLIED  # alt text and caption of a figure with nothing to draw
NO_NATIONAL_DATA = (
    "No national data were supplied, so this authority is not placed beside England, its region or its statistical "
    "neighbours here: to add them, set `national_data` in the parameters file to the folder of CSV files downloaded "
    'from Explore Education Statistics for the Department for Education\'s "Education, health and care plans" '
    "release (and, optionally, `statistical_neighbours` to a list of authority codes)."
)
BLANK = " "  # a glued Markdown text that shows nothing
safe = safe_text.escape_inline  # every value from the data or the parameters goes through this


def _count(value) -> str:
    return safe(narrative.count(value))


def _pct(value) -> str:
    return safe(narrative.pct(value))


def _listing(items) -> str:
    return narrative.listing([safe(item) for item in items])


def _areas(n) -> str:
    """The areas the authority is set beside: its region, England and, when any were found, its neighbours."""
    if n.neighbours_found:
        return f"{safe(n.region)}, England and its statistical neighbours"
    return f"{safe(n.region)} and England"


def intro(n) -> str:
    """The authority's requests, plans and timeliness in the latest year beside its region's and England's."""
    if n is None:
        return NO_NATIONAL_DATA
    return (
        f"In {safe(n.latest_year)}, {safe(n.la_name)} received {_count(n.requests)} requests for an EHC needs "
        f"assessment, against {_count(n.region_requests)} in the {safe(n.region)} region and "
        f"{_count(n.england_requests)} in England. In January {safe(n.plans_year)} it maintained {_count(n.plans)} "
        f"EHC plans ({_count(n.england_plans)} in England). Of the new plans it issued in {safe(n.timeliness_year)}, "
        f"leaving out those where an exception to the time limit applied, {_pct(n.timeliness)} were issued within "
        f"the statutory 20 weeks, against {_pct(n.england_timeliness)} in England."
    )


def _neighbours(n) -> str:
    """Which neighbours the trend figure averages, or why it has none."""
    if n.neighbours_found:
        return f"the average of its statistical neighbours ({_listing(n.neighbours_found)})"
    if n.neighbours_missing:
        return "no statistical neighbours (none of the codes in `statistical_neighbours` is in the files)"
    return "no statistical neighbours (none were given in `statistical_neighbours`)"


def trend_text(n) -> str:
    """What the trend figure sets side by side, how counts are drawn, and the break in the series."""
    if n is None:
        return BLANK
    return (
        f"**Over time.** The figure sets the authority's requests, assessments and plans beside its region's, "
        f"England's and {_neighbours(n)}. Counts are drawn as an index (the first year each area has = 100), so "
        f"areas of every size share an axis. {safe(n.series_break)}"
    )


def trend_alt(n, trend) -> str:
    """The trend figure's alt text: what is drawn, and its title's message (from the `national_trend` table). Plain
    text on one line: it becomes the figure's alt attribute, which Sphinx escapes (escaped here too, "Brighton &
    Hove" would be read out as "Brighton amp Hove")."""
    if n is None:
        return NOT_SUPPLIED
    areas = f"{n.region}, England and its statistical neighbours" if n.neighbours_found else f"{n.region} and England"
    return _one_line(
        f"Four line charts, one per measure, of {n.la_name}, {areas} over the years. "
        f"{national_figures.trend_title(trend)}."
    )


def trend_caption(n) -> str:
    """The trend figure's caption."""
    if n is None:
        return NOT_SUPPLIED
    return (
        f"{safe(n.la_name)} beside {_areas(n)}: requests, assessments and plans as an index, and the share of plans "
        f"issued within 20 weeks. The dotted line marks the {safe(n.break_year)} break in the series."
    )


def funnel_text(n) -> str:
    """Where the authority lies on the funnel plot of every authority, and how far to read that."""
    if n is None:
        return BLANK
    text = (
        f"**Against every authority.** On the funnel plot of the {_count(n.funnel_authorities)} authorities with "
        f"plans to compare in {safe(n.timeliness_year)}, {safe(n.la_name)} lies **{safe(n.funnel_position)}** "
        f"around England's share ({_pct(n.funnel_target)}). The limits are {safe(n.funnel_method)}. "
    )
    if n.funnel_overdispersed:
        text += (
            "Authorities differ far more than chance alone would make them, so the limits include that variation "
            "between authorities and are wide: a point inside them is not evidence of performing as England does. "
        )
    if n.funnel_not_placed:
        text += f"Not placed: {_listing(n.funnel_not_placed)} (no usable count published). "
    return text + "This authority is one comparison; the other authorities' positions are a screen, not a verdict."


def funnel_alt(n) -> str:
    """The funnel plot's alt text (plain text on one line, as `trend_alt`)."""
    if n is None:
        return NOT_SUPPLIED
    return _one_line(
        "Funnel plot of the share of EHC plans issued within 20 weeks against the number issued, one point per "
        f"authority, with 95% and 99.8% limits around England's share; {n.la_name} is {n.funnel_position}."
    )


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def funnel_caption(n) -> str:
    """The funnel plot's caption."""
    if n is None:
        return NOT_SUPPLIED
    return (
        f"Plans issued within 20 weeks (excluding exceptions) in {safe(n.timeliness_year)}, every authority, with "
        "the 95% and 99.8% limits around England's share."
    )


def source_text(n, threshold: int) -> str:
    """Where the figures come from, which files were read, what a published symbol means, which neighbour codes
    were not found, and what this report withholds although DfE publishes it."""
    if n is None:
        return BLANK
    text = (
        f"**Source.** {safe(n.source)}. {safe(n.licence)} Files read: {_listing(n.files)}. A figure DfE publishes "
        "as a symbol (x not available, z not applicable, c confidential) is missing here, never zero. "
    )
    if n.neighbours_missing:
        text += f"Codes in `statistical_neighbours` not found in the files: {_listing(n.neighbours_missing)}. "
    return text + (
        f"As everywhere in this report, a count from 1 to {_count(threshold - 1)} in any area's row of the tables "
        "is shown as c, and so is a share that would give it back, although DfE publishes it."
    )
