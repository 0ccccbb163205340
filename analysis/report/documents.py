"""The report's documents beside the site: the whole book as a PDF and a two-page Word briefing for elected members.

Both are made from what the site already publishes (the built pages, measures.json and the published tables), inside
the build's staging folder, so the disclosure scan judges them with the site and the atomic swap publishes all or
nothing. Copies sit in the site's downloads folder, where the book links to them.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

from analysis.report import main_points, pdf, toc

log = logging.getLogger("adversity_report")

PDF, BRIEFING = "report.pdf", "briefing.docx"
DOWNLOADS = "downloads"  # inside the site, beside the download-all ZIP


def write(study, stage: Path, toc_path: Path, *, print_pdf: bool = True) -> list[Path]:
    """Write `stage/report.pdf` (unless `print_pdf` is false) and `stage/briefing.docx`, each copied into
    `stage/html/downloads/`. Returns the files written."""
    from analysis.report import briefing  # loads matplotlib, whose font cache goes where MPLCONFIGDIR says

    written = [briefing.write_briefing(study, stage / BRIEFING)]
    if print_pdf:
        params = study.params
        prepared = dt.date.fromisoformat(str(study.provenance.prepared_at)[:10])
        info = pdf.print_report(
            stage / "html",
            toc.toc_chapters(toc_path),
            stage / PDF,
            title=f"Adversity before SEND: {params['la_name']}",
            subtitle=f"Requests for an EHC needs assessment, {main_points.period(params)}",
            printed=prepared,
        )
        log.info("Printed the report: %d pages, %.1f MB, fonts embedded", info.pages, info.bytes / 1e6)
        written.append(stage / PDF)
    downloads = stage / "html" / DOWNLOADS
    downloads.mkdir(parents=True, exist_ok=True)
    for f in written:
        shutil.copyfile(f, downloads / f.name)
    return written
