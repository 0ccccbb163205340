"""WCAG 2.2 AA check of the built report: axe-core in headless Chromium on every page, light and dark, wide and
narrow, with the theme's search and sidebar dialogs open (slow: builds the sample report, then ~1 min of browser).

Needs Debian's Chromium at /usr/bin/chromium (or $CHROMIUM) and `npm ci` in tests/browser. Without them the test
skips on a developer's machine and fails in CI (CI=true), where the browser check must run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from support.browser import BROWSER_DIR, CHROMIUM, require_browser

from analysis import cli
from analysis.paths import EXAMPLE_PARAMS, SAMPLE_EXTRACT
from analysis.report.book import toc_chapters

pytestmark = pytest.mark.slow

AXE_CHECK = BROWSER_DIR / "axe_check.mjs"
TIMEOUT_S = 900


@pytest.fixture(scope="session")
def sample_site(sample_report) -> Path:
    return sample_report / "html"


@pytest.fixture(scope="session")
def internal_site(tmp_path_factory) -> Path:
    """The internal edition of the sample report (banner, child-level timelines and exclusions)."""
    import yaml

    folder = tmp_path_factory.mktemp("internal_report")
    params = folder / "params.yml"
    params.write_text(yaml.safe_dump({**yaml.safe_load(EXAMPLE_PARAMS.read_text()), "edition": "internal"}))
    with pytest.MonkeyPatch.context() as mp:  # the key is set for this build only, not for later tests
        mp.setenv("ADVERSITY_REPORT_KEY", "test-key-7f3a9c2e4b8d1f6a0c5e9b2d7a4f8c1e3b6d9a2f")
        rc = cli.main(
            ["build", "--params", str(params), "--extract", str(SAMPLE_EXTRACT), "--out", str(folder / "out")]
        )
    assert rc == 0, "the internal edition did not build"
    return folder / "out" / "html"


@pytest.fixture(scope="session")
def comparison_site(tmp_path_factory) -> Path:
    """The comparison of 150 synthetic authorities' FOI returns."""
    folder = tmp_path_factory.mktemp("comparison_report")
    assert cli.main(["synth", "--returns", "150", "--seed", "2", "--out", str(folder / "synth")]) == 0
    rc = cli.main(
        [
            "build",
            "--params",
            str(EXAMPLE_PARAMS),
            "--compare",
            str(folder / "synth" / "returns"),
            "--out",
            str(folder / "out"),
        ]
    )
    assert rc == 0, "the comparison book did not build"
    return folder / "out" / "html"


def _describe(summary: dict) -> str:
    lines = []
    for page, found in summary.get("violations", {}).items():
        for v in found:
            lines.append(
                f"  {page}: {v['rule']} ({v['impact']}, {v['nodes']} node(s), {', '.join(v['variants'])}): "
                f"{v['help']} -- e.g. {'; '.join(v['targets'])}"
            )
    for page, urls in summary.get("external_requests", {}).items():
        lines.append(f"  {page}: requested from the network: {', '.join(urls)}")
    for name, extra in summary.get("sideways_scroll_px", {}).items():
        lines.append(f"  {name}: the page scrolls {extra} px sideways on a phone")
    for name in summary.get("dialogs_not_opened", []):
        lines.append(f"  {name}: its toggle is visible but the dialog did not open")
    return "\n".join(lines)


@pytest.mark.parametrize("edition", ["sample_site", "internal_site", "comparison_site"])
def test_every_page_passes_axe_in_light_and_dark_wide_and_narrow(request, edition):
    require_browser()
    site = request.getfixturevalue(edition)
    proc = subprocess.run(
        ["node", str(AXE_CHECK), str(site)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        cwd=BROWSER_DIR,
        env={**os.environ, "CHROMIUM": str(CHROMIUM)},
    )
    assert proc.returncode in (0, 1), f"axe_check.mjs could not run (exit {proc.returncode}):\n{proc.stderr}"
    summary = json.loads(proc.stdout)
    assert "light@390" in summary["variants"] and "sideways_scroll_px" in summary, "the phone-width check did not run"
    print(json.dumps({k: summary[k] for k in ("pages_checked", "runs", "violations_by_rule", "seconds")}))
    assert proc.returncode == 0, (
        "accessibility problems in the built report:\n" + _describe(summary) + "\n\nFull summary:\n" + proc.stdout
    )
    if edition != "comparison_site":
        assert summary["pages_checked"] >= len(toc_chapters()), summary["pages"]
    assert len(summary["dialogs_checked"]) >= 4, "the search and sidebar dialogs were not checked"
    if edition != "comparison_site":
        assert any("[link hovered]" in d for d in summary["dialogs_checked"]), "no link was checked under the pointer"
