"""Issue 17: a build whose output folder lies outside the repository writes nothing inside it: no prepared study
(pseudonymised child-level rows), no executed notebook, no kernel or matplotlib cache, no log."""

from __future__ import annotations

import os
from pathlib import Path

from analysis import cli
from analysis.paths import EXAMPLE_PARAMS, REPO, SAMPLE_EXTRACT

SKIP = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache", ".import_linter_cache"}


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under root (but version control, the virtual environment and bytecode) with size and mtime."""
    out = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP]
        for f in files:
            p = Path(folder) / f
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def test_a_build_elsewhere_writes_nothing_inside_the_repository(tmp_path):
    before = _snapshot(REPO)
    out = tmp_path / "report"
    rc = cli.main(["build", "--params", str(EXAMPLE_PARAMS), "--extract", str(SAMPLE_EXTRACT), "--out", str(out)])
    assert rc == 0
    after = _snapshot(REPO)
    changed = sorted(p for p in after if before.get(p) != after[p])
    assert changed == [], f"written inside the repository: {changed[:10]}"
    assert (out / ".cache").is_dir() and any((out / ".cache").rglob("cohort.parquet"))  # the cache went to OUT
