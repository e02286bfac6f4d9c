"""A whole reissue application over HTTP: real Rasa, real action server, real backend and database."""
from __future__ import annotations

import time

from reissue.parsing.id_number import check_digit
from tests.e2e.applicant import APPLICATION, PHONE, REFERENCE, fill_form

BODY = "37010219880512003"
ID_NUMBER = BODY + check_digit(BODY)


def stored_for(stack, number: str) -> dict:
    """The backend's record of one application (staff API)."""
    return stack.backend_application(number)


def test_whole_application_is_stored_once_with_the_right_data(stack, sender) -> None:
    """A finished conversation leaves exactly one application with the applicant's data."""
    before = len(stack.proxy.posts())
    summary = fill_form(stack, sender, ID_NUMBER)
    assert "370102********" in summary and ID_NUMBER not in summary
    assert "138****8000" in summary and PHONE not in summary
    reply = stack.texts(sender, "确认提交")
    number = APPLICATION.search(reply).group(1)
    assert "5个工作日" in reply and "预计" in reply
    record = stored_for(stack, number)
    assert record["qualification"] == "一级建造师"
    assert record["specialty"] == "建筑工程" and record["obtained"] == "2018-09"
    assert record["city"] == "济南市" and record["reason"] == "lost"
    assert ID_NUMBER not in str(record) and record["id_last4"] == ID_NUMBER[-4:]
    assert [item["number"] for item in stack.backend_applications(number)] == [number]
    assert len(stack.proxy.posts()) - before == 1
    tracker = stack.tracker(sender)
    assert tracker["slots"]["id_number"] is None and tracker["slots"]["phone"] is None


def test_backend_failing_at_first_still_files_exactly_once(stack, sender) -> None:
    """Two 503s then success: the client retries with one Idempotency-Key; one application results."""
    fill_form(stack, sender, ID_NUMBER)
    stack.proxy.fail_next(2, status=503)
    before = len(stack.proxy.posts())
    reply = stack.texts(sender, "确认提交")
    number = APPLICATION.search(reply).group(1)
    attempts = stack.proxy.posts()[before:]
    assert [status for *_, status in attempts] == [503, 503, 201]
    assert len({key for _, _, key, _ in attempts}) == 1
    assert [item["number"] for item in stack.backend_applications(number)] == [number]


def test_backend_down_queues_truthfully_and_delivers_later(stack, sender) -> None:
    """With the backend down the applicant gets a reference (not "submitted"); the worker delivers once."""
    fill_form(stack, sender, ID_NUMBER)
    stack.proxy.fail_next(1000, drop_connection=True)
    reply = stack.texts(sender, "确认提交")
    assert "提交成功" not in reply
    reference = REFERENCE.search(reply).group(1)
    pending = stack.texts(sender, f"查一下进度，参考号{reference}")
    if "身份证" in pending:
        pending = stack.texts(sender, ID_NUMBER[-4:])
    assert "等待补交" in pending
    failed_keys = {key for _, _, key, status in stack.proxy.posts() if status == 0}
    stack.proxy.fail_next(0)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not successes(stack, failed_keys):
        time.sleep(2)
    assert len(successes(stack, failed_keys)) == 1, "the outbox worker did not deliver exactly once"


def successes(stack, keys) -> list:
    """Successful POSTs carrying one of `keys`."""
    return [p for p in stack.proxy.posts() if p[2] in keys and p[3] in (200, 201)]


def test_progress_query_needs_the_right_pair(stack, sender) -> None:
    """Number + last four digits → status; a wrong pair reveals nothing (same words as an unknown number)."""
    fill_form(stack, sender, ID_NUMBER)
    number = APPLICATION.search(stack.texts(sender, "确认提交")).group(1)
    other = f"{sender}-q"
    assert "申请编号" in stack.texts(other, "我的补证到哪一步了")
    assert "后4位" in stack.texts(other, number)
    right = stack.texts(other, ID_NUMBER[-4:])
    assert number in right and "已提交" in right
    stack.texts(other, "查询补办进度")
    stack.texts(other, number)
    wrong = stack.texts(other, "0000")
    stack.texts(other, "查询补办进度")
    stack.texts(other, "BF2099010100001")
    unknown = stack.texts(other, "0000")
    assert "没有查到" in wrong and wrong == unknown


def test_question_in_the_middle_then_the_form_resumes(stack, sender) -> None:
    """An FAQ mid-form is answered and the same question comes back."""
    stack.texts(sender, "我要申请补发证书")
    stack.texts(sender, "证书遗失了")
    reply = stack.texts(sender, "补办要交钱吗？")
    assert "不收费" in reply and "领到手了吗" in reply


def test_cancel_leaves_nothing_behind(stack, sender) -> None:
    """"不办了" quits; nothing reaches the backend."""
    before = len(stack.proxy.posts())
    stack.texts(sender, "我要申请补发证书")
    stack.texts(sender, "证书遗失了")
    assert "取消" in stack.texts(sender, "不办了")
    assert len(stack.proxy.posts()) == before
    assert stack.tracker(sender)["active_loop"] in ({}, None) or not stack.tracker(sender)["active_loop"].get("name")


def test_correction_at_the_summary(stack, sender) -> None:
    """"手机号改成…" at the summary changes the phone and shows the summary again, masked."""
    fill_form(stack, sender, ID_NUMBER)
    reply = stack.texts(sender, "手机号改成13912345678")
    assert "139****5678" in reply and "请核对" in reply


def test_never_collected_is_not_forwarded(stack, sender) -> None:
    """A never-collected certificate is explained and nothing is forwarded."""
    before = len(stack.proxy.posts())
    stack.texts(sender, "我要申请补发证书")
    reply = stack.texts(sender, "证书一直没领取")
    assert "领取" in reply and "不需要提交" in reply
    assert len(stack.proxy.posts()) == before


def test_several_fields_in_the_first_message_are_all_kept(stack, sender) -> None:
    """Data given before any question starts the application and is kept (masked in the summary later)."""
    reply = stack.texts(sender, f"我叫张三，身份证{ID_NUMBER}，2015年5月考的一级建造师")
    assert "证书是什么情况" in reply
    slots = stack.tracker(sender)["slots"]
    assert slots["applicant_name"] == "张三" and slots["id_number"] == ID_NUMBER
    assert slots["qualification"] == "一级建造师" and slots["obtained"] == "2015-05"
