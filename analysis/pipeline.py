"""The whole path, in order: ingest, validate, link, pseudonymise, derive, study, chapters, book, publish.

`build` is the table of contents of a run; each step lives in its own module.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import shutil
import time
from importlib import metadata
from pathlib import Path

import pandas as pd

from analysis import (__version__, adversity, book, cohort, comparison, ingest, link, linkage_report, measures,
                      pseudonymise, recommend, tables, validate)
from analysis.disclosure import suppress
from analysis.errors import UserError, ValidationFailed
from analysis.params import RunParams, load_params  # noqa: F401  (re-exported for chapters and the CLI)
from analysis.study import CACHE, REPO, Study, code_version, fingerprint

log = logging.getLogger("adversity_report")
FRAME = REPO / "data_templates" / "adversity_frame.yml"
RULES = REPO / "data_templates" / "recommendations.yml"
PACKAGES = ("pandas", "numpy", "statsmodels", "lifelines", "splink", "duckdb", "pandera", "matplotlib", "seaborn",
            "papermill", "jupyter-book", "myst-nb", "jupytext")


def extract_files(extract_dir: Path) -> list[Path]:
    return sorted(p for p in Path(extract_dir).iterdir() if p.suffix in (".csv", ".parquet", ".xlsx", ".xml"))


def check_extract(extract_dir: Path, extract_date: pd.Timestamp | None = None) -> validate.ValidationResult:
    """Ingest and validate; the result holds typed tables and every problem found."""
    return validate.validate(ingest.read_extract(extract_dir), extract_date)


def prepare(params: RunParams, extract_dir: Path, truth_dir: Path | None = None) -> Study:
    """From extract to the prepared study (no notebooks, no HTML)."""
    start, end = pd.Timestamp(params.study_start), pd.Timestamp(params.study_end)
    checked = check_extract(extract_dir, end)
    if not checked.ok:
        report = Path(extract_dir) / "validation_report.csv"
        validate.write_report(checked.problems, report)
        raise ValidationFailed(f"{validate.summarise(checked.problems)}\nFull report: {report}")
    t = checked.tables
    linkage = link.link(t["ssd_person"], t["sen2_person"], t.get("ssd_linked_identifiers"),
                        threshold=params.match_threshold, backend=params.linkage_backend)
    frame = adversity.load_frame(FRAME)
    events, excluded = adversity.events(t, frame)
    key = pseudonymise.load_key(params.edition)
    result = cohort.build(t, linkage.crosswalk, events, start, end, key, params.age_threshold)
    quality = linkage_report.quality(linkage, truth_dir)
    comp = comparison.compare(t, linkage.crosswalk, events, params.age_threshold)

    raw = measures.headline(result.cohort, frame, params.age_threshold)
    shown = measures.apply_disclosure(raw, params.disclosure_threshold)
    fired = recommend.evaluate(recommend.load_rules(RULES), shown)
    thr = params.disclosure_threshold
    published = {
        "table_1": tables.table_one(result.cohort, thr),
        "domain_prevalence": tables.domain_prevalence(shown),
        "first_adversity_age": tables.first_adversity_age(result.cohort, params.age_threshold, thr),
        "csc_routes": tables.csc_routes(result.cohort, thr),
        "selection_flow": tables.flow(result.flow, thr),
        "linkage_by_method": linkage.summary().assign(
            linked=lambda d: [("c" if 1 <= n < thr else n) for n in d["linked"]]),
        "linkage_by_age_band": suppress(suppress(linkage_report.by_group(result.cohort, "age_band", "Age at request"),
                                                 "Children", thr), "Linked", thr),
        "linkage_by_year": suppress(suppress(linkage_report.by_group(result.cohort, result.cohort["index_date"].dt.year,
                                                                     "Year of request"), "Children", thr), "Linked", thr),
        "linkage_weights": suppress(linkage_report.weight_histogram(linkage.weights), "Pairs", thr),
        "comparison": comp["table"].pipe(lambda d: _suppress_comparison(d, thr)),
        "validation_summary": _validation_summary(checked.problems),
        "coding_frame": frame.as_table(),
    }
    files = extract_files(extract_dir)
    info = {
        "params": params.as_public_dict(),
        "measures": shown,
        "lead_time": cohort.lead_time_summary(result.cohort),
        "flow": result.flow.to_dict(orient="records"),
        "linkage": quality,
        "linkage_model": linkage.model,
        "exclusions": excluded,
        "comparison": {"odds_ratio_early": comp["odds_ratio_early"], "odds_ratio_early_ci": comp["odds_ratio_early_ci"],
                       "denominator": comp["denominator"]},
        "recommendations": fired,
        "validation": {"errors": int((checked.problems["severity"] == "error").sum()),
                       "warnings": int((checked.problems["severity"] == "warning").sum())},
        "provenance": {
            "extract_fingerprint": fingerprint(files),
            "extract_files": [{"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()[:16],
                               "rows": int(len(checked.tables[p.stem])) if p.stem in checked.tables else None}
                              for p in files],
            "code_version": f"{__version__}+{code_version()}",
            "python": platform.python_version(),
            "packages": {p: metadata.version(p) for p in PACKAGES},
            "prepared_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        },
    }
    return Study(info, result.cohort, result.child_events, published)


def _suppress_comparison(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Primary suppression of each count and its percentage (groups are disjoint; no totals are shown)."""
    out = table.copy().astype(object)
    for count, share in (("Children", None), ("Any adversity", "Any adversity %"),
                         ("Early adversity", "Early adversity %")):
        small = table[count].between(1, threshold - 1)
        for col in (count, share) if share else (count,):
            out.loc[small, col] = "c"
    return out


