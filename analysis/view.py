"""How published tables appear in the book: no index, proportions as percentages, a sentence when empty."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from analysis import narrative


def table(table: pd.DataFrame, empty: str = "None.", percent: tuple[str, ...] = (), precision: int = 1):
    """A table for the page: a Styler without the index, or `empty` as text when the table has no rows."""
    if table.empty:
        return Markdown(empty)
    fmt = {col: narrative.cell_pct for col in percent}
    return table.style.hide(axis="index").format(fmt, precision=precision, na_rep="")
