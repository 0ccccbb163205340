"""Chromium started early and driven over its DevTools pipe prints what `chromium --print-to-pdf` printed (tagged,
with an outline, backgrounds and the CSS page size), prints again without starting again, says clearly when the
browser stops or hangs, and leaves no process and no profile behind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from analysis.errors import UserError
from analysis.report import chromium
from analysis.report.chromium import Browser

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium package is not installed")

PAGE = """<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>T</title>
<style>@page {{ size: A5; margin: 10mm; }} body {{ margin: 0; }}
.band {{ background: #00ff00; height: 30mm; }}</style></head>
<body><h1>{title}</h1><div class="band"></div><h2>Part two</h2><p>Text.</p></body></html>"""


def _page(tmp_path: Path, title: str) -> Path:
    path = tmp_path / f"{title}.html"
    path.write_text(PAGE.format(title=title))
    return path


def test_prints_tagged_with_an_outline_backgrounds_and_the_css_page_size_twice_in_one_browser(tmp_path):
    import pypdfium2 as pdfium

    with Browser() as browser:
        started = browser.proc.pid
        for title in ("First", "Second"):
            browser.print_pdf(_page(tmp_path, title), tmp_path / f"{title}.pdf")
        assert browser.proc.pid == started and browser.proc.poll() is None
    for title in ("First", "Second"):
        reader = PdfReader(tmp_path / f"{title}.pdf")
        root = reader.trailer["/Root"]
        assert "/StructTreeRoot" in root and root["/Lang"] == "en-GB"  # tagged, in the page's language
        assert [o.title for o in reader.outline if not isinstance(o, list)] == [title]
        width, height = (float(v) / 72 * 25.4 for v in reader.pages[0].mediabox[2:])
        assert (round(width), round(height)) == (148, 210)  # A5, as the CSS says
        image = pdfium.PdfDocument(str(tmp_path / f"{title}.pdf"))[0].render(scale=1).to_pil().convert("RGB")
        assert (0, 255, 0) in {c for _, c in image.getcolors(1 << 16)}  # the background was printed


def test_a_browser_that_stops_says_so_and_a_hung_one_times_out(tmp_path, monkeypatch):
    with Browser() as browser:
        monkeypatch.setattr(chromium, "TIMEOUT", 0)
        with pytest.raises(UserError, match="took more than 0 s"):
            browser.print_pdf(_page(tmp_path, "T"), tmp_path / "t.pdf")
    monkeypatch.setattr(chromium, "TIMEOUT", 600)
    with Browser() as browser:
        browser.proc.kill()
        browser.proc.wait()
        with pytest.raises(UserError, match="Chromium stopped before it printed"):
            browser.print_pdf(_page(tmp_path, "T"), tmp_path / "t.pdf")
    assert not (tmp_path / "t.pdf").exists()


def test_closing_ends_chromium_and_removes_its_profile():
    browser = Browser()
    profile = Path(browser._tmp.name)
    assert profile.is_dir()
    browser.close()
    assert browser.proc.poll() is not None and not profile.exists()
    reused = os.pipe()  # the descriptors just closed may be handed out again at once
    browser.close()  # twice is harmless: it closes nothing of anyone else's
    for fd in reused:
        os.fstat(fd)
        os.close(fd)


def test_without_chromium_the_error_says_how_to_fix_it(tmp_path):
    with pytest.raises(UserError, match="install Debian's chromium package.*pdf: false"):
        Browser(str(tmp_path / "no-chromium"))


def test_a_page_that_cannot_be_opened_is_an_error_not_a_printed_error_page(tmp_path):
    with Browser() as browser, pytest.raises(UserError, match="could not open the report"):
        browser.print_pdf(tmp_path / "missing.html", tmp_path / "t.pdf")
    assert not (tmp_path / "t.pdf").exists()
