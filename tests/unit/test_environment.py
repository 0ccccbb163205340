"""The pinned stack: environment.yml (conda users) must not drift from requirements.lock (pip, CI)."""

import re

import yaml

from analysis.paths import REPO


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins


def test_environment_yml_matches_lock():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    lock = _lock()
    pinned = [p for p in pip if "==" in p]
    assert len(pinned) >= 15
    for pin in pinned:
        name, version = pin.split("==")
        assert lock[re.sub(r"[-_.]+", "-", name).lower()] == version, pin


def test_jupyter_book_is_the_offline_1x_release():
    assert _lock()["jupyter-book"] == "1.0.4.post1"
