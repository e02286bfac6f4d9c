"""The progress query: the right pair shows the status; any wrong pair says the same neutral words."""
from __future__ import annotations

import pytest

from actions.progress import ActionCheckProgress, find_last4, find_number, status_text
from clients.backend import StatusOutcome, SubmitOutcome
from reissue import knowledge

NUMBER = "BF2026112700001"


@pytest.fixture
def known(fake_backend):
    """A backend that knows one application."""
    fake_backend.statuses[(NUMBER, "123X")] = StatusOutcome(
        "found", number=NUMBER, status="审核不通过", status_label="审核不通过", reason="照片不是本人"
    )
    return fake_backend


async def test_right_pair_shows_status_and_review_reason(known, temp_outbox) -> None:
    """Number + last four → the status and a failed review's reason."""
    text = await status_text(NUMBER, "123X")
    assert NUMBER in text and "审核不通过" in text and "照片不是本人" in text


async def test_wrong_pair_and_unknown_number_read_the_same(known, temp_outbox) -> None:
    """A wrong last four reveals nothing more than an unknown number."""
    assert await status_text(NUMBER, "0000") == await status_text("BF2099010100001", "123X") == knowledge.message("progress_not_found")


async def test_queued_application_found_by_reference_only_with_matching_id(known, temp_outbox) -> None:
    """A queued application is found by its reference, and only with its own last four digits."""
    item = temp_outbox.put({"id_number": "37010219900307123X", "applicant_name": "张三"})
    assert "等待补交" in await status_text(item.reference, "123X")
    assert await status_text(item.reference, "9999") == knowledge.message("progress_not_found")


async def test_a_refused_queued_application_says_why(known, temp_outbox) -> None:
    """A queued application the backend later refused tells its reason (not "nothing found"), and only to its owner."""
    item = temp_outbox.put({"id_number": "37010219900307123X", "applicant_name": "张三"})
    known.script_submit(SubmitOutcome("rejected", message="照片不是本人"))
    await temp_outbox.deliver(item.key, known)
    temp_outbox.sweep()
    text = await status_text(item.reference, "123x")
    assert "没有被办理系统受理" in text and "照片不是本人" in text and item.reference in text
    assert await status_text(item.reference, "9999") == knowledge.message("progress_not_found")


async def test_a_dead_letter_sends_to_the_hotline(known, temp_outbox) -> None:
    """A queued application that could not be delivered for too long is named as such, with the hotline."""
    item = temp_outbox.put({"id_number": "37010219900307123X"})
    temp_outbox.sweep(dead_after_s=-1, dead_retention_s=86400)
    assert await status_text(item.reference, "123X") == knowledge.message("progress_dead", reference=item.reference)


async def test_a_locked_number_is_answered_politely(known, temp_outbox) -> None:
    """Too many wrong guesses (the backend answers 429): a polite "try again in an hour", not "not found"."""
    known.script_status(StatusOutcome("locked"))
    assert await status_text(NUMBER, "123X") == knowledge.message("progress_locked")


@pytest.mark.parametrize("text", ["申请编号bf2026112700001", "BF2026112700001", "查一下 BF2026112700001 进度"])
def test_number_is_found_in_free_text(make_tracker, text) -> None:
    """Application numbers are found in free text, case-insensitively."""
    assert find_number(text, make_tracker(text, active_loop="progress_form")) == NUMBER


@pytest.mark.parametrize("text, last4", [("后四位是123x", "123X"), ("1234", "1234"), ("身份证最后4位 0012", "0012")])
def test_last4_is_found_in_free_text(make_tracker, text, last4) -> None:
    """The last four characters of an ID number are found, X upper-cased."""
    assert find_last4(text, make_tracker(text, active_loop="progress_form")) == last4


async def test_action_answers_and_forgets_the_identifiers(make_tracker, dispatcher, domain, said, known, temp_outbox) -> None:
    """The action answers and clears the number and last four afterwards."""
    tracker = make_tracker("123X", slots={"progress_number": NUMBER, "progress_id_last4": "123X"}, active_loop=None)
    events = await ActionCheckProgress().run(dispatcher, tracker, domain)
    assert "审核不通过" in said()
    assert {e["name"]: e["value"] for e in events}["progress_number"] is None
