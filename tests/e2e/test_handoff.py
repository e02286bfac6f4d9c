"""Live handoff end to end: the widget inside the demo portal (real Chromium), the real Rasa server and action
server, the real backend; staff through the API. Measured and printed (not asserted against a time): from
"转人工" to the queue entry, and from a staff reply to the user's screen."""
from __future__ import annotations

import re
import sqlite3
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List

import pytest
import requests
from playwright.sync_api import Browser, FrameLocator, Page, expect

from reissue.knowledge import message
from tests.e2e.applicant import dialogue, synthetic_id
from tests.e2e.conftest import create_reviewer
from tests.e2e.test_web_widget import REPLY_TIMEOUT_MS

POLL_S = 0.05
STAFF_USER = "handoff-reviewer"
STAFF_PASSWORD = "handoff-password-" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def staff_account(stack) -> str:
    """A reviewer account made with the real command line; its name."""
    done = create_reviewer(stack, STAFF_USER, STAFF_PASSWORD)
    assert done.returncode == 0, done.stderr
    return STAFF_USER


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context at phone width, failing on page errors."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    pg = context.new_page()
    errors: List[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert errors == [], f"page errors: {errors}"


def staff_api(stack, method: str, path: str, **kwargs: Any) -> Dict[str, Any]:
    """One call to the staff API with the staff credential."""
    response = requests.request(method, f"{stack.backend_url}{path}", timeout=30,
                                headers={"Authorization": f"Bearer {stack.staff_token}"}, **kwargs)
    assert response.status_code in (200, 201), response.text
    return response.json()


def waiting(stack) -> List[Dict[str, Any]]:
    """The waiting queue."""
    return staff_api(stack, "GET", "/api/v1/handoffs", params={"status": "waiting"})["items"]


def open_portal_chat(page: Page, web_url: str) -> FrameLocator:
    """The demo portal with the widget opened; the chat's frame."""
    page.goto(web_url.rstrip("/") + "/demo-portal.html")
    page.get_by_role("button", name="打开证书补发在线咨询").click()
    frame = page.frame_locator('iframe[title="证书补发在线咨询"]')
    expect(frame.locator(".ReplyBtn").first).to_be_visible()
    return frame


def type_in(frame: FrameLocator, text: str) -> None:
    """Type into the widget's composer and press Enter; wait until the message is sent."""
    before = frame.locator(".Message.right").count()
    box = frame.get_by_role("textbox")
    box.fill(text)
    box.press("Enter")
    expect(frame.locator(".Message.right")).to_have_count(before + 1)
    expect(frame.locator('.MsgBlock[data-pending="true"]')).to_have_count(0)
    expect(frame.locator(".AppRoot")).to_have_attribute("data-busy", "false")


def test_a_person_answers_in_the_portal_widget_and_hands_back_to_the_form(stack, page: Page) -> None:
    """Mid-form 转人工 queues the conversation with a masked summary; the staff reply appears without a reload;
    the user's words reach the person, not the model; the hand-back resumes the form where it was."""
    frame = open_portal_chat(page, stack.web_url)
    id_number = synthetic_id()
    for text, _ in dialogue(id_number)[:7]:  # up to the certificate number, the ID number given
        type_in(frame, text)
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("管理号")
    before = {item["id"] for item in waiting(stack)}

    started = time.monotonic()
    box = frame.get_by_role("textbox")
    box.fill("转人工")
    box.press("Enter")
    entry = None
    while entry is None and time.monotonic() - started < 60:
        entry = next((item for item in waiting(stack) if item["id"] not in before), None)
        time.sleep(POLL_S)
    queued_s = time.monotonic() - started
    assert entry is not None, "the conversation never entered the queue"
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("您前面还有")
    summary = entry["summary"]
    assert summary["asking"] == "证书管理号" and summary["topic"] == message("handoff_topic_reissue")
    assert id_number not in str(entry) and id_number[:6] + "*" in str(summary["fields"])
    assert any(t["who"] == "user" and t["text"] == "转人工" for t in summary["turns"])

    handoff_id = entry["id"]
    staff_api(stack, "POST", f"/api/v1/handoffs/{handoff_id}/take")
    expect(frame.locator(".Notice").last).to_contain_text(message("handoff_taken"))
    sent_at = time.monotonic()
    staff_api(stack, "POST", f"/api/v1/handoffs/{handoff_id}/messages", json={"text": "您好，我是工作人员，请讲。"})
    expect(frame.locator(".Message.left .MsgText").last).to_have_text("您好，我是工作人员，请讲。", timeout=30_000)
    shown_s = time.monotonic() - sent_at
    expect(frame.locator(".MsgAuthor").last).to_have_text("工作人员")

    chat = next(f for f in page.frames if f != page.main_frame and f.url.startswith(stack.web_url))
    sender = chat.evaluate("() => sessionStorage.getItem('reissue-chat:sender')")
    rasa_turns = len([e for e in stack.tracker(sender)["events"] if e["event"] == "user"])
    type_in(frame, "管理号我找不到了，怎么办")
    detail = staff_api(stack, "GET", f"/api/v1/handoffs/{handoff_id}")
    assert [m["text"] for m in detail["messages"] if m["author"] == "user"] == ["管理号我找不到了，怎么办"]
    assert len([e for e in stack.tracker(sender)["events"] if e["event"] == "user"]) == rasa_turns

    staff_api(stack, "POST", f"/api/v1/handoffs/{handoff_id}/release")
    expect(frame.locator(".Notice").last).to_contain_text("证书管理号")
    type_in(frame, "不记得")
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("哪个市")
    events = staff_api(stack, "GET", f"/api/v1/handoffs/{handoff_id}")["events"]
    assert [(e["action"], e["actor"]) for e in events] == [
        ("queued", "assistant"), ("taken", "staff-token"), ("replied", "staff-token"), ("released", "staff-token")]
    print(f"\nhandoff timings: 转人工 → queue entry {queued_s:.2f} s; staff reply → user's screen {shown_s:.2f} s")


def backdate(stack, handoff_id: int, seconds: float) -> None:
    """Make the handoff's wait end now: it entered the queue `seconds` (HANDOFF_WAIT) ago, in the stack's database."""
    entered = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=seconds)
    with sqlite3.connect(stack.var_dir / "backend.sqlite") as db:
        db.execute("UPDATE handoffs SET created_at = ? WHERE id = ?", (entered.isoformat(sep=" "), handoff_id))


