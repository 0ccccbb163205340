"""Benchmark: wall time and peak memory of every stage of the pipeline, at several sizes, judged against the
budgets in DESIGN.md ("Budgets").

    python -m analysis.bench [--sizes 10000 60000 500000 2000000] [--out _build/bench] [--quick]

For each size a synthetic LA is generated (Parquet from 500,000 children, CSV below) in a temporary folder under
OUT, which is deleted afterwards. Writes OUT/results.csv (stage, children, seconds, peak_mb), OUT/results.md (the
table for the README, with every budget and whether it is met) and OUT/results.json (the same with notes).

How it measures
---------------
* Every stage runs in a fresh process (multiprocessing, "spawn"), one at a time. The process first loads the
  stage's inputs from files the previous stage wrote (not timed), then resets its RSS high-water mark
  (`echo 5 > /proc/self/clear_refs`, Linux >= 4.0), runs the stage under `time.perf_counter`, and reads VmHWM
  from /proc/self/status. `peak_mb` is therefore the largest resident memory of the process while the stage ran,
  including the inputs it holds (that is what the machine must have), in MiB.
* Stages that start other processes (chapters run in Jupyter kernels; Jupyter Book; the CLI build) are also
  sampled from outside: the summed RSS of the whole process tree every 0.1 s. Their `peak_mb` is the larger of
  the two (a sampled sum can miss a short spike, so it is a lower bound).
* A stage that fails, runs past --timeout or past --max-memory-gb (the process tree is killed: the machine is
  shared) is recorded with empty seconds and a note, and the stages that need its output are skipped.

The stages and the split of `pipeline.prepare`
----------------------------------------------
* synth: `synth.generate` + `synth.write`.
* floor: pyarrow read: every extract file read with `pyarrow.csv.read_csv` or `pyarrow.parquet.read_table`
  alone: the least any reader can take.
* ingest: `ingest.read_source`; validate: `validate.validate`. Together they are `pipeline.check_extract`.
* link: `link.link` with the run's threshold and backend.
* derive: `pipeline.prepare` itself, with `check_extract` and `link.link` replaced by the two results already
  computed, so derive is exactly what prepare does beyond ingest, validate and link (coding frame, adversity
  events, cohort, comparison population and models, measures, published tables, provenance hashes), and follows
  any change to `prepare`. No ground truth is passed (a real LA has none). ingest + validate + link + derive is
  the whole of `prepare`. If link does not complete, derive is measured with the linkage of the exact passes
  alone (computed untimed) and its note says so.
* execute chapters (sizes <= 60,000): `book.render` on the saved study with its Jupyter Book command recorded
  instead of run: staging the book and executing every chapter with papermill, as the build does, with a cold
  chapter cache (run in the snapshot described below, timed inside that process).
* build book: that recorded command, run alone on the staged, executed chapters (a fresh output folder): Jupyter
  Book exactly as the build runs it (-W -n, the project's configuration and templates).
* floor: book from executed notebooks: Jupyter Book on copies of the same executed notebooks with a bare
  configuration: what Jupyter Book costs for these pages at the least.
* make book (after set-up): `python -m analysis.cli build --params data_templates/params.example.yml --extract X
  --truth T --out TMP`, as `make book` runs it once the environment and the synthetic extract exist, with cold
  caches. It runs in a snapshot of the working tree copied when the benchmark starts (OUT/repo-snapshot, deleted
  at the end; its `analysis` is imported through PYTHONPATH): the snapshot has its own empty _build/cache, and the
  code cannot change under the benchmark between this build and the next (the caches are keyed on the code).
* prose-only rebuild: a sentence is appended to one chapter of the snapshot (the one that took longest to execute
  in the first build: the worst case), then the same command again. Extract, parameters and code are unchanged,
  so the study cache is warm, and whatever the build keeps per chapter is reused for the other chapters.
* link 100k x 100k: `link.link` on 100,000 CSC people and 100,000 SEND people, drawn from one synthetic LA large
  enough to hold them (keeping every CSC person who is truly a selected SEND person, then others at random).
  Its `children` value is the number of people on each side.

On a machine others are using, `--repeat N` runs each stage N times and keeps the fastest (and the largest peak);
a stage that starts while other processes keep the CPUs busy says so in its note.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import gc
import io
import json
import math
import multiprocessing as mp
import os
import pickle
import platform
import pstats
import re
import resource
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (10_000, 60_000, 500_000, 2_000_000)
PARQUET_FROM = 500_000  # sizes from this many children are written as Parquet
BOOK_UP_TO = 60_000  # chapters and book are built only up to this size
PARAMS = REPO / "data_templates" / "params.example.yml"
LINK_PEOPLE = 100_000
RESULT_COLUMNS = ["stage", "children", "seconds", "peak_mb"]
MB = 1024 * 1024

PIPELINE_STAGES = ["synth", "floor: pyarrow read", "ingest", "validate", "link", "derive"]
BOOK_STAGES = [
    "execute chapters",
    "build book",
    "floor: book from executed notebooks",
    "make book (after set-up)",
    "prose-only rebuild",
]
LINK_100K = "link 100k x 100k"
STAGE_ORDER = PIPELINE_STAGES + BOOK_STAGES + [LINK_100K]
NEEDS = {  # a stage is skipped when one it needs failed
    "floor: pyarrow read": ["synth"],
    "ingest": ["synth"],
    "validate": ["ingest"],
    "link": ["validate"],
    "derive": ["validate"],
    "execute chapters": ["derive"],
    "build book": ["execute chapters"],
    "floor: book from executed notebooks": ["execute chapters"],
    "make book (after set-up)": ["synth"],
    "prose-only rebuild": ["make book (after set-up)"],
}


# ---------------------------------------------------------------------------------------------------------------
# Budgets


@dataclasses.dataclass(frozen=True)
class Budget:
    name: str
    stage: str  # a stage name, or "prepare" for the sum of ingest, validate, link and derive
    children: int
    max_seconds: float
    max_mb: float | None = None
    floor_multiple: float | None = None  # seconds must also be within this multiple of the pyarrow read floor


BUDGETS = [
    Budget("make book on 60,000 children, after set-up: < 60 s", "make book (after set-up)", 60_000, 60),
    Budget(
        "derive on 2,000,000 children: < 120 s, < 8 GB and within 3x the pyarrow read floor",
        "derive",
        2_000_000,
        120,
        8 * 1024,
        3,
    ),
    Budget(
        "prepare (ingest + validate + link + derive) on 2,000,000 children: < 120 s and < 8 GB (DESIGN.md)",
        "prepare",
        2_000_000,
        120,
        8 * 1024,
    ),
    Budget("prose-only rebuild (60,000 children): < 15 s", "prose-only rebuild", 60_000, 15),
    Budget("link 100k x 100k: < 120 s and < 4 GB", LINK_100K, LINK_PEOPLE, 120, 4 * 1024),
]


def _row(results: pd.DataFrame, stage: str, children: int) -> pd.Series | None:
    hit = results[(results["stage"] == stage) & (results["children"] == children)]
    return None if hit.empty else hit.iloc[-1]


def _measured(results: pd.DataFrame, stage: str, children: int) -> tuple[float | None, float | None, str] | None:
    """(seconds, peak MB, note) of a stage at a size; None if it was not run. "prepare" sums its four stages."""
    if stage != "prepare":
        row = _row(results, stage, children)
        if row is None:
            return None
        note = row.get("note", "") if "note" in row else ""
        return _num(row["seconds"]), _num(row["peak_mb"]), "" if pd.isna(note) else str(note)
    parts = [_measured(results, s, children) for s in ("ingest", "validate", "link", "derive")]
    if all(p is None for p in parts):
        return None
    missing = [s for s, p in zip(("ingest", "validate", "link", "derive"), parts) if p is None or p[0] is None]
    if missing:
        return None, None, f"{', '.join(missing)} did not complete"
    return sum(p[0] for p in parts), max((p[1] or 0) for p in parts), ""


def _num(v) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v) else float(v)


BUSY = re.compile(r";? ?machine busy: [^;]*")


def judge(results: pd.DataFrame) -> list[dict]:
    """Each budget with what was measured and a verdict: "met", "not met" or "not measured", and why."""
    if "note" not in results.columns:
        results = results.assign(note="")
    verdicts = []
    for b in BUDGETS:
        m = _measured(results, b.stage, b.children)
        out = {"budget": b.name, "measured": "", "result": "not measured", "why": "", "caveat": ""}
        if m is None:
            out["why"] = f"{b.stage} was not run at {b.children:,}"
            verdicts.append(out)
            continue
        seconds, peak, note = m
        note = BUSY.sub("", note).strip("; ")
        if seconds is None:
            out.update(result="not met", why=f"{b.stage} did not complete: {note or 'no time recorded'}")
            verdicts.append(out)
            continue
        out["measured"] = f"{seconds:.1f} s" + (f", {peak / 1024:.2f} GB" if peak is not None and b.max_mb else "")
        why = []
        if seconds >= b.max_seconds:
            why.append(f"{seconds:.1f} s is over {b.max_seconds:g} s")
        if b.max_mb is not None:
            if peak is None:
                why.append("peak memory not recorded")
            elif peak >= b.max_mb:
                why.append(f"peak {peak / 1024:.2f} GB is over {b.max_mb / 1024:g} GB")
        if b.floor_multiple is not None:
            floor = _measured(results, "floor: pyarrow read", b.children)
            if floor is None or floor[0] is None:
                why.append("the pyarrow read floor was not measured")
            else:
                out["measured"] += f" (floor {floor[0]:.1f} s, {seconds / max(floor[0], 1e-9):.0f}x)"
                if seconds > b.floor_multiple * floor[0]:
                    why.append(
                        f"{seconds:.1f} s is {seconds / max(floor[0], 1e-9):.0f}x the pyarrow read floor "
                        f"({floor[0]:.1f} s), over {b.floor_multiple:g}x"
                    )
        out.update(result="not met" if why else "met", why="; ".join(why), caveat=_caveat(note, b.max_seconds))
        verdicts.append(out)
    return verdicts


def _caveat(note: str, max_seconds: float) -> str:
    """What a reader should know about a measurement: runs either side of the budget, a substitute input."""
    out = []
    runs = re.search(r"fastest of (\d+) runs \(([\d., ]+) s\)", note or "")
    if runs:
        times = [float(t) for t in runs.group(2).split(",")]
        over = sum(t >= max_seconds for t in times)
        if over:
            out.append(
                f"{over} of {len(times)} runs took {max_seconds:g} s or more: {', '.join(f'{t:.1f}' for t in times)} s"
            )
    if "exact passes' linkage" in (note or ""):
        out.append("measured with the exact passes' linkage, as link did not complete")
    return "; ".join(out)


# ---------------------------------------------------------------------------------------------------------------
# Writing results


def results_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=[*RESULT_COLUMNS, "note"])
    frame["children"] = frame["children"].astype(int)
    for c in ("seconds", "peak_mb"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    frame["note"] = frame["note"].fillna("")
    return frame


def write_results(records: list[dict], out: Path, machine: str = "") -> tuple[Path, Path]:
    """OUT/results.csv (exactly stage, children, seconds, peak_mb; failed stages have empty seconds),
    OUT/results.json (with notes) and OUT/results.md."""
    out.mkdir(parents=True, exist_ok=True)
    frame = results_frame(records)
    csv = out / "results.csv"
    frame[RESULT_COLUMNS].round({"seconds": 2, "peak_mb": 0}).to_csv(csv, index=False, lineterminator="\n")
    (out / "results.json").write_text(json.dumps(records, indent=1, default=str) + "\n")
    md = out / "results.md"
    md.write_text(markdown(frame, machine))
    return csv, md


def _cell(seconds, peak, note: str = "") -> str:
    if seconds is None or pd.isna(seconds):
        if "over the" in note and "GB limit" in note:
            return f"stopped at {peak / 1024:.0f} GB" if peak and not pd.isna(peak) else "stopped: memory"
        if "still running after" in note:
            return "stopped: " + re.search(r"still running after \d+ s", note).group(0)
        return "skipped" if note.startswith("skipped") else "failed"
    return f"{seconds:.1f} s / {peak:,.0f} MB" if peak is not None and not pd.isna(peak) else f"{seconds:.1f} s"


def markdown(results: pd.DataFrame, machine: str = "") -> str:
    """The README table: every stage by size (seconds / peak MB), then the budgets, then notes."""
    if "note" not in results.columns:
        results = results.assign(note="")
    lines = ["# Benchmark", ""]
    if machine:
        lines += [machine, ""]
    lines += ["## Budgets", "", "| Budget | Measured | Result |", "|---|---|---|"]
    for v in judge(results):
        result = v["result"] + (f": {v['why']}" if v["why"] and v["result"] != "met" else "")
        result += f" ({v['caveat']})" if v.get("caveat") else ""
        lines.append(f"| {v['budget']} | {v['measured'] or '-'} | {result} |")
    per_size = results[results["stage"] != LINK_100K]
    sizes = sorted(per_size["children"].unique())
    lines += [
        "",
        "## Stages (wall seconds / peak resident MiB)",
        "",
        "| Stage | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "|---" * (len(sizes) + 1) + "|",
    ]
    known = [s for s in STAGE_ORDER if s in set(per_size["stage"])] + sorted(set(per_size["stage"]) - set(STAGE_ORDER))
    for stage in known:
        cells = []
        for s in sizes:
            row = _row(per_size, stage, s)
            cells.append("-" if row is None else _cell(row["seconds"], row["peak_mb"], row["note"]))
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    prepare = [(_measured(results, "prepare", s), s) for s in sizes]
    if any(m is not None and m[0] is not None for m, _ in prepare):
        lines.append(
            "| prepare (sum of ingest, validate, link, derive) | "
            + " | ".join("-" if m is None else ("failed" if m[0] is None else _cell(m[0], m[1])) for m, _ in prepare)
            + " |"
        )
    single = results[results["stage"] == LINK_100K]
    if len(single):
        row = single.iloc[-1]
        lines += [
            "",
            f"{LINK_100K} ({int(row['children']):,} CSC people x {int(row['children']):,} SEND people): "
            f"{_cell(row['seconds'], row['peak_mb'], row['note'])}.",
        ]
    notes = [(r, BUSY.sub("", str(r.note)).strip("; ")) for r in results.itertuples()]
    notes = [(r, n) for r, n in notes if n]
    if notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {r.stage} at {int(r.children):,}: {n}" for r, n in notes]
    n_busy = int(results["note"].astype(str).str.contains("machine busy").sum())
    if n_busy:
        lines += [
            "",
            f"Other processes were using 25% or more of the CPUs as {n_busy} of the {len(results)} "
            "measurements started: those times are likely inflated.",
        ]
    lines += [
        "",
        "Each stage ran alone in a fresh process; peak is the process's RSS high-water mark while the stage "
        "ran (reset with /proc/self/clear_refs after its inputs were loaded), or for stages that start other "
        "processes the sampled sum over the process tree if larger. See `analysis/bench.py`.",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Inside a stage's process


def _status(field: str) -> float:
    """A /proc/self/status field (VmHWM, VmRSS) in MiB."""
    text = Path("/proc/self/status").read_text()
    m = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) / 1024 if m else float("nan")


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # not Linux >= 4.0: the high-water mark then includes loading the inputs
        pass


def _dump(obj, path: Path) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def _load(path: Path):
    with open(path, "rb") as f:
        return pickle.load(f)


@dataclasses.dataclass
class Job:
    stage: str
    children: int
    tmp: str  # this size's temporary folder
    seed: int = 4242
    years: int = 10
    fmt: str = "csv"
    profile_dir: str | None = None
    repo: str | None = None  # the snapshot of the working tree that the CLI builds run in

    @property
    def la(self) -> Path:
        return Path(self.tmp) / "la"

    @property
    def extract(self) -> Path:
        return self.la / "extract"

    @property
    def work(self) -> Path:
        return Path(self.tmp) / "work"


def _params():
    from analysis.params import load_params

    return load_params(PARAMS)


def _s_synth(job: Job):
    from analysis.synth import la as synth

    def run():
        synth.write(synth.generate(job.children, job.years, job.seed), job.la, job.fmt)
        files = list(job.extract.iterdir())
        return {"note": f"{sum(f.stat().st_size for f in files) / MB:,.1f} MB of {job.fmt} in {len(files)} files"}

    return run, None


def _s_floor_read(job: Job):
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


def _s_ingest(job: Job):
    from analysis.ingest import files as ingest

    params = _params()

    def run():
        return ingest.read_source(job.extract, params.source_kind)

    return run, lambda res: _dump(res, Path(job.tmp) / "raw.pkl")


def _s_validate(job: Job):
    from analysis.ingest import validate

    params = _params()
    raw, read_problems = _load(Path(job.tmp) / "raw.pkl")

    def run():
        return validate.validate(raw, pd.Timestamp(params.study_end), read_problems)

    def save(checked):
        _dump(checked, Path(job.tmp) / "checked.pkl")
        errors = int((checked.problems["severity"] == "error").sum())
        return {"note": f"{errors} errors in the extract"} if errors else None

    return run, save


def _s_link(job: Job):
    from analysis.link import passes as link

    params = _params()
    t = _load(Path(job.tmp) / "checked.pkl").tables

    def run():
        return link.link(
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


def _s_link_exact(job: Job):
    """Not a measured stage: when link did not complete, the exact passes alone, so derive can still be measured."""
    from analysis.link import passes as link

    t = _load(Path(job.tmp) / "checked.pkl").tables

    def run():
        return link.link(t["ssd_person"], t["sen2_person"], t.get("ssd_linked_identifiers"), probabilistic=False)

    return run, lambda linkage: _dump(linkage, Path(job.tmp) / "linkage.pkl")


def _s_derive(job: Job):
    from analysis import pipeline
    from analysis.link import passes as link

    params = _params()
    checked = _load(Path(job.tmp) / "checked.pkl")
    linkage = _load(Path(job.tmp) / "linkage.pkl")
    if not checked.ok:
        raise RuntimeError("the synthetic extract did not validate")
    # prepare, minus what the ingest, validate and link stages measured
    pipeline.check_extract = lambda *a, **k: checked
    link.link = lambda *a, **k: linkage

    def run():
        return pipeline.prepare(params, job.extract, None)

    def save(study):
        if job.children <= BOOK_UP_TO:
            study.save(job.work / "study")
        return {"note": f"{len(study.cohort):,} children in the cohort"}

    return run, save


CHAPTERS_SCRIPT = """
import json, os, subprocess, sys, time, types
from pathlib import Path
from analysis.report import book
from analysis.derive.study import Study

