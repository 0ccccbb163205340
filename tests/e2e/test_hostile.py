"""The hostile corpus (tests/fixtures/hostile/): every case is something a careless or hostile user might do.
Each must end as its case.yml says, with no traceback, no silent acceptance, and no file changed outside OUT."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from analysis import cli
from analysis.paths import EXAMPLE_PARAMS, REPO

CORPUS = REPO / "tests" / "fixtures" / "hostile"
BASE = REPO / "tests" / "fixtures" / "broken" / "_base"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.yml").is_file())
KEY_VARS = ("ADVERSITY_REPORT_KEY", "ADVERSITY_REPORT_KEY_FILE")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="session")
def bases(tmp_path_factory) -> dict[str, Path]:
    """The base folders a case lays its files over (made once a session)."""
    from analysis.synth.foi import write_synth_returns
    from analysis.synth.la import generate
    from analysis.synth.write import write

    root = tmp_path_factory.mktemp("hostile_bases")
    write(generate(400, 6, 5), root / "xml", "xml")
    write_synth_returns(30, 4, root / "returns")
    return {"extract": BASE, "xml": root / "xml" / "extract", "returns": root / "returns" / "returns"}


def _tokens(value, where: dict[str, str]):
    if isinstance(value, str):
        for k, v in where.items():
            value = value.replace("{" + k + "}", v)
        return value
    if isinstance(value, dict):
        return {k: _tokens(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_tokens(v, where) for v in value]
    return value


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under a folder (links not followed) with a hash of its bytes; a missing folder is empty."""
    if not folder.exists() and not folder.is_symlink():
        return {}
    if folder.is_file():
        return {folder.name: hashlib.sha256(folder.read_bytes()).hexdigest()}
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in filenames + [d for d in dirnames if Path(dirpath, d).is_symlink()]:
            path = Path(dirpath, name)
            rel = str(path.relative_to(folder))
            out[rel] = "link" if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout


class Case:
    """One case laid out in a temporary folder: extract, params, OUT and a folder of the user's own."""

    def __init__(self, name: str, tmp: Path, bases: dict[str, Path], monkeypatch):
        self.name, self.tmp, self.mp = name, tmp, monkeypatch
        self.spec = yaml.safe_load((CORPUS / name / "case.yml").read_text(encoding="utf-8"))
        self.extract, self.out = tmp / "extract", tmp / "out"
        self.home = tmp / "home"
        self.home.mkdir()
        (self.home / "keep.txt").write_text("the user's own file\n")
        monkeypatch.setenv("HOME", str(self.home))
        for var in KEY_VARS:
            monkeypatch.delenv(var, raising=False)
        base = self.spec.get("base", "extract")
        if base != "none":
            shutil.copytree(bases[base], self.extract)
            for name_ in self.spec.get("remove", []):
                (self.extract / name_).unlink()
            for f in (CORPUS / name).iterdir():
                if f.name != "case.yml":
                    shutil.copy(f, self.extract / f.name)
        self.where = {"extract": str(self.extract), "out": str(self.out), "tmp": str(tmp), "repo": str(REPO),
                      "home": str(self.home)}  # fmt: skip
        params = _merge(yaml.safe_load(EXAMPLE_PARAMS.read_text()), _tokens(self.spec.get("params", {}), self.where))
        self.params = tmp / "params.yml"
        self.params.write_text(yaml.safe_dump(params, allow_unicode=True))
        for action in self.spec.get("setup", []):
            name_, _, arg = str(action).partition(" ")
            SETUP[name_](self, _tokens(arg, self.where))

    def argv(self) -> list[str]:
        cmd, args = self.spec["command"], _tokens(self.spec.get("args", []), self.where)
        if cmd == "validate":
            date = [] if "--extract-date" in args else ["--extract-date", "2026-03-31"]
            return ["validate", str(self.extract), "--report", str(self.out / "validation_report.csv"), *date, *args]
        if cmd == "build":
            out = [] if "out" in self.spec.get("params", {}) else ["--out", str(self.out)]
            return ["build", "--params", str(self.params), "--extract", str(self.extract), *out, *args]
        if cmd == "compare":
            return ["build", "--params", str(self.params), "--compare", str(self.extract), "--out", str(self.out)]
        if cmd == "synth":
            return ["synth", *args]
        if cmd == "scan":
            return ["scan", *args]
        raise AssertionError(f"{self.name}: unknown command {cmd}")


