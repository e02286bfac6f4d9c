"""The staff workspace against the real stack: a question the assistant cannot answer, sent through the REST
channel, reaches the grouped inbox masked, and staff decide about it in the real browser as their own account; a
非常不满意 rating left in the chat page is a follow-up due 15 working days later; an answer edited through the API
is what the REST channel and the hotline lookup say within 60 s, and a rollback restores it."""
from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from reissue import clock, knowledge
from reissue.workdays import add_working_days
from tests.e2e.conftest import PORTS, create_reviewer
from tests.e2e.test_web_widget import REPLY_TIMEOUT_MS, open_chat, rate

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "workspace"
STAFF_USER = "workspace-reviewer"
STAFF_PASSWORD = "workspace-password-" + uuid.uuid4().hex[:8]
INBOX_WAIT_S = 60
LIVE_WAIT_S = 60


@pytest.fixture(scope="module")
def staff_account(stack) -> Tuple[str, str]:
    """A reviewer account made with the real command line."""
    done = create_reviewer(stack, STAFF_USER, STAFF_PASSWORD)
    assert done.returncode == 0, done.stderr
    return STAFF_USER, STAFF_PASSWORD


def staff_get(stack, path: str, **params: str) -> Dict[str, Any]:
    """One staff API read."""
    response = requests.get(f"{stack.backend_url}{path}", params=params, timeout=30,
                            headers={"Authorization": f"Bearer {stack.staff_token}"})
    response.raise_for_status()
    return response.json()


def groups_with(stack, word: str) -> List[Dict[str, Any]]:
    """The open groups whose samples mention `word`, polled until one appears (at most INBOX_WAIT_S)."""
    deadline = time.monotonic() + INBOX_WAIT_S
    while True:
        found = [g for g in staff_get(stack, "/api/v1/unanswered/groups", order="recent")["items"]
                 if any(word in sample for sample in g["samples"])]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(1)


def sign_in(page: Page, backend_url: str, user: Tuple[str, str]) -> None:
    """Sign in to the staff page with the form."""
    page.goto(backend_url + "/staff")
    page.get_by_label("账号").fill(user[0])
    page.get_by_label("密码").fill(user[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="申请检索")).to_be_visible()


def test_an_unanswerable_question_reaches_the_inbox_masked_and_staff_decide_in_the_browser(
        stack, browser: Browser, staff_account: Tuple[str, str]) -> None:
    phone = "13912345678"
    earlier = sum(group["count"] for group in groups_with_now(stack, "盲文版"))  # other tests of the session may ask it too
    for sender, text in ((f"ws-{uuid.uuid4().hex[:8]}", f"补发的证书能印成盲文版的吗？我电话{phone}"),
                         (f"ws-{uuid.uuid4().hex[:8]}", "补发的证书能不能印成盲文版的")):
        assert "指南里没有写到" in stack.texts(sender, text)
    found = groups_with(stack, "盲文版")
    count = earlier + 2
    assert len(found) == 1 and found[0]["count"] == count, found
    group = found[0]
    assert phone not in str(group) and "5678" in str(group["samples"])
    assert set(group["kinds"]) == {"abstain"} and group["channels"] == ["rest"]

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, stack.backend_url, staff_account)
        page.get_by_role("link", name="未答问题").click()
        page.get_by_role("link", name="最新的在前").click()  # the session's other tests leave many groups
        section = page.locator("section.group").filter(has_text="盲文版").first
        expect(section).to_contain_text(f"共 {count} 次")
        assert phone not in page.content()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)
        section.get_by_label("处理方式").select_option("new_answer")
        section.get_by_role("button", name="提交").click()
        expect(page.get_by_role("status")).to_contain_text(f"已处理 {count} 条问题：需要新答复")
        expect(page.locator("table").last).to_contain_text(STAFF_USER)
        page.get_by_role("link", name="新答复草稿").click()
        draft = page.locator("section").filter(has_text="盲文版").first
        draft.get_by_label("答复").fill("补发的证书只有统一格式的纸质版，暂时没有盲文版。")
        draft.get_by_role("button", name="发布").click()
        expect(page.get_by_role("alert")).to_contain_text("来源")
        draft = page.locator("section").filter(has_text="盲文版").first
        draft.get_by_label("答复").fill("补发的证书只有统一格式的纸质版，暂时没有盲文版。")
        draft.get_by_label("来源（办事指南的哪一部分、哪个文件）").fill("办事指南·结果名称")
        draft.get_by_role("button", name="发布").click()
        expect(page.get_by_role("status")).to_contain_text("草稿已发布")
    finally:
        context.close()
    assert not groups_with_now(stack, "盲文版")
    drafts = [d for d in staff_get(stack, "/api/v1/drafts")["items"] if "盲文版" in d["question"]]
    assert [(d["status"], d["updated_by"], d["source"]) for d in drafts] == [("published", STAFF_USER, "办事指南·结果名称")]


