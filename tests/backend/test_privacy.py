"""HMAC, sealing and masking of personal numbers."""
from __future__ import annotations

from backend.privacy import id_hmac, seal, tokens_equal, unseal
from reissue.masking import mask_id, mask_name, mask_phone
from tests.backend.backend_helpers import ID_A, ID_B


def test_hmac_matches_equal_ids_only_and_depends_on_key():
    assert id_hmac(ID_A, "k") == id_hmac(ID_A.lower(), "k") != id_hmac(ID_B, "k")
    assert id_hmac(ID_A, "k") != id_hmac(ID_A, "other")
    assert ID_A not in id_hmac(ID_A, "k")


def test_seal_round_trip_and_wrong_secret_fails():
    token = seal(ID_A, "secret")
    assert ID_A not in token and unseal(token, "secret") == ID_A
    try:
        unseal(token, "another")
    except Exception as error:  # noqa: BLE001
        assert type(error).__name__ == "InvalidToken"
    else:
        raise AssertionError("a wrong secret must not open the seal")


def test_masks_hide_the_middle():
    assert mask_id(ID_A).endswith(ID_A[-4:]) and ID_A[6:14] not in mask_id(ID_A)
    assert mask_phone("13800138000") == "138****8000"
    assert mask_name("张三丰") == "张**" and mask_name("李") == "*"


def test_tokens_equal_refuses_empty_expected():
    assert tokens_equal("abc", "abc") and not tokens_equal("abd", "abc") and not tokens_equal("", "")