def test_nobody_taking_it_offers_a_callback_number_and_the_form_goes_on(stack, page: Page) -> None:
    """The wait ends: the widget shows the hotline, the hall and the callback offer; consent, the number (confirmed
    masked, listed masked for staff), then the form goes on where it was. Measured: wait's end → the offer shown."""
    frame = open_portal_chat(page, stack.web_url)
    for text, _ in dialogue(synthetic_id())[:7]:
        type_in(frame, text)
    before = {item["id"] for item in waiting(stack)}
    type_in(frame, "转人工")
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("您前面还有")
    entry = next(item for item in waiting(stack) if item["id"] not in before)
    backdate(stack, entry["id"], 180.0)
    ended = time.monotonic()
    expect(frame.locator(".Notice").last).to_contain_text(message("callback_offer", days=7).splitlines()[-1],
                                                          timeout=30_000)
    offered_s = time.monotonic() - ended
    expect(frame.locator(".Notice").last).to_contain_text("12333")
    type_in(frame, "好的")
    expect(frame.locator(".Message.left .MsgText").last).to_have_text(message("callback_ask_number"))
    type_in(frame, "13912345678")
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("139****5678")
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("证书管理号")
    listed = [c for c in staff_api(stack, "GET", "/api/v1/callbacks")["items"] if c["handoff_id"] == entry["id"]]
    assert [(c["phone"], c["reason"], c["summary"]["asking"]) for c in listed] == [("139****5678", "unanswered", "证书管理号")]
    type_in(frame, "不记得")
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("哪个市")
    print(f"\ncallback timing: the wait's end → the callback offer on the user's screen {offered_s:.2f} s")


