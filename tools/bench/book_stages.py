"""The book stages, one function each (same shape as in `stages`), and the snapshot of the working tree that the
chapters and the CLI builds run in."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tools.bench.plan import REPO, Job

SNAPSHOT_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "_build", "node_modules", "__pycache__", "*.egg-info", ".pytest_cache", ".ipynb_checkpoints"
)
PROSE_EDIT = "\n\nThis sentence was added by the benchmark to stand for a prose-only edit.\n"
CHAPTERS_RESULT = "chapters.json"  # in the job's folder: what `tools.bench.chapters` measured, and the staged book


def snapshot(dest: Path) -> Path:
    """A copy of the working tree (without .venv, _build, .git) for the chapters and CLI builds: other engineers
    may be editing the analysis code while the benchmark runs, which would change the cache keys between two
    builds; the copy also has its own, initially empty, study and chapter caches (its _build/cache), and its
    chapters can be edited."""
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


def _run_in_snapshot(job: Job, cmd: list[str]) -> subprocess.CompletedProcess:
    repo = Path(job.repo)
    return subprocess.run(cmd, capture_output=True, text=True, cwd=repo, env=_snapshot_env(repo))


def execute_chapters(job: Job):
    """`book.execute` on the saved study, in the snapshot with a cold chapter cache of its own: chapters execute
    in worker processes and kernels that import the package afresh, so the cache location cannot be changed from
    here. Timed inside that process, without its start-up."""
    work, result = job.work.resolve(), Path(job.tmp).resolve() / CHAPTERS_RESULT
    shutil.rmtree(Path(job.repo) / "_build" / "cache", ignore_errors=True)
    cmd = [sys.executable, "-m", "tools.bench.chapters", str(work), str(result)]

    def run():
        proc = _run_in_snapshot(job, cmd)
        if proc.returncode != 0:
            errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "Error" in line]
            raise RuntimeError(errors[-1] if errors else (proc.stdout + proc.stderr)[-300:])
        times = json.loads((work / "study" / "run_times.json").read_text())
        slowest = max(times, key=times.get)
        measured = json.loads(result.read_text())
        src = Path(measured["src"])
        return {
            "seconds": measured["seconds"],
            "note": f"{sum(1 for _ in src.rglob('*.ipynb'))} chapters on {os.cpu_count()} workers; "
            f"slowest {slowest} {times[slowest]:.1f} s (timed inside the process, without start-up)",
        }

    return run, None


def _staged(job: Job) -> Path:
    """The staged book with its executed chapters, as the chapters stage left it."""
    return Path(json.loads((Path(job.tmp) / CHAPTERS_RESULT).read_text())["src"])


def build_book(job: Job):
    """`html_build.build_html` alone, on the chapters the previous stage executed, into a fresh output folder (a full
    build, not an incremental one): Jupyter Book exactly as the build runs it."""
    from analysis.errors import UserError
    from analysis.report import html_build

    src, work = _staged(job), job.work.resolve()
    cmd = html_build.jupyter_book_command(src, work)
    shutil.rmtree(cmd[cmd.index("--path-output") + 1], ignore_errors=True)

    def run():
        try:
            html = html_build.build_html(src, work)
        except UserError as exc:
            problems = [line.strip() for line in str(exc).splitlines()[1:4]]
            raise RuntimeError("the book did not build cleanly: " + "; ".join(problems)) from None
        return {"note": f"{sum(1 for _ in html.rglob('*.html'))} HTML files"}

    return run, None


def floor_book(job: Job):
    """Jupyter Book on copies of the executed chapters with a bare configuration: what it costs at the least."""
    import yaml

    from analysis.report import book

    work, staged = job.work.resolve(), _staged(job)
    src, out = work / "floor_book", work / "floor_out"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    src.mkdir(parents=True)
    executed = {p.stem: p for p in staged.rglob("*.ipynb") if "_build" not in p.relative_to(staged).parts}
    names = [Path(f).name for f in book.executable(book.toc_chapters())]
    for n in names:
        shutil.copy(executed[n], src / f"{n}.ipynb")
    config = {"title": "floor", "only_build_toc_files": True, "execute": {"execute_notebooks": "off"}}
    (src / "_config.yml").write_text(yaml.safe_dump(config))
    toc = {"format": "jb-book", "root": names[0], "chapters": [{"file": n} for n in names[1:]]}
    (src / "_toc.yml").write_text(yaml.safe_dump(toc))
    jupyter_book = str(Path(sys.executable).with_name("jupyter-book"))
    cmd = [jupyter_book, "build", str(src), "--builder", "html", "--path-output", str(out)]

    def run():
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"jupyter-book failed: {(proc.stdout + proc.stderr)[-500:]}")
        return {"note": f"{len(names)} executed notebooks, bare configuration"}

    return run, None


def _cli_build(job: Job, out: Path) -> dict:
    """`make book` once set up: the CLI build on the synthetic extract with its ground truth, in the snapshot."""
    extract, truth = job.extract.resolve(), (job.la / "truth").resolve()
    cmd = [sys.executable, "-m", "analysis.cli", "build", "--params", "data_templates/params.example.yml"]
    cmd += ["--extract", str(extract), "--truth", str(truth), "--out", str(out.resolve())]
    proc = _run_in_snapshot(job, cmd)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        errors = [line for line in log.splitlines() if line.startswith("error:") or "Error" in line]
        raise RuntimeError(f"build exited with {proc.returncode}: " + (errors[-1] if errors else log[-300:]))
    found = re.search(r"Study prepared in ([\d.]+) s", log)
    cached = "Using the cached study" in log  # the build says so (its cache is OUT/.cache)
    took = found.group(1) if found else "?"
    return {"note": f"study {'from the cache' if cached else 'prepared'} in {took} s", "cached": cached}


def make_book(job: Job):
    out = Path(job.tmp) / "book_out_cli"

    def run():  # cold study and chapter caches on every run (with --repeat too), as after set-up
        shutil.rmtree(Path(job.repo) / "_build" / "cache", ignore_errors=True)
        shutil.rmtree(out / ".cache", ignore_errors=True)
        return _cli_build(job, out)

    return run, None


def prose_rebuild(job: Job):
    """The build after a prose edit to one chapter: a sentence appended to the chapter that took longest to
    execute in the first build (the worst case), nothing else changed."""
    out = Path(job.tmp) / "book_out_cli"
    times = _chapter_times(out / "build.log")
    chapter = max(times, key=times.get) if times else "summary"
    source = next((Path(job.repo) / "book").rglob(f"{chapter}.md"))

    def run():  # a new sentence on every run (with --repeat too), so that each is a prose edit
        with open(source, "a", encoding="utf-8") as f:
            f.write(PROSE_EDIT)
        return _cli_build(job, out)

    def save(res):
        note = f"{res['note']}; edited {chapter}, the slowest chapter ({times.get(chapter, float('nan')):.1f} s)"
        if not res.get("cached"):
            note += "; NOT a warm rebuild: the study cache was missed"
        return {"note": note}

    return run, save


def _chapter_times(build_log: Path) -> dict[str, float]:
    """Seconds each chapter took to execute in the last build, from its log ("Chapters executed: adversity 4.9 s,
    ..."): the build removes its working folder, run_times.json with it."""
    text = build_log.read_text() if build_log.is_file() else ""
    line = next((ln for ln in text.splitlines() if "Chapters executed:" in ln), "")
    return {name: float(sec) for name, sec in re.findall(r"(\w+) ([\d.]+) s", line.split("Chapters executed:")[-1])}
