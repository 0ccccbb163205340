"""The pipeline stages, one function each, and the table of every stage by name.

A stage function runs in the stage's own process. It loads the stage's inputs (not timed) and returns `(run,
save)`: `run()` is the work that is timed; `save(result)`, also untimed, hands the result on to later stages
through the job's folder and may return `{"note": ...}`. Imports are made inside the functions so that a stage's
process holds only what that stage uses.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pandas as pd

from tools.bench import book_stages
from tools.bench.plan import (
    BOOK_UP_TO,
    CODE_NOTES,
    LINK_100K,
    LINK_EXACT,
    LINK_PEOPLE_STAGE,
    MB,
    NOTES_DRAW_STAGE,
    PARAMS,
    Job,
)


def _dump(obj, path: Path) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def _load(path: Path):
    with open(path, "rb") as f:
        return pickle.load(f)


def _params():
    from analysis.params import load_params

    return load_params(PARAMS)


def synth(job: Job):
    """Generate the synthetic LA and write it as an LA would hand it over."""
    from analysis.synth.la import generate
    from analysis.synth.write import write

    def run():
        write(generate(job.children, job.years, job.seed), job.la, job.fmt)
        files = list(job.extract.iterdir())
        return {"note": f"{sum(f.stat().st_size for f in files) / MB:,.1f} MB of {job.fmt} in {len(files)} files"}

    return run, None


def floor_read(job: Job):
    """Read every extract file with pyarrow and nothing else: the least any reader can take."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    files = sorted(p for p in job.extract.iterdir() if p.suffix in (".csv", ".parquet"))

    def run():
        rows = 0
        for p in files:
            t = pacsv.read_csv(p) if p.suffix == ".csv" else pq.read_table(p)
            rows += t.num_rows
        return {"note": f"{rows:,} rows"}

    return run, None


def ingest(job: Job):
    from analysis.ingest import source

    params = _params()

    def run():
        return source.read_source(job.extract, params.source_kind)

    return run, lambda res: _dump(res, Path(job.tmp) / "raw.pkl")


def validate(job: Job):
    from analysis.ingest import validate as validation

    params = _params()
    raw, read_problems = _load(Path(job.tmp) / "raw.pkl")

    def run():
        return validation.validate(raw, pd.Timestamp(params.study_end), read_problems)

    def save(checked):
        _dump(checked, Path(job.tmp) / "checked.pkl")
        errors = int((checked.problems["severity"] == "error").sum())
        return {"note": f"{errors} errors in the extract"} if errors else None

    return run, save


def link(job: Job):
    from analysis.link import passes

    params = _params()
    t = _load(Path(job.tmp) / "checked.pkl").tables

    def run():
        return passes.link(
            t["ssd_person"],
            t["sen2_person"],
            t.get("ssd_linked_identifiers"),
            threshold=params.match_threshold,
            backend=params.linkage_backend,
        )

    def save(linkage):
        _dump(linkage, Path(job.tmp) / "linkage.pkl")
        return {"note": f"{len(linkage.crosswalk):,} links; probabilistic pass {linkage.probabilistic_note}"}

    return run, save


def link_exact(job: Job):
    """Not a measured stage: when link did not complete, the exact passes alone, so derive can still be measured."""
    from analysis.link import passes

    t = _load(Path(job.tmp) / "checked.pkl").tables

    def run():
        return passes.link(t["ssd_person"], t["sen2_person"], t.get("ssd_linked_identifiers"), probabilistic=False)

    return run, lambda linkage: _dump(linkage, Path(job.tmp) / "linkage.pkl")


def derive(job: Job):
    """What `pipeline.prepare` does after link, on the checked tables and linkage saved by the stages before, so
    that ingest + validate + link + derive is all of prepare. No ground truth: a real LA has none."""
    from analysis.derive import assemble
    from analysis.ingest import source
    from analysis.link import quality
    from analysis.privacy import pseudonymise

    params = _params()
    checked = _load(Path(job.tmp) / "checked.pkl")
    linkage = _load(Path(job.tmp) / "linkage.pkl")
    if not checked.ok:
        raise RuntimeError("the synthetic extract did not validate")

    def run():
        key = pseudonymise.load_key(params.edition)
        files = source.extract_files(job.extract)
        return assemble.derive(params, checked, linkage, quality.quality(linkage, None), key, files)

    def save(study):
        if job.children <= BOOK_UP_TO:  # the chapters stage reads it
            study.save(job.work / "study")
        return {"note": f"{len(study.cohort):,} children in the cohort"}

    return run, save


