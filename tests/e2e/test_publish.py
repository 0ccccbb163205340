"""Publishing is all or nothing: a failed, refused or killed build leaves the previous site byte-identical, and a
second build into the same folder is refused while one runs (slow: builds the sample report)."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import cli
from analysis.paths import EXAMPLE_PARAMS, SAMPLE_EXTRACT
from analysis.privacy import scan
from analysis.report import publish

pytestmark = pytest.mark.slow


def _snapshot(out: Path) -> dict[str, str]:
    files = {}
    for name in publish.ARTEFACTS:
        root = (out / name).resolve()
        for p in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if p.is_file():
                files[f"{name}/{p.relative_to(root)}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    return files


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("publish") / "out"
    assert (
        cli.main(["build", "--params", str(EXAMPLE_PARAMS), "--extract", str(SAMPLE_EXTRACT), "--out", str(out)]) == 0
    )
    return out


def _other_params(tmp_path: Path) -> Path:
    raw = yaml.safe_load(EXAMPLE_PARAMS.read_text())
    path = tmp_path / "other.yml"
    path.write_text(yaml.safe_dump({**raw, "la_name": "Another Borough"}))
    return path


def test_a_second_build_is_refused_while_one_runs(site, tmp_path, capsys):
    with publish.lock(site):
        rc = cli.main(
            ["build", "--params", str(_other_params(tmp_path)), "--extract", str(SAMPLE_EXTRACT), "--out", str(site)]
        )
    assert rc == 1 and "Another build is already writing to" in capsys.readouterr().err


def test_a_build_refused_by_the_scan_publishes_nothing(site, tmp_path, monkeypatch, capsys):
    before = _snapshot(site)
    planted = pd.DataFrame(
        [{"page": "book/chapters/summary.html", "kind": "small count", "value": "3", "detail": "planted"}]
    )
    monkeypatch.setattr(scan, "scan", lambda *a, **k: planted)
    rc = cli.main(
        ["build", "--params", str(_other_params(tmp_path)), "--extract", str(SAMPLE_EXTRACT), "--out", str(site)]
    )
    assert rc == 1 and "nothing was published" in capsys.readouterr().err
    assert _snapshot(site) == before


def test_killing_a_build_midway_leaves_the_previous_site(site, tmp_path):
    before = _snapshot(site)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "analysis.cli",
            "build",
            "--params",
            str(_other_params(tmp_path)),
            "--extract",
            str(SAMPLE_EXTRACT),
            "--out",
            str(site),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 120
    chapters = site / ".work" / "book_stage" / "book" / "chapters"
    while time.time() < deadline and not list(chapters.glob("*.ipynb")):  # wait until chapters are executing
        assert proc.poll() is None, "the build ended before it could be interrupted"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _snapshot(site) == before
    assert "Synthetic Borough" in (site / "html" / "book" / "chapters" / "summary.html").read_text()
    # the lock died with the build: the next build runs and publishes the new site
    assert (
        cli.main(
            ["build", "--params", str(_other_params(tmp_path)), "--extract", str(SAMPLE_EXTRACT), "--out", str(site)]
        )
        == 0
    )
    assert "Another Borough" in (site / "html" / "book" / "chapters" / "summary.html").read_text()
