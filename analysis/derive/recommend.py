"""Recommendations from rules: a condition on a measure, and text that cites the evidence numbers.

This module decides which rules hold; `report.narrative.recommendation` words them with the measures they cite.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from analysis.errors import UserError

CITED = re.compile(r"\{(\w+)\}")  # a measure cited in a rule's text


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
    return rules


def evaluate(rules: list[dict], measures: dict) -> list[dict]:
    """The rules whose condition holds (text still a template citing measures in braces)."""
    fired = []
    for rule in rules:
        cond = rule["when"]
        m = measures.get(cond["measure"])
        if m is None:
            raise UserError(f"Recommendation '{rule['id']}' refers to an unknown measure '{cond['measure']}'.")
        unknown = sorted(set(CITED.findall(rule["text"])) - set(measures))
        if unknown:
            raise UserError(f"Recommendation '{rule['id']}' cites an unknown measure '{unknown[0]}' in its text.")
        value = m.get("value")
        if value is None or m.get("suppressed"):
            continue
        if ("above" in cond and not value > cond["above"]) or ("below" in cond and not value < cond["below"]):
            continue
        fired.append({"id": rule["id"], "title": rule["title"], "text": rule["text"], "measure": cond["measure"]})
    return fired
