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
                      costs, pseudonymise, publish, recommend, scan, sensitivity, tables, validate)
from analysis.disclosure import shares, suppress
from analysis.errors import ValidationFailed
from analysis.params import RunParams, load_params  # noqa: F401  (re-exported for chapters and the CLI)
from analysis.study import CACHE, REPO, Study, code_version, fingerprint

log = logging.getLogger("adversity_report")
FRAME = REPO / "data_templates" / "adversity_frame.yml"
RULES = REPO / "data_templates" / "recommendations.yml"
PACKAGES = ("pandas", "numpy", "statsmodels", "lifelines", "splink", "duckdb", "pandera", "matplotlib", "seaborn",
            "papermill", "jupyter-book", "myst-nb", "jupytext")


def extract_files(extract_dir: Path) -> list[Path]:
    return sorted(p for p in Path(extract_dir).iterdir() if p.suffix in (".csv", ".parquet", ".xlsx", ".xml"))


def check_extract(extract_dir: Path, extract_date: pd.Timestamp | None = None,
                  source_kind: str = "ssd") -> validate.ValidationResult:
    """Ingest and validate; the result holds typed tables and every problem found."""
    raw, read_problems = ingest.read_source(extract_dir, source_kind)
    return validate.validate(raw, extract_date, read_problems)


def prepare(params: RunParams, extract_dir: Path, truth_dir: Path | None = None) -> Study:
    """From extract to the prepared study (no notebooks, no HTML): the pipeline's table of contents."""
    start, end = pd.Timestamp(params.study_start), pd.Timestamp(params.study_end)
    checked = check_extract(extract_dir, end, params.source_kind)
    if not checked.ok:
        report = Path(extract_dir) / "validation_report.csv"
        validate.write_report(checked.problems, report)
        raise ValidationFailed(f"{validate.summarise(checked.problems)}\nFull report: {report}")
    t = checked.tables
    linkage = link.link(t["ssd_person"], t["sen2_person"], t.get("ssd_linked_identifiers"),
                        threshold=params.match_threshold, backend=params.linkage_backend)
    frame = adversity.load_frame(FRAME)
    events, excluded = adversity.events(t, frame)
    # identifiers stop here: the cohort is pseudonymised, the comparison returns aggregates only
    key = pseudonymise.load_key(params.edition)
    result = cohort.build(t, linkage.crosswalk, events, start, end, key, params.age_threshold)
    pop, pop_source = comparison.population(t, linkage.crosswalk, events, start, end, params.age_threshold)
    compared = _compare(pop, frame, params, start, end)

    raw = measures.headline(result.cohort, frame, params.age_threshold)
    raw.update(measures.base_rates(pop, params.age_threshold))
    shown = measures.apply_disclosure(raw, params.disclosure_threshold)
    files = extract_files(extract_dir)
    info = {
        "params": params.as_public_dict(),
        "measures": shown,
        "lead_time": cohort.lead_time_summary(result.cohort),
        "flow": result.flow.to_dict(orient="records"),
        "linkage": linkage_report.public(linkage_report.quality(linkage, truth_dir), params.disclosure_threshold),
        "linkage_model": linkage.model,
        "exclusions": excluded,
        "comparison": {"denominator": pop_source, "children": len(pop), **compared["info"]},
        "recommendations": recommend.evaluate(recommend.load_rules(RULES), shown),
        "validation": {"errors": int((checked.problems["severity"] == "error").sum()),
                       "warnings": int((checked.problems["severity"] == "warning").sum())},
        "provenance": _provenance(files, checked.tables),
    }
    published = _published(result, linkage, shown, checked, frame, params) | compared["tables"]
    info["limitations"] = _limitations(result.cohort)
    if params.unit_costs:
        info["costs"] = _costs(result.service_use, params)
    # child-level rows stay in the study folder; only the internal edition's pages show them
    return Study(info, result.cohort, result.child_events, published, excluded=result.excluded)


def _compare(pop: pd.DataFrame, frame: adversity.CodingFrame, params: RunParams, start: pd.Timestamp,
             end: pd.Timestamp) -> dict:
    """The ten-year comparison of children with and without an EHC plan, disclosure-controlled."""
    thr, age = params.disclosure_threshold, params.age_threshold
    prev = comparison.prevalence_by_plan(pop, frame, age)
    ors = comparison.odds_ratios(pop, frame, age, min_exposed=thr)
    cif, cif_excluded = comparison.cumulative_incidence_by_exposure(pop, age, start, end)
    if len(cif):  # an incidence resting on few requests, or on few children still followed, is not shown
        small = cif["events"].between(1, thr - 1) | (cif["at_risk"] < thr)
        cif = cif.astype({c: object for c in ("cumulative_incidence", "lower", "upper")})
        cif.loc[small, ["cumulative_incidence", "lower", "upper"]] = "c"
        cif = cif.drop(columns=["events"]).rename(columns={
            "age": "Age", "cumulative_incidence": "Cumulative incidence", "lower": "Lower 95%", "upper": "Upper 95%",
            "at_risk": "Children followed"})
        cif["Children followed"] = [("c" if 1 <= n < thr else n) for n in cif["Children followed"]]
    crude_or, crude_ci = comparison.crude_plan_odds_ratio(pop)
    imd = bool(pop["imd_decile"].notna().all())
    return {
        "tables": {
            "comparison_prevalence": shares(prev, "With exposure", "Children", thr, ("Share", "Lower 95%", "Upper 95%")),
            "odds_ratios": ors,
            "cumulative_incidence": cif,
        },
        "info": {"crude_odds_ratio_early": crude_or, "crude_odds_ratio_early_ci": list(crude_ci),
                 "landmark_excluded": cif_excluded, "with_plan": int(pop["ehc_plan"].sum()),
                 "adjusted_for": ["sex", "birth cohort"] + (["deprivation decile"] if imd else [])},
    }


