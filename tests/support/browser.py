"""What the browser checks need (Debian's Chromium, node and the npm packages pinned in tests/browser/), and the
rule for when they are missing: skip on a developer's machine, fail in CI (CI=true), where they must run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from analysis.paths import REPO

BROWSER_DIR = REPO / "tests" / "browser"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_prerequisites(packages: tuple[str, ...] = ("axe-core", "playwright-core")) -> list[str]:
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"Chromium ({CHROMIUM}; apt-get install -y --no-install-recommends chromium)")
    if shutil.which("node") is None:
        missing.append("node >= 20 (playwright-core 1.65 needs it; Debian 12's own nodejs is 18)")
    for package in packages:
        if not (BROWSER_DIR / "node_modules" / package / "package.json").is_file():
            missing.append(f"tests/browser/node_modules/{package} (cd tests/browser && npm ci)")
    return missing


def require_browser(packages: tuple[str, ...] = ("axe-core", "playwright-core")) -> None:
    missing = missing_prerequisites(packages)
    if not missing:
        return
    message = "browser check cannot run, missing: " + "; ".join(missing)
    if in_ci():
        pytest.fail(message + " (CI is set: this check must run in CI)", pytrace=False)
    pytest.skip(message)
