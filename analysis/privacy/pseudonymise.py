"""Keyed hashing of person identifiers, so that nothing downstream of linkage holds a real identifier.

The key comes from the environment (ADVERSITY_REPORT_KEY) or a key file outside the repository
(ADVERSITY_REPORT_KEY_FILE). The internal edition refuses to run without one; the public edition uses a fresh
random key for each run when none is given, so its pseudonyms cannot be joined across runs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.errors import UserError

ENV_KEY, ENV_KEY_FILE = "ADVERSITY_REPORT_KEY", "ADVERSITY_REPORT_KEY_FILE"


def load_key(edition: str) -> bytes:
    """The hashing key for this run."""
    if os.environ.get(ENV_KEY):
        return os.environ[ENV_KEY].encode()
    if os.environ.get(ENV_KEY_FILE):
        path = Path(os.environ[ENV_KEY_FILE])
        if not path.is_file():
            raise UserError(f"{ENV_KEY_FILE} points at {path}, which does not exist.")
        if paths.REPO in path.resolve().parents:
            raise UserError(f"The key file {path} is inside the repository; keep it outside so it is never committed.")
        return path.read_bytes().strip()
    if edition == "internal":
        raise UserError(f"The internal edition needs a hashing key: set {ENV_KEY} or {ENV_KEY_FILE}.")
    return secrets.token_bytes(32)


def pseudonym(values: pd.Series, key: bytes, prefix: str) -> pd.Series:
    """HMAC-SHA256 of each identifier, shortened to 16 hex characters, with a prefix naming its source."""
    return values.map(
        lambda v: None if pd.isna(v) else prefix + hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:16]
    ).astype("string")