work, recorded = Path(sys.argv[1]), Path(sys.argv[2])
study = Study.load(work / "study")

def run_or_record(cmd, *args, **kwargs):  # render's Jupyter Book call is recorded, and run by "build book"
    if Path(str(cmd[0])).name == "jupyter-book":
        recorded.write_text(json.dumps([str(c) for c in cmd]))
        return subprocess.CompletedProcess(cmd, 0, "", "")
    return subprocess.run(cmd, *args, **kwargs)

book.subprocess = types.SimpleNamespace(run=run_or_record)
t0 = time.perf_counter()
book.render(study, work)
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def _s_chapters(job: Job):
    """book.render up to (not including) Jupyter Book: staging the book and executing every chapter. It runs in
    the snapshot, with a cold chapter cache of its own (chapters execute in worker processes that import the
    package afresh, so the cache location cannot be changed from here)."""
    work = job.work.resolve()
    repo = Path(job.repo)
    shutil.rmtree(repo / "_build" / "cache", ignore_errors=True)
    cmd = [sys.executable, "-c", CHAPTERS_SCRIPT, str(work), str(Path(job.tmp).resolve() / "jupyter_book_cmd.json")]

    def run():
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=repo, env=_snapshot_env(repo))
        if proc.returncode != 0:
            errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "Error" in line]
            raise RuntimeError(errors[-1] if errors else (proc.stdout + proc.stderr)[-300:])
        times = json.loads((work / "study" / "run_times.json").read_text())
        slowest = max(times, key=times.get)
        return {
            "seconds": json.loads(proc.stdout.strip().splitlines()[-1])["seconds"],
            "note": f"{len(list(work.glob('book_stage/**/*.ipynb')))} chapters on {os.cpu_count()} workers; "
            f"slowest {slowest} {times[slowest]:.1f} s (timed inside the process, without start-up)",
        }

    return run, None