def _cached_internal(case: Case, _) -> None:
    """A prepared internal study already in OUT's cache (made with a key), and then no key: the next build must
    still refuse."""
    from analysis import pipeline
    from analysis.params import load_params
    from analysis.report import publish

    case.mp.setenv("ADVERSITY_REPORT_KEY", "setup-key-5d8e1f4a7b0c3d6e9f2a5b8c1d4e7f0a3b6c9d2e")
    params = load_params(case.params)
    out = publish.claim(case.out, (case.extract,))
    pipeline.prepare_cached(params, case.extract, None, out / ".cache")
    case.mp.delenv("ADVERSITY_REPORT_KEY")


def _owned_out(case: Case, extra: str) -> None:
    """OUT as a previous build left it (the ownership marker), plus `extra`: a stale .work or a real html folder."""
    from analysis.report import publish

    publish.claim(case.out)
    (case.out / extra).mkdir(parents=True)
    (case.out / extra / "left.txt").write_text("left behind\n")


def _write_all(files: dict[Path, str]) -> None:
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


SETUP = {
    "cached_internal": _cached_internal,
    "owned_out": _owned_out,
    "remove": lambda c, path: Path(path).unlink(),
    "mkdir": lambda c, path: Path(path).mkdir(parents=True),
    "dir_as_file": lambda c, name: (c.extract / name).unlink() or (c.extract / name).mkdir(),
    "symlink_missing": lambda c, name: (c.extract / name).unlink() or (c.extract / name).symlink_to(c.tmp / "nowhere"),
    "out_foreign": lambda c, _: _write_all(
        {c.out / "notes.txt": "mine\n", c.out / "html" / "index.html": "<p>my own site</p>\n"}
    ),
    "key": lambda c, value: c.mp.setenv("ADVERSITY_REPORT_KEY", value),
    "key_file": lambda c, path: c.mp.setenv("ADVERSITY_REPORT_KEY_FILE", path),
    "write": lambda c, spec: Path(spec.split("=", 1)[0]).write_text(spec.split("=", 1)[1] + "\n"),
}


def _published_csv_cells(out: Path):
    for path in sorted(out.rglob("*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                yield path, row


def _checks_outside_out(case: Case):
    """What must be unchanged however the command ends: the user's files, the repository, the root folder."""
    return {
        "extract": _snapshot(case.extract),
        "params": _snapshot(case.params),
        "home": _snapshot(case.home),
        "repo": _git_status(),
        "root": sorted(os.listdir("/")),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_hostile_case(name, tmp_path, bases, monkeypatch):
    case = Case(name, tmp_path, bases, monkeypatch)
    expect = case.spec["expect"]
    before = _checks_outside_out(case)
    out_before = _snapshot(case.out) if expect.get("out_unchanged") else None
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(case.argv())
        except SystemExit as exc:  # argparse's own usage errors
            rc = exc.code
        except Exception as exc:  # noqa: BLE001 - a traceback is exactly what this test forbids
            pytest.fail(f"{name}: traceback {type(exc).__name__}: {exc}")
    text = out.getvalue() + err.getvalue()
    assert "Traceback" not in text, text
    assert rc == expect["exit"], f"{name}: exit {rc}, expected {expect['exit']}\n{text}"
    for message in [expect["stderr"]] if isinstance(expect.get("stderr"), str) else expect.get("stderr", []):
        assert message in err.getvalue(), f"{name}: {message!r} not in\n{err.getvalue()}"
    assert _checks_outside_out(case) == before, f"{name}: something outside OUT changed"
    if out_before is not None:
        assert _snapshot(case.out) == out_before, f"{name}: the output folder was changed"
    if "problem" in expect:
        _assert_problem(case, expect["problem"])
    if "published" in expect:
        assert (case.out / "html" / "index.html").is_file() == expect["published"]
    for text_ in expect.get("html_free_of", []):
        for page in (case.out / "html").rglob("*.html"):
            assert text_ not in page.read_text(encoding="utf-8"), f"{name}: {text_!r} unescaped in {page.name}"
    for path, row in _published_csv_cells(case.out):
        unsafe = [cell for cell in row if cell.startswith(FORMULA_START) and not _is_number(cell)]
        assert not unsafe, f"{name}: {path.name} holds a cell a spreadsheet would run: {unsafe[0]!r}"


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _assert_problem(case: Case, problem: dict) -> None:
    import pandas as pd

    report = pd.read_csv(case.out / "validation_report.csv", dtype=str, keep_default_na=False)
    hit = report
    for key, value in problem.items():
        hit = hit[hit[key].str.contains(str(value), regex=False)]
    assert len(hit), f"{case.name}: no problem like {problem} in\n{report.head(10).to_string()}"


def test_the_corpus_is_large_enough_and_says_what_each_case_is():
    assert len(CASES) >= 70
    for name in CASES:
        spec = yaml.safe_load((CORPUS / name / "case.yml").read_text(encoding="utf-8"))
        assert spec.get("what") and "exit" in spec["expect"], name
