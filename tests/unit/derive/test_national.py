"""The national context: the authority's published figures beside England's, its region's and its neighbours', and
its place on the funnel, checked against the fixture cut from DfE's published files and against direct calls of
`stats.funnel`."""

from __future__ import annotations

import dataclasses
import json
import shutil
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.derive import assemble, national, study
from analysis.errors import UserError
from analysis.ingest import national as national_files
from analysis.params import params_from_dict
from analysis.privacy import disclosure
from analysis.privacy.scan.run import scan
from analysis.stats import funnel

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "national"
NEIGHBOURS = ("825", "E10000032", "850", "916", "865", "873", "937", "919")  # DfE and GSS codes mixed


@pytest.fixture(scope="module")
def release():
    return national_files.read_release(FIXTURE)


@pytest.fixture(scope="module", params=["931", "E10000025"])
def result(request, release):
    return national.national_context(release, request.param, NEIGHBOURS)


def _published(name: str) -> pd.DataFrame:
    """A fixture file read independently of the reader: as text, the rows without a breakdown."""
    d = pd.read_csv(FIXTURE / name, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    return d[d["breakdown_topic"] == d["breakdown"]]


def test_the_authority_and_england_as_published(result):
    ctx, _ = result
    assert (ctx.la_name, ctx.old_la_code, ctx.new_la_code, ctx.region) == (
        "Oxfordshire",
        "931",
        "E10000025",
        "South East",
    )
    assert ctx.latest_year == 2024
    assert ctx.requests == 1734  # requests_received_in_year, Oxfordshire, 2024, as published
    assert ctx.england_requests == 154489  # England, 2024, as published
    assert ctx.region_requests == 24030
    assert (ctx.plans_year, ctx.plans, ctx.england_plans) == (2025, 7307, 638745)
    assert ctx.timeliness == pytest.approx(370 / 961)
    assert ctx.england_timeliness == pytest.approx(39407 / 84866)
    assert ctx.break_year == 2023 and "2023" in ctx.series_break and "person-level" in ctx.series_break
    assert "Open Government Licence v3.0" in ctx.licence and "Explore Education Statistics" in ctx.source


def test_the_code_is_kept_as_given(release):
    for code in ("931", "E10000025"):
        assert national.national_context(release, code)[0].la_code == code


def test_funnel_flag_is_that_of_stats_funnel(result):
    ctx, tables = result
    t = _published("timeliness_20_week.csv")
    t = t[t["time_period"] == "2024"]
    la = t[t["geographic_level"] == "Local authority"].reset_index(drop=True)
    r = pd.to_numeric(la["plans_issued_20_weeks_ex"], errors="coerce").to_numpy(float)
    n = pd.to_numeric(la["plans_issued_den_ex"], errors="coerce").to_numpy(float)
    ok = np.isfinite(r) & np.isfinite(n) & (n > 0)
    eng = t[t["geographic_level"] == "National"].iloc[0]
    p0 = float(eng["plans_issued_20_weeks_ex"]) / float(eng["plans_issued_den_ex"])
    disp = funnel.overdispersion(r[ok], n[ok], p0)
    method = funnel.choose_method("auto", disp.overdispersed, True, n[ok].max())
    lim = funnel.limits(n[ok], p0, method, tau2=disp.tau2, phi=disp.phi)
    flags = pd.Series(funnel.classify(r[ok] / n[ok], lim), index=la["la_name"][ok].to_numpy(), name="Flag")

    table = tables["national_funnel"]
    assert len(table) == 153 and ctx.funnel_authorities == int(ok.sum()) == 151
    assert sorted(ctx.funnel_not_placed) == ["City of London", "Dorset"]  # every plan with an exception in 2024
    placed = table[table["Flag"].notna()]
    pd.testing.assert_series_equal(placed.set_index("Authority")["Flag"].rename_axis(None), flags, check_dtype=False)
    oxon = la.index[la["old_la_code"] == "931"][0]
    assert (
        ctx.funnel_flag == flags["Oxfordshire"] == funnel.classify([r[oxon] / n[oxon]], lim.iloc[[ok[:oxon].sum()]])[0]
    )
    assert ctx.funnel_position == national.POSITION[ctx.funnel_flag]
    assert ctx.funnel_target == pytest.approx(p0)
    assert table.loc[table["This authority"] == "Yes", "Authority"].tolist() == ["Oxfordshire"]


def test_neighbours_found_and_missing(release):
    ctx, tables = national.national_context(release, "931", ("825", "931", "E10000032", "999", "E06099999"))
    assert ctx.neighbours_found == ["Buckinghamshire", "West Sussex"]  # the authority itself is not its neighbour
    assert ctx.neighbours_missing == ["999", "E06099999"]
    latest = tables["national_latest"]
    assert latest["Area"].tolist() == ["Oxfordshire", "South East", "England", "Buckinghamshire", "West Sussex"]


def test_trend_has_every_year_and_area(result):
    _, tables = result
    trend = tables["national_trend"]
    assert sorted(trend["Year"].unique()) == list(range(2019, 2026))
    assert set(trend["Area type"]) == {"Authority", "Region", "England", "Neighbours"}
    oxon = trend[trend["Area type"] == "Authority"].set_index("Year")
    assert oxon.loc[2024, national.REQ] == 1734 and np.isnan(oxon.loc[2025, national.REQ])
    assert oxon.loc[2025, national.PLANS] == 7307  # January 2025 (academic year 2024/25)
    assert np.isnan(oxon.loc[2019, national.ASSESS])  # published as x before 2022: missing, not zero


def test_a_symbol_is_missing_not_zero_in_averages(release):
    _, tables = national.national_context(release, "931", ("921", "825"))  # Isle of Wight's 2023 requests: x
    trend = tables["national_trend"].set_index(["Year", "Area type"])
    bucks = _published("requests.csv")
    bucks = bucks[(bucks["old_la_code"] == "825") & (bucks["time_period"] == "2023")]
    assert trend.loc[(2023, "Neighbours"), national.REQ] == float(bucks["requests_received_in_year"].iloc[0])


@pytest.mark.parametrize("symbol", ["x", "z", "c"])
def test_the_authority_published_as_a_symbol(tmp_path, symbol):
    folder = tmp_path / "ees"
    shutil.copytree(FIXTURE, folder)
    path = folder / "requests.csv"
    path.write_bytes(path.read_bytes().replace(b",1734,", f",{symbol},".encode(), 1))
    ctx, tables = national.national_context(national_files.read_release(folder), "931")
    assert ctx.requests is None and ctx.england_requests == 154489
    latest = tables["national_latest"].set_index("Area")
    assert latest.loc["Oxfordshire", f"{national.REQ}, 2024"] == symbol  # the symbol, never 0


def test_unknown_authority_is_a_user_error(release):
    with pytest.raises(UserError, match="la_code '999' is not an authority"):
        national.national_context(release, "999")


def test_published_tables_pass_the_disclosure_scan(tmp_path, release):
    _, tables = national.national_context(release, "931", NEIGHBOURS)
    published = national.for_publication(tables, 10)
    f = published["national_funnel"].set_index("Authority")
    assert f.loc["Isle of Wight", national.FUNNEL_R] == disclosure.SUPPRESSED  # 2 within 20 weeks
    assert f.loc["Isle of Wight", national.FUNNEL_P] == disclosure.SUPPRESSED
    assert f.loc["Oxfordshire", national.FUNNEL_R] == 370
    site, out = tmp_path / "html", tmp_path / "tables"
    site.mkdir()
    out.mkdir()
    for name, t in published.items():
        t.to_csv(out / f"{name}.csv", index=False)
    assert scan(site, None, threshold=10, tables_dir=out).empty
    for name, t in tables.items():  # without `for_publication` the gate would refuse the funnel
        t.to_csv(out / f"{name}.csv", index=False)
    assert not scan(site, None, threshold=10, tables_dir=out).empty


def test_context_round_trips_through_the_study(result):
    ctx, _ = result
    hint = typing.get_type_hints(study.Study)["national"]
    back = study._typed(hint, json.loads(json.dumps(study._plain(ctx))))
    assert back == ctx and dataclasses.is_dataclass(back)
    assert "national" in study._INFO


def test_cache_key_follows_the_files(tmp_path):
    folder = tmp_path / "ees"
    shutil.copytree(FIXTURE, folder)
    before = assemble.national_fingerprint(folder)
    assert before == assemble.national_fingerprint(folder) and assemble.national_fingerprint(None) == ""
    path = folder / "requests.csv"
    path.write_bytes(path.read_bytes().replace(b",1734,", b",1735,", 1))
    assert assemble.national_fingerprint(folder) != before


BASE = {"la_name": "Oxfordshire", "la_code": "931", "study_window": {"start": "2016-04-01", "end": "2026-03-31"}}


def test_parameters(tmp_path):
    p = params_from_dict({**BASE, "national_data": str(FIXTURE), "statistical_neighbours": ["825", "E10000032"]})
    assert p.national_data == FIXTURE and p.statistical_neighbours == ("825", "E10000032")
    assert params_from_dict(BASE).national_data is None and params_from_dict(BASE).statistical_neighbours == ()
    assert p.as_public_dict()["statistical_neighbours"] == ["825", "E10000032"]
    with pytest.raises(UserError, match="national_data: the folder .* was not found"):
        params_from_dict({**BASE, "national_data": str(tmp_path / "missing")})
    with pytest.raises(UserError, match="statistical_neighbours: '93' must be"):
        params_from_dict({**BASE, "statistical_neighbours": ["93"]})
    with pytest.raises(UserError, match="statistical_neighbours must be a list"):
        params_from_dict({**BASE, "statistical_neighbours": "825"})
