"""Alt text reaches a figure as the plain text a chapter glued, escaped once (by Sphinx), whatever it holds: an
ampersand is read out as "and", not "amp"; a "#" is text, not the start of a comment that would cut it short."""

from __future__ import annotations

import re

import nbformat
import pytest
from docutils.core import publish_string
from myst_parser.parsers.docutils_ import Parser

from analysis.report import book

TEXTS = (
    "Brighton & Hove is within the 95% limits.",
    'Area #3: it\'s "fine"; <script>alert(1)</script> [x](javascript:alert(1)) \\ {b}`k`',
)


def _chapter(alt: str):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("glue('alt_x', alt, display=False)")
    code.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": repr(alt)},
            metadata={"scrapbook": {"mime_prefix": "application/papermill.record/", "name": "alt_x"}},
        )
    ]
    figure = nbformat.v4.new_markdown_cell("```{figure} x.png\n:alt: [[alt:alt_x]]\n\nCaption.\n```")
    nb.cells = [code, figure]
    return nb


def _img_alt(markdown: str) -> str:
    html = publish_string(markdown, parser=Parser(), writer_name="html5", settings_overrides={"report_level": 2})
    return re.search(r'<img alt="([^"]*)"', html.decode()).group(1)


@pytest.mark.parametrize("text", TEXTS)
def test_alt_text_is_the_glued_text_escaped_once(text):
    nb = _chapter(text)
    book._finish(nb, "chapter")
    shown = _img_alt(nb.cells[1].source)
    expected = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert shown == expected
