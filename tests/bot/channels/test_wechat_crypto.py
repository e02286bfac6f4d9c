"""Tests of WeChat signatures and safe-mode crypto against the official vectors."""
from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.wechat_crypto import (
    AppIdMismatchError,
    DecryptError,
    InvalidSignatureError,
    MessageCrypto,
    check_signature,
    decode_aes_key,
    decrypt,
    encrypt,
    pkcs7_pad,
    pkcs7_unpad,
    sign,
)

VEC_TOKEN = "123456"
VEC_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
VEC_APPID = "wx49f0ab532d5d035a"
VEC_TIMESTAMP = "1411525903"
VEC_NONCE = "461056294"
VEC_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6y"
    "dJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/T"
    "ywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5"
    "t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
VEC_MSG_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
VEC_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
VEC_REPLY_ENCRYPT_PREFIX = "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNc"
VEC_REPLY_SIGNATURE = "407518b7649e86ef23978113f92d27afa9296533"


def vector_crypto(*keys: str) -> MessageCrypto:
    """Return the crypto of the wechatpy vectors, with `keys` (default: the vector key)."""
    return MessageCrypto(VEC_TOKEN, list(keys) or [VEC_KEY], VEC_APPID)


def test_url_verification_vector() -> None:
    """The official URL-verification signature matches."""
    assert sign("AAAAA", "1714036504", "1514711492") == "f464b24fc39322e44b38aa78f5edd27bd1441696"
    assert check_signature("f464b24fc39322e44b38aa78f5edd27bd1441696", "AAAAA", "1714036504", "1514711492")


def test_post_signature_vector() -> None:
    """The official plain-mode POST signature matches; order of parts does not matter."""
    assert sign("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"
    assert sign("486452656", "AAAAA", "1714037059") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"


def test_check_signature_refuses_wrong_or_missing_values() -> None:
    """A changed nonce, an empty signature or a missing part fails."""
    good = "899cf89e464efb63f54ddac96b0a0a235f53aa78"
    assert not check_signature(good, "AAAAA", "1714037059", "486452657")
    assert not check_signature("", "AAAAA", "1714037059", "486452656")
    assert not check_signature(None, "AAAAA", "1714037059", "486452656")
    assert not check_signature(good, "AAAAA", "1714037059", None)
    assert check_signature(good.upper(), "AAAAA", "1714037059", "486452656")


def test_decryption_vector() -> None:
    """The wechatpy decryption vector yields Content "test" from "messense", signed correctly."""
    plain, key_index = vector_crypto().decrypt_message(VEC_ENCRYPT, VEC_MSG_SIGNATURE, VEC_TIMESTAMP, VEC_NONCE)
    assert key_index == 0
    assert "<Content><![CDATA[test]]></Content>" in plain
    assert "<FromUserName><![CDATA[messense]]></FromUserName>" in plain
    assert plain.startswith("<xml>") and plain.endswith("</xml>")


def test_encryption_vector_with_fixed_random_prefix() -> None:
    """Encrypting with the fixed prefix reproduces the deterministic MsgSignature and ciphertext."""
    reply = vector_crypto().encrypt_message(VEC_REPLY, VEC_TIMESTAMP, VEC_NONCE, random_prefix=b"1234567890123456")
    assert reply.msg_signature == VEC_REPLY_SIGNATURE
    assert reply.encrypt.startswith(VEC_REPLY_ENCRYPT_PREFIX)
    assert reply.timestamp == VEC_TIMESTAMP and reply.nonce == VEC_NONCE


def test_forged_msg_signature_is_refused() -> None:
    """A wrong msg_signature raises before any decryption."""
    with pytest.raises(InvalidSignatureError):
        vector_crypto().decrypt_message(VEC_ENCRYPT, "0" * 40, VEC_TIMESTAMP, VEC_NONCE)
    with pytest.raises(InvalidSignatureError):
        vector_crypto().decrypt_message(VEC_ENCRYPT, None, VEC_TIMESTAMP, VEC_NONCE)


def test_wrong_appid_is_refused() -> None:
    """A message for another AppID is refused even with the right key."""
    key = decode_aes_key(VEC_KEY)
    with pytest.raises(AppIdMismatchError):
        decrypt(VEC_ENCRYPT, key, "wx_someone_else")


def test_previous_key_is_tried_after_the_current_one() -> None:
    """After a key rotation, a message sealed with the old key still decrypts (index 1)."""
    new_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    crypto = vector_crypto(new_key, VEC_KEY)
    plain, key_index = crypto.decrypt_message(VEC_ENCRYPT, VEC_MSG_SIGNATURE, VEC_TIMESTAMP, VEC_NONCE)
    assert key_index == 1 and "test" in plain
    with pytest.raises(DecryptError):
        vector_crypto(new_key).decrypt_message(VEC_ENCRYPT, VEC_MSG_SIGNATURE, VEC_TIMESTAMP, VEC_NONCE)


def test_tampered_or_garbage_ciphertext_raises_decrypt_error() -> None:
    """Garbage, truncated or non-base64 ciphertext raises DecryptError, never something else."""
    key = decode_aes_key(VEC_KEY)
    raw = base64.b64decode(VEC_ENCRYPT)
    for bad in ("not base64!!", "", base64.b64encode(raw[:-16]).decode(), base64.b64encode(raw[:15]).decode()):
        with pytest.raises(DecryptError):
            decrypt(bad, key, VEC_APPID)


def test_padding_is_to_32_bytes() -> None:
    """PKCS#7 pads to a multiple of 32 (a full block when already aligned) and unpads back."""
    assert len(pkcs7_pad(b"x" * 5)) == 32
    assert pkcs7_pad(b"x" * 32)[-1] == 32 and len(pkcs7_pad(b"x" * 32)) == 64
    assert pkcs7_unpad(pkcs7_pad(b"hello")) == b"hello"
    with pytest.raises(DecryptError):
        pkcs7_unpad(b"x" * 31 + bytes([0]))
    with pytest.raises(DecryptError):
        pkcs7_unpad(b"x" * 30 + bytes([1, 2]))


def test_bad_encoding_aes_key_is_rejected() -> None:
    """Keys of the wrong length or alphabet are configuration errors."""
    for bad in ("short", VEC_KEY + "A", "!" * 43):
        with pytest.raises(ValueError):
            decode_aes_key(bad)
    with pytest.raises(ValueError):
        MessageCrypto("t", ["", "  "], "wx")


@settings(max_examples=60, deadline=None)
@given(message=st.text(max_size=300), prefix=st.binary(min_size=16, max_size=16))
def test_encrypt_decrypt_round_trip(message: str, prefix: bytes) -> None:
    """Any UTF-8 message survives encryption and decryption with its AppID."""
    key = decode_aes_key(VEC_KEY)
    sealed = encrypt(message, key, VEC_APPID, prefix)
    assert len(base64.b64decode(sealed)) % 32 == 0
    assert decrypt(sealed, key, VEC_APPID) == message
