"""The derive stage: from checked tables and the linkage to the prepared `Study`.

Identifiers stop here: the cohort is pseudonymised with the run's key, the comparison returns aggregates only, and
every published table and measure goes through `privacy.disclosure`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import __version__, paths
from analysis.derive import (
    adversity,
    case_notes,
    cohort,
    comparison,
    costs,
    landmark,
    linkage_bias,
    linkage_tables,
    measures,
    national,
    population,
    published,
    recommend,
    sensitivity,
    social_care,
    tables,
    units,
)
from analysis.derive.published import Fact
from analysis.derive.study import (
    AdversitySources,
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
from analysis.ingest import national as national_files
from analysis.ingest.validate import ValidationResult
from analysis.link import error
from analysis.link.passes import METHODS, Linkage
from analysis.params import RunParams
from analysis.privacy import disclosure, ledger
from analysis.privacy.registry import Registry

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
    params: RunParams,
    checked: ValidationResult,
    linkage: Linkage,
    linkage_quality: dict,
    key: bytes,
    files: list[Path],
    previous: dict[str, int] | None = None,
) -> Study:
    """The prepared study: cohort, comparison, measures and every published table, from one run's inputs; what is
    published is decided once, over everything, by the disclosure registry (`published.publish`), against the
    previous edition's ledger when there is one."""
    t, age, thr = checked.tables, params.age_threshold, params.disclosure_threshold
    window, frame, events, notes, result, coded_notes = _cohort(params, t, linkage, key)
    records_note = social_care.check_records_start(t, window.records_start)
    kids = units.ChildUnits(Registry(thr), key, linkage.crosswalk)
    cu = kids.cohort(result.cohort)
    pop = population.population(t, linkage.crosswalk, events, window, age)
    pu = kids.population(pop) if pop is not None else None
    compared = comparison.compare(pop, pu, frame, landmark.Design(age, params.horizon_age, window.end), thr)
    bias = linkage_bias.analyser(result.cohort, linkage_quality.get("_recall_table"))
    raw = measures.headline(result.cohort, frame, age, cu, bias) | measures.base_rates(pop, age, window.end, pu)
    facts = _facts(result, t, linkage, linkage_quality, compared["facts"], cu, kids, notes)
    agreement = {"case_note_agreement": case_notes.agreement_table(coded_notes, t, frame, kids.csc)}

    def attempt(coarse: frozenset[str]) -> published.Published:
        built = _built(result, linkage, checked, frame, params, cu, kids, events, coarse) | compared["tables"]
        built |= agreement
        return published.publish(kids.reg.fresh(), raw | compared["measures"], built, facts, previous)

    out = published.coarsened(attempt)
    rules = recommend.load_rules(paths.RECOMMENDATION_RULES)
    context, national_tables = _national(params)
    return Study(
        params=params.as_public_dict(),
        measures=out.measures,
        lead_time=LeadTime(**{k: out.facts[f"lead_time.{k}"] for k in ("median", "q1", "q3", "n")}),
        linkage=LinkageQuality(**_linkage(linkage_quality, out.facts)),
        linkage_model=linkage.model,
        exclusions={k: out.facts[f"exclusions.{k}"] for k in notes},
        comparison=_comparison(compared["info"], out.facts),
        recommendations=[Recommendation(**r) for r in recommend.evaluate(rules, out.measures)],
        validation=ValidationCounts(
            errors=int((checked.problems["severity"] == "error").sum()),
            warnings=int((checked.problems["severity"] == "warning").sum()),
        ),
        provenance=_provenance(files, t),
        limitations=_limitations(out.facts, window, records_note),
        costs=_costs(out, params) if params.unit_costs else None,
        cohort=result.cohort,
        child_events=result.child_events,
        tables={k: v for k, v in out.tables.items() if k != "costs"} | national_tables,
        excluded=result.excluded,
        disclosure=out.audit,
        ledger=out.ledger,
        national=context,
        adversity_sources=_sources(t, frame, coded_notes, agreement["case_note_agreement"][0]),
    )


