"""Notebooks, executed or as published sources: code and text cells, outputs, and glued values, which a chapter shows
as numbers in its prose."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator

from analysis.privacy.scan.counts import N_CHILDREN, N_OF_M, NON_COUNT_GLUE, whole
from analysis.privacy.scan.findings import Findings
from analysis.privacy.scan.html_pages import read_fragment
from analysis.privacy.scan.text import child_keys, n_of_m, prose


def read_notebook(f: Findings, page: str, text: str) -> None:
    try:
        nb = json.loads(text)
    except ValueError:
        f.identifiers(page, text, "the notebook")
        return
    sources, outputs = [], []
    for i, cell in enumerate(nb.get("cells", []), start=1):
        src = cell.get("source", "")
        sources.append("".join(src) if isinstance(src, list) else str(src))
        for out in cell.get("outputs", []):
            _output(f, page, out, i, outputs)
    f.identifiers(page, "\n".join(sources), "the notebook's code and text cells")
    f.identifiers(page, "\n".join(outputs), "the notebook's outputs")


def _output(f: Findings, page: str, out: dict, cell: int, outputs: list[str]) -> None:
    """One output of cell `cell`: a glued value is judged as the number it is; any other output's text is kept in
    `outputs` for the identifier search, and its prose and tables are checked here."""
    texts = dict(_output_texts(out))
    scrap = out.get("metadata", {}).get("scrapbook")
    where = f"glued value '{scrap.get('name', '?')}'" if scrap else f"cell {cell} output"
    if scrap:
        for mime, value in texts.items():
            _glue(f, page, scrap.get("name", "?"), mime, value, cell)
    else:
        outputs.extend(texts.values())
        for value in texts.values():
            child_keys(f, page, value, where)
        if "text/html" not in texts:
            for mime in ("text/markdown", "text/plain"):
                if mime in texts:
                    prose(f, page, texts[mime], where)
                    break
    if "text/html" in texts:
        read_fragment(f, page, texts["text/html"], where)


def _glue(f: Findings, page: str, key: str, mime: str, value: str, cell: int) -> None:
    """A glued value: identifiers and keys always; a count unless the key names a parameter or a report part."""
    where = f"glued value '{key}' (cell {cell})"
    f.identifiers(page, value, where)
    if f.edition == "public":
        child_keys(f, page, value, where)
    if f.threshold <= 1 or key in NON_COUNT_GLUE or not mime.endswith("text/plain"):
        return
    plain = _literal(value)
    n = whole(plain)
    if f.small(n):
        f.add(page, "small count", plain, f"{where} is a count from 1 to {f.threshold - 1}")
        return
    for m in N_OF_M.finditer(plain):
        n_of_m(f, page, m, where)
    for m in N_CHILDREN.finditer(plain):
        v = whole(m.group(1))
        if f.small(v):
            f.add(page, "small count", m.group(0), f"{where}: '{m.group(0)}' is a count from 1 to {f.threshold - 1}")


def _output_texts(out: dict) -> Iterator[tuple[str, str]]:
    """(mime type, text) of a notebook output, without images."""
    if out.get("output_type") == "stream":
        t = out.get("text", "")
        yield "text/plain", "".join(t) if isinstance(t, list) else str(t)
        return
    if out.get("output_type") == "error":
        yield "text/plain", "\n".join([str(out.get("evalue", ""))] + list(out.get("traceback", [])))
        return
    for mime, value in out.get("data", {}).items():
        base = mime.removeprefix("application/papermill.record/")
        if base.startswith("image/") and base != "image/svg+xml":
            continue
        if not isinstance(value, str):
            value = "".join(value) if isinstance(value, list) else json.dumps(value)
        yield base, value


def _literal(value: str) -> str:
    """A glued text/plain repr ("'54 of 100 (...)'" or "5") as the text a reader sees."""
    try:
        v = ast.literal_eval(value.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value.strip()
    return str(v) if isinstance(v, (str, int, float)) and not isinstance(v, bool) else value.strip()