def test_no_thanks_returns_the_user_to_the_assistant(stack, page: Page) -> None:
    """"不用了" while waiting ends the handoff; the next question is answered by the assistant again."""
    frame = open_portal_chat(page, stack.web_url)
    type_in(frame, "转人工")
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("您前面还有")
    type_in(frame, "不用了")
    expect(frame.locator(".Notice").last).to_contain_text(message("handoff_cancelled"))
    type_in(frame, "补办要交钱吗")
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("不收费")


def test_a_person_is_reachable_in_at_most_two_turns_from_any_form_state(stack) -> None:
    """From every step of the application, "转人工" (said once, or a second time) puts the conversation in the
    queue; the turns it took are printed per step."""
    steps = dialogue(synthetic_id())
    turns_needed: List[int] = []
    for answered in range(len(steps) + 1):
        sender = f"e2e-handoff-{answered}-{int(time.time() * 1000)}"
        for text, _ in steps[:answered]:
            stack.send(sender, text, metadata={"channel": "web"})
        for turn in (1, 2):
            replies = stack.send(sender, "转人工", metadata={"channel": "web"})
            opened = [r["custom"] for r in replies if (r.get("custom") or {}).get("type") == "handoff"]
            if opened:
                staff_api(stack, "POST", f"/api/v1/handoffs/{opened[0]['handoff_id']}/close")
                turns_needed.append(turn)
                break
        else:
            raise AssertionError(f"no person after two turns at step {answered}: {replies}")
    print(f"\nturns from 转人工 to the queue, per form step: {turns_needed}")
    assert max(turns_needed) <= 2 and len(turns_needed) == len(steps) + 1
    assert re.fullmatch(r"[12]+", "".join(map(str, turns_needed)))


def test_staff_serve_the_conversation_from_the_staff_page(stack, browser: Browser, page: Page, staff_account) -> None:
    """A signed-in reviewer takes the conversation, answers and hands it back with the page's buttons; the widget
    in another browser context shows the answer; the audit trail names the account."""
    frame = open_portal_chat(page, stack.web_url)
    type_in(frame, "转人工")
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("您前面还有")
    staff_context = browser.new_context(locale="zh-CN")
    desk = staff_context.new_page()
    try:
        desk.goto(stack.backend_url + "/staff")
        desk.get_by_label("账号").fill(staff_account)
        desk.get_by_label("密码").fill(STAFF_PASSWORD)
        desk.get_by_role("button", name="登录").click()
        desk.get_by_role("link", name=re.compile("人工服务")).click()
        expect(desk.get_by_role("heading", name="人工服务")).to_be_visible()
        desk.get_by_role("button", name="接入").last.click()
        expect(desk.get_by_role("status")).to_contain_text(message("handoff_staff_taken"))
        desk.get_by_label(re.compile("回复用户")).fill("您好，我是人社厅的工作人员。")
        desk.get_by_role("button", name="发送").click()
        expect(frame.locator(".Message.left .MsgText").last).to_have_text("您好，我是人社厅的工作人员。",
                                                                          timeout=30_000)
        type_in(frame, "谢谢，我明白了")
        desk.get_by_role("link", name=re.compile("刷新")).click()
        expect(desk.locator("main")).to_contain_text("用户：谢谢，我明白了")
        desk.get_by_role("button", name="交回智能助手").click()
        expect(desk.get_by_role("status")).to_contain_text(message("handoff_staff_released"))
        expect(frame.locator(".Notice").last).to_contain_text("交回智能助手")
        handoff_id = int(re.search(r"人工会话 (\d+)", desk.locator("h1").inner_text()).group(1))
    finally:
        staff_context.close()
    events = staff_api(stack, "GET", f"/api/v1/handoffs/{handoff_id}")["events"]
    assert [(e["action"], e["actor"]) for e in events][1:] == [
        ("taken", staff_account), ("replied", staff_account), ("released", staff_account)]
    type_in(frame, "补办要交钱吗")
    expect(frame.locator(".Message.left .MsgText").last).to_contain_text("不收费")