def _sources(t: dict, frame: adversity.CodingFrame, coded_notes, agreement: pd.DataFrame) -> AdversitySources:
    """Which instruments the run's adversity rests on, and the lexicon the case notes were coded with."""
    review = "adversity_review" in t and not t["adversity_review"].empty
    lex = case_notes.load_lexicon(case_notes.lexicon_path()) if coded_notes is not None else None
    return AdversitySources(
        notes_supplied=coded_notes is not None,
        review_supplied=review,
        lexicon=Path(lex.source).name if lex else None,
        lexicon_domains=len(lex.domains) if lex else 0,
        lexicon_terms=sum(len(d.terms) + len(d.abbreviations) for d in lex.domains.values()) if lex else 0,
        instruments=case_notes.instruments(frame, review, coded_notes is not None),
        agreement_domains=len(agreement),
    )


def _national(params: RunParams) -> tuple[national.NationalContext | None, dict[str, pd.DataFrame]]:
    """The authority beside England, its region and its neighbours, from published statistics (`national_data`):
    not counts from the extract, so not registered with the attacker; small counts are still hidden on the site."""
    if params.national_data is None:
        return None, {}
    release = national_files.read_release(params.national_data)
    context, tables = national.national_context(release, params.la_code, params.statistical_neighbours)
    return context, national.for_publication(tables, params.disclosure_threshold)


def _cohort(params: RunParams, t: dict[str, pd.DataFrame], linkage: Linkage, key: bytes):
    """The study window, the coding frame, the adversity events (and what was dated by a fallback) and the cohort."""
    window = cohort.Window(
        pd.Timestamp(params.study_start), pd.Timestamp(params.study_end), pd.Timestamp(params.records_start)
    )
    frame = adversity.load_frame(paths.CODING_FRAME)
    events, notes = adversity.events(t, frame)
    coded_notes = case_notes.code(t, frame)
    if coded_notes is not None:  # the note text and ids go no further than the coder
        t["case_notes"] = t["case_notes"][["_row", "pers_person_id", "note_date"]]
        events = pd.concat([events, coded_notes.events], ignore_index=True).astype(events.dtypes.to_dict())
        events = events.sort_values(adversity.EVENT_COLUMNS, ignore_index=True)
    result = cohort.build(t, linkage.crosswalk, events, window, key, params.age_threshold)
    if result.cohort.empty:
        raise UserError(
            f"No child in the SEND extract had a first EHC needs assessment request from {params.study_start} to "
            f"{params.study_end}, so there is nothing to report. Check sen2_requests and the study window."
        )
    return window, frame, events, notes, result, coded_notes


def _facts(result, typed, linkage: Linkage, lq: dict, compared: dict, cu: np.ndarray, kids, notes: dict) -> dict:
    """Every number the chapters state outside tables and measures, with what it counts."""
    c = result.cohort
    send = kids.send(typed["sen2_person"]["person_table_id"].drop_duplicates())
    csc = kids.csc(typed["ssd_person"]["pers_person_id"].drop_duplicates())
    lead = c["lead_time_years"].notna().to_numpy()
    lt = cohort.lead_time_summary(c)
    years = c["years_csc_data_before_index"].to_numpy(float)
    linked = kids.send(linkage.crosswalk["person_table_id"])
    facts = {
        "cohort_size": Fact(len(c), cu),
        "lead_time.n": Fact(lt["n"], cu[lead]),
        **{f"lead_time.{k}": Fact(lt[k], group="lead_time.n") for k in ("median", "q1", "q3")},
        "limitations.median_years_csc_data": Fact(float(np.median(years)) if len(c) else None, group="cohort_size"),
        "limitations.share_under_5_years_csc_data": Fact(float((years < 5).mean()), cu[years < 5]),
        "limitations.share_not_observed_from_birth": Fact(
            float((~c["observed_from_birth"]).mean()), cu[~c["observed_from_birth"].to_numpy(bool)]
        ),
        "linkage.send_people": Fact(len(send), send),
        "linkage.csc_people": Fact(len(csc), csc),
        "linkage.linked": Fact(len(linked), linked),
        "linkage.match_rate": Fact(lq["match_rate"], group="linkage.linked"),
        **_linkage_error_facts(linkage, kids),
        **{f"exclusions.{k}": Fact(n, np.arange(n), universe=f"assessment factors {k}") for k, n in notes.items()},
        "costs.children": Fact(len(result.service_members["children"]), kids.keys(result.service_members["children"])),
    }
    for k, members in compared.items():
        facts[k] = Fact(len(members), members)
    return facts