def _validation_summary(problems: pd.DataFrame) -> pd.DataFrame:
    if problems.empty:
        return pd.DataFrame({"Table": [], "Column": [], "Rule": [], "Severity": [], "Rows": []})
    g = problems.groupby(["table", "column", "rule", "severity"]).size().reset_index(name="Rows")
    return g.rename(columns={"table": "Table", "column": "Column", "rule": "Rule", "severity": "Severity"})


def _cache_key(params: RunParams, extract_dir: Path, truth_dir: Path | None) -> str:
    p = params.as_public_dict()
    p.pop("out", None)
    p.pop("extract", None)
    parts = [fingerprint(extract_files(extract_dir)), json.dumps(p, sort_keys=True), code_version(),
             fingerprint(sorted(Path(truth_dir).glob("*"))) if truth_dir else ""]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def prepare_cached(params: RunParams, extract_dir: Path, truth_dir: Path | None = None) -> Study:
    """`prepare`, reusing a previous result for the same extract, parameters and code."""
    folder = CACHE / _cache_key(params, Path(extract_dir), truth_dir)
    if (folder / "study.json").is_file():
        log.info("Using the cached study %s", folder.name)
        return Study.load(folder)
    study = prepare(params, Path(extract_dir), truth_dir)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    study.save(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return Study.load(folder)


def build(params: RunParams, extract_dir: Path, out: Path, truth_dir: Path | None = None) -> Path:
    """Run everything and publish OUT/html, OUT/measures.json, OUT/linkage.json and OUT/tables/*.csv."""
    t0 = time.perf_counter()
    study = prepare_cached(params, extract_dir, truth_dir)
    log.info("Study prepared in %.1f s", time.perf_counter() - t0)
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    study.save(work / "study")
    html = book.render(study, work)
    # publish: everything was made in OUT/.work; move it into place only now that it all succeeded
    out.mkdir(parents=True, exist_ok=True)
    (work / "tables").mkdir()
    for name, t in study.tables.items():
        t.to_csv(work / "tables" / f"{name}.csv", index=False, lineterminator="\n")
    (work / "measures.json").write_text(json.dumps(study.measures, indent=2, sort_keys=True) + "\n")
    (work / "linkage.json").write_text(json.dumps(study.info["linkage"], indent=2, sort_keys=True) + "\n")
    (work / "linkage_model.json").write_text(json.dumps(study.info["linkage_model"], indent=2, sort_keys=True) + "\n")
    for name in ("html", "tables", "measures.json", "linkage.json", "linkage_model.json"):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        (html if name == "html" else work / name).rename(target)
    log.info("Built in %.1f s", time.perf_counter() - t0)
    return out / "html" / "index.html"
