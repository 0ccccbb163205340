"""The attacker on hand-made tables whose recoverable cells are known: each route finds them all, and `protect`
hides until nothing is recoverable."""

import numpy as np
import pandas as pd
import pytest

from analysis.privacy import disclosure, ledger, registry, render
from analysis.privacy.attack import Attacker, release_pinned
from analysis.privacy.protect import protect
from analysis.privacy.registry import Registry, RegistryError, TableSpec

T = 10


def kids(n, start=0):
    return np.arange(start, start + n)


def recovered(reg, previous=None):
    return {f.target.keys[0] if f.target.keys else "difference" for f in Attacker(reg, previous).first_round()}


def test_a_single_small_cell_beside_a_total_is_recovered_exactly():
    reg = Registry(T)
    reg.count("sex|Male", "children", kids(40))
    reg.count("sex|Unknown", "children", kids(3, 40))
    reg.count("cohort", "children", kids(43))
    (f,) = Attacker(reg).first_round()
    assert f.target.keys == ["sex|Unknown"] and (f.low, f.high) == (3, 3)
    assert {q.keys[0] for q in f.via} == {"sex|Male", "cohort"}


def test_across_tables_a_band_is_the_sensitivity_row_minus_the_next_band():
    """first_adversity_age hides "Under 1" = 3 and shows "1 to 2" = 13; the sensitivity row "threshold 3" shows 16."""
    reg = Registry(T)
    reg.count("first_adversity_age|Under 1", "children", kids(3))
    reg.count("first_adversity_age|1 to 2", "children", kids(13, 3))
    reg.count("first_adversity_age|3 to 4", "children", kids(30, 16))
    reg.count("sensitivity|threshold 3", "children", kids(16))
    assert recovered(reg) == {"first_adversity_age|Under 1"}


def test_two_shown_cells_differing_by_a_small_group_give_it_away():
    """Known 53 (main) and 51 (excluding probabilistic links): the 2 children known only through them."""
    reg = Registry(T)
    reg.count("sensitivity|main|known", "children", kids(53))
    reg.count("sensitivity|exact links|known", "children", kids(51))
    (f,) = Attacker(reg).first_round()
    assert not f.target.published and f.target.value == 2 and f.low == f.high == 2


def test_cumulative_steps_between_ages_are_recovered():
    reg = Registry(T)
    for age, n in ((10, 20), (11, 21), (12, 23), (13, 40)):
        reg.count(f"cif|{age}", "children", kids(n))
    steps = sorted(f.target.value for f in Attacker(reg).first_round())
    assert steps == [1, 2, 3]  # 11-10, 12-11 and 12-10; 13-12 is 17


def test_a_selection_flow_exclusion_is_the_step_before_minus_the_rest():
    reg = Registry(T)
    reg.count("flow|with a request", "children", kids(100))
    reg.count("flow|excluded: earlier request", "children", kids(3))
    reg.count("flow|excluded: no birth date", "children", [])
    reg.count("flow|cohort", "children", kids(97, 3))
    assert recovered(reg) == {"flow|excluded: earlier request"}


def test_two_small_cells_whose_sum_is_known_and_small_are_pinned_within_the_threshold():
    reg = Registry(T)
    reg.count("need|A", "children", kids(50))
    reg.count("need|B", "children", kids(3, 50))
    reg.count("need|C", "children", kids(4, 53))
    reg.count("cohort", "children", kids(57))
    found = {f.target.keys[0] if f.target.keys else "cohort minus A": f for f in Attacker(reg).first_round()}
    assert set(found) == {"need|B", "need|C", "cohort minus A"}  # B and C together are a group of 7
    assert (found["need|B"].low, found["need|B"].high) == (0, 7) == (found["need|C"].low, found["need|C"].high)
    assert found["cohort minus A"].low == found["cohort minus A"].high == 7


def test_a_small_cell_hidden_with_a_large_one_is_safe():
    reg = Registry(T)
    reg.count("need|A", "children", kids(50))
    reg.count("need|B", "children", kids(3, 50))
    reg.count("need|C", "children", kids(12, 53))
    reg.count("cohort", "children", kids(65))
    reg.cells["need|C"].hidden = "secondary"
    assert Attacker(reg).first_round() == []


def test_a_cell_that_moved_by_a_small_amount_since_the_last_edition_is_found():
    reg = Registry(T)
    reg.count("known|referral", "children", kids(53))
    reg.count("known|contact", "children", kids(80))
    found = Attacker(reg, previous={"known|referral": 50, "known|contact": 60}).first_round()
    assert [(f.route, f.target.keys[0]) for f in found] == [("edition", "known|referral")]


def test_values_derived_from_a_hidden_count_are_hidden_with_it():
    """A share (rate x denominator) and a cost (estimate / unit cost) give their count back: hidden together."""
    reg = Registry(T)
    t = pd.DataFrame({"Service": ["plan", "care"], "Children": [40, 4], "Estimate": [4e5, 9e4], "Unit cost": [1e4, 1]})
    spec = TableSpec(
        ("Service",),
        {"Children": [kids(40), kids(4, 40)]},
        derived={"Estimate": ("Children",)},
        exempt={"Unit cost": "a price, from the unit costs file"},
    )
    registry.table(reg, "costs", t, spec)
    out = render.table(reg, "costs")
    assert out["Children"].tolist() == [40, disclosure.SUPPRESSED]
    assert out["Estimate"].tolist() == [4e5, disclosure.SUPPRESSED]


