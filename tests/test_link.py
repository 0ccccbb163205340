import pandas as pd

from analysis import link
from analysis.pipeline import check_extract


def test_deterministic_linkage_against_truth(la_dir):
    t = check_extract(la_dir / "extract").tables
    result = link.link(t["ssd_person"], t["sen2_person"])
    truth = pd.read_csv(la_dir / "truth" / "person_links.csv", dtype=str)
    pairs = set(map(tuple, result.crosswalk[["pers_person_id", "person_table_id"]].to_numpy()))
    true_pairs = set(map(tuple, truth[["pers_person_id", "person_table_id"]].to_numpy()))
    precision = len(pairs & true_pairs) / len(pairs)
    recall = len(pairs & true_pairs) / len(true_pairs)
    # exact passes alone miss typing errors, nicknames and transposed birth dates in the synthetic noise;
    # the probabilistic pass (issue 5) is what must lift recall to 0.95
    assert precision >= 0.98 and recall >= 0.9, (precision, recall)
    # one SEND person is never linked twice, and every link says how it was made
    assert result.crosswalk["person_table_id"].is_unique and result.crosswalk["pers_person_id"].is_unique
    assert set(result.crosswalk["method"]) == {"UPN", "name and birth date"}


def test_ambiguous_name_matches_are_not_linked():
    dob = pd.Timestamp("2015-01-01")
    csc = pd.DataFrame({"pers_person_id": ["P1", "P2"], "pers_upn": [None, None], "pers_forename": ["Amy", "Amy"],
                        "pers_surname": ["Shaw", "Shaw"], "pers_dob": [dob, dob]})
    send = pd.DataFrame({"person_table_id": ["S1"], "upn": [None], "forename": ["AMY"], "surname": ["shaw"],
                         "person_birth_date": [dob]})
    assert link.link(csc, send).crosswalk.empty
    one = link.link(csc.iloc[[0]], send).crosswalk
    assert one[["pers_person_id", "person_table_id", "method"]].values.tolist() == [["P1", "S1", "name and birth date"]]
