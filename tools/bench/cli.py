"""The command line and the run: each size's stages in order, then the 100k x 100k link, recording every result
as it comes (so an interrupted run still leaves its results)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tools.bench.book_stages import snapshot
from tools.bench.measure import measure, run_stage
from tools.bench.plan import (
    BOOK_STAGES,
    BOOK_UP_TO,
    CODE_NOTES,
    DEFAULT_SIZES,
    LINK_100K,
    LINK_EXACT,
    LINK_PEOPLE,
    LINK_PEOPLE_STAGE,
    NEEDS,
    NOTES,
    NOTES_DRAW_STAGE,
    PARQUET_FROM,
    PIPELINE_STAGES,
    REPO,
    Job,
)
from tools.bench.report import judge, results_frame, write_results


def parser() -> argparse.ArgumentParser:
    summary = sys.modules[__package__].__doc__.split("\n\n")[0]
    ap = argparse.ArgumentParser(prog="python -m tools.bench", description=summary)
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
    ap.add_argument("--no-code-notes", action="store_true", help="skip coding 1,000,000 case notes")
    ap.add_argument("--notes", type=int, default=NOTES, help=argparse.SUPPRESS)
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
    return ap


def _machine() -> str:
    """The line that dates a set of results: commit, cores, memory, versions."""
    import psutil

    try:
        git = ["git", "rev-parse", "--short", "HEAD"]
        commit = subprocess.run(git, capture_output=True, text=True, cwd=REPO).stdout.strip()
    except OSError:
        commit = "?"
    return (
        f"{dt.date.today().isoformat()}, commit {commit or '?'} (plus uncommitted changes, if any); "
        f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 1024**3:.0f} GB RAM; "
        f"Python {platform.python_version()}, pandas {pd.__version__}."
    )


@dataclasses.dataclass
class Run:
    """One benchmark run: its options, where it writes, and the results so far."""

    args: argparse.Namespace
    out: Path
    machine: str
    repo: Path | None = None  # the snapshot, when the book stages run
    records: list[dict] = dataclasses.field(default_factory=list)

    @property
    def max_mb(self) -> float:
        return self.args.max_memory_gb * 1024

    @property
    def profile_dir(self) -> str | None:
        return str(self.out / "profiles") if self.args.profile else None

    def record(self, stage: str, children: int, res: dict) -> None:
        """Keep a result (replacing an earlier one of the same stage and size), rewrite the files, and print it."""
        note = res.get("note") or ""
        if res.get("seconds") is not None and res.get("base_mb") is not None and res["base_mb"] > 200:
            note = (note + "; " if note else "") + f"inputs held: {res['base_mb']:,.0f} MB"
        if self.args.profile and res.get("seconds") is not None:
            note = (note + "; " if note else "") + "profiled (slower)"
        self.records[:] = [r for r in self.records if not (r["stage"] == stage and r["children"] == children)]
        row = {"stage": stage, "children": children, "seconds": res.get("seconds"), "peak_mb": res.get("peak_mb")}
        self.records.append({**row, "note": note})
        write_results(self.records, self.out, self.machine)
        secs = "-" if res.get("seconds") is None else f"{res['seconds']:.1f} s"
        peak = "-" if res.get("peak_mb") is None else f"{res['peak_mb']:,.0f} MB"
        print(f"  {stage:<38} {secs:>10} {peak:>12}  {note}", flush=True)
        if res.get("trace"):
            print("    " + res["trace"].strip().replace("\n", "\n    "), flush=True)

    def size(self, children: int) -> None:
        """Every stage at one size, in a temporary folder deleted afterwards (unless --keep)."""
        fmt = "parquet" if children >= PARQUET_FROM else "csv"
        tmp = self.out / f"tmp-{children}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        print(f"\n{children:,} children ({fmt})", flush=True)
        stages = list(PIPELINE_STAGES)
        if not self.args.quick and children <= BOOK_UP_TO:
            stages += BOOK_STAGES
        failed: set[str] = set()
        seed, years, repo = self.args.seed + children, self.args.years, str(self.repo) if self.repo else None
        try:
            for stage in stages:
                job = Job(stage, children, str(tmp), seed, years, fmt, self.profile_dir, repo)
                if not self.stage(job, failed):
                    failed.add(stage)
        finally:
            if not self.args.keep:
                shutil.rmtree(tmp, ignore_errors=True)

    def stage(self, job: Job, failed: set[str]) -> bool:
        """Measure and record one stage, unless a stage it needs failed. Returns whether it completed."""
        missing = [n for n in NEEDS.get(job.stage, []) if n in failed]
        if missing:
            self.record(job.stage, job.children, {"note": f"skipped: {missing[0]} did not complete"})
            return False
        fallback = ""
        if job.stage == "derive" and "link" in failed:  # derive needs a linkage: the exact passes, untimed
            prep = run_stage(dataclasses.replace(job, stage=LINK_EXACT), self.args.timeout, self.max_mb)
            if prep.get("seconds") is None:
                self.record(job.stage, job.children, {"note": "skipped: link did not complete, nor its exact passes"})
                return False
            fallback = "with the exact passes' linkage only (the link stage did not complete)"
        res = measure(job, self.args.timeout, self.max_mb, self.args.repeat)
        if fallback:
            res["note"] = "; ".join(n for n in (fallback, res.get("note")) if n)
        self.record(job.stage, job.children, res)
        return res.get("seconds") is not None

    def link_100k(self) -> None:
        """The 100k x 100k link: the people are drawn first (untimed), then linked."""
        people, tmp = self.args.link_people, self.out / "tmp-link"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        print(f"\n{people:,} x {people:,} people", flush=True)
        try:
            draw = Job(LINK_PEOPLE_STAGE, people, str(tmp), self.args.seed, self.args.years)
            prep = run_stage(draw, self.args.timeout, self.max_mb)
            if prep.get("seconds") is None:
                self.record(LINK_100K, people, {"note": "could not draw the people: " + prep["note"]})
                return
            print(f"  (drew the people in {prep['seconds']:.1f} s, not counted)", flush=True)
            job = Job(LINK_100K, people, str(tmp), self.args.seed, self.args.years, profile_dir=self.profile_dir)
            self.record(LINK_100K, people, measure(job, self.args.timeout, self.max_mb, self.args.repeat))
        finally:
            if not self.args.keep:
                shutil.rmtree(tmp, ignore_errors=True)


def code_notes(run: Run) -> None:
    """The case-note coder on `--notes` synthetic notes: the notes are drawn first (untimed), then coded."""
    n, tmp = run.args.notes, run.out / "tmp-notes"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    print(f"\n{n:,} case notes", flush=True)
    try:
        prep = run_stage(Job(NOTES_DRAW_STAGE, n, str(tmp), run.args.seed), run.args.timeout, run.max_mb)
        if prep.get("seconds") is None:
            run.record(CODE_NOTES, n, {"note": "could not draw the notes: " + prep["note"]})
            return
        print(f"  (drew the notes in {prep['seconds']:.1f} s, not counted)", flush=True)
        job = Job(CODE_NOTES, n, str(tmp), run.args.seed, profile_dir=run.profile_dir)
        run.record(CODE_NOTES, n, measure(job, run.args.timeout, run.max_mb, run.args.repeat))
    finally:
        if not run.args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    run = Run(args, out, _machine())
    if args.merge and (out / "results.json").is_file():
        run.records = json.loads((out / "results.json").read_text())
    if not args.quick and any(c <= BOOK_UP_TO for c in args.sizes):
        run.repo = snapshot(out / "repo-snapshot")
    print(run.machine, flush=True)
    try:
        for children in args.sizes:
            run.size(children)
        if not args.quick and not args.no_link_100k:
            run.link_100k()
        if not args.quick and not args.no_code_notes:
            code_notes(run)
    finally:
        if run.repo and not args.keep:
            shutil.rmtree(run.repo, ignore_errors=True)
    csv, md = write_results(run.records, out, run.machine)
    print(f"\nWrote {csv} and {md}\n", flush=True)
    for v in judge(results_frame(run.records)):
        print(f"  {v['result']:<13} {v['budget']}" + (f"  [{v['why']}]" if v["why"] and v["result"] != "met" else ""))
    return 0
