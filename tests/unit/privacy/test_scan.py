"""The disclosure scan: a clean build of the sample report scans clean; planted identifiers, small counts and
child-level rows are each found on the right page (slow: builds the sample report once)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import UserError
from analysis.params import load_params
from analysis.paths import EXAMPLE_PARAMS, SAMPLE_EXTRACT
from analysis.privacy.scan import count_columns, gate, published_values, refuse_if_unsafe, scan, summarise
from analysis.privacy.scan.site import index_words

# where a build leaves its executed chapters; a planted copy gathers them in OUT/notebooks
EXECUTED = (Path(".work/book_stage/book/chapters"), Path(".cache/chapters"))
NOTEBOOKS = Path("notebooks")
SUMMARY = "../notebooks/summary.ipynb"  # the executed summary chapter, in a planted copy
ALLOW = published_values(load_params(EXAMPLE_PARAMS))  # the study window and the authority, published by design


@pytest.fixture(scope="session")
def built(sample_report) -> Path:
    return sample_report


def _executed(out: Path) -> Path:
    found = next((out / d for d in (NOTEBOOKS, *EXECUTED) if (out / d).is_dir()), None)
    assert found is not None, f"no executed chapters in {out}"
    return found


def _scan(out: Path, **kw) -> pd.DataFrame:
    return scan(out / "html", SAMPLE_EXTRACT, threshold=10, notebooks_dir=_executed(out), allow=ALLOW, **kw)


def _gather_notebooks(out: Path) -> None:
    """The executed chapters into OUT/notebooks, the summary (the first to glue 'known') as summary.ipynb."""
    source = _executed(out)
    dest = out / NOTEBOOKS
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".*"))
    glues = [p for p in sorted(dest.glob("*.ipynb")) if '"name": "known"' in p.read_text()]
    assert glues, "no chapter glues 'known' any more"
    if glues[0].name != "summary.ipynb":
        (dest / "summary.ipynb").unlink(missing_ok=True)
        glues[0].rename(dest / "summary.ipynb")
    for d in EXECUTED:
        shutil.rmtree(out / d, ignore_errors=True)


@pytest.fixture(scope="session")
def clean(built) -> pd.DataFrame:
    return _scan(built)


def test_clean_build_scans_clean(clean):
    assert clean.empty, "the clean sample build has findings:\n" + summarise(clean)


def test_the_study_window_is_a_birth_date_unless_allowed(built):
    """The sample has a child born on the first day of the study window: without `allow` it is (rightly) found."""
    found = scan(built / "html", SAMPLE_EXTRACT, notebooks_dir=_executed(built))
    dates = found[(found["kind"] == "identifier") & found["detail"].str.startswith("birth date")]
    assert "book/chapters/methods.html" in set(dates["page"])


# --- planted problems ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def people() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_EXTRACT / "ssd_person.csv", dtype=str)


@pytest.fixture(scope="session")
def plants(people) -> dict:
    upn = people["pers_upn"].dropna().iloc[0]
    # a child whose forename and surname are too short to be matched alone: only the full-name pass finds them
    short = people[(people["pers_forename"].str.len() < 6) & (people["pers_surname"].str.len() < 6)].iloc[0]
    allowed = set(ALLOW)
    dob = next(d for d in people["pers_dob"] if d not in allowed)
    y, m, d = dob.split("-")
    return {
        "upn": upn,
        "name": f"{short['pers_forename']} {short['pers_surname']}",
        "dob": dob,
        "dob_uk": f"{d}/{m}/{y}",
    }


def _insert_before(path: Path, marker: str, text: str) -> None:
    html = path.read_text()
    assert marker in html, f"{marker} not in {path}"
    i = html.rindex(marker)
    path.write_text(html[:i] + text + html[i:])


@pytest.fixture(scope="session")
def planted(built, plants, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("planted") / "out"
    shutil.copytree(built, out)
    _gather_notebooks(out)
    html = out / "html"
    # (a) a real UPN in a page's text
    _insert_before(html / "book/chapters/cohort.html", "</main>", f"<p>Pupil {plants['upn']} was included.</p>")
    # (b) a real child's full name in an alt attribute
    _insert_before(
        html / "book/chapters/summary.html",
        "</main>",
        f'<img src="_static/photo.png" alt="Photograph of {plants["name"]}"/>',
    )
    # (c) a birth date in UK form in a CSV
    flow = out / "tables/selection_flow.csv"
    flow.write_text(flow.read_text() + f"born {plants['dob_uk']},c\n")
    # (d) a small count in a published table's count column
    t1 = pd.read_csv(out / "tables/table_1.csv", dtype=str, keep_default_na=False)
    row = t1.index[t1["Category"] == "Male"][0]
    t1.loc[row, "Children"] = "3"
    t1.to_csv(out / "tables/table_1.csv", index=False, lineterminator="\n")
    # (e) a glued "3 of 40" in an executed notebook
    nb_path = out / NOTEBOOKS / "summary.ipynb"
    nb = json.loads(nb_path.read_text())
    glued = [
        o
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if o.get("metadata", {}).get("scrapbook", {}).get("name") == "known"
    ]
    assert glued, "the summary chapter no longer glues 'known'"
    glued[0]["data"]["application/papermill.record/text/plain"] = repr("3 of 40 (7.5%; 95% CI 2.6% to 19.9%)")
    nb_path.write_text(json.dumps(nb))
    # (f) a child-level table: one row per child, keyed by pseudonym
    pd.DataFrame(
        {
            "child": ["c_0123456789abcdef", "c_fedcba9876543210", "c_00112233445566aa"],
            "first_adversity_age": [2.5, 4.1, 7.0],
        }
    ).to_csv(out / "tables/children.csv", index=False)
    return out, _scan(out)


def _hits(found: pd.DataFrame, page: str, kind: str) -> pd.DataFrame:
    new = found
    return new[(new["page"] == page) & (new["kind"] == kind)]


def test_planted_upn_in_page_text(planted, plants):
    _, found = planted
    hit = _hits(found, "book/chapters/cohort.html", "identifier")
    assert len(hit) == 1, summarise(found)
    assert "UPN" in hit["detail"].iloc[0] and "page text" in hit["detail"].iloc[0]
    assert hit["value"].iloc[0].startswith(plants["upn"][:2])
    assert "ssd_person.pers_upn" in hit["value"].iloc[0]


def test_planted_full_name_in_alt_text(planted):
    _, found = planted
    hit = _hits(found, "book/chapters/summary.html", "identifier")
    assert len(hit) >= 1, summarise(found)
    assert hit["detail"].str.contains("full name").any()
    assert hit["detail"].str.contains("alt attribute").all()


def test_planted_uk_birth_date_in_csv(planted):
    _, found = planted
    hit = _hits(found, "../tables/selection_flow.csv", "identifier")
    assert len(hit) == 1, summarise(found)
    assert "dd/mm/yyyy" in hit["detail"].iloc[0]
    assert "pers_dob" in hit["value"].iloc[0] or "birth_date" in hit["value"].iloc[0]


def test_planted_small_count_in_table(planted):
    _, found = planted
    hit = _hits(found, "../tables/table_1.csv", "small count")
    assert list(hit["value"]) == ["3"], summarise(found)
    assert "column 'Children'" in hit["detail"].iloc[0] and "Male" in hit["detail"].iloc[0]


def test_planted_glued_small_count(planted):
    _, found = planted
    hit = _hits(found, SUMMARY, "small count")
    assert len(hit) >= 1, summarise(found)
    assert hit["detail"].str.contains("glued value 'known'").all()
    assert hit["detail"].str.contains("N = 3").any()


def test_planted_child_level_table(planted):
    _, found = planted
    hit = _hits(found, "../tables/children.csv", "child-level row")
    assert len(hit) == 1, summarise(found)
    assert "pseudonymised child keys" in hit["detail"].iloc[0]


def test_nothing_else_was_found(planted):
    _, found = planted
    new = found
    expected = {
        ("book/chapters/cohort.html", "identifier"),
        ("book/chapters/summary.html", "identifier"),
        ("../tables/selection_flow.csv", "identifier"),
        ("../tables/table_1.csv", "small count"),
        (SUMMARY, "small count"),
        ("../tables/children.csv", "child-level row"),
    }
    assert set(zip(new["page"], new["kind"])) == expected, summarise(new)


def test_identifiers_are_masked(planted, plants):
    _, found = planted
    text = found.to_string() + summarise(found)
    for value in (plants["upn"], plants["name"], plants["dob_uk"], plants["dob"]):
        assert value not in text


def test_refuse_if_unsafe_names_every_page(planted, plants):
    _, found = planted
    with pytest.raises(UserError) as exc:
        refuse_if_unsafe(found)
    message = str(exc.value)
    for page in (
        "book/chapters/cohort.html",
        "book/chapters/summary.html",
        "../tables/selection_flow.csv",
        "../tables/table_1.csv",
        SUMMARY,
        "../tables/children.csv",
    ):
        assert page in message
    assert plants["upn"] not in message and "nothing was published" in message


def test_refuse_if_unsafe_passes_no_findings():
    refuse_if_unsafe(pd.DataFrame(columns=["page", "kind", "value", "detail"]))


def test_internal_edition_allows_child_level_rows_but_not_identifiers(planted):
    out, _ = planted
    found = _scan(out, edition="internal")
    assert "child-level row" not in set(found["kind"])
    assert {"identifier", "small count"} <= set(found["kind"])


# --- rules on small inputs (no build) --------------------------------------------------------------------------
def _site(tmp_path: Path, files: dict[str, str]) -> Path:
    site = tmp_path / "out" / "html"
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    return site


def test_count_columns_rule():
    assert count_columns(["Characteristic", "Category", "Children", "Percent"], [["Sex", "Male", "c", "c"]]) == [2]
    assert count_columns(
        ["Rank", "Domain", "Children", "Cohort", "Share", "Lower 95%", "Upper 95%"],
        [["1", "Neglect", "11", "148", "0.07", "0.04", "0.12"]],
    ) == [2, 3]
    assert count_columns(["Match weight from", "Pairs"], [["-8", "c"], ["4", "12"]]) == [1]
    assert count_columns(["Year of request", "Children", "Linked"], [["2016", "c", "0"]]) == [1, 2]
    assert count_columns(["file", "sha256", "rows"], [["ssd_person.csv", "0123abcd", "3"]]) == []
    assert count_columns(["Parameter", "Value"], [["age_threshold", "5"], ["la_name", "Borough"]]) == []


def test_postcode_without_space_and_iso_date_but_not_a_build_timestamp(tmp_path):
    people = pd.read_csv(SAMPLE_EXTRACT / "ssd_person.csv", dtype=str).dropna(subset=["pers_postcode"])
    pc, dob = people["pers_postcode"].iloc[0], people["pers_dob"].iloc[1]
    site = _site(
        tmp_path,
        {
            "a.html": f"<p>Lives at {pc.replace(' ', '')}.</p>",
            "b.html": f"<p>Built {dob}T13:42:13+00:00.</p>",
            "c.html": f"<p>Born {dob}.</p>",
        },
    )
    found = scan(site, SAMPLE_EXTRACT)
    assert set(found["page"]) == {"a.html", "c.html"}
    assert found.set_index("page").loc["a.html", "detail"].startswith("postcode")


def test_common_or_authored_single_names_are_not_identifiers(tmp_path):
    # "Wilson" is a sample surname and also the author of the intervals named in the methods chapter
    site = _site(tmp_path, {"a.html": "<p>Wilson 95% confidence intervals.</p>"})
    assert scan(site, SAMPLE_EXTRACT).empty


def test_measures_json(tmp_path):
    site = _site(tmp_path, {"index.html": "<p>Report</p>"})
    measures = {
        "cohort_size": 148,
        "known": {"name": "known", "numerator": 3, "denominator": 148, "suppressed": False},
        "gap": {"name": "gap", "numerator": 140, "denominator": 148, "suppressed": False},
        "fine": {"name": "fine", "numerator": 0, "denominator": 148, "suppressed": False},
        "hidden": {"name": "hidden", "numerator": None, "denominator": None, "suppressed": True},
        "leaky": {"name": "leaky", "numerator": 4, "denominator": 20, "suppressed": True},
    }
    (site.parent / "measures.json").write_text(json.dumps(measures))
    found = scan(site, SAMPLE_EXTRACT)
    assert list(found["page"].unique()) == ["../measures.json"]
    names = " ".join(found["detail"])
    assert "'known'" in names and "'gap'" in names and "'leaky'" in names
    assert "'fine'" not in names and "'hidden'" not in names


def test_html_table_small_count_and_shares_of_suppressed_counts(tmp_path):
    table = (
        "<table><thead><tr><th>Group</th><th>Children</th><th>Any adversity</th><th>Any adversity %</th>"
        "</tr></thead><tbody><tr><td>A</td><td>120</td><td>c</td><td>4.2</td></tr>"
        "<tr><td>B</td><td>5</td><td>0</td><td>0.0</td></tr></tbody></table>"
    )
    found = scan(_site(tmp_path, {"t.html": table}), SAMPLE_EXTRACT)
    assert sorted(found["value"]) == ["4.2", "5"]
    assert found["detail"].str.contains("can be recovered").sum() == 1


# --- the run's own parameters ----------------------------------------------------------------------------------
def test_published_values_are_the_window_and_the_authority():
    params = load_params(EXAMPLE_PARAMS)
    assert published_values(params) == ["2016-04-01", "2026-03-31", params.la_name, params.la_code]


def _as_built_for(built: Path, tmp_path: Path, la_name: str) -> tuple[Path, Path]:
    """A stage and work folder as a build for an authority called `la_name` would leave them for the gate."""
    stage, work = tmp_path / "stage", tmp_path / "work"
    for name in ("html", "tables", "measures.json", "linkage.json", "linkage_model.json"):
        src = (built / name).resolve()
        (shutil.copytree if src.is_dir() else shutil.copy)(src, stage / name)
    shutil.copytree(_executed(built), work / "book_stage" / "book" / "chapters", ignore=shutil.ignore_patterns(".*"))
    for path in [*stage.rglob("*"), *work.rglob("*")]:
        if path.is_file() and path.suffix in (".html", ".js", ".ipynb", ".json", ".csv"):
            path.write_text(path.read_text(encoding="utf-8").replace("Synthetic Borough", la_name), encoding="utf-8")
    return stage, work


def test_an_authority_named_like_a_child_publishes_but_the_childs_full_name_is_refused(built, people, tmp_path):
    """Two sample children are called Walshaw: an authority of that name must still be able to publish."""
    child = people[people["pers_surname"] == "Walshaw"].iloc[0]
    stage, work = _as_built_for(built, tmp_path, "Walshaw")
    params = dataclasses.replace(load_params(EXAMPLE_PARAMS), la_name="Walshaw")
    # without the authority's name among the published values, its every mention is a child's surname
    found = scan(stage / "html", SAMPLE_EXTRACT, notebooks_dir=work / "book_stage/book/chapters", allow=ALLOW)
    assert found["detail"].str.startswith("name as a whole word").any(), summarise(found)
    gate(params, SAMPLE_EXTRACT, "chapters")(stage, work)  # publishes: no findings, no error
    assert not (work / "disclosure_findings.csv").exists()
    _insert_before(stage / "html/book/chapters/summary.html", "</main>", f"<p>{child['pers_forename']} Walshaw</p>")
    with pytest.raises(UserError, match="full name"):
        gate(params, SAMPLE_EXTRACT, "chapters")(stage, work)
    assert (work / "disclosure_findings.csv").is_file()


def test_an_allowed_phrase_is_allowed_only_whole(tmp_path):
    """'Synthetic Borough' allows 'Borough' inside the phrase only; a full name around an allowed word is found."""
    people = pd.read_csv(SAMPLE_EXTRACT / "ssd_person.csv", dtype=str)
    child = people[people["pers_surname"] == "Walshaw"].iloc[0]
    site = _site(
        tmp_path, {"a.html": "<p>Walshaw Council, Walshaw.</p>", "b.html": f"<p>{child['pers_forename']} Walshaw</p>"}
    )
    found = scan(site, SAMPLE_EXTRACT, allow=["Walshaw Council"])
    assert set(found["page"]) == {"a.html", "b.html"}  # "Walshaw." alone is outside the allowed phrase
    found = scan(site, SAMPLE_EXTRACT, allow=["Walshaw"])
    assert list(found["page"]) == ["b.html"] and found["detail"].str.startswith("full name").all()


def test_place_names_of_the_national_release_are_published_by_design(tmp_path):
    """With national data, every authority and region in the release is a place name the book publishes: allowed
    whole, while a child's full name around one is still found."""
    people = pd.read_csv(SAMPLE_EXTRACT / "ssd_person.csv", dtype=str)
    child = people.iloc[0]
    release = tmp_path / "national"
    release.mkdir()
    rows = "time_period,geographic_level,country_code,country_name,region_name,old_la_code,new_la_code,la_name,"
    rows += "requests_received_in_year\n"
    rows += f"2024,Local authority,E92000001,England,South East,931,E10000025,{child['pers_surname']},5\n"
    (release / "requests.csv").write_text(rows)
    params = dataclasses.replace(load_params(EXAMPLE_PARAMS), national_data=release)
    allow = published_values(params)
    assert child["pers_surname"] in allow and "South East" in allow and "England" in allow
    site = _site(
        tmp_path,
        {
            "a.html": f"<p>{child['pers_surname']} is outside the limits.</p>",
            "b.html": f"<p>{child['pers_forename']} {child['pers_surname']}</p>",
        },
    )
    found = scan(site, SAMPLE_EXTRACT, allow=allow)
    assert list(found["page"].unique()) == ["b.html"]


