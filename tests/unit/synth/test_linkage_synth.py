"""`synth --linkage hard`: every linkage case is in the truth with the property it claims, the extract still
validates, the truths other back tests use still hold, and the plain path is untouched."""

import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from analysis import cli
from analysis.contract import schema
from analysis.ingest.source import check_extract
from analysis.synth import hard, headlines, linkage
from analysis.synth import la as plain
from analysis.synth.write import write

CHILDREN, YEARS, SEED = 3000, 10, 5


@pytest.fixture(scope="module")
def authorities():
    """A plain and a hard authority of 3,000 children, each as generated and hardened."""
    out = {}
    for name, gen in (("plain", plain), ("hard", hard)):
        la = gen.generate(CHILDREN, YEARS, SEED)
        out[name] = (la, linkage.harden(la, SEED))
    return out


def _digest(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    return {
        k: hashlib.sha256(pd.util.hash_pandas_object(v).to_numpy().tobytes()).hexdigest() for k, v in tables.items()
    }


def _files(folder) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.*")}


def _people(h) -> tuple[pd.DataFrame, pd.DataFrame]:
    return h.tables["ssd_person"].set_index("pers_person_id"), h.tables["sen2_person"].set_index("person_table_id")


def _cases(h, case: str) -> pd.DataFrame:
    cases = h.truth["linkage_cases"]
    return cases[cases["case"] == case]


def _pairs(h, case: str) -> pd.DataFrame:
    """A case's rows naming both records, with the two records side by side (CSC columns pers_*)."""
    ssd, sen2 = _people(h)
    rows = _cases(h, case).dropna(subset=["pers_person_id", "person_table_id"])
    return rows.join(ssd, on="pers_person_id").join(sen2, on="person_table_id")


def _true_dob(h) -> pd.Series:
    population = h.tables.get("population", h.truth.get("population"))
    return population.dropna(subset=["person_table_id"]).set_index("person_table_id")["birth_date"]


@pytest.mark.parametrize("scenario", ["plain", "hard"])
def test_every_case_is_in_the_truth(authorities, scenario):
    cases = authorities[scenario][1].truth["linkage_cases"]
    assert list(cases.columns) == ["pers_person_id", "person_table_id", "case"]
    assert set(cases["case"]) == set(linkage.CASES)
    assert not cases.duplicated().any()


@pytest.mark.parametrize("scenario", ["plain", "hard"])
def test_twins_look_alike_but_are_not_a_match(authorities, scenario):
    """Each pair of one sibling's CSC record and another's SEN2 record shares surname, birth date and postcode and
    differs in forename, is no true pair, and the sets come in all three patterns."""
    h = authorities[scenario][1]
    twins = _pairs(h, "twin_pair_not_a_match")
    assert (twins["pers_surname"] == twins["surname"]).all()
    assert (twins["pers_dob"] == twins["person_birth_date"]).all()
    assert (twins["pers_postcode"] == twins["postcode"]).all()
    assert (twins["pers_forename"].str.upper() != twins["forename"].str.upper()).all()
    links = h.truth["person_links"]
    true = set(zip(links["pers_person_id"], links["person_table_id"]))
    assert not true & set(zip(twins["pers_person_id"], twins["person_table_id"]))
    b_on_sen2 = twins["pers_person_id"].isin(links["pers_person_id"])
    a_on_csc = twins["person_table_id"].isin(links["person_table_id"])
    assert (~b_on_sen2 & ~a_on_csc).any()  # (a): twin A in SEN2 only, twin B in CSC only
    assert (~b_on_sen2 & a_on_csc).any()  # (b): both in CSC, A also in SEN2
    assert (b_on_sen2 & a_on_csc).any()  # (c): both in both
    assert (twins["pers_sex"] == twins["sex"]).mean() > 0.4  # mostly the same sex
    assert twins["person_table_id"].value_counts().max() >= 2  # a triplet: A's SEN2 record and two CSC siblings


def test_twins_of_the_hard_scenario_join_its_multiple_births(authorities):
    la, h = authorities["hard"]
    before, after = la.truth["multiple_births"], h.truth["multiple_births"]
    assert after.iloc[: len(before)].equals(before) and len(after) > len(before)
    twins = _cases(h, "twin_pair_not_a_match")
    known = set(after["pers_person_id"]) | set(after["person_table_id"])
    assert twins["pers_person_id"].isin(known).all() and twins["person_table_id"].isin(known).all()


@pytest.mark.parametrize("scenario", ["plain", "hard"])
def test_name_cases_have_their_property(authorities, scenario):
    h = authorities[scenario][1]
    nick = _pairs(h, "nickname")
    assert len(nick) and all(s in linkage.variants(c) for c, s in zip(nick["pers_forename"], nick["forename"]))
    accent = _pairs(h, "accent")
    assert len(accent)
    for a, b in zip(accent["pers_forename"], accent["forename"]):
        plain_side, written = (a, b) if a.isascii() else (b, a)
        assert plain_side.isascii() and not written.isascii() and linkage.strip_accents(written) == plain_side
    double = _pairs(h, "double_barrelled")
    assert len(double)
    for a, b in zip(double["pers_surname"], double["surname"]):
        full, part = (a, b) if len(a) > len(b) else (b, a)
        assert part in re.split("[- ]", full) and len(re.split("[- ]", full)) == 2
    changed = _pairs(h, "surname_change")
    assert len(changed) and (changed["pers_surname"] != changed["surname"]).all()
    common = _pairs(h, "common_name")
    names = linkage.COMMONEST
    assert len(common) and common["pers_surname"].isin(names["surname"]).all()
    assert (common["pers_forename"] == common["forename"]).all() and (common["pers_surname"] == common["surname"]).all()
    assert common["forename"].isin(names["F"] + names["M"]).all()


def test_accented_names_exist_on_both_sides_beyond_the_stripped_ones(authorities):
    h = authorities["plain"][1]
    ssd, sen2 = _people(h)
    assert (~ssd["pers_forename"].map(str.isascii)).sum() > len(_cases(h, "accent"))
    assert (~sen2["forename"].map(str.isascii)).any()


def test_surname_changes_follow_separation_and_domestic_abuse(authorities):
    """Pairs whose family had separation or domestic abuse are renamed far more often than the rest."""
    for scenario in ("plain", "hard"):
        h = authorities[scenario][1]
        on = h.truth["adversity_onset"]
        hit = on["domain"].isin(["parental_separation", "domestic_abuse"]) & (on["onset_date"] <= "2026-03-31")
        links = h.truth["person_links"]
        exposed = links["pers_person_id"].isin(on.loc[hit, "pers_person_id"])
        changed = links["pers_person_id"].isin(_cases(h, "surname_change")["pers_person_id"])
        with_, without = changed[exposed].mean(), changed[~exposed].mean()
        assert with_ > without + 0.15 and without < 0.1, (scenario, with_, without)


@pytest.mark.parametrize("scenario", ["plain", "hard"])
def test_birth_date_errors_on_the_send_side(authorities, scenario):
    h = authorities[scenario][1]
    _, sen2 = _people(h)
    true = _true_dob(h)
    swap = _cases(h, "dob_swap")["person_table_id"]
    given, born = sen2.loc[swap, "person_birth_date"], true.loc[swap]
    assert len(swap) and (given != born).all()
    assert ((given.dt.day == born.dt.month) & (given.dt.month == born.dt.day)).all()
    typo = _cases(h, "dob_typo")["person_table_id"]
    assert len(typo)
    for a, b in zip(sen2.loc[typo, "person_birth_date"], true.loc[typo]):
        assert sum(x != y for x, y in zip(f"{a:%Y%m%d}", f"{b:%Y%m%d}")) == 1
    wrong = (sen2["person_birth_date"] != true.reindex(sen2.index)).mean()
    assert wrong < 0.05


@pytest.mark.parametrize("scenario", ["plain", "hard"])
def test_moves_and_missing_upns(authorities, scenario):
    h = authorities[scenario][1]
    links = h.truth["person_links"]
    moved = _pairs(h, "moved")
    assert (moved["pers_postcode"] != moved["postcode"]).all()
    assert 0.15 <= len(moved) / len(links) <= 0.3
    pairs = links.join(_people(h)[0], on="pers_person_id").join(_people(h)[1], on="person_table_id")
    no_upn = pairs["pers_upn"].isna() | pairs["upn"].isna()
    assert set(pairs.loc[no_upn, "pers_person_id"]) == set(_cases(h, "no_upn")["pers_person_id"])


def test_upns_missing_before_school_age_and_for_a_share_of_older_children(authorities):
    """Children first known before school age mostly lack a UPN (the generator's rule, kept); a quarter of those
    first known at school age lack one too, on each side independently."""
    h = authorities["plain"][1]
    ssd, sen2 = _people(h)
    requests = h.tables["sen2_requests"].groupby("person_table_id")["received_date"].min()
    age = headlines.age_on(_days(_true_dob(h).loc[sen2.index]), _days(requests.loc[sen2.index]))
    assert sen2.loc[age < 4, "upn"].isna().all()
    assert 0.2 <= sen2.loc[age >= 4, "upn"].isna().mean() <= 0.3
    first = h.tables["ssd_contacts"].groupby("cont_person_id")["cont_contact_date"].min().reindex(ssd.index)
    population = h.tables["population"].dropna(subset=["pers_person_id"]).set_index("pers_person_id")["birth_date"]
    age = headlines.age_on(_days(population.loc[ssd.index]), _days(first))
    assert ssd.loc[age < 5, "pers_upn"].isna().mean() > 0.8
    assert 0.2 <= ssd.loc[age >= 5, "pers_upn"].isna().mean() <= 0.3


def _days(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")


def test_the_crosswalk_loses_its_send_ids_and_the_blanked_upns(tmp_path):
    """An authority whose crosswalk held every SEND person id and UPN keeps neither where real ones would not; its
    other identifiers stay, and the extract still validates."""
    la = plain.generate(CHILDREN, YEARS, SEED)
    links, ssd = la.truth["person_links"], la.tables["ssd_person"]
    with_upn = ssd.dropna(subset=["pers_upn"])
    rows = [
        (links["pers_person_id"], linkage.SEND_PERSON_ID, links["person_table_id"]),
        (with_upn["pers_person_id"], linkage.UPN_TYPE, with_upn["pers_upn"]),
        (ssd["pers_person_id"].iloc[:50], "NHS Number", pd.Series([f"{9000000000 + i}" for i in range(50)])),
    ]
    crosswalk = pd.concat(
        [
            pd.DataFrame(
                {"link_person_id": p.to_numpy(), "link_identifier_type": t, "link_identifier_value": v.to_numpy()}
            )
            for p, t, v in rows
        ],
        ignore_index=True,
    )
    crosswalk.insert(0, "link_table_id", [f"K{i:07d}" for i in range(len(crosswalk))])
    crosswalk = crosswalk.assign(link_valid_from_date=pd.NaT, link_valid_to_date=pd.NaT)
    la.tables["ssd_linked_identifiers"] = crosswalk[schema.TABLE["ssd_linked_identifiers"].column_names]
    h = linkage.harden(la, SEED)
    kept = h.tables["ssd_linked_identifiers"]
    assert not (kept["link_identifier_type"] == linkage.SEND_PERSON_ID).any()
    assert (kept["link_identifier_type"] == "NHS Number").sum() == 50
    upn_rows = kept[kept["link_identifier_type"] == linkage.UPN_TYPE]
    still = h.tables["ssd_person"].dropna(subset=["pers_upn"])["pers_person_id"]
    assert set(upn_rows["link_person_id"]) == set(still)
    write(h, tmp_path)
    result = check_extract(tmp_path / "extract", pd.Timestamp(h.extract_date))
    assert result.problems.empty, result.problems.head().to_string()


@pytest.mark.parametrize("scenario", ["plain", "hard"])
def test_the_hardened_extract_validates(authorities, scenario, tmp_path):
    h = authorities[scenario][1]
    write(h, tmp_path)
    earliest = h.params.get("earliest_birth")
    result = check_extract(
        tmp_path / "extract", pd.Timestamp(h.extract_date), earliest_birth=pd.Timestamp(earliest) if earliest else None
    )
    assert result.problems.empty, result.problems.head().to_string()
    assert (tmp_path / "truth" / "linkage_cases.csv").exists()


@pytest.mark.parametrize("scenario", ["plain", "hard"])
def test_links_and_birth_dates_stay_true(authorities, scenario):
    """No id changes and the true pairs are the same; social care birth dates are the population's (twins' too),
    and the ages in person_links follow moved birth dates."""
    la, h = authorities[scenario]
    before, after = la.truth["person_links"], h.truth["person_links"]
    assert before[["pers_person_id", "person_table_id"]].equals(after[["pers_person_id", "person_table_id"]])
    for name in ("ssd_person", "sen2_person"):
        key = schema.TABLE[name].key
        assert h.tables[name][key].equals(la.tables[name][key])
    population = h.tables.get("population", h.truth.get("population")).dropna(subset=["pers_person_id"])
    ssd = h.tables["ssd_person"].set_index("pers_person_id")
    assert (ssd.loc[population["pers_person_id"], "pers_dob"].to_numpy() == population["birth_date"].to_numpy()).all()
    moved = (
        population["birth_date"].to_numpy()
        != la.tables.get("population", la.truth.get("population")).loc[population.index, "birth_date"].to_numpy()
    )
    assert moved.any()  # some twins' birth dates moved
    shift = after["age_first_known_to_csc"] - before["age_first_known_to_csc"]
    assert (shift.abs() < 1).all()


def test_moved_birth_dates_leave_the_headline_truths_as_they_were(authorities):
    """Recompute the plain authority's truths from the generator's own steps with the twins' new birth dates: the
    headlines and measures harden kept are still right."""
    la, h = authorities["plain"]
    rng = np.random.default_rng(SEED)  # the steps of plain.generate, in its order
    pop = plain._population(rng, CHILDREN, YEARS, plain.DEFAULT_EXTRACT_DATE)
    adv = plain._adversity(rng, pop)
    care = plain._social_care(rng, pop, adv)
    send = plain._send(rng, pop, adv)
    sen2_person, ssd_person = plain._identifiers(rng, pop, care.contacts, send.requests)
    review = plain._case_review(rng, pop, adv, care.contacts, send.requests)
    assert ssd_person[schema.TABLE["ssd_person"].column_names].equals(la.tables["ssd_person"])  # the same steps
    new = h.tables["population"]["birth_date"].to_numpy().astype("datetime64[D]")
    assert (new != pop.dob).any()
    pop.dob = new
    tables = dict(h.tables)
    _, measures = plain._truth(pop, adv, care, send.requests, review)
    knowledge = plain._knowledge(pop, care, send.requests, tables, np.maximum(pop.dob, pop.start), pop.start)
    assert headlines.headlines(knowledge) == h.headlines == la.headlines
    assert measures == h.truth_measures == la.truth_measures


def test_plain_generation_is_untouched_and_harden_leaves_its_input(authorities):
    la, _ = authorities["plain"]
    fresh = plain.generate(CHILDREN, YEARS, SEED)
    assert _digest(la.tables) == _digest(fresh.tables) and _digest(la.truth) == _digest(fresh.truth)
    assert la.headlines == fresh.headlines and la.truth_measures == fresh.truth_measures


def test_same_seed_same_bytes(tmp_path):
    la = plain.generate(2000, YEARS, 3)
    for where, seed in (("a", 3), ("b", 3), ("c", 4)):
        write(linkage.harden(la, seed), tmp_path / where)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a") != _files(tmp_path / "c")


def test_the_cli_hardens_on_request_and_leaves_plain_output_alone(tmp_path, capsys):
    args = ["synth", "--children", "1000", "--years", "10", "--seed", "2"]
    assert cli.main([*args, "--linkage", "hard", "--scenario", "plain", "--out", str(tmp_path / "h")]) == 0
    cases = pd.read_csv(tmp_path / "h" / "truth" / "linkage_cases.csv", dtype=str)
    assert list(cases.columns) == ["pers_person_id", "person_table_id", "case"] and len(cases)
    assert cli.main([*args, "--out", str(tmp_path / "p")]) == 0
    assert cli.main([*args, "--linkage", "plain", "--out", str(tmp_path / "q")]) == 0
    write(plain.generate(1000, 10, 2), tmp_path / "w")
    assert _files(tmp_path / "p") == _files(tmp_path / "q") == _files(tmp_path / "w")
    assert not (tmp_path / "p" / "truth" / "linkage_cases.csv").exists()
    assert cli.main([*args, "--linkage", "hard", "--format", "xml", "--out", str(tmp_path / "x")]) != 0
    assert "--linkage hard" in capsys.readouterr().err and not (tmp_path / "x").exists()
    assert cli.main(["validate", str(tmp_path / "h" / "extract"), "--report", str(tmp_path / "r.csv")]) == 0


def test_names_keep_the_style_they_replace():
    assert "Ollie" in linkage.variants("Oliver") and "Mohammed" in linkage.variants("Muhammad")
    assert "Catherine" in linkage.variants("Katherine")
    assert linkage._styled("Ollie", "OLIVER") == "OLLIE" and linkage._styled("Ollie", "oliver") == "ollie"
    assert [linkage.strip_accents(n) for n in ("Zoë", "Łukasz", "Søren", "Siân")] == ["Zoe", "Lukasz", "Soren", "Sian"]
