"""HTML pages and HTML notebook outputs: their text, attribute values (links, titles, alt text) and tables."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from html.parser import HTMLParser

from analysis.privacy.scan.findings import Findings
from analysis.privacy.scan.tables import Table, check
from analysis.privacy.scan.text import child_keys, prose

# Attributes that hold layout and markup, never published values, so they are not searched for identifiers.
SKIP_ATTRS = {
    "class",
    "id",
    "style",
    "role",
    "tabindex",
    "colspan",
    "rowspan",
    "width",
    "height",
    "type",
    "rel",
    "media",
    "charset",
    "lang",
    "dir",
    "target",
    "async",
    "defer",
    "method",
    "for",
}


@dataclasses.dataclass
class _OpenTable:
    """A table being read: the rows of its head and body so far, and the row and cell being read."""

    head: list[list[str]] = dataclasses.field(default_factory=list)
    body: list[list[str]] = dataclasses.field(default_factory=list)
    row: list[str] | None = None
    cell: list[str] | None = None
    in_head: bool = False

    def start(self, tag: str) -> None:
        if tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def end(self, tag: str) -> None:
        if tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            (self.head if self.in_head else self.body).append(self.row)
            self.row = None

    def close(self, where: str) -> Table:
        """The last head row is the header; a table without a head takes its first row."""
        header = self.head[-1] if self.head else []
        body = self.body
        if not header and body:
            header, body = body[0], body[1:]
        return Table(header, body, where)


class _HTML(HTMLParser):
    """Text, attribute values and tables of an HTML page, with only the standard library."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.prose: list[str] = []  # running text: outside scripts, styles and tables
        self.attrs: dict[str, list[str]] = defaultdict(list)
        self.tables: list[Table] = []
        self._stack: list[_OpenTable] = []
        self._raw = 0  # inside <script> or <style>
        self.comments: list[str] = []  # <!-- ... -->: not shown, but downloaded with the page

    def handle_comment(self, data):
        self.comments.append(data)

    def unknown_decl(self, data):
        self.text.append(f" {data} ")  # <![CDATA[ ... ]]>

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and name not in SKIP_ATTRS and not value.startswith("data:"):
                self.attrs[name].append(value)
        if tag in ("script", "style"):
            self._raw += 1
        elif tag == "table":
            self._stack.append(_OpenTable())
        elif self._stack:
            self._stack[-1].start(tag)
        if tag in ("br", "p", "div", "li", "td", "th", "tr"):
            self.text.append("\n")
            self.prose.append("\n")
        if tag in ("td", "th"):
            self.text.append(" ")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._raw = max(0, self._raw - 1)
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop().close(f"table {len(self.tables) + 1}"))
        elif self._stack:
            self._stack[-1].end(tag)
        self.text.append(" ")
        if not self._raw:
            self.prose.append(" ")

    def handle_data(self, data):
        self.text.append(data)
        if self._raw:
            return
        if not self._stack:
            self.prose.append(data)
        elif self._stack[-1].cell is not None:
            self._stack[-1].cell.append(data)


def _parse(html: str) -> _HTML:
    p = _HTML()
    p.feed(html)
    p.close()
    return p


def read_html(f: Findings, page: str, html: str) -> None:
    p = _parse(html)
    f.identifiers(page, "".join(p.text), "the page text")
    if p.comments:
        comments = "\n".join(p.comments)
        f.identifiers(page, comments, "an HTML comment")
        prose(f, page, comments, "an HTML comment")
    for name, values in p.attrs.items():
        f.identifiers(page, "\n".join(values), f"the {name} attribute")
    for t in p.tables:
        check(f, page, t)
    prose(f, page, "".join(p.prose), "the page text")
    child_keys(f, page, "".join(p.text), "the page text")


def read_fragment(f: Findings, page: str, html: str, where: str) -> None:
    """Tables and running text of an HTML notebook output."""
    p = _parse(html)
    for t in p.tables:
        t.where = f"{where}, {t.where}"
        check(f, page, t)
    prose(f, page, "".join(p.prose), where)
