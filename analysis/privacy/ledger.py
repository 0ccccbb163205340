"""The publication ledger: every count an edition published, by its stable key, so that next year's attacker can
difference against it (`--previous`). It holds published numbers only, nothing about a child."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.errors import UserError
from analysis.privacy.registry import Registry

NAME = "disclosure_ledger.json"
FORMAT = "adversity-report disclosure ledger 1"


def published_counts(reg: Registry) -> dict[str, int]:
    """Every count an edition shows, by its key: what the next edition's attacker compares against."""
    return {k: q.value for k, q in sorted(reg.cells.items()) if q.shown}


def snapshot(cells: dict[str, int], la_code: str, start: str, end: str, edition: str, threshold: int) -> dict:
    """The ledger an edition writes beside its site."""
    return {
        "format": FORMAT,
        "la_code": la_code,
        "study_window": {"start": start, "end": end},
        "edition": edition,
        "threshold": threshold,
        "cells": cells,
    }


def file_of(path: Path) -> Path:
    """The ledger file of a previous edition given its output folder (or the file itself)."""
    path = Path(path)
    return path / NAME if path.is_dir() else path


def read(path: Path, la_code: str) -> dict[str, int]:
    """The published counts of a previous edition: `path` is its output folder or its ledger file."""
    path = Path(path)
    file = file_of(path)
    where = f"--previous {path}"
    if not file.is_file():
        raise UserError(f"{where}: no {NAME} there; give the output folder of the previous public edition.")
    try:
        ledger = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{file}: not a ledger this tool wrote ({exc}).") from None
    if not isinstance(ledger, dict) or ledger.get("format") != FORMAT or not isinstance(ledger.get("cells"), dict):
        raise UserError(f"{file}: not a ledger this tool wrote (expected format {FORMAT!r}).")
    if ledger.get("la_code") != la_code:
        raise UserError(f"{file}: the previous edition is of authority {ledger.get('la_code')!r}, not {la_code!r}.")
    bad = [k for k, v in ledger["cells"].items() if not isinstance(v, int) or isinstance(v, bool) or v < 0]
    if bad:
        raise UserError(f"{file}: cells {bad[:3]} are not counts (whole numbers, 0 or more).")
    return dict(ledger["cells"])
