import pytest

from analysis.derive import recommend
from analysis.errors import UserError
from analysis.paths import RECOMMENDATION_RULES


def _m(name, low, high, suppressed=False):
    return {
        "name": name,
        "numerator": 10,
        "denominator": 20,
        "value": (low + high) / 2,
        "interval": [low, high],
        "suppressed": suppressed,
    }


RULES = [
    {"id": "a", "title": "A", "when": {"measure": "x", "lower_above": 0.5}, "text": "{x}"},
    {"id": "b", "title": "B", "when": {"measure": "x", "lower_above": "y"}, "text": "{x} beside {y}"},
    {"id": "c", "title": "C", "when": {"measure": "x", "upper_below": 0.9}, "text": "{x}"},
]


@pytest.mark.parametrize(
    "x, y, expected",
    [
        (_m("x", 0.55, 0.8), _m("y", 0.2, 0.4), ["fired", "fired", "fired"]),
        (_m("x", 0.45, 0.8), _m("y", 0.2, 0.5), ["not fired", "not fired", "fired"]),  # a point estimate above
        (_m("x", 0.55, 0.95), _m("y", 0.2, 0.4, suppressed=True), ["fired", "not assessable", "not fired"]),
        (_m("x", 0.55, 0.95, suppressed=True), _m("y", 0.2, 0.4), ["not assessable"] * 3),
    ],
)
def test_rules_test_intervals_against_comparators(x, y, expected):
    out = recommend.evaluate(RULES, {"x": x, "y": y})
    assert [r["status"] for r in out] == expected


def test_a_rule_citing_a_measure_that_was_not_computed_is_not_assessable():
    out = recommend.evaluate(RULES[1:2], {"x": _m("x", 0.6, 0.7)})
    assert out[0]["status"] == "not assessable"


def test_the_shipped_rules_load_and_need_one_test_each(tmp_path):
    assert {r["id"] for r in recommend.load_rules(RECOMMENDATION_RULES)} >= {"early-identification", "shared-view"}
    bad = tmp_path / "rules.yml"
    bad.write_text("rules:\n  - {id: z, title: Z, when: {measure: x, above: 0.2}, text: t}\n")
    with pytest.raises(UserError, match="lower_above"):
        recommend.load_rules(bad)


def test_the_shipped_rules_type_no_age_the_parameters_may_change():
    """An authority that sets `age_threshold: 3` and `horizon_age: 10` reads those ages in every fired rule."""
    from types import SimpleNamespace

    from analysis.report import narrative

    early = {**_m("first_adversity_before_5", 0.6, 0.8), "age_threshold": 3}
    rr = {"name": "landmark_risk_ratio", "value": 1.9, "interval": [1.5, 2.4], "suppressed": False}
    rr |= {"landmark_age": 3, "horizon_age": 10}
    measures = {"first_adversity_before_5": early, "landmark_risk_ratio": rr}
    rules = [
        r for r in recommend.load_rules(RECOMMENDATION_RULES) if r["id"] in {"early-identification", "later-requests"}
    ]
    fired = [r for r in recommend.evaluate(rules, measures) if r["status"] == "fired"]
    assert len(fired) == 2
    texts = " ".join(narrative.recommendation(SimpleNamespace(**r), measures) for r in fired)
    assert "made at 3 or over" in texts and "before age 3" in texts and "by age 10" in texts
    for typed in ("five", "fifth", "eight", "age 5", "age 8"):
        assert typed not in texts, typed


def test_a_rule_citing_a_field_a_measure_lacks_is_not_assessable():
    rule = {"id": "d", "title": "D", "when": {"measure": "x", "lower_above": 0.5}, "text": "by age {x.horizon_age}"}
    assert recommend.evaluate([rule], {"x": _m("x", 0.6, 0.7)})[0]["status"] == "not assessable"
