"""The application contract: one definition that the domain, the backend and the form agree on."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reissue import application as contract

ROOT = Path(__file__).resolve().parents[2]


def test_the_form_asks_the_contracts_fields_in_its_order() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert tuple(domain["forms"]["reissue_form"]["required_slots"]) == contract.FORM_FIELDS
    assert set(contract.FORM_FIELDS) <= set(domain["slots"])


def test_every_forwarded_field_is_a_form_field_and_every_reason_has_a_label() -> None:
    assert set(contract.APPLICATION_FIELDS) <= set(contract.FORM_FIELDS)
    assert contract.REASONS == ("lost", "damaged", "expired_uncollected")
    assert all(contract.REASON_LABELS[reason] for reason in contract.REASONS)


def test_the_backend_schema_takes_exactly_the_contracts_reasons_and_channels() -> None:
    from backend.schemas import ApplicationIn

    schema = ApplicationIn.schema()["properties"]
    assert tuple(schema["reason"]["enum"]) == contract.REASONS
    assert tuple(schema["channel"]["enum"]) == contract.CHANNELS
    assert set(contract.APPLICATION_FIELDS) <= set(schema)


@pytest.mark.parametrize("text, number", [
    ("我的申请编号是BF2026112704817，查一下", "BF2026112704817"),
    ("bf2026112704817", "BF2026112704817"),
    ("BF20261127048", None),            # too short: not an application number
    ("BF20261127048171", None),         # too long
    ("XBF2026112704817", None),
])
def test_application_numbers_are_found_only_in_their_one_format(text: str, number) -> None:
    assert contract.find_application_number(text) == number
    assert contract.is_application_number(number or text) is (number is not None)


def test_photo_refs_and_outbox_references() -> None:
    ref = "PH" + "0123456789abcdef01234567"
    assert contract.find_photo_ref(f"照片已上传：{ref}") == ref and contract.is_photo_ref(ref)
    assert contract.find_photo_ref("照片已上传：PHtest1234") is None and not contract.is_photo_ref("PH12")
    assert contract.find_reference("受理参考号 q7f3k2，请查") == "Q7F3K2"
    assert contract.find_reference("参考号 Q7F3K0") is None  # 0 is never in a reference
    assert contract.channel_or_default("wechat") == "wechat" and contract.channel_or_default("sms") == "rest"


def test_dont_know_words_match_the_usual_answers() -> None:
    for text in ("不清楚", "我也不知道", "记不清了", "忘了"):
        assert contract.DONT_KNOW.search(text)
    assert not contract.DONT_KNOW.search("知道，有电子证书")
    assert contract.CERT_NUMBER_UNKNOWN in contract.CERT_NUMBER_UNKNOWN_ANSWERS