def link_100k(job: Job):
    """The linkage alone on the people `draw_link_people` wrote, read and validated untimed."""
    from analysis.ingest import files as ingest_files
    from analysis.ingest import validate as validation
    from analysis.link import passes

    folder = Path(job.tmp) / "link100k"
    if not (folder / "sen2_person.parquet").is_file():
        raise RuntimeError("the people were not prepared")
    raw = {}
    for name in ("ssd_person", "sen2_person", "ssd_linked_identifiers"):
        p = folder / f"{name}.parquet"
        if p.is_file():
            frame = ingest_files._clean(ingest_files._read_parquet(p), first_row=1)
            raw[name] = ingest_files.RawTable(name, p, frame)
    t = validation.validate(raw).tables
    params = _params()

    def run():
        return passes.link(
            t["ssd_person"],
            t["sen2_person"],
            t.get("ssd_linked_identifiers"),
            threshold=params.match_threshold,
            backend=params.linkage_backend,
        )

    def save(linkage):
        truth = json.loads((folder / "truth.json").read_text())
        return {
            "note": f"{len(t['ssd_person']):,} x {len(t['sen2_person']):,} people from a "
            f"{truth['children']:,}-child synthetic LA, {truth['true_pairs']:,} true pairs; "
            f"{len(linkage.crosswalk):,} links; probabilistic pass {linkage.probabilistic_note}"
        }

    return run, save


def draw_link_people(job: Job):
    """Not a measured stage: draw the 100k x 100k people (written as Parquet for the link stage)."""
    folder = Path(job.tmp) / "link100k"
    folder.mkdir(parents=True, exist_ok=True)

    def run():
        tables, children, true_pairs = _draw_people(job.children, job.years, job.seed)
        for name, frame in tables.items():
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        (folder / "truth.json").write_text(json.dumps({"children": children, "true_pairs": true_pairs}))
        return {}

    return run, None


def _draw_people(people: int, years: int, seed: int) -> tuple[dict[str, pd.DataFrame], int, int]:
    """`people` SEND people and `people` CSC people from one synthetic LA: every CSC person who is truly one of
    the SEND people drawn, then others at random (so the true pairs are as many as the LA gives)."""
    import numpy as np

    from analysis.synth.la import generate

    children = int(people / 0.045)  # about 4.7% of children are SEND people and 15% CSC people in the generator
    t = generate(children, years, seed + 1).tables
    rng = np.random.default_rng(seed)
    if len(t["sen2_person"]) < people or len(t["ssd_person"]) < people:
        raise RuntimeError(f"a {children:,}-child LA holds too few people")
    send = t["sen2_person"].iloc[np.sort(rng.choice(len(t["sen2_person"]), people, replace=False))]
    pop = t["population"]
    pairs = pop[pop["person_table_id"].isin(send["person_table_id"]) & pop["pers_person_id"].notna()]
    matched = t["ssd_person"]["pers_person_id"].isin(pairs["pers_person_id"])
    others = t["ssd_person"][~matched]
    fill = others.iloc[np.sort(rng.choice(len(others), people - int(matched.sum()), replace=False))]
    csc = pd.concat([t["ssd_person"][matched], fill]).sort_values("pers_person_id")
    tables = {"ssd_person": csc, "sen2_person": send}
    if "ssd_linked_identifiers" in t:
        ids = t["ssd_linked_identifiers"]
        tables["ssd_linked_identifiers"] = ids[ids["link_person_id"].isin(csc["pers_person_id"])]
    return tables, children, int(len(pairs))


def draw_notes(job: Job):
    """Not a measured stage: `job.children` synthetic case notes (about 11 a child), written as Parquet."""
    folder = Path(job.tmp) / "notes"
    folder.mkdir(parents=True, exist_ok=True)

    def run():
        from analysis.synth.notes import generate_notes, persons_for_notes

        persons = persons_for_notes(max(1, round(job.children / 11)), job.seed)
        made = generate_notes(persons, job.seed, reviewed=0.0)
        made.notes.iloc[: job.children].to_parquet(folder / "notes.parquet", index=False)
        persons.to_parquet(folder / "persons.parquet", index=False)
        return {}

    return run, None


def code_notes(job: Job):
    """The case-note coder (`notes.coder.code_notes`, with births) on the notes `draw_notes` wrote, read untimed;
    the lexicon is compiled inside the timed run, as a build would."""
    from analysis.notes import coder

    folder = Path(job.tmp) / "notes"
    if not (folder / "notes.parquet").is_file():
        raise RuntimeError("the notes were not prepared")
    notes = pd.read_parquet(folder / "notes.parquet")
    births = pd.read_parquet(folder / "persons.parquet").set_index("person_id")["birth_date"]
    started: list[float] = []

    def run():
        import time

        started.append(time.perf_counter())
        coded = coder.code_notes(notes, births)
        return coded, time.perf_counter() - started[0]

    def save(result):
        coded, seconds = result
        return {
            "note": f"{len(notes):,} notes, {len(notes) / seconds:,.0f} notes/s; {len(coded):,} mentions, "
            f"{int(coded['affirmed'].sum()):,} counted"
        }

    return run, save


STAGES = {  # every stage by name, including the two unmeasured helpers
    "synth": synth,
    "floor: pyarrow read": floor_read,
    "ingest": ingest,
    "validate": validate,
    "link": link,
    "derive": derive,
    "execute chapters": book_stages.execute_chapters,
    "build book": book_stages.build_book,
    "floor: book from executed notebooks": book_stages.floor_book,
    "make book (after set-up)": book_stages.make_book,
    "prose-only rebuild": book_stages.prose_rebuild,
    LINK_100K: link_100k,
    LINK_PEOPLE_STAGE: draw_link_people,
    LINK_EXACT: link_exact,
    CODE_NOTES: code_notes,
    NOTES_DRAW_STAGE: draw_notes,
}
