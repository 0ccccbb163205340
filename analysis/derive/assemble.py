"""The derive stage: from checked tables and the linkage to the prepared `Study`.

Identifiers stop here: the cohort is pseudonymised with the run's key, the comparison returns aggregates only, and
every published table and measure goes through `privacy.disclosure`.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd

from analysis import __version__, paths
from analysis.derive import adversity, cohort, costs, measures, population, recommend, sensitivity, tables
from analysis.derive.study import (
    ComparisonInfo,
    Costs,
    LeadTime,
    Limitations,
    LinkageQuality,
    Provenance,
    Recommendation,
    Study,
    ValidationCounts,
    code_version,
    fingerprint,
)
from analysis.errors import UserError
from analysis.ingest.validate import ValidationResult
from analysis.link import quality
from analysis.link.passes import Linkage
from analysis.params import RunParams
from analysis.privacy import disclosure

PACKAGES = (
    "pandas",
    "numpy",
    "statsmodels",
    "lifelines",
    "splink",
    "duckdb",
    "pandera",
    "matplotlib",
    "seaborn",
    "papermill",
    "jupyter-book",
    "myst-nb",
    "jupytext",
)


def derive(
    params: RunParams, checked: ValidationResult, linkage: Linkage, linkage_quality: dict, key: bytes, files: list[Path]
) -> Study:
    """The prepared study: cohort, comparison, measures and every published table, from one run's inputs."""
    start, end = pd.Timestamp(params.study_start), pd.Timestamp(params.study_end)
    t = checked.tables
    frame = adversity.load_frame(paths.CODING_FRAME)
    events, excluded = adversity.events(t, frame)
    result = cohort.build(t, linkage.crosswalk, events, start, end, key, params.age_threshold)
    if result.cohort.empty:
        raise UserError(
            f"No child in the SEND extract had a first EHC needs assessment request from {params.study_start} to "
            f"{params.study_end}, so there is nothing to report. Check sen2_requests and the study window."
        )
    pop, pop_source = population.population(t, linkage.crosswalk, events, start, end, params.age_threshold)
    compared = _compare(pop, frame, params, start, end)
    raw = measures.headline(result.cohort, frame, params.age_threshold)
    raw.update(measures.base_rates(pop, params.age_threshold))
    shown = disclosure.measures(raw, params.disclosure_threshold)
    rules = recommend.load_rules(paths.RECOMMENDATION_RULES)
    return Study(
        params=params.as_public_dict(),
        measures=shown,
        lead_time=LeadTime(**cohort.lead_time_summary(result.cohort)),
        flow=result.flow.to_dict(orient="records"),
        linkage=LinkageQuality(**quality.public(linkage_quality, params.disclosure_threshold)),
        linkage_model=linkage.model,
        exclusions=excluded,
        comparison=ComparisonInfo(denominator=pop_source, children=len(pop), **compared["info"]),
        recommendations=[Recommendation(**r) for r in recommend.evaluate(rules, shown)],
        validation=ValidationCounts(
            errors=int((checked.problems["severity"] == "error").sum()),
            warnings=int((checked.problems["severity"] == "warning").sum()),
        ),
        provenance=_provenance(files, t),
        limitations=_limitations(result.cohort),
        costs=_costs(result.service_use, params) if params.unit_costs else None,
        cohort=result.cohort,
        child_events=result.child_events,
        tables=_published(result, linkage, shown, checked, frame, params) | compared["tables"],
        excluded=result.excluded,
    )


def _compare(
    pop: pd.DataFrame, frame: adversity.CodingFrame, params: RunParams, start: pd.Timestamp, end: pd.Timestamp
) -> dict:
    """The ten-year comparison of children with and without an EHC plan, disclosure-controlled."""
    thr, age = params.disclosure_threshold, params.age_threshold
    prev = population.prevalence_by_plan(pop, frame, age)
    ors = population.odds_ratios(pop, frame, age, min_exposed=thr)
    cif, cif_excluded = population.cumulative_incidence_by_exposure(pop, age, start, end)
    if len(cif):  # an incidence resting on few requests, or on few children still followed, is not shown
        cif = disclosure.incidence(cif, thr, "events", "at_risk", ("cumulative_incidence", "lower", "upper"))
        cif = cif.drop(columns=["events"]).rename(
            columns={
                "age": "Age",
                "cumulative_incidence": "Cumulative incidence",
                "lower": "Lower 95%",
                "upper": "Upper 95%",
                "at_risk": "Children followed",
            }
        )
    crude_or, crude_ci = population.crude_plan_odds_ratio(pop)
    imd = bool(pop["imd_decile"].notna().all())
    share_columns = ("Share", "Lower 95%", "Upper 95%")
    return {
        "tables": {
            "comparison_prevalence": disclosure.shares(prev, "With exposure", "Children", thr, share_columns),
            "odds_ratios": ors,
            "cumulative_incidence": cif,
        },
        "info": {
            "crude_odds_ratio_early": crude_or,
            "crude_odds_ratio_early_ci": list(crude_ci),
            "landmark_excluded": cif_excluded,
            "with_plan": int(pop["ehc_plan"].sum()),
            "adjusted_for": ["sex", "birth cohort"] + (["deprivation decile"] if imd else []),
        },
    }


