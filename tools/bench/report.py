"""Reporting: the results frame, the budgets (listed in README.md, "Performance") and their verdicts, and the
files OUT/results.csv, OUT/results.json and OUT/results.md."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import pandas as pd

from tools.bench.plan import CODE_NOTES, LINK_100K, LINK_PEOPLE, NOTES, STAGE_ORDER

RESULT_COLUMNS = ["stage", "children", "seconds", "peak_mb"]
PREPARE_STAGES = ("ingest", "validate", "link", "derive")
BUSY = re.compile(r";? ?machine busy: [^;]*")


@dataclasses.dataclass(frozen=True)
class Budget:
    name: str
    stage: str  # a stage name, or "prepare" for the sum of ingest, validate, link and derive
    children: int
    max_seconds: float
    max_mb: float | None = None
    floor_multiple: float | None = None  # seconds must also be within this multiple of the floor stage
    floor_stage: str = "floor: pyarrow read"  # what the stage cannot beat: the same work with nothing of ours


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
        "prepare (ingest + validate + link + derive) on 2,000,000 children: < 120 s and < 8 GB",
        "prepare",
        2_000_000,
        120,
        8 * 1024,
    ),
    Budget(
        "prose-only rebuild (60,000 children): < 15 s and within 2x Jupyter Book on the executed notebooks",
        "prose-only rebuild",
        60_000,
        15,
        floor_multiple=2,
        floor_stage="floor: book from executed notebooks",
    ),
    Budget("link 100k x 100k: < 120 s and < 4 GB", LINK_100K, LINK_PEOPLE, 120, 4 * 1024),
    Budget("code notes: 1,000,000 case notes in < 600 s", CODE_NOTES, NOTES, 600),
]


def _row(results: pd.DataFrame, stage: str, children: int) -> pd.Series | None:
    hit = results[(results["stage"] == stage) & (results["children"] == children)]
    return None if hit.empty else hit.iloc[-1]


def _num(v) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v) else float(v)


def _measured(results: pd.DataFrame, stage: str, children: int) -> tuple[float | None, float | None, str] | None:
    """(seconds, peak MB, note) of a stage at a size; None if it was not run. "prepare" sums its four stages."""
    if stage != "prepare":
        row = _row(results, stage, children)
        if row is None:
            return None
        note = row.get("note", "") if "note" in row else ""
        return _num(row["seconds"]), _num(row["peak_mb"]), "" if pd.isna(note) else str(note)
    parts = [_measured(results, s, children) for s in PREPARE_STAGES]
    if all(p is None for p in parts):
        return None
    missing = [s for s, p in zip(PREPARE_STAGES, parts) if p is None or p[0] is None]
    if missing:
        return None, None, f"{', '.join(missing)} did not complete"
    return sum(p[0] for p in parts), max((p[1] or 0) for p in parts), ""


def judge(results: pd.DataFrame) -> list[dict]:
    """Each budget with what was measured and a verdict: "met", "not met" or "not measured", and why."""
    if "note" not in results.columns:
        results = results.assign(note="")
    return [_verdict(results, b) for b in BUDGETS]


def _verdict(results: pd.DataFrame, b: Budget) -> dict:
    out = {"budget": b.name, "measured": "", "result": "not measured", "why": "", "caveat": ""}
    m = _measured(results, b.stage, b.children)
    if m is None:
        return {**out, "why": f"{b.stage} was not run at {b.children:,}"}
    seconds, peak, note = m
    note = BUSY.sub("", note).strip("; ")
    if seconds is None:
        return {**out, "result": "not met", "why": f"{b.stage} did not complete: {note or 'no time recorded'}"}
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
        what = "the " + b.floor_stage.removeprefix("floor: ") + " floor"
        floor = _measured(results, b.floor_stage, b.children)
        if floor is None or floor[0] is None:
            why.append(f"{what} was not measured")
        else:
            times = seconds / max(floor[0], 1e-9)
            out["measured"] += f" (floor {floor[0]:.1f} s, {times:.1f}x)"
            if seconds > b.floor_multiple * floor[0]:
                why.append(f"{seconds:.1f} s is {times:.1f}x {what} ({floor[0]:.1f} s), over {b.floor_multiple:g}x")
    return {**out, "result": "not met" if why else "met", "why": "; ".join(why), "caveat": _caveat(note, b.max_seconds)}


def _caveat(note: str, max_seconds: float) -> str:
    """What a reader should know about a measurement: runs either side of the budget, a substitute input."""
    out = []
    runs = re.search(r"fastest of (\d+) runs \(([\d., ]+) s\)", note or "")
    if runs:
        times = [float(t) for t in runs.group(2).split(",")]
        over = sum(t >= max_seconds for t in times)
        if over:
            shown = ", ".join(f"{t:.1f}" for t in times)
            out.append(f"{over} of {len(times)} runs took {max_seconds:g} s or more: {shown} s")
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
    lines = ["# Benchmark", ""] + ([machine, ""] if machine else [])
    lines += _budget_lines(results) + _stage_lines(results) + _note_lines(results)
    lines += [
        "",
        "Each stage ran alone in a fresh process; peak is the process's RSS high-water mark while the stage "
        "ran (reset with /proc/self/clear_refs after its inputs were loaded), or for stages that start other "
        "processes the sampled sum over the process tree if larger. See `tools/bench`.",
        "",
    ]
    return "\n".join(lines)


def _budget_lines(results: pd.DataFrame) -> list[str]:
    lines = ["## Budgets", "", "| Budget | Measured | Result |", "|---|---|---|"]
    for v in judge(results):
        result = v["result"] + (f": {v['why']}" if v["why"] and v["result"] != "met" else "")
        result += f" ({v['caveat']})" if v.get("caveat") else ""
        lines.append(f"| {v['budget']} | {v['measured'] or '-'} | {result} |")
    return lines


def _stage_lines(results: pd.DataFrame) -> list[str]:
    """Every stage by size, the sum that is prepare, and the 100k x 100k link (which has no size) below."""
    per_size = results[~results["stage"].isin([LINK_100K, CODE_NOTES])]
    sizes = sorted(per_size["children"].unique())
    lines = [
        "",
        "## Stages (wall seconds / peak resident MiB)",
        "",
        "| Stage | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "|---" * (len(sizes) + 1) + "|",
    ]
    found = set(per_size["stage"])
    for stage in [s for s in STAGE_ORDER if s in found] + sorted(found - set(STAGE_ORDER)):
        rows = [_row(per_size, stage, s) for s in sizes]
        cells = ["-" if r is None else _cell(r["seconds"], r["peak_mb"], r["note"]) for r in rows]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    prepare = [_measured(results, "prepare", s) for s in sizes]
    if any(m is not None and m[0] is not None for m in prepare):
        cells = ["-" if m is None else ("failed" if m[0] is None else _cell(m[0], m[1])) for m in prepare]
        lines.append("| prepare (sum of ingest, validate, link, derive) | " + " | ".join(cells) + " |")
    single = results[results["stage"] == LINK_100K]
    if len(single):
        row = single.iloc[-1]
        people = int(row["children"])
        lines += [
            "",
            f"{LINK_100K} ({people:,} CSC people x {people:,} SEND people): "
            f"{_cell(row['seconds'], row['peak_mb'], row['note'])}.",
        ]
    notes = results[results["stage"] == CODE_NOTES]
    if len(notes):
        row = notes.iloc[-1]
        lines += [
            "",
            f"{CODE_NOTES} ({int(row['children']):,} notes): {_cell(row['seconds'], row['peak_mb'], row['note'])}.",
        ]
    return lines


def _note_lines(results: pd.DataFrame) -> list[str]:
    """Every note (but "machine busy", which is counted instead: it says the times are likely inflated)."""
    lines = []
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
    return lines
