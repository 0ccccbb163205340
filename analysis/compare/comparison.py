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

    def page_tables(self) -> dict[str, pd.DataFrame]:
        """Tables a page shows beyond the published ones: none, every comparison table is published."""
        return {}

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
        "outside_998": _flagged_table(summary),
        "return_problems": problems.reset_index(drop=True) if len(problems) else pd.DataFrame(),
    }
    return Comparison(params.as_public_dict(), summary, LABELS, received, tables)


def _flagged_table(summary: dict) -> pd.DataFrame:
    """The authorities outside the 99.8% limits after false-discovery control, one row per measure and authority,
    with the BH-adjusted p-value that kept them (figures withheld where compare.json withholds them)."""
    rows = [
        {
            "Measure": LABELS.get(m, s["label"]),
            "Authority": e.get("la_name", e.get("la_code")),
            "Flag": e.get("flag"),
            "Proportion": e.get("proportion"),
            "Denominator": e.get("denominator"),
            "Adjusted p (BH)": _p_text(e.get("q_value")),
        }
        for m, s in summary["measures"].items()
        for e in s.get("outside_998", [])
    ]
    return pd.DataFrame(rows, columns=["Measure", "Authority", "Flag", "Proportion", "Denominator", "Adjusted p (BH)"])


def _p_text(p) -> str:
    """A p-value as text: four decimals, or below 0.0001."""
    if p is None:
        return ""
    return "below 0.0001" if p < 0.0001 else f"{p:.4f}"


# ----------------------------------------------------------------------------------------------------------------
# Sentences for the comparison book (every number and claim computed here, glued there)
# ----------------------------------------------------------------------------------------------------------------


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _names(summary: dict, measures: list[str]) -> str:
    labels = [LABELS.get(m, summary["measures"][m]["label"]).lower() for m in measures]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def method_sentence(summary: dict) -> str:
    """Which limits were drawn and why, from the methods the comparison chose per measure."""
    measures = summary["measures"]
    by: dict[str, list[str]] = {}
    for m, s in measures.items():
        by.setdefault(s["method"], []).append(m)
    parts = [
        f"on {_count(len(ms), 'measure', 'measures') if len(by) > 1 else 'every measure'} the limits are "
        f"{METHOD_SENTENCE.get(method, method)}"
        for method, ms in by.items()
    ]
    over = [m for m, s in measures.items() if s["dispersion"]["overdispersed"]]
    tail = (
        "No measure varied between authorities more than chance allows."
        if not over
        else f"Authorities varied more than chance allows on {_names(summary, over)}, so the limits there allow "
        "for that variation."
    )
    text = "; ".join(parts)
    return f"{text[0].upper()}{text[1:]}. {tail}"


METHOD_SENTENCE = {
    "exact": "exact binomial limits (Spiegelhalter's interpolation, mid-P), which stay right for small numbers and "
    "shares near 0% or 100%",
    "beta_binomial": "exact beta-binomial limits, the exact binomial limits widened by the variation between "
    "authorities (Spiegelhalter's random effect)",
    "wilson": "normal (Wilson score) limits as in PHE Fingertips, used because the figures are not whole numbers",
    "random_effects": "normal limits widened by the variation between authorities (Spiegelhalter's random effect)",
    "scaled": "normal limits scaled by the overdispersion factor",
}


STRADDLE = ("authority-measure pair straddles a limit and so is", "authority-measure pairs straddle a limit and so are")


def censoring_sentence(summary: dict) -> str:
    """What happened to suppressed and missing cells, counted over every measure compared."""
    measures = summary["measures"].values()
    low, high = summary.get("suppressed_range", [1, 5])
    cens = sum(s.get("suppressed_compared", 0) for s in measures)
    undetermined = sum(s["flags"].get("undetermined", 0) for s in measures)
    missing = sum(s["skipped"]["missing"] for s in measures)
    den = sum(s["skipped"]["suppressed"] for s in measures)
    invalid = sum(s["skipped"]["invalid"] for s in measures)
    text = (
        f"A count returned as suppressed (c, meaning {low} to {high}) is compared as that range, not dropped: "
        f"{_count(cens, 'such cell counts', 'such cells count')} in the targets and the checks for overdispersion, "
        f"and such an authority is flagged only when every count from {low} to {high} gives the same flag "
        f"({_count(undetermined, *STRADDLE)} not flagged). "
        f"Figures not held or not returned are left out and counted, never treated as zero: "
        f"{_count(missing, 'authority-measure pair', 'authority-measure pairs')}"
    )
    if den:
        text += f", with {_count(den, 'suppressed denominator', 'suppressed denominators')}"
    if invalid:
        text += f" and {_count(invalid, 'impossible figure', 'impossible figures')}"
    return text + "."


def fdr_sentence(summary: dict) -> str:
    """The multiplicity rule and what it changed."""
    mult = summary["multiplicity"]
    if mult.get("q") is None:
        return mult["rule"]
    before, after = mult["outside_998_before_fdr"], mult["outside_998"]
    change = (
        f"Before this control {_count(before, 'authority-measure pair lay', 'authority-measure pairs lay')} outside "
        f"the 99.8% limits; after it {_count(after, 'does', 'do')}"
    )
    if before > after:
        change += f", and the other {_count(before - after, 'is', 'are')} shown as outside the 95% limits"
    return f"{mult['rule']} {change}."


def measure_sentence(summary: dict, measure: str) -> str:
    """One measure in a sentence: target, method and the authorities outside the 99.8% limits."""
    s = summary["measures"][measure]
    source = "pooled over the authorities compared" if s["target_source"] == "pooled" else "given"
    outside = len(s.get("outside_998", []))
    return (
        f"Target {100 * s['target']:.1f}% ({source}); {_count(s['compared'], 'authority', 'authorities')} compared, "
        f"{_count(outside, 'authority', 'authorities')} outside the 99.8% limits after false-discovery control."
    )


def flagged_las(compare_json: Path) -> dict[str, list[str]]:
    """From OUT/compare.json: the authorities outside the 99.8% limits, per measure."""
    summary = json.loads(Path(compare_json).read_text())
    return {m: sorted(e["la_code"] for e in s.get("outside_998", [])) for m, s in summary["measures"].items()}


DENOMINATOR_LABEL = {
    "requests": "EHC needs assessment requests",
    "with_adversity": "Children with adversity documented before the request",
}


def denominator_label(summary: dict, measure: str) -> str:
    """What a measure's funnel plot has along its x-axis."""
    den = summary["measures"][measure]["denominator"]
    return DENOMINATOR_LABEL.get(den, den)


def _lower(text: str) -> str:
    """Lower-case the first letter of a label, unless it starts an acronym ("EHC needs assessment requests")."""
    return text if len(text) > 1 and text[1].isupper() else text[:1].lower() + text[1:]


def alt_text(summary: dict, measure: str, label: str) -> str:
    """The text alternative of a measure's funnel plot."""
    s = summary["measures"][measure]
    outside = len(s.get("outside_998", []))
    return (
        f"Funnel plot of {_lower(label)} against the {_lower(denominator_label(summary, measure))} of each "
        f"authority, with 95% and 99.8% control limits around the target of {100 * s['target']:.1f}%; "
        f"{_count(outside, 'authority lies', 'authorities lie')} outside the 99.8% limits after false-discovery "
        "control."
    )