def _s_build_book(job: Job):
    cmd = json.loads((Path(job.tmp) / "jupyter_book_cmd.json").read_text())
    out = Path(cmd[cmd.index("--path-output") + 1])
    shutil.rmtree(out, ignore_errors=True)  # a full build, not an incremental one

    def run():  # exactly the command book.render runs, on the chapters it executed
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            log = (proc.stdout + proc.stderr).splitlines()
            problems = [line for line in log if "WARNING" in line or "ERROR" in line]
            raise RuntimeError("the book did not build cleanly: " + "; ".join(problems[:3]))
        return {"note": f"{sum(1 for _ in out.rglob('*.html'))} HTML files"}

    return run, None


def _s_floor_book(job: Job):
    import yaml

    from analysis.report import book

    work = job.work.resolve()
    src, out = work / "floor_book", work / "floor_out"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    src.mkdir(parents=True)
    executed = {
        p.stem: p
        for p in (work / "book_stage").rglob("*.ipynb")
        if "_build" not in p.relative_to(work / "book_stage").parts
    }
    names = [Path(f).name for f in book.executable(book.toc_chapters())]
    for n in names:
        shutil.copy(executed[n], src / f"{n}.ipynb")
    (src / "_config.yml").write_text(
        yaml.safe_dump({"title": "floor", "only_build_toc_files": True, "execute": {"execute_notebooks": "off"}})
    )
    (src / "_toc.yml").write_text(
        yaml.safe_dump({"format": "jb-book", "root": names[0], "chapters": [{"file": n} for n in names[1:]]})
    )
    cmd = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(src),
        "--builder",
        "html",
        "--path-output",
        str(out),
    ]

    def run():
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"jupyter-book failed: {(proc.stdout + proc.stderr)[-500:]}")
        return {"note": f"{len(names)} executed notebooks, bare configuration"}

    return run, None


