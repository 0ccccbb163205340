"""The hand-made hard cases of issue 18, each planted in a 20,000-child authority so that Splink has a population to
learn from: twins, a nickname, an accent, and a one-to-one conflict that greedy resolution gets wrong."""

import pandas as pd
import pytest

from analysis.ingest.source import check_extract
from analysis.link import passes, probabilistic

DOB = pd.Timestamp("2016-05-14")


def _csc(pid, forename, surname, dob=DOB, postcode="ZZ9 4QT", sex="M"):
    return {
        "pers_person_id": pid,
        "pers_upn": None,
        "pers_forename": forename,
        "pers_surname": surname,
        "pers_dob": dob,
        "pers_sex": sex,
        "pers_postcode": postcode,
    }


def _sen2(sid, forename, surname, dob=DOB, postcode="ZZ9 4QT", sex="M"):
    return {
        "person_table_id": sid,
        "upn": None,
        "forename": forename,
        "surname": surname,
        "person_birth_date": dob,
        "sex": sex,
        "postcode": postcode,
    }


@pytest.fixture(scope="module")
def planted(la_dir):
    """The authority with the cases added, linked once."""
    t = check_extract(la_dir / "extract").tables
    csc = [
        _csc("P-TWIN-B", "Jacob", "Quillfeather"),  # twin B: known to social care only
        _csc("P-OLIVER", "Oliver", "Brackenbury", pd.Timestamp("2015-02-03"), "ZZ7 2AB"),
        _csc("P-ZOE", "Zoë", "Ashdown", pd.Timestamp("2014-09-30"), "ZZ3 5GH", "F"),
    ]
    send = [
        _sen2("S-TWIN-A", "Noah", "Quillfeather"),  # twin A: in SEND only
        _sen2("S-OLLIE", "Ollie", "Brackenbury", pd.Timestamp("2015-02-03"), "ZZ7 9XY"),
        _sen2("S-ZOE", "ZOE", "ASHDOWN", pd.Timestamp("2014-09-30"), "ZZ3 5GH", "F"),
    ]
    ssd = pd.concat([t["ssd_person"], pd.DataFrame(csc)], ignore_index=True)
    sen2 = pd.concat([t["sen2_person"], pd.DataFrame(send)], ignore_index=True)
    return passes.link(ssd, sen2)


def _pairs(crosswalk: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(crosswalk["pers_person_id"], crosswalk["person_table_id"]))


def test_twins_are_not_linked_to_each_other(planted):
    assert not {p for p in _pairs(planted.crosswalk) if "TWIN" in p[0] or "TWIN" in p[1]}
    pair = planted.scored[(planted.scored["pers_person_id"] == "P-TWIN-B")]
    pair = pair[pair["person_table_id"] == "S-TWIN-A"]
    # the model alone would link them: the guard is what keeps them apart
    assert pair["match_probability"].item() >= 0.9 and pair["twin_guard"].item()


def test_a_nickname_links(planted):
    links = planted.crosswalk.set_index("pers_person_id")
    assert links.loc["P-OLIVER", "person_table_id"] == "S-OLLIE"
    assert links.loc["P-OLIVER", "method"] == "probabilistic"


def test_an_accent_costs_nothing(planted):
    links = planted.crosswalk.set_index("pers_person_id")
    assert links.loc["P-ZOE", "person_table_id"] == "S-ZOE"
    assert links.loc["P-ZOE", "method"] == "name and birth date"


def test_one_to_one_resolution_is_not_greedy():
    """A–X 0.99, B–X 0.98, B–Y 0.97: once A takes X, Y is B's best remaining match and B–Y must survive."""
    csc = pd.DataFrame([_csc("A", "Amy", "Shaw"), _csc("B", "Ben", "Shaw")])
    send = pd.DataFrame([_sen2("X", "Amy", "Shaw"), _sen2("Y", "Ben", "Shaw")])
    prep = passes._people(csc, send, None)  # noqa: SLF001 - the frames Splink is given
    edges = pd.DataFrame(
        {"pers_person_id": ["A", "B", "B"], "person_table_id": ["X", "X", "Y"], "match_probability": [0.99, 0.98, 0.97]}
    )
    with probabilistic.resolver(prep[0], prep[1], edges) as resolve:
        links = resolve(edges, 0.9)
    assert _pairs(links) == {("A", "X"), ("B", "Y")}
