"""Hostile text in an extract, in the run parameters and in FOI returns is shown as text and never runs: the built
sites are opened in headless Chromium and no planted payload may fire (slow: two builds, then the browser).

Needs Debian's Chromium and `npm ci` in tests/browser (as .ci/run does); skips elsewhere, fails in CI without them.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from support.browser import BROWSER_DIR, CHROMIUM, require_browser

from analysis import cli
from analysis.paths import EXAMPLE_PARAMS, SAMPLE_EXTRACT

pytestmark = pytest.mark.slow

LA_NAME = "<img src=x onerror=\"window.__pwned('la_name')\">Borough<script>window.__pwned('la_script')</script>"
COLUMN = "<img src=x onerror=\"window.__pwned('column')\">"
FILE = "<img src=x onerror=window.__pwned('file')>.csv"
FOI_NAME = "<script>alert('foi')</script><img src=x onerror=\"window.__pwned('foi')\">"


def _hostile_extract(dest: Path) -> Path:
    shutil.copytree(SAMPLE_EXTRACT, dest)
    path = dest / "sen2_requests.csv"
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    rows[0].append(COLUMN)  # an unknown column: a validation warning naming it, shown in Data quality
    for row in rows[1:]:
        row.append("")
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    (dest / FILE).write_text("a\n1\n")  # a stray file: listed in Provenance
    return dest


def _params(tmp: Path) -> Path:
    path = tmp / "params.yml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(EXAMPLE_PARAMS.read_text()), "la_name": LA_NAME}))
    return path


def _run_check(site: Path) -> dict:
    proc = subprocess.run(
        ["node", str(BROWSER_DIR / "xss_check.mjs"), str(site)],
        capture_output=True,
        text=True,
        timeout=600,
        env={"CHROMIUM": str(CHROMIUM), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("xss")
    extract = _hostile_extract(tmp / "extract")
    rc = cli.main(["build", "--params", str(_params(tmp)), "--extract", str(extract), "--out", str(tmp / "out")])
    assert rc == 0
    return tmp / "out"


@pytest.fixture(scope="module")
def hostile_comparison(tmp_path_factory) -> Path:
    from analysis.synth.foi import write_synth_returns

    tmp = tmp_path_factory.mktemp("xss_compare")
    returns = write_synth_returns(30, 4, tmp / "synth")["returns"]
    for path in sorted(returns.glob("*.csv"))[:1]:
        text = path.read_text(encoding="utf-8").replace("Synthetic LA 001", FOI_NAME.replace('"', "'"))
        path.write_text(text, encoding="utf-8")
    rc = cli.main(["build", "--params", str(_params(tmp)), "--compare", str(returns), "--out", str(tmp / "out")])
    assert rc == 0
    return tmp / "out"


def test_hostile_text_reaches_the_pages_as_text(hostile_report):
    pages = {p.name: p.read_text(encoding="utf-8") for p in (hostile_report / "html").rglob("*.html")}
    assert "&lt;img src=x onerror" in pages["provenance.html"]  # the name and the file name, escaped
    assert "&lt;img src=x onerror" in pages["data_quality.html"]  # the column name, escaped
    assert not any("<img src=x onerror" in text or "<script>window.__pwned" in text for text in pages.values())


def test_no_planted_script_runs_in_the_report(hostile_report):
    require_browser(("playwright-core",))
    result = _run_check(hostile_report / "html")
    assert result["pages"] >= 10 and result["ran"] == []


def test_no_planted_script_runs_in_the_comparison(hostile_comparison):
    require_browser(("playwright-core",))
    result = _run_check(hostile_comparison / "html")
    assert result["pages"] >= 1 and result["ran"] == []


def test_the_check_sees_a_payload_that_runs(tmp_path):
    """The browser check itself can fail: a page whose payload is not escaped is reported."""
    require_browser(("playwright-core",))
    (tmp_path / "bad.html").write_text(f"<html><body>{LA_NAME}</body></html>")
    result = _run_check(tmp_path)
    assert {r.get("payload") for r in result["ran"]} & {"la_name", "la_script"}