def test_a_column_nobody_declared_is_refused():
    reg = Registry(T)
    with pytest.raises(RegistryError, match="Percent"):
        registry.table(
            reg, "t", pd.DataFrame({"k": ["a"], "n": [12], "Percent": [1.0]}), TableSpec(("k",), {"n": [kids(12)]})
        )


def test_the_same_children_counted_in_two_tables_are_one_quantity_hidden_everywhere():
    reg = Registry(T)
    a = reg.count("table_1|Sex=Female", "children", kids(30))
    b = reg.count("sensitivity|girls", "children", kids(30))
    assert a is b and b.keys == ["table_1|Sex=Female", "sensitivity|girls"]


def test_protect_hides_until_nothing_is_recoverable_and_spares_the_headline():
    reg = Registry(T)
    m = {"name": "known_to_csc", "numerator": 53, "denominator": 200, "value": 0.265, "interval": [0.2, 0.3]}
    registry.measure(reg, m, {"numerator": kids(53), "denominator": kids(200)})
    reg.count("sensitivity|exact links|known", "children", kids(51))
    reg.count("sex|Male", "children", kids(120))
    reg.count("sex|Female", "children", kids(77, 120))
    reg.count("sex|Unknown", "children", kids(3, 197))
    audit = protect(reg)
    assert audit.clean and Attacker(reg).first_round() == []
    assert reg.cells["measures|known_to_csc|numerator"].shown
    assert not reg.cells["sensitivity|exact links|known"].shown
    assert reg.cells["sex|Unknown"].hidden == "primary" and reg.cells["sex|Female"].hidden == "secondary"
    assert audit.cells_suppressed == {"primary": 1, "secondary": 2}


def test_a_small_count_that_nothing_published_pins_down_is_safe():
    """Cells of other universes (events, not children) say nothing about a group of children."""
    reg = Registry(T)
    reg.count("a", "children", kids(3))
    reg.count("b", "events", kids(50))
    assert protect(reg).clean  # nothing shown pins it down: safe


def test_the_ledger_holds_only_shown_counts():
    reg = Registry(T)
    reg.count("a", "children", kids(3))
    reg.count("b", "children", kids(50))
    assert ledger.published_counts(reg) == {"b": 50}


def _methods(reg):
    """Links by method and their total (the linkage_by_method table that once showed a recoverable 'c')."""
    cells = {}
    start = 0
    for name, n in (("UPN", 214), ("name", 704), ("probabilistic", 33)):
        cells[name] = reg.count(f"methods|{name}", "children", kids(n, start))
        start += n
    cells["all"] = reg.count("methods|all", "children", kids(start))
    return cells


def test_a_secondary_cell_the_shown_cells_pin_is_shown_again():
    reg = Registry(T)
    cells = _methods(reg)
    attacker = Attacker(reg)
    attacker.hide(cells["probabilistic"], "secondary")  # as an earlier round's fallback might
    assert release_pinned(attacker) == 1 and cells["probabilistic"].shown


def test_secondary_cells_that_protect_each_other_stay_hidden():
    reg = Registry(T)
    cells = _methods(reg)
    attacker = Attacker(reg)
    for name in ("probabilistic", "UPN"):
        attacker.hide(cells[name], "secondary")
    assert release_pinned(attacker) == 0 and not cells["probabilistic"].shown and not cells["UPN"].shown


def _agreement_like(fp_small: int) -> tuple[pd.DataFrame, TableSpec]:
    """Two domains and their pooled row, counted as children (domains) and as child and domain pairs (all rows):
    in pairs the pooled row is the two domains' union, so a lone hidden domain is the pooled row minus the other."""
    children = kids(60)
    fp = [kids(fp_small), kids(25, 100)]  # "coder only": a handful in one domain, 25 in the other
    pairs = [c * 64 + j for j, c in enumerate(fp)]
    reviewed = [children * 64, children * 64 + 1]
    t = pd.DataFrame({"Domain": ["A", "B", "All"], "Reviewed": [60, 60, 60], "Precision": [0.9, 0.7, 0.8]})
    spec = TableSpec(
        ("Domain",),
        {"Reviewed": [children, children, children], "Coder only": [*fp, None]},
        derived={"Precision": ("Coder only",)},
        twins={
            "pairs": {"Reviewed": [*reviewed, np.concatenate(reviewed)], "Coder only": [*pairs, np.concatenate(pairs)]}
        },
    )
    return t, spec


def test_a_table_counted_again_in_a_second_universe_is_attacked_there_too():
    reg = Registry(T)
    t, spec = _agreement_like(4)
    registry.table(reg, "agreement", t, spec)
    assert reg.cells["agreement|A|Coder only"].hidden == "primary"
    assert reg.cells["agreement|A|Coder only@pairs"].hidden == "primary"  # the same 4 children as pairs
    assert "agreement|A|Coder only@pairs" in recovered(reg)  # pooled (29 pairs) minus B (25)
    assert protect(reg).clean and Attacker(reg).first_round() == []
    out = render.table(reg, "agreement")
    assert out["Precision"].tolist()[0] == disclosure.SUPPRESSED
    assert disclosure.SUPPRESSED in out["Precision"].tolist()[1:]  # B or the pooled row hidden as well
    assert "agreement|All|Coder only" not in reg.cells  # the pooled row counts no children in that column


def test_with_no_small_domain_the_pooled_row_and_the_domains_are_all_shown():
    reg = Registry(T)
    t, spec = _agreement_like(12)
    registry.table(reg, "agreement", t, spec)
    assert protect(reg).clean
    assert render.table(reg, "agreement")["Precision"].tolist() == [0.9, 0.7, 0.8]
