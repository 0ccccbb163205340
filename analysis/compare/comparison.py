"""The comparison of many authorities' Freedom of Information returns, as the comparison book reads it.

`adversity-report build --params FILE --compare RETURNS_DIR` reads the returns, flags each authority outside the
95% and 99.8% limits per measure, writes OUT/compare.json and builds a book of its own (toc book/compare/_toc.yml),
published through the same disclosure scan and atomic publish as the single-authority report.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd

from analysis.compare import flags, returns
from analysis.errors import ValidationFailed
from analysis.params import RunParams
from analysis.privacy import disclosure

LABELS = {
    "known_to_csc": "Known to children's social care before the request",
    "with_adversity": "With adversity documented before the request",
    "first_adversity_before_5": "First adversity documented before age five (of those with adversity)",
}


@dataclasses.dataclass
class Comparison:
    """Aggregate returns of many authorities compared on funnel plots: what the comparison book reads."""

    params: dict
    summary: dict  # compare.json
    labels: dict[str, str]
    returns: dict  # the returns as received (pandas split form) and each cell's status; kept private to the study
    tables: dict[str, pd.DataFrame]  # published, disclosure-controlled
    folder: Path | None = None

    def results(self) -> dict[str, flags.FunnelResult]:
        """The funnel results for each measure, recomputed from the returns kept in the study folder."""
        split = self.returns["split"]
        table = pd.DataFrame(split["data"], columns=split["columns"])
        table.attrs["status"] = self.returns["status"]
        return flags.compare(table)

    def save(self, folder: Path) -> None:
        (folder / "tables").mkdir(parents=True, exist_ok=True)
        info = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("tables", "folder")}
        (folder / "study.json").write_text(json.dumps(info, indent=1, sort_keys=True, default=str))
        for name, t in self.tables.items():
            t.to_json(folder / "tables" / f"{name}.json", orient="split", index=False, double_precision=15)

    @classmethod
    def load(cls, folder: str | Path) -> Comparison:
        folder = Path(folder)
        info = json.loads((folder / "study.json").read_text())
        tables = {
            p.stem: pd.read_json(p, orient="split", convert_dates=False, precise_float=True)
            for p in sorted((folder / "tables").glob("*.json"))
        }
        return cls(**info, tables=tables, folder=folder)


def prepare(params: RunParams, returns_dir: Path) -> Comparison:
    """Read and check the returns and compare the authorities (aggregate data only)."""
    table, problems = returns.read_returns(returns_dir)
    errors = problems[problems["severity"] == "error"] if len(problems) else problems
    if len(errors):
        lines = [
            f"  {r['file']} row {r['row']}: {r['column']} '{r['value']}': {r['rule']}"
            for _, r in errors.head(10).iterrows()
        ]
        raise ValidationFailed(f"{len(errors)} errors in the returns:\n" + "\n".join(lines), problems)
    results = flags.compare(table)
    summary = flags.compare_summary(
        results, table, problems, la_code=params.la_code, threshold=params.disclosure_threshold
    )
    flagged = pd.DataFrame(
        [
            {
                "Measure": LABELS.get(m, m),
                "Authority": e.get("la_name", e.get("la_code")),
                "Flag": e.get("flag"),
                "Proportion": e.get("proportion"),
                "Requests": e.get("denominator"),
            }
            for m, s in summary["measures"].items()
            for e in s.get("outside_998", [])
        ],
        columns=["Measure", "Authority", "Flag", "Proportion", "Requests"],
    )
    # the returns themselves stay in the study folder; the published copy has small counts suppressed
    received = {
        "split": json.loads(table.to_json(orient="split", index=False)),
        "status": table.attrs.get("status", {}),
    }
    counts = [c for c in table.columns if c not in ("la_code", "la_name", "year")]
    published = table.reset_index(drop=True)
    for col in counts:
        published = disclosure.primary(published, col, params.disclosure_threshold)
    tables = {
        "returns": published,
        "outside_998": flagged,
        "return_problems": problems.reset_index(drop=True) if len(problems) else pd.DataFrame(),
    }
    return Comparison(params.as_public_dict(), summary, LABELS, received, tables)


def flagged_las(compare_json: Path) -> dict[str, list[str]]:
    """From OUT/compare.json: the authorities outside the 99.8% limits, per measure."""
    summary = json.loads(Path(compare_json).read_text())
    return {m: sorted(e["la_code"] for e in s.get("outside_998", [])) for m, s in summary["measures"].items()}
