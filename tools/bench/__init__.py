"""Benchmark: wall time and peak memory of every stage of the pipeline, at several sizes, judged against the
budgets listed in README.md ("Performance").

    python -m tools.bench [--sizes 10000 60000 500000 2000000] [--out _build/bench] [--quick]

For each size a synthetic LA is generated (Parquet from 500,000 children, CSV below) in a temporary folder under
OUT, which is deleted afterwards. Writes OUT/results.csv (stage, children, seconds, peak_mb), OUT/results.md (the
table for the README, with every budget and whether it is met) and OUT/results.json (the same with notes).

The package: `plan` (stages, sizes, the job a stage gets), `stages` and `book_stages` (one function per stage),
`chapters` (the chapter-executing process), `measure` (processes, peak memory, time limits), `report` (budgets,
verdicts and the results files) and `cli` (the command line and the run).

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
* synth: `synth.la.generate` + `synth.write.write`.
* floor: pyarrow read: every extract file read with `pyarrow.csv.read_csv` or `pyarrow.parquet.read_table`
  alone: the least any reader can take.
* ingest: `ingest.source.read_source`; validate: `ingest.validate.validate`. Together they are
  `ingest.source.check_extract`, the first step of `pipeline.prepare`.
* link: `link.passes.link` with the run's threshold and backend.
* derive: the rest of `pipeline.prepare`, the same calls on the checked tables and linkage the two stages before
  saved: `link.quality.quality`, `privacy.pseudonymise.load_key`, `ingest.source.extract_files` and
  `derive.assemble.derive` (coding frame, adversity events, cohort, comparison population and models, measures,
  published tables, provenance hashes). No ground truth is passed (a real LA has none). ingest + validate + link +
  derive is the whole of `prepare`. If link does not complete, derive is measured with the linkage of the exact
  passes alone (computed untimed) and its note says so.
* execute chapters (sizes <= 60,000): `report.book.execute` on the saved study: saving it where the chapters read
  it, staging the book and executing every chapter with papermill, as the build does, with a cold chapter cache
  (run in the snapshot described below by `tools.bench.chapters`, timed inside that process).
* build book: `report.html_build.build_html` alone on the staged, executed chapters (a fresh output folder): Jupyter
  Book exactly as the build runs it (`html_build.jupyter_book_command`: -W -n, the project's configuration and
  templates).
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
* link 100k x 100k: `link.passes.link` on 100,000 CSC people and 100,000 SEND people, drawn from one synthetic LA
  large enough to hold them (keeping every CSC person who is truly a selected SEND person, then others at random).
  Its `children` value is the number of people on each side.
* code notes: `notes.coder.code_notes` (pre-filter, blank English pipeline, context rules, births) on 1,000,000
  synthetic case notes (`synth.notes`, about 11 a child, drawn and written untimed first); its note gives notes per
  second. Its `children` value is the number of notes. `--no-code-notes` skips it.

On a machine others are using, `--repeat N` runs each stage N times and keeps the fastest (and the largest peak);
a stage that starts while other processes keep the CPUs busy says so in its note.
"""

from tools.bench.plan import BOOK_STAGES, LINK_100K, PIPELINE_STAGES, STAGE_ORDER, Job
from tools.bench.report import BUDGETS, Budget, judge, markdown, results_frame, write_results

__all__ = [
    "BOOK_STAGES",
    "BUDGETS",
    "LINK_100K",
    "PIPELINE_STAGES",
    "STAGE_ORDER",
    "Budget",
    "Job",
    "judge",
    "markdown",
    "results_frame",
    "write_results",
]
