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


STRONG = "9c1f4e7a2b5d8c0e3f6a9b2c5d8e1f4a7b0c3d6e9f2a5b8c"


def test_key_from_environment_and_file(monkeypatch, tmp_path):
    monkeypatch.setenv(pseudonymise.ENV_KEY, STRONG)
    assert pseudonymise.load_key("internal") == STRONG.encode()
    monkeypatch.delenv(pseudonymise.ENV_KEY)
    key_file = tmp_path / "report.key"
    key_file.write_text(STRONG[::-1] + "\n")
    monkeypatch.setenv(pseudonymise.ENV_KEY_FILE, str(key_file))
    assert pseudonymise.load_key("internal") == STRONG[::-1].encode()


@pytest.mark.parametrize("weak", ["k", "s3cret", "a" * 64, "abababababababababababababababab", "0123456789" * 3])
def test_short_or_uniform_keys_are_refused(monkeypatch, weak):
    monkeypatch.setenv(pseudonymise.ENV_KEY, weak)
    with pytest.raises(UserError, match="too weak"):
        pseudonymise.load_key("internal")


def test_the_fingerprint_changes_with_the_key_and_reveals_nothing(monkeypatch):
    monkeypatch.setenv(pseudonymise.ENV_KEY, STRONG)
    a = pseudonymise.fingerprint(STRONG.encode(), "internal")
    b = pseudonymise.fingerprint(STRONG[::-1].encode(), "internal")
    assert a != b and len(a) == 16 and STRONG[:8] not in a
    monkeypatch.delenv(pseudonymise.ENV_KEY)
    assert pseudonymise.fingerprint(pseudonymise.load_key("public"), "public") == pseudonymise.RANDOM


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