def groups_with_now(stack, word: str) -> List[Dict[str, Any]]:
    """The open groups whose samples mention `word`, right now, on every page of the inbox."""
    found: List[Dict[str, Any]] = []
    page = 1
    while True:
        listed = staff_get(stack, "/api/v1/unanswered/groups", page=str(page))
        found += [g for g in listed["items"] if any(word in sample for sample in g["samples"])]
        if page * listed["page_size"] >= listed["total"]:
            return found
        page += 1


def test_a_very_unsatisfied_rating_in_the_chat_page_is_a_followup_due_15_working_days_later(
        stack, browser: Browser, staff_account: Tuple[str, str]) -> None:
    token = f"ws-{uuid.uuid4().hex[:8]}"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    page = context.new_page()
    try:
        open_chat(page, stack.web_url)
        page.get_by_role("button", name="评价本次服务").click()
        rate(page, "非常不满意", f"等了很久 {token}")
        due = add_working_days(clock.today(), 15).date.isoformat()
        found = [f for f in staff_get(stack, "/api/v1/followups", state="open")["items"] if token in (f["comment"] or "")]
        assert [(f["rating"], f["due_date"], f["overdue"]) for f in found] == [(1, due, False)]

        sign_in(page, stack.backend_url, staff_account)
        page.get_by_role("link", name="差评回访").click()
        row = page.locator("tr").filter(has_text=token)
        expect(row).to_contain_text(due)
        expect(row).to_contain_text("待回访")
        row.get_by_label("已联系").check()
        row.get_by_label("备注").fill("已电话联系，解释了办理时限")
        row.get_by_role("button", name="保存").click()
        expect(page.get_by_role("status")).to_contain_text("回访记录已保存")
        row = page.locator("tr").filter(has_text=token)
        expect(row).to_contain_text("已联系")
        expect(row).to_contain_text(STAFF_USER)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "followups.png"), full_page=True)
    finally:
        context.close()
    found = [f for f in staff_get(stack, "/api/v1/followups")["items"] if token in (f["comment"] or "")]
    assert [(f["state"], f["updated_by"]) for f in found] == [("contacted", STAFF_USER)]


def within(seconds: float, says: Callable[[], str], wanted: str) -> str:
    """Ask `says` until its answer contains `wanted` or `seconds` have passed; the last answer."""
    deadline = time.monotonic() + seconds
    while True:
        answer = says()
        if wanted in answer or time.monotonic() > deadline:
            return answer
        time.sleep(2)


def test_an_answer_edited_through_the_api_is_said_by_the_bot_and_the_lookup_and_a_rollback_restores_it(stack) -> None:
    marker = f"（{uuid.uuid4().hex[:6]}）"
    text = f"不需要登报挂失{marker}。补证不用登报声明，也不用单位开证明，直接申请就行。"
    staff = {"Authorization": f"Bearer {stack.staff_token}"}
    lookup_url = f"http://127.0.0.1:{PORTS['LOOKUP_PORT']}/api/lookup?q={quote('补办要登报吗')}"

    def bot() -> str:
        """What the REST channel answers a fresh sender."""
        return stack.texts(f"ws-{uuid.uuid4().hex[:8]}", "补办要登报吗")

    def hotline() -> str:
        """What the hotline lookup answers first."""
        return requests.get(lookup_url, timeout=30).json()["answers"][0]["answer"]

    default = knowledge.answer("newspaper")
    assert default in bot() and hotline() == default
    edited = requests.put(f"{stack.backend_url}/api/v1/knowledge/newspaper", headers=staff, timeout=30,
                          json={"text": text, "note": "说法更口语"})
    assert edited.status_code == 200, edited.text
    try:
        assert marker in within(LIVE_WAIT_S, bot, marker)
        assert within(LIVE_WAIT_S, hotline, marker) == text
    finally:
        back = requests.post(f"{stack.backend_url}/api/v1/knowledge/newspaper/rollback", headers=staff, timeout=30,
                             json={"version": 0, "note": "测试结束，恢复原文"})
    assert back.status_code == 200 and back.json()["is_default"]
    assert default in within(LIVE_WAIT_S, bot, default) and marker not in bot()
    assert within(LIVE_WAIT_S, hotline, default) == default