def _linkage_groups(linkage: Linkage, typed: dict, c: pd.DataFrame, cu: np.ndarray, kids) -> dict:
    """Linked and unlinked cohort children by group, and the UPN-linked children found again without it, by group."""
    age = error.age_at_request(typed["sen2_person"], typed["sen2_requests"])
    gold = error.gold_pairs(linkage, typed["ssd_person"], typed["sen2_person"], age)
    return {
        "linkage_by_group": linkage_tables.linked_by_group(c, cu, c["ethnicity"]),
        "linkage_recall_by_group": linkage_tables.recall_by_group(gold, kids.send(gold["person_table_id"])),
    }


def _linkage_error_facts(linkage: Linkage, kids) -> dict:
    """The gold pairs (children linked by UPN) and the probabilistic links at each threshold of the sweep (pairs)."""
    gold = kids.send(linkage.crosswalk.loc[linkage.crosswalk["method"] == "UPN", "person_table_id"])
    facts = {"linkage.gold_pairs": Fact(len(gold), gold)}
    for i, row in enumerate([] if linkage.sweep is None else linkage.sweep.itertuples()):
        facts[f"linkage.sweep.{i}"] = Fact(int(row.links), np.asarray(row.pairs, dtype=int), universe="pairs")
    return facts


def _linkage(lq: dict, facts: dict) -> dict:
    """Linkage quality as published: its counts through the registry, and the estimates of error with them (an
    estimate resting on gold pairs that are suppressed is withheld too); precision and recall against synthetic
    ground truth describe the method and are kept."""
    out = {k: v for k, v in lq.items() if not k.startswith("_")}
    out.update({k: facts[f"linkage.{k}"] for k in ("send_people", "csc_people", "linked", "match_rate")})
    gold_hidden = facts["linkage.gold_pairs"] == disclosure.SUPPRESSED
    if out["estimated_recall"] is not None:
        out["estimated_recall"] = (
            None if gold_hidden else {**out["estimated_recall"], "gold_pairs": facts["linkage.gold_pairs"]}
        )
    sweep = []
    for i, row in enumerate(out["threshold_sweep"]):
        links = facts[f"linkage.sweep.{i}"]
        row = {**row, "links": links}
        if links == disclosure.SUPPRESSED:
            row["expected_precision"] = None
        if gold_hidden:
            row["recall_without_upn"] = row["wrong_link_rate"] = None
        sweep.append(row)
    out["threshold_sweep"] = sweep
    return out


def _comparison(info: ComparisonInfo, facts: dict) -> ComparisonInfo:
    if not info.available:
        return info
    return dataclasses.replace(
        info, eligible=facts["comparison.eligible"], followed_to_horizon=facts["comparison.followed_to_horizon"]
    )


def unit_costs_path(params: RunParams) -> Path:
    """The unit costs file: as given, or relative to the repository (where the example lives)."""
    path = params.unit_costs
    found = path if path.is_file() or path.is_absolute() else paths.REPO / path
    if not found.is_file():
        raise UserError(f"unit_costs: the file {path} was not found (nor {found}); give its path, or leave it out.")
    return found


def _costs(out: published.Published, params: RunParams) -> Costs:
    """The cost of need for children with early adversity (no counterfactual: not avoidable cost)."""
    children = out.facts["costs.children"]
    table = out.tables["costs"]
    return Costs(
        children=children,
        suppressed=disclosure.is_suppressed(children),
        table=json.loads(table.to_json(orient="split", index=False)),
        currency=table.attrs.get("currency", "GBP"),
        file=str(params.unit_costs),
    )


def _limitations(facts: dict, window: cohort.Window, records_note: str | None) -> Limitations:
    """What the data themselves say about the limits of the analysis."""
    return Limitations(
        **{
            k: facts[f"limitations.{k}"]
            for k in ("median_years_csc_data", "share_under_5_years_csc_data", "share_not_observed_from_birth")
        },
        records_start=window.records_start.date().isoformat(),
        records_note=records_note,
    )


