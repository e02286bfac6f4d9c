"""Personal numbers: HMAC for matching, Fernet for the sealed copy (masks for display: reissue.masking)."""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def id_hmac(id_number: str, key: str) -> str:
    """HMAC-SHA256 (hex) of a normalised ID number; equal IDs give equal digests."""
    return hmac.new(key.encode("utf-8"), id_number.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def _fernet(secret: str) -> Fernet:
    """A Fernet instance whose key is derived from `secret` with HKDF-SHA256."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"reissue-backend", info=b"id-seal-v1").derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str, secret: str) -> str:
    """Encrypt `value` for storage (only a future controlled path may open it)."""
    return _fernet(secret).encrypt(value.encode("utf-8")).decode("ascii")


def unseal(token: str, secret: str) -> str:
    """Decrypt a value sealed by `seal` (used by tests and a future agency export only)."""
    return _fernet(secret).decrypt(token.encode("ascii")).decode("utf-8")


def tokens_equal(given: str, expected: str) -> bool:
    """Compare two tokens in constant time (an empty expected token never matches)."""
    if not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
