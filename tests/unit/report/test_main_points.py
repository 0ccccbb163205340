"""Main points: rounded, fair, plain words decided by the numbers, and a withheld figure never shown."""

import copy
import dataclasses
import re

import pytest

from analysis.preview import open_study
from analysis.privacy.disclosure import SUPPRESSED
from analysis.report import main_points as mp


@pytest.fixture(scope="module")
def sample():
    return open_study(None)


def _share(numerator, denominator, low, high, **extra):
    return {
        "numerator": numerator,
        "denominator": denominator,
        "value": numerator / denominator,
        "interval": [low, high],
        "suppressed": False,
        **extra,
    }


def _hidden(**extra):
    """A measure as measures.json holds one that disclosure control hid."""
    return {
        "numerator": None,
        "denominator": None,
        "value": None,
        "interval": [None, None],
        "suppressed": True,
        "threshold": 10,
        **extra,
    }


def _domain(name, label, n, cohort=24213):
    return _share(n, cohort, 0, 1, name=name, label=label)


EXPLICIT = {  # a large authority's measures, every one shown: each number below is checked in a sentence
    "cohort_size": 24213,
    "known_to_csc": _share(6053, 24213, 0.244, 0.256, tier="referral"),
    "population_known_to_csc": _share(36_000, 300_000, 0.119, 0.121),
    "with_adversity": _share(5150, 24213, 0.207, 0.218),
    "domains": [
        _domain("other", "Other adversity", 4000),
        _domain("neglect", "Neglect", 900),
        _domain("domestic_abuse", "Domestic abuse", 2100),
        _hidden(name="sexual_abuse", label="Sexual abuse"),
        _domain("parental_mental_illness", "Parental mental illness", 1500),
        _domain("parental_separation", "Parental separation", 1200),
    ],
    "first_adversity_before_5": _share(630, 730, 0.83, 0.89, age_threshold=5),
    "cohort_early_adversity_coded": _share(510, 1810, 0.26, 0.30, age_threshold=5),
    "population_early_adversity": _share(5690, 39910, 0.139, 0.146, age_threshold=5),
    "landmark_risk_ratio": {"value": 1.8, "interval": [1.4, 2.3], "suppressed": False},
    "landmark_risk_exposed": {"value": 0.2, "interval": [0.17, 0.23], "suppressed": False},
    "landmark_risk_unexposed": {"value": 0.11, "interval": [0.1, 0.12], "suppressed": False},
    "early_help_before_request": _share(2360, 24213, 0.09, 0.1),
    "review_coverage": _share(3400, 24213, 0.13, 0.15),
}


def _with(study, measures=None, **changes):
    """A copy of the study with its measures replaced (or some of them changed), the original left alone."""
    m = copy.deepcopy(study.measures if measures is None else measures)
    m.update(copy.deepcopy(changes))
    return dataclasses.replace(study, measures=m)


@pytest.fixture(scope="module")
def explicit(sample):
    return _with(sample, EXPLICIT)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (163, "163"),
        (999, "999"),
        (3073, "3,070"),
        (24213, "24,200"),
        (24250, "24,300"),
        (60000, "60,000"),
        (1_234_567, "1.23 million"),
    ],
)
def test_counts_are_rounded_to_three_significant_figures_from_a_thousand(n, words):
    assert mp.rounded(n) == words


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.25, "about one in four children (25%)"),
        (0.2147, "about one in five children (21%)"),
        (0.4, "about two in five children (40%)"),
        (0.52, "about half of the children (52%)"),
        (0.79, "about four in five children (79%)"),
        (0.086, "about one in twelve children (9%)"),
        (0.0123, "about one in eighty children (1%)"),
        (0.004, "fewer than one in a hundred children (0.4%)"),
        (0.97, "almost all children (97%)"),
        (0.0, "none of the children (0%)"),
        (1.0, "all children (100%)"),
    ],
)
def test_a_share_is_a_rounded_fraction_in_words_with_its_whole_per_cent(p, words):
    assert mp.proportion(p, "children") == words


