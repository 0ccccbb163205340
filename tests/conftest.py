"""Shared fixtures: synthetic authorities made by the project's own generator (never real data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.params import params_from_dict
from analysis.synth.la import generate
from analysis.synth.write import write


@pytest.fixture(scope="session")
def la_dir(tmp_path_factory) -> Path:
    """A 20,000-child synthetic LA written as an LA would hand it over, with its ground truth."""
    out = tmp_path_factory.mktemp("la")
    write(generate(20_000, 10, 7), out)
    return out


@pytest.fixture
def extract_copy(la_dir, tmp_path) -> Path:
    """A private copy of the synthetic extract that a test may break."""
    dest = tmp_path / "extract"
    shutil.copytree(la_dir / "extract", dest)
    return dest


@pytest.fixture
def params():
    return params_from_dict(
        {"la_name": "Test Borough", "la_code": "998", "study_window": {"start": "2016-04-01", "end": "2026-03-31"}}
    )


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory) -> Path:
    """The report built once from the committed sample extract with the example parameters, shared by every test
    that only reads it (tests that rebuild or change a site make their own)."""
    from analysis import cli
    from analysis.paths import EXAMPLE_PARAMS, SAMPLE_EXTRACT

    out = tmp_path_factory.mktemp("sample_report") / "out"
    rc = cli.main(["build", "--params", str(EXAMPLE_PARAMS), "--extract", str(SAMPLE_EXTRACT), "--out", str(out)])
    assert rc == 0, "the sample report did not build"
    return out
