"""Issue 17: this year's edition cannot be differenced against last year's. One synthetic authority is cut as its
extract stood on 31 March 2025 and on 31 March 2026; the second edition is built against the first's ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from analysis import pipeline
from analysis.errors import UserError
from analysis.params import params_from_dict
from analysis.privacy import disclosure, ledger
from analysis.synth.editions import write_editions

DATES = (dt.date(2025, 3, 31), dt.date(2026, 3, 31))


def _params(end: dt.date, **extra):
    return params_from_dict(
        {
            "la_name": "Two Years Borough",
            "la_code": "995",
            "study_window": {"start": "2016-04-01", "end": end.isoformat()},
            **extra,
        }
    )


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    out = tmp_path_factory.mktemp("editions")
    last_year, this_year = write_editions(20_000, seed=8, out=out, dates=DATES)
    first = pipeline.prepare(_params(DATES[0]), last_year)
    book = out / "ledger_2025.json"
    book.write_text(json.dumps(ledger.snapshot(first.ledger, "995", "2016-04-01", "2025-03-31", "public", 10)))
    naive = pipeline.prepare(_params(DATES[1]), this_year)  # as if no one kept last year's ledger
    guarded = pipeline.prepare(_params(DATES[1], previous_edition=str(book)), this_year)
    return first, naive, guarded


def _moved_a_little(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return [k for k in before.keys() & after.keys() if disclosure.is_small(abs(after[k] - before[k]), 10)]


def test_without_the_ledger_some_cells_could_be_differenced(editions):
    """The check is not vacuous: built blind, some counts moved by fewer than 10 in a year."""
    first, naive, _ = editions
    assert _moved_a_little(first.ledger, naive.ledger)


def test_against_the_ledger_no_cell_can_be_differenced(editions):
    first, _, guarded = editions
    assert guarded.disclosure.previous_edition and guarded.disclosure.clean
    assert _moved_a_little(first.ledger, guarded.ledger) == []
    assert guarded.disclosure.cells_suppressed.get("edition", 0) > 0


def test_headlines_survive_the_edition_check(editions):
    _, _, guarded = editions
    assert not guarded.measures["known_to_csc"]["suppressed"]


def test_a_ledger_of_another_authority_or_none_is_refused(editions, tmp_path):
    first, _, _ = editions
    other = tmp_path / "other.json"
    other.write_text(json.dumps(ledger.snapshot(first.ledger, "111", "2016-04-01", "2025-03-31", "public", 10)))
    with pytest.raises(UserError, match="authority '111'"):
        ledger.read(other, "995")
    with pytest.raises(UserError, match="no disclosure_ledger.json"):
        ledger.read(tmp_path, "995")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(UserError, match="not a ledger"):
        ledger.read(tmp_path / "broken.json", "995")
    params = dataclasses.replace(_params(DATES[1]), previous_edition=tmp_path / "missing")
    with pytest.raises(UserError, match="--previous"):
        pipeline.prepare_cached(params, tmp_path, None, tmp_path / "cache")
