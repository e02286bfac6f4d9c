"""Sealing personal data at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from a secret setting.

One secret per store, from the environment; each use names its own context, so one key never opens another
store's data. Key rotation: data sealed under the previous secret stays readable while it is given.
"""
from __future__ import annotations

import base64
from functools import lru_cache
from typing import Optional, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "seal", "unseal"]


@lru_cache(maxsize=16)
def _fernet(secret: str, context: bytes, salt: bytes) -> Fernet:
    """A Fernet whose key is derived from `secret` for `context` with HKDF-SHA256."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=context).derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str, secret: str, context: bytes, salt: bytes = b"reissue") -> str:
    """Encrypt `value` for storage under `secret` and `context`."""
    return _fernet(secret, context, salt).encrypt(value.encode("utf-8")).decode("ascii")


def unseal(token: str, secret: str, context: bytes, salt: bytes = b"reissue",
           previous: Optional[Sequence[str]] = None) -> str:
    """Decrypt a sealed value (also one sealed under a `previous` secret); InvalidToken when it was tampered with."""
    keys = [_fernet(secret, context, salt)] + [_fernet(old, context, salt) for old in previous or () if old]
    return MultiFernet(keys).decrypt(token.encode("ascii")).decode("utf-8")