def unit_costs_path(params: RunParams) -> Path:
    """The unit costs file: as given, or relative to the repository (where the example lives)."""
    path = params.unit_costs
    found = path if path.is_file() or path.is_absolute() else paths.REPO / path
    if not found.is_file():
        raise UserError(f"unit_costs: the file {path} was not found (nor {found}); give its path, or leave it out.")
    return found


def _costs(use: dict, params: RunParams) -> Costs:
    """The cost of need for children with early adversity (no counterfactual: not avoidable cost)."""
    thr = params.disclosure_threshold
    table = costs.estimate({k: use[k] for k in ("ehc_plan", "cin_episode", "cla_week")}, unit_costs_path(params))
    small = disclosure.is_small(use["children"], thr)
    table = disclosure.primary(table, "quantity", thr)
    return Costs(
        children=disclosure.safe_count(use["children"], thr),
        suppressed=small,
        table=None if small else json.loads(table.to_json(orient="split", index=False)),
        currency=table.attrs.get("currency", "GBP"),
        file=str(params.unit_costs),
    )


def _limitations(c: pd.DataFrame) -> Limitations:
    """What the data themselves say about the limits of the analysis."""
    years = c["years_csc_data_before_index"]
    return Limitations(
        median_years_csc_data=float(years.median()) if len(c) else None,
        share_under_5_years_csc_data=float((years < 5).mean()) if len(c) else None,
        share_early_childhood_unobserved=float((~c["early_childhood_observed"]).mean()) if len(c) else None,
    )


def _published(
    result: cohort.CohortResult,
    linkage: Linkage,
    shown: dict,
    checked: ValidationResult,
    frame: adversity.CodingFrame,
    params: RunParams,
) -> dict[str, pd.DataFrame]:
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
        "linkage_by_method": disclosure.suppress(linkage.summary(), "linked", thr, derived=("share_of_send_people",)),
        "linkage_by_age_band": tables.linkage_by(c, "age_band", "Age at request", thr),
        "linkage_by_year": tables.linkage_by(c, c["index_date"].dt.year, "Year of request", thr),
        "linkage_weights": disclosure.suppress(quality.weight_histogram(linkage.weights), "Pairs", thr),
        "sensitivity": tables.sensitivity(sensitivity.headline_variants(c, params.age_threshold), thr),
        "validation_summary": tables.validation_summary(checked.problems),
        "coding_frame": frame.as_table(),
    }


def _provenance(files: list[Path], typed: dict[str, pd.DataFrame]) -> Provenance:
    return Provenance(
        extract_fingerprint=fingerprint(files),
        extract_files=[
            {
                "file": p.name,
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest()[:16],
                "rows": int(len(typed[p.stem])) if p.stem in typed else None,
            }
            for p in files
        ],
        code_version=f"{__version__}+{code_version()}",
        python=platform.python_version(),
        packages={p: metadata.version(p) for p in PACKAGES},
        prepared_at=pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    )


def cache_key(params: RunParams, files: list[Path], truth_dir: Path | None, key_fingerprint: str) -> str:
    """What a prepared study depends on: the extract, the parameters (not where it is read from or written to),
    the code, the rules it reads, the ground truth, the unit costs and the hashing key (by its fingerprint)."""
    p = params.as_public_dict()
    p.pop("out", None)
    p.pop("extract", None)
    try:
        parts = [
            fingerprint(files),
            json.dumps(p, sort_keys=True),
            code_version(),
            fingerprint([paths.CODING_FRAME, paths.RECOMMENDATION_RULES]),
            fingerprint(sorted(Path(truth_dir).glob("*"))) if truth_dir else "",
            fingerprint([unit_costs_path(params)]) if params.unit_costs else "",
            key_fingerprint,
        ]
    except OSError as exc:  # a file of the extract that cannot be read (permissions)
        raise UserError(f"{exc.filename}: cannot be read ({exc.strerror}).") from None
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]