def test_the_search_index_may_hold_the_words_of_an_allowed_phrase_one_by_one(tmp_path):
    """Sphinx's search index splits "Walshaw Council" into words; the page itself still gets the phrase rule."""
    site = _site(tmp_path, {"a.html": "<p>Walshaw Council</p>", "searchindex.js": 'Search.setIndex({"walshaw": 1})'})
    assert scan(site, SAMPLE_EXTRACT, allow=["Walshaw Council"]).empty
    found = scan(site, SAMPLE_EXTRACT, allow=[])
    assert set(found["page"]) == {"a.html", "searchindex.js"}
    assert {"midland", "midlands", "west"} <= index_words((("west", "midlands"),))  # as Sphinx stems them


def test_the_same_file_in_two_places_is_read_once_and_reported_in_both(tmp_path):
    people = pd.read_csv(SAMPLE_EXTRACT / "ssd_person.csv", dtype=str)
    child = people[people["pers_surname"] == "Walshaw"].iloc[0]
    leak = f"<p>{child['pers_forename']} Walshaw</p>"
    site = _site(tmp_path, {"a/page.html": leak, "b/page.html": leak, "c/other.html": leak})
    found = scan(site, SAMPLE_EXTRACT, allow=[])
    assert set(found["page"]) == {"a/page.html", "b/page.html", "c/other.html"}
    assert found.groupby("page").size().nunique() == 1  # each copy carries the same findings
