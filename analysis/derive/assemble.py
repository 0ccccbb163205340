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
from analysis.derive import (
    adversity,
    cohort,
    comparison,
    costs,
    landmark,
    measures,
    population,
    recommend,
    sensitivity,
    social_care,
    tables,
)
from analysis.derive.study import (
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
    t, age, thr = checked.tables, params.age_threshold, params.disclosure_threshold
    window = cohort.Window(
        pd.Timestamp(params.study_start), pd.Timestamp(params.study_end), pd.Timestamp(params.records_start)
    )
    records_note = social_care.check_records_start(t, window.records_start)
    frame = adversity.load_frame(paths.CODING_FRAME)
    events, notes = adversity.events(t, frame)
    result = cohort.build(t, linkage.crosswalk, events, window, key, age)
    if result.cohort.empty:
        raise UserError(
            f"No child in the SEND extract had a first EHC needs assessment request from {params.study_start} to "
            f"{params.study_end}, so there is nothing to report. Check sen2_requests and the study window."
        )
    pop = population.population(t, linkage.crosswalk, events, window, age)
    compared = comparison.compare(pop, frame, landmark.Design(age, params.horizon_age, window.end), thr)
    raw = measures.headline(result.cohort, frame, age) | measures.base_rates(pop, age, window.end)
    shown = disclosure.measures(raw | compared["measures"], thr)
    rules = recommend.load_rules(paths.RECOMMENDATION_RULES)
    published = _published(result, linkage, shown, checked, frame, params) | compared["tables"]
    published["coding_frame"] = disclosure.primary(adversity.code_counts(events, frame), "Events", thr)
    return Study(
        params=params.as_public_dict(),
        measures=shown,
        lead_time=LeadTime(**cohort.lead_time_summary(result.cohort)),
        flow=result.flow.to_dict(orient="records"),
        linkage=LinkageQuality(**quality.public(linkage_quality, thr)),
        linkage_model=linkage.model,
        exclusions=notes,
        comparison=compared["info"],
        recommendations=[Recommendation(**r) for r in recommend.evaluate(rules, shown)],
        validation=ValidationCounts(
            errors=int((checked.problems["severity"] == "error").sum()),
            warnings=int((checked.problems["severity"] == "warning").sum()),
        ),
        provenance=_provenance(files, t),
        limitations=_limitations(result.cohort, window, records_note),
        costs=_costs(result.service_use, params) if params.unit_costs else None,
        cohort=result.cohort,
        child_events=result.child_events,
        tables=published,
        excluded=result.excluded,
    )


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


def _limitations(c: pd.DataFrame, window: cohort.Window, records_note: str | None) -> Limitations:
    """What the data themselves say about the limits of the analysis."""
    years = c["years_csc_data_before_index"]
    return Limitations(
        median_years_csc_data=float(years.median()) if len(c) else None,
        share_under_5_years_csc_data=float((years < 5).mean()) if len(c) else None,
        share_not_observed_from_birth=float((~c["observed_from_birth"]).mean()) if len(c) else None,
        records_start=window.records_start.date().isoformat(),
        records_note=records_note,
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
        "known_tiers": tables.known_tiers(shown),
        "before_threshold_by_age": tables.before_threshold_by_age(shown),
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
