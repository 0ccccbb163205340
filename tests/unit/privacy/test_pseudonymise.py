import hashlib
import hmac

import pandas as pd
import pytest

from analysis.errors import UserError
from analysis.privacy import pseudonymise


def test_internal_edition_needs_a_key(monkeypatch):
    monkeypatch.delenv(pseudonymise.ENV_KEY, raising=False)
    monkeypatch.delenv(pseudonymise.ENV_KEY_FILE, raising=False)
    with pytest.raises(UserError, match="internal edition needs a hashing key"):
        pseudonymise.load_key("internal")
    a, b = pseudonymise.load_key("public"), pseudonymise.load_key("public")
    assert len(a) == 32 and a != b  # a fresh random key for each public run


def test_key_from_environment_and_file(monkeypatch, tmp_path):
    monkeypatch.setenv(pseudonymise.ENV_KEY, "s3cret")
    assert pseudonymise.load_key("internal") == b"s3cret"
    monkeypatch.delenv(pseudonymise.ENV_KEY)
    key_file = tmp_path / "report.key"
    key_file.write_text("from-file\n")
    monkeypatch.setenv(pseudonymise.ENV_KEY_FILE, str(key_file))
    assert pseudonymise.load_key("internal") == b"from-file"


def test_key_file_inside_the_repository_is_refused(monkeypatch):
    from analysis.paths import REPO

    inside = REPO / "analysis" / "__init__.py"
    monkeypatch.delenv(pseudonymise.ENV_KEY, raising=False)
    monkeypatch.setenv(pseudonymise.ENV_KEY_FILE, str(inside))
    with pytest.raises(UserError, match="inside the repository"):
        pseudonymise.load_key("internal")


def test_pseudonym_is_a_keyed_hmac():
    out = pseudonymise.pseudonym(pd.Series(["S0000001", None]), b"k", "c_")
    assert out.iloc[0] == "c_" + hmac.new(b"k", b"S0000001", hashlib.sha256).hexdigest()[:16]
    assert pd.isna(out.iloc[1])
    assert pseudonymise.pseudonym(pd.Series(["S0000001"]), b"other", "c_").iloc[0] != out.iloc[0]
