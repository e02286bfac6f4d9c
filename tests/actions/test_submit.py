"""Submitting: outbox first, exactly once per confirmation, the truth told when the backend is down."""
from __future__ import annotations

from actions.submit import ActionCancelForm, ActionSubmitApplication
from reissue.parsing.id_number import check_digit

BODY = "37010219900307123"
SLOTS = {
    "reissue_reason": "lost", "ever_collected": "yes", "has_ecert": "no", "qualification": "执业药师",
    "specialty": "药学", "obtained": "2019-05", "applicant_name": "张三", "id_number": BODY + check_digit(BODY),
    "cert_number": "不记得", "city": "济南市", "phone": "13912345678", "confirmed": "yes",
}


def slot_values(events) -> dict:
    """Slot events as a dict."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_submitted_application_gets_its_number_and_next_steps(
    make_tracker, dispatcher, domain, said, fake_backend, temp_outbox
) -> None:
    """The backend's number, what happens next, and every personal slot cleared."""
    events = await ActionSubmitApplication().run(dispatcher, make_tracker("确认提交", slots=SLOTS, active_loop=None), domain)
    assert "FAKE000001" in said() and "5个工作日" in said() and "不收费" in said()
    values = slot_values(events)
    assert values["id_number"] is None and values["phone"] is None and values["application_number"] == "FAKE000001"
    sent = fake_backend.calls[0].args[0]
    assert sent["id_number"] == SLOTS["id_number"] and sent["reason"] == "lost" and sent["channel"] == "rest"
    assert temp_outbox.counts().get("delivered") == 1


async def test_the_same_confirmation_never_files_twice(make_tracker, dispatcher, domain, fake_backend, temp_outbox) -> None:
    """Running the submit action again for the same confirming message reuses the key: one application."""
    tracker = make_tracker("确认提交", slots=SLOTS, active_loop=None)
    await ActionSubmitApplication().run(dispatcher, tracker, domain)
    await ActionSubmitApplication().run(dispatcher, tracker, domain)
    assert len(set(fake_backend.submitted_keys)) <= 1
    assert len(fake_backend.stored) == 1


async def test_backend_down_means_queued_with_a_reference(make_tracker, dispatcher, domain, said, fake_backend, temp_outbox) -> None:
    """"unavailable" is never reported as submitted: the applicant gets the outbox reference."""
    fake_backend.script_submit("unavailable")
    events = await ActionSubmitApplication().run(dispatcher, make_tracker("确认提交", slots=SLOTS, active_loop=None), domain)
    assert "提交成功" not in said() and "受理参考号" in said()
    reference = slot_values(events)["application_number"]
    assert reference in said() and temp_outbox.counts().get("pending") == 1


async def test_nothing_is_submitted_after_a_diversion(make_tracker, dispatcher, domain, said, fake_backend, temp_outbox) -> None:
    """A stopped form (e.g. e-certificate exists) forwards nothing."""
    await ActionSubmitApplication().run(
        dispatcher, make_tracker("有", slots={**SLOTS, "stop_reason": "ecert"}, active_loop=None), domain
    )
    assert fake_backend.calls == [] and "utter_nothing_submitted" in said()


async def test_cancel_forgets_the_form(make_tracker, dispatcher, domain, said) -> None:
    """"取消" deactivates the form and clears what was typed."""
    events = await ActionCancelForm().run(dispatcher, make_tracker("不办了", intent="cancel", slots=SLOTS), domain)
    assert events[0] == {"event": "active_loop", "timestamp": None, "name": None}
    assert slot_values(events)["applicant_name"] is None and "utter_cancelled" in said()