SNAPSHOT_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "_build", "node_modules", "__pycache__", "*.egg-info", ".pytest_cache", ".ipynb_checkpoints"
)
PROSE_EDIT = "\n\nThis sentence was added by the benchmark to stand for a prose-only edit.\n"


def snapshot(dest: Path) -> Path:
    """A copy of the working tree (without .venv, _build, .git) for the CLI builds: other engineers may be editing
    the analysis code while the benchmark runs, which would change the cache keys between two builds; the copy
    also has its own, initially empty, study and chapter caches (its _build/cache), and its chapters can be edited."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(REPO, dest, ignore=SNAPSHOT_IGNORE)
    where = subprocess.run(
        [sys.executable, "-c", "import analysis; print(analysis.__file__)"],
        capture_output=True,
        text=True,
        cwd=dest,
        env=_snapshot_env(dest),
        check=True,
    ).stdout.strip()
    if not Path(where).resolve().is_relative_to(dest.resolve()):
        raise RuntimeError(f"the snapshot's build would import analysis from {where}")
    return dest


def _snapshot_env(repo: Path) -> dict:
    path = os.pathsep.join(p for p in (str(repo), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def _cli_build(job: Job, out: Path) -> dict:
    """`make book` once set up: the CLI build on the synthetic extract with its ground truth, in the snapshot."""
    repo = Path(job.repo)
    cmd = [
        sys.executable,
        "-m",
        "analysis.cli",
        "build",
        "--params",
        "data_templates/params.example.yml",
        "--extract",
        str(job.extract.resolve()),
        "--truth",
        str((job.la / "truth").resolve()),
        "--out",
        str(out.resolve()),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=repo, env=_snapshot_env(repo))
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        errors = [line for line in log.splitlines() if line.startswith("error:") or "Error" in line]
        raise RuntimeError(f"build exited with {proc.returncode}: " + (errors[-1] if errors else log[-300:]))
    found = re.search(r"Study prepared in ([\d.]+) s", log)
    cached = "Using the cached study" in log
    return {
        "note": (f"study {'from the cache' if cached else 'prepared'} in {found.group(1) if found else '?'} s"),
        "cached": cached,
    }


def _s_make_book(job: Job):
    shutil.rmtree(Path(job.repo) / "_build" / "cache", ignore_errors=True)  # cold study and chapter caches
    out = Path(job.tmp) / "book_out_cli"

    def run():
        return _cli_build(job, out)

    return run, None


def _s_prose(job: Job):
    """The build after a prose edit to one chapter: a sentence appended to the chapter that took longest to
    execute in the first build (the worst case), nothing else changed."""
    out = Path(job.tmp) / "book_out_cli"
    times_file = out / ".work" / "study" / "run_times.json"
    times = json.loads(times_file.read_text()) if times_file.is_file() else {}
    times.pop("provenance", None)
    chapter = max(times, key=times.get) if times else "summary"
    source = next((Path(job.repo) / "book").rglob(f"{chapter}.md"))
    with open(source, "a", encoding="utf-8") as f:
        f.write(PROSE_EDIT)

    def run():
        return _cli_build(job, out)

    def save(res):
        note = f"{res['note']}; edited {chapter}, the slowest chapter ({times.get(chapter, float('nan')):.1f} s)"
        if not res.get("cached"):
            note += "; NOT a warm rebuild: the study cache was missed"
        return {"note": note}

    return run, save


def _s_link_100k(job: Job):
    from analysis.ingest import files as ingest
    from analysis.ingest import validate
    from analysis.ingest.files import RawTable
    from analysis.link import passes as link

    folder = Path(job.tmp) / "link100k"
    if not (folder / "sen2_person.parquet").is_file():
        raise RuntimeError("the people were not prepared")
    raw = {}
    for name in ("ssd_person", "sen2_person", "ssd_linked_identifiers"):
        p = folder / f"{name}.parquet"
        if not p.is_file():
            continue
        raw[name] = RawTable(name, p, ingest._clean(ingest._read_parquet(p), first_row=1))
    checked = validate.validate(raw)
    t = checked.tables
    params = _params()

    def run():
        return link.link(
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


def _s_link_100k_people(job: Job):
    """Not a measured stage: draw the 100k x 100k people (written as Parquet for the link stage)."""
    import numpy as np

    from analysis.synth import la as synth

    people = job.children
    folder = Path(job.tmp) / "link100k"
    folder.mkdir(parents=True, exist_ok=True)

    def run():
        # about 4.7% of children are SEND people and 15% CSC people in the generator
        children = int(people / 0.045)
        la = synth.generate(children, job.years, job.seed + 1)
        rng = np.random.default_rng(job.seed)
        t = la.tables
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
        for name, frame in tables.items():
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        (folder / "truth.json").write_text(json.dumps({"children": children, "true_pairs": int(len(pairs))}))
        return {}

    return run, None


EXTERNAL = {
    "execute chapters",
    "build book",
    "floor: book from executed notebooks",
    "make book (after set-up)",
    "prose-only rebuild",
}  # stages that time another program: their peak is that program's process tree

STAGE_FUNCS = {
    "synth": _s_synth,
    "floor: pyarrow read": _s_floor_read,
    "ingest": _s_ingest,
    "validate": _s_validate,
    "link": _s_link,
    "derive": _s_derive,
    "execute chapters": _s_chapters,
    "build book": _s_build_book,
    "floor: book from executed notebooks": _s_floor_book,
    "make book (after set-up)": _s_make_book,
    "prose-only rebuild": _s_prose,
    LINK_100K: _s_link_100k,
    "_link people": _s_link_100k_people,
    "_link exact": _s_link_exact,
}


def _child(job: Job, conn) -> None:
    """Run one stage in this (fresh) process and send back what it measured."""
    try:
        run, save = STAGE_FUNCS[job.stage](job)
        gc.collect()
        _reset_peak()
        base = _status("VmRSS")
        conn.send(("start", base))
        prof = cProfile.Profile() if job.profile_dir else None
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        res = run()
        if prof:
            prof.disable()
        seconds = time.perf_counter() - t0
        if isinstance(res, dict) and "seconds" in res:  # timed by the program the stage ran
            seconds = res["seconds"]
        peak = _status("VmHWM")
        conn.send(("ran", None))
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
        info = res if isinstance(res, dict) else {}
        extra = save(res) if save else None
        info = {**info, **(extra or {})}
        if prof:
            _write_profile(prof, job)
        conn.send(
            (
                "done",
                {"seconds": seconds, "self_mb": peak, "kids_mb": kids, "base_mb": base, "note": info.get("note", "")},
            )
        )
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which carries on
        conn.send(("error", f"{type(exc).__name__}: {exc}".strip()[:600] + "\n" + traceback.format_exc()[-1500:]))
    finally:
        conn.close()


def _write_profile(prof: cProfile.Profile, job: Job) -> None:
    folder = Path(job.profile_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^a-z0-9]+", "_", job.stage.lower()).strip("_") + f"_{job.children}"
    prof.dump_stats(folder / f"{stem}.prof")
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(40)
    (folder / f"{stem}.txt").write_text(buf.getvalue())


# ---------------------------------------------------------------------------------------------------------------
# The parent: run stages one at a time, watch memory and time


def _tree_rss(pid: int) -> float:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / MB


def _kill_tree(pid: int) -> None:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [*proc.children(recursive=True), proc]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def run_stage(job: Job, timeout: float, max_mb: float) -> dict:
    """Run one stage in a fresh spawned process; returns seconds, peak_mb (None if it failed) and a note."""
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(job, send))
    proc.start()
    send.close()
    started, ran, tree_peak, msg, stop, base = None, False, 0.0, None, "", 0.0
    t_start = time.monotonic()
    while True:
        proc.join(0.1)
        try:
            while recv.poll():
                kind, payload = recv.recv()
                if kind == "start":
                    started, base = time.monotonic(), payload
                elif kind == "ran":
                    ran = True
                else:
                    msg = (kind, payload)
        except EOFError:
            pass
        if msg or not proc.is_alive():
            break
        rss = _tree_rss(proc.pid)
        if started and not ran:
            tree_peak = max(tree_peak, rss)
        if rss > max_mb:
            stop = f"stopped: the process tree used {rss / 1024:.1f} GB, over the {max_mb / 1024:.0f} GB limit"
        elif time.monotonic() - (started or t_start) > timeout:
            stop = f"stopped: still running after {timeout:.0f} s" + ("" if started else " (loading its inputs)")
        if stop:
            _kill_tree(proc.pid)
            break
    proc.join(30)
    if proc.is_alive():
        _kill_tree(proc.pid)
        proc.join()
    if stop:
        return {"seconds": None, "peak_mb": tree_peak or None, "note": stop}
    if msg is None:
        code = proc.exitcode
        why = "killed (signal 9: out of memory?)" if code == -9 else f"process ended with code {code}"
        return {"seconds": None, "peak_mb": tree_peak or None, "note": why}
    kind, payload = msg
    if kind == "error":
        return {"seconds": None, "peak_mb": None, "note": "failed: " + payload.splitlines()[0], "trace": payload}
    # kids_mb: the largest single process this one started and waited for (exact, from getrusage)
    if job.stage in EXTERNAL:  # this process only waited: count the program it ran, not itself
        payload["peak_mb"] = max(payload["kids_mb"], tree_peak - base)
        payload["base_mb"] = None
    else:
        payload["peak_mb"] = max(payload["self_mb"], payload["kids_mb"], tree_peak)
    return payload


def _busy() -> str:
    """A note if other processes are using the CPUs as a stage starts (timings are then inflated)."""
    import psutil

    used = psutil.cpu_percent(interval=0.5)
    return f"machine busy: {used:.0f}% CPU in use by other processes as the stage started" if used > 25 else ""


def measure(job: Job, timeout: float, max_mb: float, repeat: int = 1) -> dict:
    """Run a stage `repeat` times (each in a fresh process); keep the fastest run, and the largest peak of all
    (other processes on a shared machine slow a stage down, they do not speed it up). A failure ends it."""
    runs = []
    for _ in range(max(1, repeat)):
        busy = _busy()
        res = run_stage(job, timeout, max_mb)
        if busy:
            res["note"] = "; ".join(n for n in (res.get("note"), busy) if n)
        if res.get("seconds") is None:
            return res
        runs.append(res)
    best = min(runs, key=lambda r: r["seconds"])
    best["peak_mb"] = max(r["peak_mb"] for r in runs)
    if len(runs) > 1:
        times = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        best["note"] = "; ".join(n for n in (best.get("note"), f"fastest of {len(runs)} runs ({times} s)") if n)
    return best


def _machine() -> str:
    import psutil

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
        ).stdout.strip()
    except OSError:
        commit = "?"
    return (
        f"{dt.date.today().isoformat()}, commit {commit or '?'} (plus uncommitted changes, if any); "
        f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 1024**3:.0f} GB RAM; "
        f"Python {platform.python_version()}, pandas {pd.__version__}."
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analysis.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=list(DEFAULT_SIZES),
        help="children per synthetic LA (none: only the 100k x 100k link)",
    )
    ap.add_argument("--out", default=str(REPO / "_build" / "bench"))
    ap.add_argument("--quick", action="store_true", help="skip the chapters, book and build stages and the 100k link")
    ap.add_argument("--no-link-100k", action="store_true", help="skip the 100k x 100k link")
    ap.add_argument("--link-people", type=int, default=LINK_PEOPLE, help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=900, help="seconds before a stage is stopped (default 900)")
    ap.add_argument("--max-memory-gb", type=float, default=20, help="stop a stage whose processes use more")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each stage this many times and keep the fastest (for a machine others are using)",
    )
    ap.add_argument(
        "--merge", action="store_true", help="keep earlier results in OUT/results.json, replacing those measured again"
    )
    ap.add_argument("--profile", action="store_true", help="also write cProfile output to OUT/profiles (slower)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    records: list[dict] = []
    if args.merge and (out / "results.json").is_file():
        records = json.loads((out / "results.json").read_text())
    machine = _machine()
    books = not args.quick and any(c <= BOOK_UP_TO for c in args.sizes)
    repo = snapshot(out / "repo-snapshot") if books else None

    def record(stage: str, children: int, res: dict) -> None:
        note = res.get("note") or ""
        if res.get("seconds") is not None and res.get("base_mb") is not None and res["base_mb"] > 200:
            note = (note + "; " if note else "") + f"inputs held: {res['base_mb']:,.0f} MB"
        if args.profile and res.get("seconds") is not None:
            note = (note + "; " if note else "") + "profiled (slower)"
        records[:] = [r for r in records if not (r["stage"] == stage and r["children"] == children)]
        records.append(
            {
                "stage": stage,
                "children": children,
                "seconds": res.get("seconds"),
                "peak_mb": res.get("peak_mb"),
                "note": note,
            }
        )
        write_results(records, out, machine)
        secs = "-" if res.get("seconds") is None else f"{res['seconds']:.1f} s"
        peak = "-" if res.get("peak_mb") is None else f"{res['peak_mb']:,.0f} MB"
        print(f"  {stage:<38} {secs:>10} {peak:>12}  {note}", flush=True)
        if res.get("trace"):
            print("    " + res["trace"].strip().replace("\n", "\n    "), flush=True)

    print(machine, flush=True)
    try:
        for children in args.sizes:
            fmt = "parquet" if children >= PARQUET_FROM else "csv"
            tmp = out / f"tmp-{children}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            print(f"\n{children:,} children ({fmt})", flush=True)
            stages = list(PIPELINE_STAGES)
            if not args.quick and children <= BOOK_UP_TO:
                stages += BOOK_STAGES
            failed: set[str] = set()
            try:
                for stage in stages:
                    missing = [n for n in NEEDS.get(stage, []) if n in failed]
                    if missing:
                        failed.add(stage)
                        record(stage, children, {"note": f"skipped: {missing[0]} did not complete"})
                        continue
                    job = Job(
                        stage,
                        children,
                        str(tmp),
                        args.seed + children,
                        args.years,
                        fmt,
                        str(out / "profiles") if args.profile else None,
                        str(repo) if repo else None,
                    )
                    fallback = ""
                    if stage == "derive" and "link" in failed:  # derive needs a linkage: the exact passes, untimed
                        prep = run_stage(
                            dataclasses.replace(job, stage="_link exact"), args.timeout, args.max_memory_gb * 1024
                        )
                        if prep.get("seconds") is None:
                            failed.add(stage)
                            record(stage, children, {"note": "skipped: link did not complete, nor its exact passes"})
                            continue
                        fallback = "with the exact passes' linkage only (the link stage did not complete)"
                    res = measure(job, args.timeout, args.max_memory_gb * 1024, args.repeat)
                    if fallback:
                        res["note"] = "; ".join(n for n in (fallback, res.get("note")) if n)
                    if res.get("seconds") is None:
                        failed.add(stage)
                    record(stage, children, res)
            finally:
                if not args.keep:
                    shutil.rmtree(tmp, ignore_errors=True)
        if not args.quick and not args.no_link_100k:
            tmp = out / "tmp-link"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            print(f"\n{args.link_people:,} x {args.link_people:,} people", flush=True)
            try:
                prep = run_stage(
                    Job("_link people", args.link_people, str(tmp), args.seed, args.years),
                    args.timeout,
                    args.max_memory_gb * 1024,
                )
                if prep.get("seconds") is None:
                    record(LINK_100K, args.link_people, {"note": "could not draw the people: " + prep["note"]})
                else:
                    print(f"  (drew the people in {prep['seconds']:.1f} s, not counted)", flush=True)
                    res = measure(
                        Job(
                            LINK_100K,
                            args.link_people,
                            str(tmp),
                            args.seed,
                            args.years,
                            profile_dir=str(out / "profiles") if args.profile else None,
                        ),
                        args.timeout,
                        args.max_memory_gb * 1024,
                        args.repeat,
                    )
                    record(LINK_100K, args.link_people, res)
            finally:
                if not args.keep:
                    shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if repo and not args.keep:
            shutil.rmtree(repo, ignore_errors=True)
    csv, md = write_results(records, out, machine)
    print(f"\nWrote {csv} and {md}\n", flush=True)
    for v in judge(results_frame(records)):
        print(f"  {v['result']:<13} {v['budget']}" + (f"  [{v['why']}]" if v["why"] and v["result"] != "met" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
