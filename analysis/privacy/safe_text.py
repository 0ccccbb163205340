"""Text from an extract is data, never code: what reaches HTML is escaped, what reaches a spreadsheet cannot run.

Names, file names, column headers and parameters come from people outside this project. A header written as
`<img src=x onerror=...>` must show as text in the site, and a cell `=HYPERLINK(...)` must stay text when a reader
opens the CSV in a spreadsheet (OWASP: prefix a cell that starts with = + - @, tab or carriage return with a
single quote). Numbers are left as they are: -0.5 is a number, not a formula.
"""

from __future__ import annotations

import html
import math
import numbers
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A value safe in a spreadsheet cell.

    >>> cell("=HYPERLINK(1)"), cell("-0.5"), cell(-3), cell("Bolton")
    ("'=HYPERLINK(1)", '-0.5', -3, 'Bolton')
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_START) or _is_number(value):
        return value
    return "'" + value


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame with every text cell, and every column name, safe in a spreadsheet."""
    out = frame.copy()
    out.columns = [cell(str(c)) if isinstance(c, str) else c for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(lambda v: cell(v) if isinstance(v, str) else v)
    return out


def write_csv(frame: pd.DataFrame, path: Path, **kwargs) -> None:
    """Write a frame as CSV (UTF-8, no index, Unix line ends) with every cell safe in a spreadsheet."""
    table(frame).to_csv(path, index=False, lineterminator="\n", **kwargs)


def escape(value) -> str:
    """Any value as text safe inside HTML (and inside a Markdown cell the book renders as HTML).

    >>> escape('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return str(value)
    return html.escape(str(value), quote=True)


_MARKDOWN = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_[](){}$~|!"})  # inline Markdown `escape` leaves


def escape_inline(value) -> str:
    """A value from the data as inert text inside a line of Markdown (and HTML): escaped, its Markdown marks (links,
    emphasis, code, roles, maths) written as character references and its line breaks removed, so it can neither
    run, link nor start a heading or list.

    >>> escape_inline("<img src=x onerror=alert(1)>"), escape_inline("[x](javascript:alert(1))")
    ('&lt;img src=x onerror=alert&#40;1&#41;&gt;', '&#91;x&#93;&#40;javascript:alert&#40;1&#41;&#41;')
    """
    return " ".join(escape(value).split()).translate(_MARKDOWN)
