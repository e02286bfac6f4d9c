"""The reissue form's validation: answers, several fields at once, interruptions, corrections, diversions."""
from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.forms.reissue import ActionAskPhotoRef, ValidateReissueForm
from reissue.parsing.id_number import check_digit

BODY = "37010219900307123"
VALID_ID = BODY + check_digit(BODY)
WRONG_ID = BODY + ("0" if check_digit(BODY) != "0" else "1")
DATA_DONE = {
    "reissue_reason": "lost", "ever_collected": "yes", "has_ecert": "no", "qualification": "执业药师", "specialty": "药学",
}


async def run(tracker, dispatcher, domain) -> Dict[str, Any]:
    """Run the validation action; the slot values it sets."""
    events: List[Dict[str, Any]] = await ValidateReissueForm().run(dispatcher, tracker, domain)
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_opening_message_keeps_the_reason_and_qualification(make_tracker, dispatcher, domain) -> None:
    """"我的一建证书丢了想补办" fills the reason and the qualification (and its only level)."""
    tracker = make_tracker("我的一建证书丢了想补办", intent="start_reissue", slots={"requested_slot": None})
    slots = await run(tracker, dispatcher, domain)
    assert slots["reissue_reason"] == "lost"
    assert slots["qualification"] == "一级建造师"
    assert slots["level"] == "一级"
    assert slots["requested_slot"] == "ever_collected"


async def test_a_specialty_in_the_opening_message_is_not_asked_again(make_tracker, dispatcher, domain) -> None:
    """"…建筑工程专业的一建…" keeps the specialty too: it applies once the qualification is known."""
    tracker = make_tracker("我是建筑工程专业的一建，证书丢了，我要补办", intent="start_reissue", slots={"requested_slot": None})
    slots = await run(tracker, dispatcher, domain)
    assert slots["qualification"] == "一级建造师" and slots["specialty"] == "建筑工程"
    assert slots["requested_slot"] == "ever_collected"


async def test_several_fields_in_one_message(make_tracker, dispatcher, domain) -> None:
    """Name, ID number and phone in one sentence are all taken; the phone is not read from the ID."""
    tracker = make_tracker(
        f"我叫张三，身份证{VALID_ID}，手机13912345678", slots={**DATA_DONE, "requested_slot": "obtained"}
    )
    slots = await run(tracker, dispatcher, domain)
    assert slots["applicant_name"] == "张三"
    assert slots["id_number"] == VALID_ID
    assert slots["phone"] == "13912345678"


async def test_wrong_check_digit_is_explained_and_asked_again(make_tracker, dispatcher, domain, said) -> None:
    """A wrong check digit gets a precise message, the slot stays empty, and after two misses help."""
    slots = {**DATA_DONE, "obtained": "2019-05", "applicant_name": "张三", "requested_slot": "id_number"}
    first = await run(make_tracker(WRONG_ID, slots=slots), dispatcher, domain)
    assert first["id_number"] is None
    assert "校验" in said() or "核对" in said()
    assert first["requested_slot"] == "id_number"
    second_dispatcher = CollectingDispatcher()
    tracker = make_tracker(WRONG_ID, slots={**slots, "form_failures": first["form_failures"]})
    await run(tracker, second_dispatcher, domain)
    assert "18位" in "\n".join(m["text"] for m in second_dispatcher.messages)


async def test_a_question_mid_form_is_left_to_the_faq_rule(make_tracker, dispatcher, domain) -> None:
    """"要钱吗" while the name is asked is not taken as a name: nothing is set, so the form yields."""
    tracker = make_tracker(
        "要钱吗", intent="faq", confidence=0.97, faq_key="fee", slots={**DATA_DONE, "requested_slot": "applicant_name"}
    )
    slots = await run(tracker, dispatcher, domain)
    assert "applicant_name" not in slots
    assert not dispatcher.messages


async def test_a_correction_changes_an_earlier_field(make_tracker, dispatcher, domain) -> None:
    """"姓名改成李四" replaces the name whatever is being asked."""
    tracker = make_tracker(
        "姓名改成李四", intent="correct", slots={**DATA_DONE, "applicant_name": "张三", "requested_slot": "city"}
    )
    slots = await run(tracker, dispatcher, domain)
    assert slots["applicant_name"] == "李四"
    assert "city" not in slots or slots["city"] is None


async def test_never_collected_ends_the_form_without_submitting(make_tracker, dispatcher, domain, said) -> None:
    """A certificate never collected is not a reissue: the guide's answer, and the form stops."""
    tracker = make_tracker("证书一直没领取", slots={"requested_slot": "reissue_reason"})
    slots = await run(tracker, dispatcher, domain)
    assert slots["stop_reason"] == "never_collected"
    assert slots["requested_slot"] is None
    assert "领取" in said()


async def test_existing_ecert_ends_the_form_with_download_help(make_tracker, dispatcher, domain, said) -> None:
    """An e-certificate already issued means no paper reissue (Article 16) and how to download it."""
    tracker = make_tracker("有电子证书", slots={"reissue_reason": "damaged", "requested_slot": "has_ecert"})
    slots = await run(tracker, dispatcher, domain)
    assert slots["stop_reason"] == "ecert"
    assert "不再补发纸质证书" in said() and "加注" in said()


