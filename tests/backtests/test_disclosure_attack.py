"""Issue 17's back tests: on synthetic authorities of 2,000, 5,000 and 60,000 children and on the 100-child case
series, the public edition hides until the attacker recovers nothing, and an independent check agrees: no small
count is shown and no two shown counts that nest differ by a small group."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from analysis import pipeline
from analysis.derive import published
from analysis.params import params_from_dict
from analysis.privacy import disclosure
from analysis.privacy.attack import Attacker
from analysis.synth.case_series import generate_case_series
from analysis.synth.la import generate
from analysis.synth.write import write

THRESHOLD = 10


def _params(**extra):
    return params_from_dict(
        {
            "la_name": "Attack Borough",
            "la_code": "996",
            "study_window": {"start": "2016-04-01", "end": "2026-03-31"},
            "unit_costs": "data_templates/unit_costs.example.yml",
            **extra,
        }
    )


def _prepare(monkeypatch, params, extract, truth=None):
    """Prepare a study, keeping the registry the build protected."""
    kept = []
    protect = published.protect

    def keep(reg, previous=None):
        kept.append(reg)
        return protect(reg, previous)

    monkeypatch.setattr(published, "protect", keep)
    study = pipeline.prepare(params, extract, truth)
    return study, kept[-1]


def _independent_check(reg, threshold):
    """Without the attacker's programme: no shown small count; no shown pair nested with a small difference."""
    shown = [q for q in reg.quantities.values() if q.shown]
    assert not [q.keys[0] for q in shown if disclosure.is_small(q.value, threshold)]
    by_universe = {}
    for q in shown:
        by_universe.setdefault(q.universe, []).append(q)
    leaks = []
    for qs in by_universe.values():
        sets = [(q, set(q.members.tolist())) for q in qs]
        for (x, sx), (y, sy) in itertools.permutations(sets, 2):
            if len(sy) < len(sx) and sy <= sx and disclosure.is_small(len(sx) - len(sy), threshold):
                leaks.append((x.keys[0], y.keys[0]))
    assert leaks == []


@pytest.mark.parametrize("children", [2_000, 5_000, 60_000])
def test_the_public_edition_leaves_nothing_recoverable(monkeypatch, tmp_path, children):
    write(generate(children, 10, 11), tmp_path)
    study, reg = _prepare(monkeypatch, _params(), tmp_path / "extract", tmp_path / "truth")
    assert study.disclosure.clean and study.disclosure.recoverable == []
    assert Attacker(reg).first_round() == []  # a fresh attacker on the final state: nothing
    _independent_check(reg, THRESHOLD)
    assert study.disclosure.cells_suppressed.get("primary", 0) > 0  # the authority has small counts to protect


def test_the_case_series_keeps_its_headlines_and_leaves_nothing_recoverable(monkeypatch, tmp_path):
    la = generate_case_series(100, known=54, with_adversity=43, adversity_before_5=34, seed=3)
    write(la, tmp_path)
    params = _params(disclosure={"threshold": 5})
    study, reg = _prepare(monkeypatch, params, tmp_path / "extract")
    assert study.disclosure.clean and Attacker(reg).first_round() == []
    _independent_check(reg, 5)
    m = study.measures
    contact = next(t for t in m["known_tiers"] if t["tier"] == "contact")  # the reference study's "known"
    headline = (contact, m["with_adversity"], m["first_adversity_before_5_reference"])
    assert [(x["numerator"], x["denominator"]) for x in headline] == [(54, 100), (43, 100), (34, 43)]


def test_a_recoverable_cell_refuses_the_build(tmp_path, monkeypatch):
    """The attacker's verdict is part of the publish gate: a study whose audit lists a recoverable cell publishes
    nothing and says why."""
    from types import SimpleNamespace

    from analysis.errors import UserError
    from analysis.privacy.protect import Audit

    audit = Audit(10, 5, {"primary": 1}, [{"cell": "t|a|n", "route": "linear", "recovered_within": 0}], 2, False)
    with pytest.raises(UserError, match=r"t\|a\|n \(linear\)"):
        pipeline.refuse_recoverable(SimpleNamespace(disclosure=audit), tmp_path)
    assert (tmp_path / "disclosure_audit_refused.json").is_file()
    assert not (tmp_path / "html").exists()


def test_protected_values_are_the_published_ones(monkeypatch, tmp_path):
    """Every count cell of every published table equals what its registered members count, or the symbol."""
    write(generate(2_000, 10, 5), tmp_path)
    study, reg = _prepare(monkeypatch, _params(), tmp_path / "extract")
    for key, q in reg.cells.items():
        name, col = key.split("|", 1)[0], key.rsplit("|", 1)[1]
        if name in study.tables and col in study.tables[name].columns:
            values = study.tables[name][col].astype(object).tolist()
            assert (q.value if q.shown else disclosure.SUPPRESSED) in values, key
    assert np.all([isinstance(v, int) for v in study.ledger.values()])