def test_explicit_measures_read_as_rounded_fair_comparisons(explicit):
    points = mp.main_points(explicit)
    text = " ".join(points)
    assert 4 <= len(points) <= 6
    assert "Of about 24,200 children whose first" in points[0]
    assert "about one in four (25%) were already known to children's social care" in points[0]
    assert "a higher share than among all children living in the area over the same years (12%)" in points[0]
    # the commonest kinds by share, "other adversity" and a hidden kind left out
    assert "the commonest kinds were domestic abuse, parental mental illness and parental separation" in points[1]
    assert "most (86%) had it first documented before age 5" in text
    assert "more common among children who went on to request an EHC needs assessment (28%)" in text
    assert "than among all children in the area (14%)" in text
    assert (
        "were more likely to have an EHC needs assessment request by age 8 than children without (20% against 11%)"
        in text
    )
    assert "About one in ten children (10%) had early help" in text
    assert "withheld" not in text
    assert "6,053" not in text and "24,213" not in text  # rounded, not exact


def test_acronyms_are_spelled_out_at_their_first_use_only(explicit):
    points = mp.main_points(explicit)
    assert "Education, Health and Care (EHC) needs assessment" in points[0]
    assert " ".join(points).count("Education, Health and Care") == 1
    assert " ".join(points).count(" EHC needs assessment") == 2  # the later uses, as the acronym


def test_words_follow_the_comparison_not_the_template(explicit):
    overlapping = _with(explicit, population_known_to_csc=_share(2500, 10_000, 0.24, 0.26))
    lower = _with(explicit, population_known_to_csc=_share(9000, 30_000, 0.29, 0.31))
    minority = _with(explicit, first_adversity_before_5=_share(30, 73, 0.3, 0.53, age_threshold=5))
    no_difference = _with(explicit, landmark_risk_ratio={"value": 1.1, "interval": [0.9, 1.3], "suppressed": False})
    assert "no clear difference from among all children" in mp.main_points(overlapping)[0]
    assert "a lower share than" in mp.main_points(lower)[0]
    assert "a minority (41%) had it first documented" in " ".join(mp.main_points(minority))
    assert "most (" not in " ".join(mp.main_points(minority))
    assert "There was no clear difference in the chance" in " ".join(mp.main_points(no_difference))


def test_a_comparison_is_made_only_when_there_is_something_to_compare_with(explicit):
    m = {k: v for k, v in EXPLICIT.items() if not k.startswith("population_")}
    without = _with(explicit, m)
    text = " ".join(mp.main_points(without))
    assert "all children living in the area" not in text and "all children in the area" not in text
    no_landmark = dataclasses.replace(without, comparison=dataclasses.replace(without.comparison, available=False))
    points = mp.main_points(no_landmark)
    assert len(points) == 4 and "likely" not in " ".join(points)


KEY = ("known_to_csc", "with_adversity", "first_adversity_before_5", "early_help_before_request")


@pytest.mark.parametrize("form", ["symbol", "values", "flag"])
def test_a_suppressed_measure_says_it_is_withheld_and_shows_no_number(explicit, form):
    """Whichever way a measure is hidden (replaced by the symbol, its numbers replaced by it, or flagged as
    measures.json flags it), its sentence says it is withheld and none of its numbers appear."""

    def hide(m):
        if form == "symbol":
            return SUPPRESSED
        if form == "values":
            return {**m, "numerator": SUPPRESSED, "value": SUPPRESSED, "interval": [SUPPRESSED, SUPPRESSED]}
        return _hidden(**{k: v for k, v in m.items() if k in ("age_threshold", "tier")})

    study = _with(explicit, **{k: hide(EXPLICIT[k]) for k in KEY})
    points = mp.main_points(study)
    text = " ".join(points)
    assert 4 <= len(points) <= 6
    assert text.count(mp.WITHHELD) == 4
    assert "already known to children's social care before the request is withheld" in points[0]
    assert "The number of children with adversity documented before their request is withheld" in points[1]
    assert "first documented before age 5 is withheld" in text
    assert "The number of children who had early help before their request is withheld" in text
    for hidden_number in ("25%", "21%", "86%", "10%", "one in four", "one in five", "one in ten", "most ("):
        assert hidden_number not in text
    assert SUPPRESSED not in re.findall(r"\w+", text)  # the symbol is never printed as if it were a number
    assert "(28%)" in text  # what was not hidden is still said


