"""The whole path, in order: ingest, validate, link, pseudonymise, derive, study, chapters, book, publish.

This module is the table of contents of a run; each stage lives in its own package (see ARCHITECTURE.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis import paths
from analysis.derive import assemble, costs
from analysis.derive.study import Study, cached, code_version
from analysis.errors import UserError, ValidationFailed
from analysis.ingest import source, validate
from analysis.link import error, passes, quality
from analysis.params import RunParams
from analysis.privacy import ledger, pseudonymise, safe_text, scan
from analysis.report import book, documents, html_build, publish
from analysis.report.chromium import Browser
from analysis.report.reuse import Reuse

if TYPE_CHECKING:
    from analysis.compare.comparison import Comparison

log = logging.getLogger("adversity_report")


def prepare(params: RunParams, extract_dir: Path, truth_dir: Path | None = None, key: bytes | None = None) -> Study:
    """From extract to the prepared study (no notebooks, no HTML)."""
    params = dataclasses.replace(params, synthetic=source.is_synthetic(extract_dir))
    earliest = pd.Timestamp(params.earliest_birth) if params.earliest_birth else None
    checked = source.check_extract(extract_dir, pd.Timestamp(params.study_end), params.source_kind, earliest)
    if not checked.ok:
        raise ValidationFailed(validate.summarise(checked.problems), checked.problems)
    if params.unit_costs:  # before linkage: a public edition of real data never publishes placeholder costs
        costs.refuse_examples(costs.load_unit_costs(assemble.unit_costs_path(params)), params.edition, params.synthetic)
    t = checked.tables
    log.info("Linking %s social care and %s SEND records", f"{len(t['ssd_person']):,}", f"{len(t['sen2_person']):,}")
    linkage = passes.link(
        t["ssd_person"],
        t["sen2_person"],
        t.get("ssd_linked_identifiers"),
        threshold=params.match_threshold,
        backend=passes.Backend(params.linkage_backend, params.spark_master),
    )
    key = key or pseudonymise.load_key(params.edition)  # identifiers stop in derive: the cohort is pseudonymised
    files = source.extract_files(extract_dir)
    previous = ledger.read(params.previous_edition, params.la_code) if params.previous_edition else None
    age = error.age_at_request(t["sen2_person"], t["sen2_requests"])
    lq = quality.quality(linkage, truth_dir, age)
    return assemble.derive(params, checked, linkage, lq, key, files, previous)


def refuse_recoverable(study, out: Path) -> None:
    """The attacker's verdict is part of the publish gate: a build where any hidden cell can still be recovered
    publishes nothing, and says which cells and by which route (OUT/disclosure_audit.json)."""
    audit = study.disclosure
    if audit.clean:
        return
    report = out / "disclosure_audit_refused.json"
    report.write_text(publish.strict_json(dataclasses.asdict(audit)) + "\n")
    cells = "; ".join(f"{r['cell']} ({r['route']})" for r in audit.recoverable[:5])
    raise UserError(
        f"Disclosure control could not stop {len(audit.recoverable)} hidden cells being recovered ({cells}); nothing "
        f"was published. See {report}. Raising the disclosure threshold or removing a table usually resolves it."
    )


def prepare_cached(
    params: RunParams, extract_dir: Path, truth_dir: Path | None = None, cache: Path = paths.CACHE
) -> Study:
    """`prepare`, reusing a previous result for the same extract, parameters, code and key. The key is read
    first, so an internal build without one fails even when a prepared study is cached."""
    if not Path(extract_dir).is_dir():
        raise UserError(f"Extract folder not found: {extract_dir}")
    key = pseudonymise.load_key(params.edition)
    params = dataclasses.replace(params, synthetic=source.is_synthetic(extract_dir))  # part of the cache key
    if params.previous_edition:  # a missing or foreign ledger is a clear error before anything is computed
        ledger.read(params.previous_edition, params.la_code)
    fingerprint = pseudonymise.fingerprint(key, params.edition)
    cache_key = assemble.cache_key(params, source.extract_files(extract_dir), truth_dir, fingerprint)
    return cached(cache_key, lambda: prepare(params, Path(extract_dir), truth_dir, key), cache)


def build(
    params: RunParams,
    extract_dir: Path,
    out: Path,
    truth_dir: Path | None = None,
    waiting: html_build.Waiting | None = None,
) -> Path:
    """Run everything, scan what would be published, and publish it: OUT/html, OUT/tables/*.csv,
    OUT/measures.json, OUT/linkage.json, OUT/linkage_model.json, OUT/tables.xlsx, OUT/report.pdf and
    OUT/briefing.docx. Nothing in OUT changes unless all succeed;
    the prepared study is cached in OUT/.cache (it holds pseudonymised child-level rows: OUT is private).
    `waiting` is a Jupyter Book process the caller started early (the CLI does, before its imports); without one,
    one is started here, to load while the study is read."""
    t0 = time.perf_counter()
    out = publish.claim(out, (Path(extract_dir),))
    # the briefing's chart loads matplotlib in this process: its font cache goes under OUT, not the user's home
    os.environ.setdefault("MPLCONFIGDIR", str(out / ".cache" / "matplotlib"))
    with publish.build_log(out), contextlib.ExitStack() as stack:
        if waiting is None:
            waiting = stack.enter_context(contextlib.closing(html_build.Waiting()))
        try:
            study = prepare_cached(params, extract_dir, truth_dir, out / ".cache")
        except ValidationFailed as exc:
            safe_text.write_csv(exc.problems, out / "validation_report.csv")
            raise ValidationFailed(f"{exc}\nFull report: {out / 'validation_report.csv'}") from None
        log.info("Study prepared in %.1f s", time.perf_counter() - t0)
        refuse_recoverable(study, out)

        def make(work: Path) -> Path:
            files = _published_files(study, params)
            reuse = Reuse(out / ".cache", study.folder)  # the briefing and workbook of this study, if kept
            documents.warm_up(reuse)
            # the extract's identifiers are read, and Chromium started, while Jupyter Book builds (not while this
            # process readies the book)
            html = book.render(study, work, code_version(), cache=out / ".cache", waiting=waiting, meanwhile=meanwhile)
            stage = publish.stage_build(study.tables, work, html, files, study.params, reuse)
            gate.warm(stage, work)
            # the PDF and the briefing are staged with the site, so the scan judges them too
            documents.write(
                study, stage, paths.BOOK_TOC, print_pdf=params.pdf, cache=out / ".cache", reuse=reuse, browser=browser
            )
            return stage

        memo = scan.Memo(out / ".cache" / "scan_memo.json", code_version())  # a rebuild reads only changed files
        gate = scan.gate(params, extract_dir, "chapters", memo)
        browser = None

        def meanwhile() -> None:
            nonlocal browser
            gate.read_identifiers()
            if params.pdf:
                browser = stack.enter_context(Browser())  # it starts while the pages are written

        publish.release(out, make, gate, protected=(Path(extract_dir),))
        log.info("Built in %.1f s", time.perf_counter() - t0)
    return out / "html" / "index.html"


def _published_files(study: Study, params: RunParams) -> dict[str, object]:
    """The JSON files a build publishes beside the site, by name."""
    return {
        "measures.json": study.measures,
        "linkage.json": dataclasses.asdict(study.linkage),
        "linkage_model.json": study.linkage_model,
        "disclosure_audit.json": dataclasses.asdict(study.disclosure),
        "disclosure_ledger.json": ledger.snapshot(
            study.ledger,
            params.la_code,
            study.params["study_start"],
            study.params["study_end"],
            params.edition,
            params.disclosure_threshold,
        ),
    }


def prepare_comparison(params: RunParams, returns_dir: Path) -> Comparison:
    """Read and check many authorities' FOI returns and compare them (aggregate data only)."""
    from analysis.compare import comparison  # scipy.stats: loaded for a comparison only, not for every build

    return comparison.prepare(params, returns_dir)


def build_comparison(params: RunParams, returns_dir: Path, out: Path) -> Path:
    """Compare, render the comparison book, scan it and publish OUT/html, OUT/tables and OUT/compare.json."""
    from analysis.compare import flags, returns

    out = publish.claim(out, (Path(returns_dir),))
    with publish.build_log(out):
        try:
            result = prepare_comparison(params, returns_dir)
        except ValidationFailed as exc:
            returns.write_problems(exc.problems, out / "validation_report.csv")
            raise ValidationFailed(f"{exc}\nFull report: {out / 'validation_report.csv'}") from None

        def make(work: Path) -> Path:
            html = book.render(result, work, code_version(), toc=paths.COMPARE_TOC, cache=out / ".cache")
            stage = publish.stage_build(result.tables, work, html, {})
            flags.write_compare(result.summary, stage / "compare.json")
            return stage

        artefacts = ("html", "tables", "compare.json")
        publish.release(out, make, scan.gate(params, None, "compare"), artefacts, protected=(Path(returns_dir),))
    return out / "html" / "index.html"
