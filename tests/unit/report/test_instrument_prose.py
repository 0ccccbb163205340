"""Which instruments the comparison and the base rates rest on, in words: coded records always, case notes when
the authority supplied them, and never the manual case review (it covers the requesting cohort only)."""

from types import SimpleNamespace

from analysis.derive.study import AdversitySources
from analysis.report import narrative

CODES, REVIEW, NOTES = "coded records", "manual case review", "case notes (coder)"


def sources(notes: bool, review: bool = True) -> AdversitySources:
    instruments = {
        "Domestic abuse": [CODES] + [REVIEW] * review + [NOTES] * notes,
        "Parental separation": [REVIEW] * review + [NOTES] * notes,
        "Parental imprisonment": [REVIEW] * review + [NOTES] * notes,
        "Young carer": [CODES] + [REVIEW] * review,
    }
    return AdversitySources(
        notes_supplied=notes,
        review_supplied=review,
        lexicon="lexicon.yml" if notes else None,
        lexicon_domains=9 if notes else 0,
        lexicon_terms=192 if notes else 0,
        instruments={d: found for d, found in instruments.items() if found},
        agreement_domains=0,
    )


def measures(population: bool = True) -> dict:
    shown = {"numerator": 30, "denominator": 100, "value": 0.3, "interval": [0.22, 0.4], "age_threshold": 5}
    m = {"cohort_early_adversity_coded": shown}
    if population:
        m["population_early_adversity"] = {**shown, "numerator": 300, "denominator": 1600, "value": 0.1875}
    risk = {"value": 0.2, "interval": [0.15, 0.26], "suppressed": False}
    m.update(landmark_risk_exposed=risk, landmark_risk_unexposed=risk, landmark_risk_difference=risk)
    m["landmark_risk_ratio"] = {"value": 1.5, "interval": [1.1, 2.0], "suppressed": False}
    return m


INFO = SimpleNamespace(available=True, landmark_age=5, horizon_age=8, why_not=None)


def test_without_notes_the_groups_rest_on_coded_records_and_the_review_is_left_out():
    text = narrative.comparison_grouping(sources(notes=False))
    assert text.startswith(
        "Children are grouped by whether coded social care records (assessment factors, child protection "
        "categories and primary need) documented adversity before the landmark,"
    )
    assert "case notes" not in text and "parental separation" not in text
    assert text.endswith(
        "The manual case review is left out here: it covers only children who had a request, and would find "
        "adversity in one group only."
    )


def test_with_notes_the_groups_rest_on_codes_and_notes_and_bring_in_what_no_code_records():
    text = narrative.comparison_grouping(sources(notes=True))
    assert "primary need) or case notes coded by rule with the lexicon documented adversity" in text
    assert "count for both groups alike and bring in parental separation and parental imprisonment" in text
    assert "young carer" not in text and "domestic abuse" not in text
    assert "The manual case review is left out here" in text


def test_notes_that_bring_in_no_new_kind_of_adversity_say_only_that_they_count_for_both_groups():
    s = sources(notes=True)
    s = AdversitySources(**{**s.__dict__, "instruments": {"Neglect": [CODES, NOTES]}})
    assert "count for both groups alike. The manual case review" in narrative.comparison_grouping(s)
    assert narrative.notes_only_domains(s) == []


def test_without_a_review_the_chapter_does_not_claim_one_was_left_out():
    text = narrative.comparison_grouping(sources(notes=True, review=False))
    assert "No manual case review was supplied; one would be left out here, as it covers only children" in text
    assert "The manual case review is left out here" not in text


def test_an_older_study_without_sources_reads_as_before():
    assert narrative.comparison_grouping(None) == narrative.comparison_grouping(sources(notes=False))
    assert narrative.coded_evidence(None) == "coded records"


def test_base_rates_name_case_notes_only_when_they_were_supplied():
    m = measures()
    without = narrative.base_rates(m, sources(notes=False))
    assert without.startswith("Coded records showed adversity before age 5 for 30 of 100")
    with_notes = narrative.base_rates(m, sources(notes=True))
    assert with_notes.startswith("Coded records or case notes showed adversity before age 5 for 30 of 100")
    assert "300 of 1,600" in with_notes


def test_base_rates_without_a_population_name_the_instruments_too():
    m = measures(population=False)
    assert narrative.base_rates(m) == (
        "Among requesting children observed from birth, 30 of 100 (30.0%; 95% CI 22.0% to 40.0%) children had "
        "adversity in coded records before age 5; without a resident population table there is no base rate to set "
        "beside it"
    )
    text = narrative.base_rates(m, sources(notes=True))
    assert "children had adversity in coded records or case notes before age 5; without a resident" in text


def test_landmark_names_case_notes_only_when_they_were_supplied():
    m = measures()
    assert narrative.landmark(m, INFO, sources(notes=False)) == narrative.landmark(m, INFO)
    assert "of those with adversity in coded records before it had a request by age 8" in narrative.landmark(m, INFO)
    text = narrative.landmark(m, INFO, sources(notes=True))
    assert "of those with adversity in coded records or case notes before it had a request by age 8" in text


def test_landmark_not_made_says_why_whatever_the_instruments():
    info = SimpleNamespace(available=False, why_not="No resident population table was supplied.")
    assert narrative.landmark(measures(), info, sources(notes=True)) == info.why_not
    small = {**measures(), "landmark_risk_ratio": {"suppressed": True}}
    assert narrative.landmark(small, INFO, sources(notes=True)).startswith("Too few children")


def test_cohort_figures_name_every_instrument_they_rest_on():
    assert narrative.every_instrument(sources(notes=True)) == (
        "the coded records, the case notes (coded by rule) and the manual case review"
    )
    assert narrative.every_instrument(sources(notes=False)) == "the coded records and any manual case review"
    assert "no manual case review was supplied" in narrative.every_instrument(sources(notes=False, review=False))
    assert "no manual case review was supplied" in narrative.every_instrument(sources(notes=True, review=False))
