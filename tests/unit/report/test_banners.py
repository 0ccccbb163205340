"""The banner on every page says what the numbers are: a synthetic authority's figures are made up, but the national
chapter's are DfE's published statistics even then, and an internal edition says it is not for publication."""

from types import SimpleNamespace

import pytest

from analysis.report.book import banners


def _study(synthetic: bool, national: object | None, edition: str = "public"):
    return SimpleNamespace(params={"synthetic": synthetic, "edition": edition}, national=national)


def test_a_synthetic_authority_with_national_figures_says_which_numbers_are_real():
    (said,) = banners(_study(True, national=object()))
    assert said.startswith("SYNTHETIC DATA") and "Department for Education's published statistics" in said


@pytest.mark.parametrize("national", [None, "absent"])
def test_a_synthetic_authority_without_them_says_every_number_is_made_up(national):
    study = _study(True, None) if national is None else SimpleNamespace(params={"synthetic": True, "edition": "public"})
    assert banners(study) == ["SYNTHETIC DATA: every number describes made-up children, not a real authority."]


def test_real_data_has_no_synthetic_banner_and_an_internal_edition_says_so():
    assert banners(_study(False, national=object())) == []
    (said,) = banners(_study(False, None, edition="internal"))
    assert said.startswith("INTERNAL EDITION") and "Not for publication" in said