@pytest.mark.parametrize(
    "obtained, metadata, expect_photo",
    [("2015-05", {"channel": "web"}, True), ("2015-05", {"channel": "wechat"}, True),
     ("2015-05", {"channel": "hotline"}, False), ("2018-05", {"channel": "web"}, False)],
)
async def test_photo_is_asked_only_before_2017_on_channels_that_upload(
    make_tracker, dispatcher, domain, obtained, metadata, expect_photo
) -> None:
    """The photo question applies to pre-2017 certificates, and only where the front end can upload."""
    form = ValidateReissueForm()
    tracker = make_tracker("", slots={**DATA_DONE, "obtained": obtained}, metadata=metadata)
    required = await form.required_slots(form.domain_slots(domain), dispatcher, tracker, domain)
    assert ("photo_ref" in required) is expect_photo
    assert required[-1] == "confirmed"


@pytest.mark.parametrize("channel, how", [("web", "上传照片"), ("wechat", "发一张照片")])
async def test_the_photo_is_asked_in_the_words_of_the_front_end(make_tracker, dispatcher, domain, said, channel, how):
    """The widget's user is pointed at the upload card, the WeChat user at sending an image; a typed answer at the
    photo step gets the same pointer."""
    tracker = make_tracker("", slots={**DATA_DONE, "obtained": "2015-05"}, metadata={"channel": channel})
    await ActionAskPhotoRef().run(dispatcher, tracker, domain)
    assert how in said() and "295" in said() and dispatcher.messages[-1]["custom"] == {"type": "photo_upload"}
    typed = make_tracker("好的", slots={**DATA_DONE, "obtained": "2015-05", "requested_slot": "photo_ref"},
                         metadata={"channel": channel})
    dispatcher.messages.clear()
    slots = await run(typed, dispatcher, domain)
    assert slots["photo_ref"] is None and how in said()


async def test_invalid_date_in_future_is_rejected(make_tracker, dispatcher, domain, said) -> None:
    """A year and month in the future is refused with the reason."""
    tracker = make_tracker("2035年5月", slots={**DATA_DONE, "requested_slot": "obtained"})
    slots = await run(tracker, dispatcher, domain)
    assert slots["obtained"] is None
    assert "2035" in said()


async def test_photo_is_fetched_and_checked(make_tracker, dispatcher, domain, fake_backend, said) -> None:
    """An uploaded photo of the wrong size is refused with its measured size."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (300, 400), "white").save(buffer, "JPEG")
    fake_backend.photos["PH0123456789abcdef01234567"] = buffer.getvalue()
    tracker = make_tracker(
        "照片已上传：PH0123456789abcdef01234567", slots={**DATA_DONE, "obtained": "2015-05", "requested_slot": "photo_ref"},
        metadata={"channel": "web"},
    )
    slots = await run(tracker, dispatcher, domain)
    assert slots["photo_ref"] is None
    assert "300×400" in said()


async def test_an_unexpected_error_is_answered_politely(make_tracker, dispatcher, domain, said, monkeypatch) -> None:
    """A crash inside validation becomes an apology and no events, never a 500 with the tracker."""
    def broken(text, tracker):
        raise RuntimeError("boom 370102199003071230")

    monkeypatch.setattr("actions.forms.reissue.parse_name", broken)
    tracker = make_tracker("张三", slots={**DATA_DONE, "obtained": "2019-05", "requested_slot": "applicant_name"})
    events = await ValidateReissueForm().run(dispatcher, tracker, domain)
    assert events == [] and "信息都还在" in said()


async def test_bare_digits_are_always_an_answer(make_tracker, dispatcher, domain) -> None:
    """A number typed alone is an answer even if the NLU guessed another intent (e.g. goodbye)."""
    from actions.progress import ValidateProgressForm

    tracker = make_tracker("0033", intent="goodbye", confidence=0.95, active_loop="progress_form",
                           slots={"progress_number": "BF2026112700001", "requested_slot": "progress_id_last4"})
    events = await ValidateProgressForm().run(dispatcher, tracker, domain)
    assert {e["name"]: e["value"] for e in events}["progress_id_last4"] == "0033"


async def test_an_unsure_question_is_not_taken_as_a_yes(make_tracker, dispatcher, domain) -> None:
    """"对了，补办要交钱吗" while "领过吗" is asked is a question (even at low confidence), not "对"."""
    tracker = make_tracker("对了，补办要交钱吗", intent="faq", confidence=0.55, faq_key="fee",
                           slots={"reissue_reason": "lost", "requested_slot": "ever_collected"})
    slots = await run(tracker, dispatcher, domain)
    assert "ever_collected" not in slots


@pytest.mark.parametrize("text", ["对了，补办要交钱吗", "是不是要登报？", "对，这个要多久呢"])
async def test_a_question_is_never_a_yes(make_tracker, dispatcher, domain, text) -> None:
    """However the NLU labels it, a question is not recorded as "yes, collected"."""
    tracker = make_tracker(text, intent="nlu_fallback", confidence=0.45,
                           slots={"reissue_reason": "lost", "requested_slot": "ever_collected"})
    slots = await run(tracker, dispatcher, domain)
    assert slots.get("ever_collected") is None
