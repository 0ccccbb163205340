"""The benchmark's bookkeeping: results written in the agreed shape, budgets judged correctly. No real benchmark
runs here except one tiny one (2,000 children, --quick)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from analysis.paths import REPO
from tools.bench import BUDGETS, LINK_100K, judge, results_frame, write_results


def _records(**over) -> list[dict]:
    """Results that meet every budget; `over` replaces (stage, children) -> (seconds, peak_mb, note)."""
    rows = {
        ("make book (after set-up)", 60_000): (45.0, 3000.0, ""),
        ("prose-only rebuild", 60_000): (4.0, 2500.0, ""),
        ("floor: book from executed notebooks", 60_000): (2.5, 500.0, ""),
        ("floor: pyarrow read", 2_000_000): (20.0, 900.0, ""),
        ("ingest", 2_000_000): (10.0, 2000.0, ""),
        ("validate", 2_000_000): (20.0, 3000.0, ""),
        ("link", 2_000_000): (30.0, 2000.0, ""),
        ("derive", 2_000_000): (50.0, 6000.0, ""),
        (LINK_100K, 100_000): (60.0, 1500.0, ""),
        ("code notes", 1_000_000): (110.0, 1500.0, ""),
    }
    for key, value in over.items():
        stage, children = key.rsplit("@", 1)
        rows[(stage, int(children))] = value
    return [{"stage": s, "children": c, "seconds": v[0], "peak_mb": v[1], "note": v[2]} for (s, c), v in rows.items()]


def _verdicts(records) -> dict[str, dict]:
    return {v["budget"].split(":")[0]: v for v in judge(results_frame(records))}


def test_every_budget_met_when_results_are_within_them():
    verdicts = _verdicts(_records())
    assert len(verdicts) == len(BUDGETS)
    assert {v["result"] for v in verdicts.values()} == {"met"}


@pytest.mark.parametrize(
    "key, value, budget, reason",
    [
        (
            "make book (after set-up)@60000",
            (61.0, 3000.0, ""),
            "make book on 60,000 children, after set-up",
            "over 60 s",
        ),
        ("prose-only rebuild@60000", (15.5, 2000.0, ""), "prose-only rebuild (60,000 children)", "over 15 s"),
        # the Jupyter Book floor is 2.5 s
        ("prose-only rebuild@60000", (5.5, 2000.0, ""), "prose-only rebuild (60,000 children)", "over 2x"),
        ("derive@2000000", (130.0, 6000.0, ""), "derive on 2,000,000 children", "over 120 s"),
        ("derive@2000000", (50.0, 9000.0, ""), "derive on 2,000,000 children", "over 8 GB"),
        ("derive@2000000", (70.0, 6000.0, ""), "derive on 2,000,000 children", "over 3x"),  # floor is 20 s
        (f"{LINK_100K}@100000", (60.0, 4500.0, ""), "link 100k x 100k", "over 4 GB"),
        (
            "validate@2000000",
            (45.0, 3000.0, ""),
            "prepare (ingest + validate + link + derive) on 2,000,000 children",
            "over 120 s",
        ),  # 10 + 45 + 30 + 50 = 135 s
    ],
)
def test_a_budget_exceeded_is_not_met_and_says_why(key, value, budget, reason):
    verdicts = _verdicts(_records(**{key: value}))
    assert verdicts[budget]["result"] == "not met"
    assert reason in verdicts[budget]["why"]
    unrelated = {
        "make book on 60,000 children, after set-up",
        "prose-only rebuild (60,000 children)",
        "link 100k x 100k",
    } - {budget}
    assert all(verdicts[u]["result"] == "met" for u in unrelated), verdicts


def test_a_failed_stage_is_not_met_and_a_missing_one_not_measured():
    records = _records(**{"derive@2000000": (None, None, "stopped: still running after 900 s")})
    records = [r for r in records if r["stage"] != LINK_100K]
    verdicts = _verdicts(records)
    assert verdicts["derive on 2,000,000 children"]["result"] == "not met"
    assert "still running after 900 s" in verdicts["derive on 2,000,000 children"]["why"]
    assert verdicts["link 100k x 100k"]["result"] == "not measured"
    assert verdicts["make book on 60,000 children, after set-up"]["result"] == "met"


def test_results_are_written_in_the_agreed_shape(tmp_path):
    records = _records(
        **{
            "derive@2000000": (None, None, "killed (signal 9: out of memory?)"),
            "make book (after set-up)@60000": (75.0, 3000.0, ""),
        }
    )
    csv, md = write_results(records, tmp_path)
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["stage", "children", "seconds", "peak_mb"]
    derive = frame[(frame["stage"] == "derive") & (frame["children"] == 2_000_000)].iloc[0]
    assert pd.isna(derive["seconds"])  # a failure leaves seconds empty, not zero
    text = md.read_text()
    lines = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert lines["make book on 60,000 children, after set-up: < 60 s"].endswith("| not met: 75.0 s is over 60 s |")
    assert (
        "| met |"
        in lines["prose-only rebuild (60,000 children): < 15 s and within 2x Jupyter Book on the executed notebooks"]
    )
    assert "not met: derive did not complete: killed (signal 9: out of memory?)" in text
    assert "| link 100k x 100k: < 120 s and < 4 GB | 60.0 s, 1.46 GB | met |" in text
    assert "| derive |" in text and "failed" in lines["derive"]


def test_quick_run_writes_positive_times(tmp_path):
    out = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--sizes", "2000", "--out", str(out), "--quick"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    frame = pd.read_csv(out / "results.csv")
    assert list(frame.columns) == ["stage", "children", "seconds", "peak_mb"]
    assert list(frame["stage"]) == ["synth", "floor: pyarrow read", "ingest", "validate", "link", "derive"]
    assert (frame["children"] == 2000).all()
    assert (frame["seconds"] > 0).all(), frame
    assert (frame["peak_mb"] > 50).all(), frame  # at least an interpreter with pandas loaded
    assert not (out / "tmp-2000").exists()  # the synthetic LA is deleted afterwards
    assert "| synth |" in (out / "results.md").read_text()


def test_runs_either_side_of_a_budget_and_stopped_stages_are_shown(tmp_path):
    records = _records(
        **{
            "prose-only rebuild@60000": (14.9, 900.0, "fastest of 3 runs (14.9, 16.0, 15.6 s)"),
            "floor: book from executed notebooks@60000": (8.0, 500.0, ""),  # 14.9 s is within 2x
            f"{LINK_100K}@100000": (None, 16_400.0, "stopped: the process tree used 16.0 GB, over the 16 GB limit"),
        }
    )
    prose = _verdicts(records)["prose-only rebuild (60,000 children)"]
    assert prose["result"] == "met"
    assert prose["caveat"].startswith("2 of 3 runs took 15 s or more")
    _, md = write_results(records, tmp_path)
    text = md.read_text()
    assert "| met (2 of 3 runs took 15 s or more: 14.9, 16.0, 15.6 s) |" in text
    assert "100,000 SEND people): stopped at 16 GB." in text
    assert "| not met: link 100k x 100k did not complete: stopped: the process tree used 16.0 GB" in text
