"""The house rules of the runtime package, as tests: no import cycle, short functions, one home for the suppression
symbol, and the import contracts of pyproject.toml (which `make test` also runs as `lint-imports`)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

from analysis.paths import PACKAGE, REPO
from analysis.privacy.disclosure import SUPPRESSED

MAX_LINES = 60


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (or a module importing itself), by Tarjan's method."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_the_runtime_package_takes_part_in_an_import_cycle():
    g = grimp.build_graph("analysis", cache_dir=None)
    graph = {m: g.find_modules_directly_imported_by(m) for m in g.modules}
    assert cycles(graph) == []


def _definitions(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node


def test_no_function_or_class_in_the_runtime_package_is_longer_than_60_lines():
    long = [
        f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in _definitions(path)
        if node.end_lineno - node.lineno + 1 > MAX_LINES
    ]
    assert long == []


def test_the_suppression_symbol_is_written_in_one_module_only():
    """Every other module asks `privacy.disclosure` (is_suppressed, shown, numeric, SUPPRESSED)."""
    writers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(
            isinstance(node, ast.Constant) and node.value == SUPPRESSED
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    )
    assert writers == ["privacy/disclosure.py"]


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