def _unit_costs_path(params: RunParams) -> Path:
    """The unit costs file: as given, or relative to the repository (where the example lives)."""
    path = params.unit_costs
    return path if path.is_file() or path.is_absolute() else REPO / path


def _costs(use: dict, params: RunParams) -> dict:
    """The cost of need for children with early adversity (no counterfactual: not avoidable cost)."""
    thr = params.disclosure_threshold
    table = costs.estimate({k: use[k] for k in ("ehc_plan", "cin_episode", "cla_week")}, _unit_costs_path(params))
    small = 1 <= use["children"] < thr
    return {"children": "c" if small else use["children"], "suppressed": small,
            "table": None if small else json.loads(table.to_json(orient="split", index=False)),
            "currency": table.attrs.get("currency", "GBP"), "file": str(params.unit_costs)}


def _limitations(c: pd.DataFrame) -> dict:
    """What the data themselves say about the limits of the analysis."""
    years = c["years_csc_data_before_index"]
    return {"median_years_csc_data": float(years.median()) if len(c) else None,
            "share_under_5_years_csc_data": float((years < 5).mean()) if len(c) else None,
            "share_early_childhood_unobserved": float((~c["early_childhood_observed"]).mean()) if len(c) else None}


def _published(result: cohort.CohortResult, linkage: link.Linkage, shown: dict, checked: validate.ValidationResult,
               frame: adversity.CodingFrame, params: RunParams) -> dict[str, pd.DataFrame]:
    """Every table the book shows, each through disclosure control."""
    thr = params.disclosure_threshold
    c = result.cohort
    typed = checked.tables
    labels = {d: frame.label(d) for d in frame.domains}
    return {
        "domain_counts": tables.domain_counts(c, thr),
        "prevalence_by_need": tables.prevalence_by_need(c, thr),
        "domain_combinations": tables.domain_combinations(c, labels, thr),
        "lead_time": tables.lead_time(c, thr),
        "event_ages": tables.event_ages(c, thr),
        "completeness": tables.completeness(typed, thr),
        "upn_coverage": tables.upn_coverage(typed["sen2_person"], typed["sen2_requests"], thr),
        "table_1": tables.table_one(c, thr),
        "domain_prevalence": tables.domain_prevalence(shown),
        "first_adversity_age": tables.first_adversity_age(c, params.age_threshold, thr),
        "csc_routes": tables.csc_routes(c, thr),
        "selection_flow": tables.flow(result.flow, thr),
        "linkage_by_method": suppress(linkage.summary(), "linked", thr, derived=("share_of_send_people",)),
        "linkage_by_age_band": suppress(suppress(linkage_report.by_group(c, "age_band", "Age at request"),
                                                 "Children", thr), "Linked", thr),
        "linkage_by_year": suppress(suppress(linkage_report.by_group(c, c["index_date"].dt.year, "Year of request"),
                                             "Children", thr), "Linked", thr),
        "linkage_weights": suppress(linkage_report.weight_histogram(linkage.weights), "Pairs", thr),
        "sensitivity": tables.sensitivity(sensitivity.headline_variants(c, params.age_threshold), thr),
        "validation_summary": _validation_summary(checked.problems),
        "coding_frame": frame.as_table(),
    }


def _provenance(files: list[Path], typed: dict[str, pd.DataFrame]) -> dict:
    return {
        "extract_fingerprint": fingerprint(files),
        "extract_files": [{"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()[:16],
                           "rows": int(len(typed[p.stem])) if p.stem in typed else None} for p in files],
        "code_version": f"{__version__}+{code_version()}",
        "python": platform.python_version(),
        "packages": {p: metadata.version(p) for p in PACKAGES},
        "prepared_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }


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
             fingerprint(sorted(Path(truth_dir).glob("*"))) if truth_dir else "",
             fingerprint([_unit_costs_path(params)]) if params.unit_costs else ""]
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
    """Run everything, scan what would be published, and publish it: OUT/html, OUT/tables/*.csv,
    OUT/measures.json, OUT/linkage.json and OUT/linkage_model.json. Nothing in OUT changes unless all succeed."""
    t0 = time.perf_counter()
    study = prepare_cached(params, extract_dir, truth_dir)
    log.info("Study prepared in %.1f s", time.perf_counter() - t0)
    with publish.lock(out):
        work = out / ".work"
        shutil.rmtree(work, ignore_errors=True)
        study.save(work / "study")
        stage = publish.stage_build(study, work, book.render(study, work), {
            "measures.json": study.measures, "linkage.json": study.info["linkage"],
            "linkage_model.json": study.info["linkage_model"]})
        findings = scan.scan(stage / "html", extract_dir, params.disclosure_threshold, params.edition,
                             notebooks_dir=work / "book_stage" / "book" / "chapters",
                             allow=scan.published_values(params))
        if not findings.empty:
            findings.to_csv(work / "disclosure_findings.csv", index=False)
        scan.refuse_if_unsafe(findings)
        publish.publish(stage, out)
    log.info("Built in %.1f s", time.perf_counter() - t0)
    return out / "html" / "index.html"
