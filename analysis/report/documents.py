"""The report's documents beside the site: the whole book as a PDF and a two-page Word briefing for elected members.

Both are made from what the site already publishes (the built pages, measures.json and the published tables), inside
the build's staging folder, so the disclosure scan judges them with the site and the atomic swap publishes all or
nothing. Copies sit in the site's downloads folder, where the book links to them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from analysis.report import main_points, pdf, toc
from analysis.report.chromium import Browser
from analysis.report.reuse import Reuse

log = logging.getLogger("adversity_report")

PDF, BRIEFING = "report.pdf", "briefing.docx"
PAGES = "pdf_chapter_pages.json"  # in the private cache: page numbers only
DOWNLOADS = "downloads"  # inside the site, beside the download-all ZIP


def warm_up(reuse: Reuse | None = None) -> None:
    """Import the briefing's chart libraries (matplotlib, seaborn, scipy: about a second) on a thread of their own,
    while the chapters are readied and Jupyter Book builds in a process of its own; `write` then finds them loaded.
    Python's import lock makes `write` wait for an import still under way, so this only ever saves time. Not when
    `reuse` keeps this study's briefing: then nothing needs them."""
    if reuse is not None and reuse.has(BRIEFING):
        return

    def load() -> None:
        from analysis.report import briefing  # noqa: F401

    threading.Thread(target=load, name="briefing-imports", daemon=True).start()


def write(
    study,
    stage: Path,
    toc_path: Path,
    *,
    print_pdf: bool = True,
    cache: Path | None = None,
    reuse: Reuse | None = None,
    browser: Browser | None = None,
) -> list[Path]:
    """Write `stage/report.pdf` (unless `print_pdf` is false) and `stage/briefing.docx`, each copied into
    `stage/html/downloads/`. Returns the files written. The PDF is printed in `browser` if the caller started one
    early. The briefing is written while Chromium prints (in a process of its own), or copied from `reuse` when it
    keeps one made from this study. The page each chapter started on is kept in `cache` (the build's private
    cache), so that the next build can print its contents right first time."""
    reuse = reuse or Reuse(None, None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="print-pdf") as pool:
        pdf_path = stage / PDF
        printing = pool.submit(_print, study, stage / "html", toc_path, pdf_path, cache, browser) if print_pdf else None
        written = [reuse.made(stage / BRIEFING, lambda path: _brief(study, path))]
        if printing is not None:
            written.append(printing.result())
    downloads = stage / "html" / DOWNLOADS
    downloads.mkdir(parents=True, exist_ok=True)
    for f in written:
        shutil.copyfile(f, downloads / f.name)
    return written


def _brief(study, path: Path) -> None:
    from analysis.report import briefing  # loads matplotlib, whose font cache goes where MPLCONFIGDIR says

    briefing.write_briefing(study, path)


def _print(study, site: Path, toc_path: Path, out: Path, cache: Path | None, browser: Browser | None) -> Path:
    """The whole book printed to `out`, its size and pages logged."""
    params = study.params
    info = pdf.print_report(
        site,
        toc.toc_chapters(toc_path),
        out,
        title=f"Adversity before SEND: {params['la_name']}",
        subtitle=f"Requests for an EHC needs assessment, {main_points.period(params)}",
        printed=dt.date.fromisoformat(str(study.provenance.prepared_at)[:10]),
        expected_pages=_remembered(cache),
        browser=browser,
    )
    _remember(cache, info.chapter_pages)
    log.info("Printed the report: %d pages, %.1f MB, fonts embedded", info.pages, info.bytes / 1e6)
    return out


def _remembered(cache: Path | None) -> list[int | None] | None:
    """The chapters' first pages in the last PDF printed, if any (a guess: the print checks it)."""
    try:
        found = json.loads((cache / PAGES).read_text()) if cache else None
    except (OSError, ValueError):
        return None
    return found if isinstance(found, list) and all(n is None or isinstance(n, int) for n in found) else None


def _remember(cache: Path | None, numbers: list[int | None]) -> None:
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
        (cache / PAGES).write_text(json.dumps(numbers))
