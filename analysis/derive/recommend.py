"""Recommendations from rules: a condition on a measure's interval, and text that cites the evidence numbers.

A rule fires only when the evidence is clear of chance: the measure's 95% interval lies above (or below) a
comparator, which is a number or another measure's interval. A rule resting on a suppressed or missing measure does
not fire and is listed as not assessable. This module decides; `report.narrative.recommendation` words the text.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from analysis.errors import UserError

CITED = re.compile(r"\{(\w+)(?:\.(\w+))?\}")  # a measure cited in a rule's text, or one field of it: {name.field}
TESTS = ("lower_above", "upper_below")


def load_rules(path: str | Path) -> list[dict]:
    path = Path(path)
    try:
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise UserError(f"{path}: cannot read the recommendation rules ({exc}).") from None
    for i, rule in enumerate(rules, start=1):
        missing = {"id", "title", "when", "text"} - set(rule)
        if missing:
            raise UserError(f"{path}: rule {i} lacks {', '.join(sorted(missing))}.")
        tests = [t for t in TESTS if t in rule["when"]]
        if "measure" not in rule["when"] or len(tests) != 1:
            raise UserError(
                f"{path}: rule '{rule['id']}' needs `when: {{measure: NAME, lower_above: X}}` (or "
                "upper_below), with exactly one test."
            )
    return rules


def _find(measures: dict, name: str) -> dict | None:
    """A measure by name, at the top level or inside a list (domains, tiers, strata)."""
    if isinstance(measures.get(name), dict):
        return measures[name]
    for v in measures.values():
        for m in v if isinstance(v, list) else []:
            if m.get("name") == name:
                return m
    return None


def _bound(measures: dict, comparator, side: int) -> float | None:
    """A comparator as a number: itself, or the other measure's upper (side 1) or lower (side 0) bound."""
    if isinstance(comparator, (int, float)) and not isinstance(comparator, bool):
        return float(comparator)
    m = _find(measures, str(comparator))
    if m is None or m.get("suppressed") or m.get("interval", [None])[side] is None:
        return None
    return float(m["interval"][side])


def evaluate(rules: list[dict], measures: dict) -> list[dict]:
    """Every rule with its outcome: `fired` (the interval clears the comparator), `not fired`, or `not assessable`
    (a measure suppressed or not computed). Text stays a template citing measures in braces."""
    out = []
    for rule in rules:
        cond = rule["when"]
        cited = CITED.findall(rule["text"])
        unknown = sorted({cond["measure"], *(name for name, _ in cited)} - _names(measures))
        unknown += [f"{name}.{field}" for name, field in cited if field and field not in (_find(measures, name) or {})]
        test = next(t for t in TESTS if t in cond)
        m = _find(measures, cond["measure"])
        comparator = _bound(measures, cond[test], 1 if test == "lower_above" else 0)
        if unknown or m is None or m.get("suppressed") or comparator is None or None in m["interval"]:
            status = "not assessable"
        elif test == "lower_above":
            status = "fired" if m["interval"][0] > comparator else "not fired"
        else:
            status = "fired" if m["interval"][1] < comparator else "not fired"
        out.append(
            {
                "id": rule["id"],
                "title": rule["title"],
                "text": rule["text"],
                "measure": cond["measure"],
                "status": status,
            }
        )
    return out


def _names(measures: dict) -> set[str]:
    names = set(measures)
    for v in measures.values():
        names |= {m.get("name") for m in v} if isinstance(v, list) else set()
    return names
