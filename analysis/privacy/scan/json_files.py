"""JSON files (measures.json, linkage.json, compare.json and any other): identifiers anywhere in the text, and counts
under keys that name counts of children."""

from __future__ import annotations

import json

from analysis.privacy.scan.counts import COUNT_KEYS
from analysis.privacy.scan.findings import Findings


def read_json(f: Findings, page: str, text: str) -> None:
    f.identifiers(page, text, "the JSON")
    try:
        data = json.loads(text)
    except ValueError:
        return
    _counts(f, page, data, "")


def _counts(f: Findings, page: str, node, where: str) -> None:
    """Count keys at any depth; a measure's numerator and denominator are judged together by `_measure`."""
    if isinstance(node, dict):
        if "numerator" in node and "denominator" in node:
            _measure(f, page, node, where)
        for k, v in node.items():
            here = f"{where}.{k}" if where else str(k)
            if isinstance(v, (dict, list)):
                _counts(f, page, v, here)
            elif COUNT_KEYS.match(str(k)) and k not in ("numerator", "denominator") and f.small(v):
                f.add(page, "small count", v, f"'{here}' is a count from 1 to {f.threshold - 1}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _counts(f, page, v, f"{where}[{i}]")


def _measure(f: Findings, page: str, m: dict, where: str) -> None:
    """A measure marked suppressed must show neither count; any other must not rest on a small one."""
    name = m.get("name") or where
    num, den = m.get("numerator"), m.get("denominator")
    if m.get("suppressed") is True:
        if num is not None or den is not None:
            f.add(
                page,
                "small count",
                f"{num} of {den}",
                f"measure '{name}' is marked suppressed but still shows its numerator or denominator",
            )
        return
    values = [("numerator", num), ("denominator", den)]
    if isinstance(num, int) and isinstance(den, int):
        values.append(("denominator - numerator", den - num))
    for label, v in values:
        if f.small(v):
            f.add(
                page,
                "small count",
                f"{num} of {den}",
                f"measure '{name}': {label} = {v} is from 1 to {f.threshold - 1} and the measure is "
                "not marked suppressed",
            )
