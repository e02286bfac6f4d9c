"""WeChat message-push signatures and safe-mode (安全模式) AES encryption, written on `cryptography`."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK_SIZE = 32  # WeChat pads with PKCS#7 to a multiple of 32 bytes, not AES's 16.
RANDOM_PREFIX_LEN = 16


class WeChatCryptoError(Exception):
    """Base class of every signature or decryption failure."""


class InvalidSignatureError(WeChatCryptoError):
    """The signature does not match the token and the request parameters."""


class DecryptError(WeChatCryptoError):
    """The ciphertext cannot be decrypted with any configured key."""


class AppIdMismatchError(DecryptError):
    """The decrypted message belongs to another AppID."""


def sign(*parts: str) -> str:
    """Return WeChat's signature: sha1 over the parts sorted and concatenated."""
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode("utf-8")).hexdigest()


def check_signature(signature: Optional[str], *parts: Optional[str]) -> bool:
    """Return True when `signature` equals `sign(*parts)` (constant-time; missing values fail)."""
    if not signature or any(p is None or p == "" for p in parts):
        return False
    expected = sign(*(str(p) for p in parts))
    return hmac.compare_digest(expected, signature.strip().lower())


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """Turn a 43-character EncodingAESKey into the 32-byte AES key."""
    key_text = (encoding_aes_key or "").strip()
    if len(key_text) != 43:
        raise ValueError("EncodingAESKey must be 43 characters long")
    try:
        key = base64.b64decode(key_text + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("EncodingAESKey is not valid base64") from exc
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


def pkcs7_pad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """Pad `data` with PKCS#7 to a multiple of `block_size`."""
    amount = block_size - (len(data) % block_size)
    return data + bytes([amount]) * amount


def pkcs7_unpad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """Remove PKCS#7 padding, raising DecryptError when it is malformed."""
    if not data or len(data) % 16:
        raise DecryptError("bad ciphertext length")
    amount = data[-1]
    if amount < 1 or amount > block_size or amount > len(data):
        raise DecryptError("bad padding")
    if data[-amount:] != bytes([amount]) * amount:
        raise DecryptError("bad padding")
    return data[:-amount]


def _cipher(key: bytes) -> Cipher:
    """Return the AES-256-CBC cipher WeChat uses (IV = first 16 bytes of the key)."""
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(message: str, key: bytes, appid: str, random_prefix: Optional[bytes] = None) -> str:
    """Encrypt `message` for `appid` and return the base64 `Encrypt` value."""
    prefix = random_prefix if random_prefix is not None else os.urandom(RANDOM_PREFIX_LEN)
    if len(prefix) != RANDOM_PREFIX_LEN:
        raise ValueError("random prefix must be 16 bytes")
    body = message.encode("utf-8")
    plain = prefix + struct.pack(">I", len(body)) + body + appid.encode("utf-8")
    encryptor = _cipher(key).encryptor()
    cipher_bytes = encryptor.update(pkcs7_pad(plain)) + encryptor.finalize()
    return base64.b64encode(cipher_bytes).decode("ascii")


def decrypt(encrypted: str, key: bytes, appid: Optional[str]) -> str:
    """Decrypt a base64 `Encrypt` value; check the trailing AppID when `appid` is given."""
    try:
        cipher_bytes = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise DecryptError("ciphertext is not base64") from exc
    if not cipher_bytes or len(cipher_bytes) % 16:
        raise DecryptError("bad ciphertext length")
    decryptor = _cipher(key).decryptor()
    plain = pkcs7_unpad(decryptor.update(cipher_bytes) + decryptor.finalize())
    if len(plain) < RANDOM_PREFIX_LEN + 4:
        raise DecryptError("plaintext too short")
    (length,) = struct.unpack(">I", plain[RANDOM_PREFIX_LEN : RANDOM_PREFIX_LEN + 4])
    start = RANDOM_PREFIX_LEN + 4
    if start + length > len(plain):
        raise DecryptError("bad message length")
    body = plain[start : start + length]
    from_appid = plain[start + length :]
    if appid and not hmac.compare_digest(from_appid, appid.encode("utf-8")):
        raise AppIdMismatchError("message is for another AppID")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecryptError("message is not UTF-8") from exc


@dataclass(frozen=True)
class EncryptedReply:
    """The four fields of an encrypted passive reply."""

    encrypt: str
    msg_signature: str
    timestamp: str
    nonce: str


class MessageCrypto:
    """Safe-mode helper bound to a token, the AppID and the current (and previous) EncodingAESKey."""

    def __init__(self, token: str, encoding_aes_keys: Sequence[str], appid: str) -> None:
        """Decode the keys (current first); empty keys are skipped."""
        self.token = token
        self.appid = appid
        self.keys: List[bytes] = [decode_aes_key(k) for k in encoding_aes_keys if k and k.strip()]
        if not self.keys:
            raise ValueError("at least one EncodingAESKey is required")

    def check_msg_signature(self, msg_signature: Optional[str], timestamp: str, nonce: str, encrypted: str) -> None:
        """Raise InvalidSignatureError unless msg_signature signs token, timestamp, nonce and Encrypt."""
        if not check_signature(msg_signature, self.token, timestamp, nonce, encrypted):
            raise InvalidSignatureError("msg_signature mismatch")

    def decrypt_message(
        self, encrypted: str, msg_signature: Optional[str], timestamp: str, nonce: str
    ) -> Tuple[str, int]:
        """Check the signature, then decrypt with the current key or, failing that, the previous one.

        Returns the plaintext and the index of the key that worked.
        """
        self.check_msg_signature(msg_signature, timestamp, nonce, encrypted)
        last_error: Optional[DecryptError] = None
        for index, key in enumerate(self.keys):
            try:
                return decrypt(encrypted, key, self.appid), index
            except DecryptError as exc:
                last_error = exc
        raise last_error or DecryptError("no key")

    def encrypt_message(
        self,
        message: str,
        timestamp: str,
        nonce: str,
        key_index: int = 0,
        random_prefix: Optional[bytes] = None,
    ) -> EncryptedReply:
        """Encrypt a reply and sign it."""
        encrypted = encrypt(message, self.keys[key_index], self.appid, random_prefix)
        return EncryptedReply(
            encrypt=encrypted,
            msg_signature=sign(self.token, str(timestamp), str(nonce), encrypted),
            timestamp=str(timestamp),
            nonce=str(nonce),
        )
