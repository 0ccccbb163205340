"""The comparison book: many authorities' Freedom of Information returns, compared on funnel plots.

`adversity-report build --params FILE --compare RETURNS_DIR` reads the returns, flags each authority outside the
95% and 99.8% limits per measure, writes OUT/compare.json and builds a book of its own (toc book/compare/_toc.yml),
published through the same disclosure scan and atomic publish as the single-authority report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from analysis import book, foi, publish, scan
from analysis.disclosure import primary
from analysis.errors import ValidationFailed
from analysis.params import RunParams
from analysis.study import CACHE, REPO, Study

TOC = REPO / "book" / "compare" / "_toc.yml"
LABELS = {"known_to_csc": "Known to children's social care before the request",
          "with_adversity": "With adversity documented before the request",
          "first_adversity_before_5": "First adversity documented before age five (of those with adversity)"}


def prepare(params: RunParams, returns_dir: Path) -> Study:
    """Read and check the returns and compare the authorities (aggregate data only)."""
    table, problems = foi.read_returns(returns_dir)
    errors = problems[problems["severity"] == "error"] if len(problems) else problems
    if len(errors):
        report = Path(returns_dir) / "validation_report.csv"
        foi.write_problems(problems, report)
        lines = [f"  {r['file']} row {r['row']}: {r['column']} '{r['value']}': {r['rule']}" for _, r in
                 errors.head(10).iterrows()]
        raise ValidationFailed(f"{len(errors)} errors in the returns:\n" + "\n".join(lines) + f"\nFull report: {report}")
    results = foi.compare(table)
    summary = foi.compare_summary(results, table, problems, la_code=params.la_code,
                                  threshold=params.disclosure_threshold)
    flagged = pd.DataFrame([{"Measure": LABELS.get(m, m), "Authority": e.get("la_name", e.get("la_code")),
                             "Flag": e.get("flag"), "Proportion": e.get("proportion"), "Requests": e.get("denominator")}
                            for m, s in summary["measures"].items() for e in s.get("outside_998", [])],
                           columns=["Measure", "Authority", "Flag", "Proportion", "Requests"])
    # the returns themselves stay in the study folder; the published copy has small counts suppressed
    returns = {"split": json.loads(table.to_json(orient="split", index=False)), "status": table.attrs.get("status", {})}
    info = {"params": params.as_public_dict(), "compare": summary, "labels": LABELS, "returns": returns}
    counts = [c for c in table.columns if c not in ("la_code", "la_name", "year")]
    published = table.reset_index(drop=True)
    for col in counts:
        published = primary(published, col, params.disclosure_threshold)
    tables = {"returns": published, "outside_998": flagged,
              "return_problems": problems.reset_index(drop=True) if len(problems) else pd.DataFrame()}
    return Study(info, pd.DataFrame(), pd.DataFrame(), tables)


def results(study: Study) -> dict:
    """The funnel results for each measure, recomputed from the returns kept in the study folder."""
    split = study.info["returns"]["split"]
    table = pd.DataFrame(split["data"], columns=split["columns"])
    table.attrs["status"] = study.info["returns"]["status"]
    return foi.compare(table)


def open_comparison(study_dir: str | None = None) -> Study:
    """The comparison a chapter reads: the run's, or (for nbval and previews) one of 150 synthetic returns."""
    if study_dir:
        return Study.load(study_dir)
    from analysis.params import load_params
    from analysis.study import EXAMPLE_PARAMS

    folder = CACHE / "synthetic_returns"
    if not (folder / "returns").is_dir():
        foi.write_synth_returns(150, 1, folder)
    return prepare(load_params(EXAMPLE_PARAMS), folder / "returns")


def build(params: RunParams, returns_dir: Path, out: Path) -> Path:
    """Compare, render the comparison book, scan it and publish OUT/html, OUT/tables and OUT/compare.json."""
    study = prepare(params, returns_dir)
    with publish.lock(out):
        work = out / ".work"
        shutil.rmtree(work, ignore_errors=True)
        study.save(work / "study")
        stage = publish.stage_build(study, work, book.render(study, work, toc=TOC), {})
        foi.write_compare(study.info["compare"], stage / "compare.json")
        findings = scan.scan(stage / "html", None, params.disclosure_threshold, params.edition,
                             notebooks_dir=work / "book_stage" / "book" / "compare")
        scan.refuse_if_unsafe(findings)
        publish.publish(stage, out, ("html", "tables", "compare.json"))
    return out / "html" / "index.html"


def flagged_las(compare_json: Path) -> dict[str, list[str]]:
    """From OUT/compare.json: the authorities outside the 99.8% limits, per measure."""
    summary = json.loads(Path(compare_json).read_text())
    return {m: sorted(e["la_code"] for e in s.get("outside_998", [])) for m, s in summary["measures"].items()}