def test_the_committed_sample_gives_four_to_six_points_and_withholds_what_was_suppressed(sample):
    points = mp.main_points(sample)
    assert 4 <= len(points) <= 6
    assert all(p[0].isupper() and p.endswith(".") for p in points)
    for name, sentence in (("known_to_csc", points[0]), ("first_adversity_before_5", points[2])):
        if sample.measures[name]["suppressed"]:
            assert mp.WITHHELD in sentence
        else:
            assert mp.percent(sample.measures[name]["value"]) in sentence
    hidden = _with(sample, **{k: SUPPRESSED for k in KEY})
    assert " ".join(mp.main_points(hidden)).count(mp.WITHHELD) >= 4


def test_what_this_means_follows_the_recommendations_that_fired(sample, explicit):
    def rec(rid, status="fired", title="Look again at the data"):
        return dataclasses.replace(sample.recommendations[0], id=rid, title=title, status=status)

    fired = dataclasses.replace(explicit, recommendations=[rec("shared-view"), rec("record-review"), rec("new-rule")])
    said = mp.what_this_means(fired)
    assert 2 <= len(said) <= 4
    assert said[0].startswith("Children reaching an Education, Health and Care (EHC) needs assessment were more often")
    assert "a minority of the children" in said[1]
    assert said[2] == "The evidence supports the recommendation to look again at the data."
    assert "associations rather than causes" in said[-1]

    none = dataclasses.replace(explicit, recommendations=[rec("shared-view", "not fired")])
    said = mp.what_this_means(none)
    assert len(said) == 2 and "None of this report's recommendations rests on evidence clear of chance" in said[0]

    # a rule edited so that its own measure no longer bears the words falls back to the plain form
    edited = _with(fired, known_to_csc=_share(1200, 10_000, 0.11, 0.13))
    assert mp.what_this_means(edited)[0].startswith("The evidence supports the recommendation to")


def test_release_facts_state_date_next_update_status_and_contact(sample):
    study = dataclasses.replace(
        sample, provenance=dataclasses.replace(sample.provenance, prepared_at="2026-12-01T09:30:00+00:00")
    )
    facts = mp.release_facts(study)
    assert list(facts) == list(mp.RELEASE_LABELS)
    assert facts["published"] == "1 December 2026"
    assert facts["next_update"] == "December 2027 (provisional)"
    assert facts["status"] == "Management information; not official statistics"
    assert facts["contact"] == "the authority's performance and intelligence team"
    own = dataclasses.replace(
        study, params={**study.params, "contact": "data@borough.gov.uk", "statistics_status": "Official statistics"}
    )
    assert mp.release_facts(own)["contact"] == "data@borough.gov.uk"
    assert mp.release_facts(own)["status"] == "Official statistics"


def test_measures_that_are_missing_or_all_hidden_never_crash(sample):
    everything_hidden = _with(sample, {k: SUPPRESSED for k in EXPLICIT})
    points = mp.main_points(everything_hidden)
    assert 4 <= len(points) <= 6 and all(mp.WITHHELD in p for p in points)
    assert not any(
        ch.isdigit() for p in points for ch in p.replace("age 5", "").replace("age 8", "").replace("5th", "")
    )
    nothing = _with(sample, {})
    assert len(mp.main_points(nothing)) == 4 and len(mp.what_this_means(nothing)) >= 2


def test_with_case_notes_the_points_name_them_and_do_not_say_separation_goes_uncounted(sample, explicit):
    from analysis.derive.study import AdversitySources

    notes = AdversitySources(True, True, "lexicon.yml", 12, 300, {"Parental separation": ["case notes (coder)"]}, 12)
    with_notes = dataclasses.replace(explicit, adversity_sources=notes)
    assert "Adversity in coded records or case notes before age 5 was more common" in " ".join(
        mp.main_points(with_notes)
    )
    assert "Adversity in coded records before age 5" in " ".join(
        mp.main_points(
            dataclasses.replace(explicit, adversity_sources=dataclasses.replace(notes, notes_supplied=False))
        )
    )
    rec = dataclasses.replace(sample.recommendations[0], id="record-review", status="fired")
    said = mp.what_this_means(dataclasses.replace(with_notes, recommendations=[rec]))
    assert "was found here by coding case notes" in said[0] and "under-counted" not in said[0]
