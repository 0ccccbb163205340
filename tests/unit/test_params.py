from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.params import load_params, params_from_dict
from analysis.paths import EXAMPLE_PARAMS

BASE = {"la_name": "X", "la_code": "931", "study_window": {"start": "2016-04-01", "end": "2026-03-31"}}


def test_example_parameters_load():
    p = load_params(EXAMPLE_PARAMS)
    assert (p.la_name, p.age_threshold, p.edition, p.disclosure_threshold) == ("Synthetic Borough", 5, "public", 10)
    assert p.study_start.isoformat() == "2016-04-01"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"study_window": {"start": "2026-04-01", "end": "2016-03-31"}}, "must be before"),
        (
            {"study_window": {"start": "01/04/2016", "end": "2026-03-31"}},
            "study_window.start: '01/04/2016' is not a date",
        ),
        ({"edition": "draft"}, "edition 'draft' must be one of public, internal"),
        ({"age_threshold": 0}, "age_threshold: '0' must be a whole number from 1 to 17"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"linkage": {"salt": "abc"}}, "'salt' looks like a secret"),
    ],
)
def test_bad_parameters_are_named(change, message, tmp_path):
    path = tmp_path / "p.yml"
    import yaml

    path.write_text(yaml.safe_dump({**BASE, **change}))
    with pytest.raises(UserError, match=message) as info:
        load_params(path)
    assert str(path) in str(info.value)


def test_missing_required_key():
    with pytest.raises(UserError, match="required key 'la_code'"):
        params_from_dict({"la_name": "X", "study_window": BASE["study_window"]})


def test_missing_file():
    with pytest.raises(UserError, match="not found"):
        load_params(Path("nowhere.yml"))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"disclosure": {"threshold": 3}}, "too low for a public edition"),
        ({"disclosure": "yes"}, "'disclosure' must be a mapping"),
        ({"la_code": "=1+1"}, "la_code '=1[+]1' must be a three-digit DfE code"),
        ({"la_code": "E1000002"}, "must be a three-digit DfE code"),
        ({"linkage": {"spark_master": "spark://admin:secret@host:7077"}}, "without user names or passwords"),
        ({"linkage": {"spark_master": "local[*]; rm -rf /"}}, "linkage.spark_master is"),
    ],
)
def test_careless_or_hostile_parameters_are_refused(change, message):
    with pytest.raises(UserError, match=message):
        params_from_dict({**BASE, **change})


def test_the_internal_edition_may_use_a_low_threshold_and_a_gss_code():
    p = params_from_dict({**BASE, "la_code": "E10000024", "edition": "internal", "disclosure": {"threshold": 2}})
    assert (p.la_code, p.disclosure_threshold) == ("E10000024", 2)


@pytest.mark.parametrize(
    "master", ["local[*]", "local[4]", "existing", "yarn", "spark://spark-master:7077", "k8s://https://api:6443"]
)
def test_spark_can_be_pointed_at_a_cluster(master):
    assert params_from_dict({**BASE, "linkage": {"backend": "spark", "spark_master": master}}).spark_master == master
