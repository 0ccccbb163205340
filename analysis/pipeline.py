"""The whole path, in order: ingest, validate, link, pseudonymise, derive, study, chapters, book, publish.

This module is the table of contents of a run; each stage lives in its own package (see ARCHITECTURE.md).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.compare import comparison, flags
from analysis.compare.comparison import Comparison
from analysis.derive import assemble
from analysis.derive.study import Study, cached, code_version
from analysis.errors import ValidationFailed
from analysis.ingest import source, validate
from analysis.link import passes, quality
from analysis.params import RunParams
from analysis.privacy import pseudonymise, scan
from analysis.report import book, publish

log = logging.getLogger("adversity_report")


def prepare(params: RunParams, extract_dir: Path, truth_dir: Path | None = None) -> Study:
    """From extract to the prepared study (no notebooks, no HTML)."""
    checked = source.check_extract(extract_dir, pd.Timestamp(params.study_end), params.source_kind)
    if not checked.ok:
        report = Path(extract_dir) / "validation_report.csv"
        validate.write_report(checked.problems, report)
        raise ValidationFailed(f"{validate.summarise(checked.problems)}\nFull report: {report}")
    t = checked.tables
    linkage = passes.link(
        t["ssd_person"],
        t["sen2_person"],
        t.get("ssd_linked_identifiers"),
        threshold=params.match_threshold,
        backend=params.linkage_backend,
    )
    key = pseudonymise.load_key(params.edition)  # identifiers stop in derive: the cohort is pseudonymised
    files = source.extract_files(extract_dir)
    return assemble.derive(params, checked, linkage, quality.quality(linkage, truth_dir), key, files)


def prepare_cached(params: RunParams, extract_dir: Path, truth_dir: Path | None = None) -> Study:
    """`prepare`, reusing a previous result for the same extract, parameters and code."""
    key = assemble.cache_key(params, source.extract_files(extract_dir), truth_dir)
    return cached(key, lambda: prepare(params, Path(extract_dir), truth_dir))


def build(params: RunParams, extract_dir: Path, out: Path, truth_dir: Path | None = None) -> Path:
    """Run everything, scan what would be published, and publish it: OUT/html, OUT/tables/*.csv,
    OUT/measures.json, OUT/linkage.json and OUT/linkage_model.json. Nothing in OUT changes unless all succeed."""
    t0 = time.perf_counter()
    study = prepare_cached(params, extract_dir, truth_dir)
    log.info("Study prepared in %.1f s", time.perf_counter() - t0)

    def make(work: Path) -> Path:
        files = {
            "measures.json": study.measures,
            "linkage.json": dataclasses.asdict(study.linkage),
            "linkage_model.json": study.linkage_model,
        }
        return publish.stage_build(study.tables, work, book.render(study, work, code_version()), files)

    publish.release(out, make, scan.gate(params, extract_dir, "chapters"))
    log.info("Built in %.1f s", time.perf_counter() - t0)
    return out / "html" / "index.html"


def prepare_comparison(params: RunParams, returns_dir: Path) -> Comparison:
    """Read and check many authorities' FOI returns and compare them (aggregate data only)."""
    return comparison.prepare(params, returns_dir)


def build_comparison(params: RunParams, returns_dir: Path, out: Path) -> Path:
    """Compare, render the comparison book, scan it and publish OUT/html, OUT/tables and OUT/compare.json."""
    result = prepare_comparison(params, returns_dir)

    def make(work: Path) -> Path:
        html = book.render(result, work, code_version(), toc=paths.COMPARE_TOC)
        stage = publish.stage_build(result.tables, work, html, {})
        flags.write_compare(result.summary, stage / "compare.json")
        return stage

    publish.release(out, make, scan.gate(params, None, "compare"), ("html", "tables", "compare.json"))
    return out / "html" / "index.html"