def _built(
    result: cohort.CohortResult,
    linkage: Linkage,
    checked: ValidationResult,
    frame: adversity.CodingFrame,
    params: RunParams,
    cu: np.ndarray,
    kids: units.ChildUnits,
    events: pd.DataFrame,
    coarse: frozenset[str] = frozenset(),
) -> dict[str, tables.Built]:
    """Every table the book shows that counts something, as raw numbers and what each column is; tables named in
    `coarse` with wider bands (years pooled in pairs, age bands merged)."""
    c, typed, age = result.cohort, checked.tables, params.age_threshold
    labels = {d: frame.label(d) for d in frame.domains}
    band = {t: t in coarse for t in published.COARSENABLE}
    built = {
        "table_1": tables.table_one(c, cu),
        "selection_flow": tables.flow([(s, kids.keys(k)) for s, k in zip(result.flow["step"], result.flow_members)]),
        "domain_counts": tables.domain_counts(c, cu),
        "prevalence_by_need": tables.prevalence_by_need(c, cu),
        "domain_combinations": tables.domain_combinations(c, cu, labels, params.disclosure_threshold),
        "first_adversity_age": tables.first_adversity_age(
            c, cu, age, tables.AGE_BANDS_COARSE if band["first_adversity_age"] else tables.AGE_BANDS
        ),
        "lead_time": tables.lead_time(c, cu, tables.LEAD_BANDS_COARSE if band["lead_time"] else tables.LEAD_BANDS),
        "event_ages": tables.event_ages(c, cu),
        "csc_routes": tables.csc_routes(c, cu),
        "sensitivity": tables.sensitivity(sensitivity.headline_variants(c, age), cu),
        "completeness": tables.completeness(typed, params.disclosure_threshold),
        "upn_coverage": tables.upn_coverage(typed["sen2_person"], typed["sen2_requests"], kids.send),
        "linkage_by_method": tables.linkage_by_method(linkage.crosswalk, METHODS, linkage.send_people, kids.send),
        "linkage_by_age_band": tables.linkage_by(c, cu, c["age_band"], "Age at request"),
        "linkage_by_year": tables.linkage_by(
            c, cu, tables.years(c["index_date"], pooled=band["linkage_by_year"]), "Year of request"
        ),
        "linkage_weights": tables.linkage_weights(linkage.weights, 10.0 if band["linkage_weights"] else 5.0),
        **_linkage_groups(linkage, typed, c, cu, kids),
        "validation_summary": tables.validation_summary(checked.problems),
        "coding_frame": tables.coding_frame(events, adversity.code_counts(events, frame)),
    }
    if params.unit_costs:
        use = result.service_use
        table = costs.estimate({k: use[k] for k in ("ehc_plan", "cin_episode", "cla_week")}, unit_costs_path(params))
        built["costs"] = tables.costs(table, {k: kids.keys(v) for k, v in result.service_members.items()})
    return built


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


def national_fingerprint(folder: Path | None) -> str:
    """The national statistics files' names and contents (every file of the folder: what is left out may change)."""
    if folder is None:
        return ""
    return fingerprint(sorted(p for p in Path(folder).iterdir() if p.is_file()))


def cache_key(params: RunParams, files: list[Path], truth_dir: Path | None, key_fingerprint: str) -> str:
    """What a prepared study depends on: the extract, the parameters (not where it is read from or written to),
    the code, the rules it reads, the ground truth, the unit costs and the hashing key (by its fingerprint)."""
    p = params.as_public_dict()
    p.pop("out", None)
    p.pop("extract", None)
    previous = p.pop("previous_edition", None)
    p.pop("national_data", None)  # where the files are does not matter; what they hold does
    try:
        parts = [
            fingerprint(files),
            json.dumps(p, sort_keys=True),
            code_version(),
            fingerprint([paths.CODING_FRAME, paths.RECOMMENDATION_RULES, case_notes.lexicon_path()]),
            fingerprint(sorted(Path(truth_dir).glob("*"))) if truth_dir else "",
            fingerprint([unit_costs_path(params)]) if params.unit_costs else "",
            key_fingerprint,
            fingerprint([ledger.file_of(Path(previous))]) if previous else "",
            national_fingerprint(params.national_data),
        ]
    except OSError as exc:  # a file of the extract that cannot be read (permissions)
        raise UserError(f"{exc.filename}: cannot be read ({exc.strerror}).") from None
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]
