"""Keyed hashing of person identifiers, so that nothing downstream of linkage holds a real identifier.

The key comes from the environment (ADVERSITY_REPORT_KEY) or a key file outside the repository
(ADVERSITY_REPORT_KEY_FILE). It must be long and varied enough that pseudonyms cannot be reversed by trying every
child's id (MIN_KEY_BYTES bytes and MIN_KEY_BITS bits of estimated entropy: `secrets.token_hex(32)` gives 256).
The internal edition refuses to run without one; the public edition uses a fresh random key for each run when none
is given, so its pseudonyms cannot be joined across runs. A keyed fingerprint of the key is part of the study
cache key, so a cached study is never reused under another key, and a rotated key gives new pseudonyms.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import math
import os
import secrets
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.errors import UserError

ENV_KEY, ENV_KEY_FILE = "ADVERSITY_REPORT_KEY", "ADVERSITY_REPORT_KEY_FILE"
MIN_KEY_BYTES = 32
MIN_KEY_BITS = 128
MAKE_ONE = 'python -c "import secrets; print(secrets.token_hex(32))"'
RANDOM = "random key for this run"  # the fingerprint of a public run's throwaway key


def load_key(edition: str) -> bytes:
    """The hashing key for this run."""
    if os.environ.get(ENV_KEY):
        return check_key(os.environ[ENV_KEY].encode(), ENV_KEY)
    if os.environ.get(ENV_KEY_FILE):
        path = Path(os.environ[ENV_KEY_FILE]).expanduser()
        if not path.is_file():
            raise UserError(f"{ENV_KEY_FILE} points at {path}, which does not exist.")
        if paths.REPO in path.resolve().parents:
            raise UserError(f"The key file {path} is inside the repository; keep it outside so it is never committed.")
        try:
            return check_key(path.read_bytes().strip(), str(path))
        except OSError as exc:
            raise UserError(f"The key file {path} cannot be read ({exc.strerror}).") from None
    if edition == "internal":
        raise UserError(
            f"The internal edition needs a hashing key: set {ENV_KEY} or {ENV_KEY_FILE}. Make one with {MAKE_ONE}."
        )
    return secrets.token_bytes(MIN_KEY_BYTES)


def entropy_bits(key: bytes) -> float:
    """Estimated entropy: the key's length times the Shannon entropy of its byte frequencies.

    >>> entropy_bits(b"a" * 64), round(entropy_bits(bytes(range(32))))
    (0.0, 160)
    """
    counts = collections.Counter(key)
    per_byte = sum(n / len(key) * math.log2(len(key) / n) for n in counts.values()) if key else 0.0
    return len(key) * per_byte


def check_key(key: bytes, source: str) -> bytes:
    """Refuse a key too short or too uniform to keep pseudonyms from being reversed."""
    if len(key) < MIN_KEY_BYTES or entropy_bits(key) < MIN_KEY_BITS:
        raise UserError(
            f"The hashing key from {source} is too weak ({len(key)} bytes, about {entropy_bits(key):.0f} bits): it "
            f"needs at least {MIN_KEY_BYTES} bytes and {MIN_KEY_BITS} bits. Make one with {MAKE_ONE}."
        )
    return key


def fingerprint(key: bytes, edition: str) -> str:
    """A keyed fingerprint of the key (it reveals nothing about the key), for cache keys. A public run without a
    key of its own has a throwaway random key, whose pseudonyms are never published: it shares one fingerprint."""
    if edition == "public" and not (os.environ.get(ENV_KEY) or os.environ.get(ENV_KEY_FILE)):
        return RANDOM
    return hmac.new(key, b"adversity-report key fingerprint", hashlib.sha256).hexdigest()[:16]


def pseudonym(values: pd.Series, key: bytes, prefix: str) -> pd.Series:
    """HMAC-SHA256 of each identifier, shortened to 16 hex characters, with a prefix naming its source."""
    return values.map(
        lambda v: None if pd.isna(v) else prefix + hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:16]
    ).astype("string")
