"""Recommendations from rules: a condition on a measure, and text that cites the evidence numbers."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from analysis import narrative
from analysis.errors import UserError


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
    """The rules whose condition holds, with their text filled in from the measures."""
    fired = []
    for rule in rules:
        cond = rule["when"]
        m = measures.get(cond["measure"])
        if m is None:
            raise UserError(f"Recommendation '{rule['id']}' refers to an unknown measure '{cond['measure']}'.")
        value = m.get("value")
        if value is None or m.get("suppressed"):
            continue
        if ("above" in cond and not value > cond["above"]) or ("below" in cond and not value < cond["below"]):
            continue
        text = re.sub(r"\{(\w+)\}", lambda mt: narrative.share(measures[mt.group(1)]), rule["text"])
        fired.append({"id": rule["id"], "title": rule["title"], "text": text, "measure": cond["measure"]})
    return fired
