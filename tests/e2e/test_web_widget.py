"""The portal chat page in a real browser (Debian's Chromium, headless) against the real stack.

The `stack` session fixture (tests/e2e/conftest.py) starts Rasa, the action server, the backend and
`python -m web.server`. The page helpers below (`send`, `last_bot_text`, `click_button`,
`upload_photo`, ...) are meant to be reused by further browser tests, e.g. the application flow.
"""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests
from playwright.sync_api import Browser, Dialog, Page, Request, Route, expect

from reissue.masking import mask_id, mask_phone

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
REPLY_TIMEOUT_MS = 60_000  # Rasa shares two CPU cores with everything else during the tests

BOT_TEXT = ".Message.left .MsgText"
USER_TEXT = ".Message.right .MsgText"
REST_ROUTE = "**/webhooks/rest/webhook"
NEW_CHAT_CONFIRM = "开始新对话吗"


# ---------------------------------------------------------------- browser fixtures


@pytest.fixture()
def confirms() -> List[str]:
    """The 「新对话」 confirmations the page asked for (and the test accepted)."""
    return []


@pytest.fixture()
def page(browser: Browser, confirms: List[str]) -> Iterator[Page]:
    """A fresh context (empty storage) at phone width, failing on page errors and unexpected dialogs."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    pg = context.new_page()
    errors: List[str] = []

    def on_dialog(dialog: Dialog) -> None:
        """Accept the new-conversation confirmation; any other dialog is an error."""
        if dialog.type == "confirm" and dialog.message.startswith(NEW_CHAT_CONFIRM):
            confirms.append(dialog.message)
            dialog.accept()
            return
        errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("dialog", on_dialog)
    yield pg
    context.close()
    assert errors == [], f"page errors: {errors}"


# ---------------------------------------------------------------- page helpers


def open_chat(page: Page, web_url: str) -> None:
    """Open the chat page and wait for the greeting with its quick-reply buttons."""
    page.goto(web_url.rstrip("/") + "/")
    expect(page.locator(".ReplyBtn").first).to_be_visible()


def wait_idle(page: Page) -> None:
    """Wait until no message is waiting for the bot's answer."""
    expect(page.locator('.MsgBlock[data-pending="true"]')).to_have_count(0)
    expect(page.locator(".AppRoot")).to_have_attribute("data-busy", "false")


def bot_texts(page: Page) -> List[str]:
    """Every bot text bubble, oldest first."""
    return page.locator(BOT_TEXT).all_inner_texts()


def user_texts(page: Page) -> List[str]:
    """Every user text bubble, oldest first."""
    return page.locator(USER_TEXT).all_inner_texts()


def last_bot_text(page: Page) -> str:
    """The newest bot text bubble."""
    return page.locator(BOT_TEXT).last.inner_text()


def send(page: Page, text: str) -> None:
    """Type `text` into the composer, press Enter and wait for the bot's answer."""
    before = page.locator(".Message.right").count()
    box = page.get_by_role("textbox", name="输入您的问题")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".Message.right")).to_have_count(before + 1)
    wait_idle(page)


def click_button(page: Page, title: str) -> None:
    """Click the newest quick-reply button called `title` and wait for the answer."""
    before = page.locator(".Message.right").count()
    page.locator(".ReplyBtn").filter(has_text=re.compile(rf"^{re.escape(title)}$")).last.click()
    expect(page.locator(".Message.right")).to_have_count(before + 1)
    wait_idle(page)


def upload_photo(page: Page, path: Path) -> str:
    """Upload `path` through the newest photo card; return the photo_ref sent to the bot."""
    card = page.locator(".PhotoCard").last
    card.locator('input[type="file"]').set_input_files(str(path))
    expect(card).to_have_attribute("data-state", re.compile("^(done|error)$"))
    assert card.get_attribute("data-state") == "done", card.inner_text()
    wait_idle(page)
    sent = [t for t in user_texts(page) if t.startswith("照片已上传：")]
    assert sent, "the photo reference was not sent to the bot"
    return sent[-1].split("：", 1)[1]


def rate(page: Page, label: str, comment: str = "") -> None:
    """Fill and submit the newest open rating card, and wait for the thank-you."""
    card = page.locator('.RatingCard:not([data-state="done"])').last
    card.get_by_label(label, exact=True).check()
    if comment:
        card.get_by_label("意见或建议（选填）").fill(comment)
    card.get_by_role("button", name="提交评价").click()
    expect(page.locator('.RatingCard[data-state="done"]').last).to_contain_text("谢谢您的评价")


def browser_storage(page: Page) -> Dict[str, Dict[str, str]]:
    """Everything the page keeps in localStorage and sessionStorage, key by key."""
    return page.evaluate(
        """() => Object.fromEntries([['local', localStorage], ['session', sessionStorage]].map(([name, store]) =>
             [name, Object.fromEntries(Object.keys(store).map((key) => [key, store.getItem(key)]))]))"""
    )


def rest_senders(page: Page) -> List[str]:
    """A list that fills with the sender id of every message the page posts to Rasa."""
    senders: List[str] = []

    def on_request(request: Request) -> None:
        """Record the sender of a REST-channel message."""
        if request.method == "POST" and request.url.endswith("/webhooks/rest/webhook"):
            senders.append(json.loads(request.post_data or "{}").get("sender", ""))

    page.on("request", on_request)
    return senders


def user_words(stack, sender: str) -> List[str]:
    """What the user said in a conversation, from Rasa's tracker."""
    events: List[Dict[str, Any]] = stack.tracker(sender).get("events", [])
    return [event.get("text") or "" for event in events if event.get("event") == "user"]


def valid_id_number(body: str = "37020219790101002") -> str:
    """An ID number with its check digit."""
    from reissue.parsing.id_number import check_digit

    return body + check_digit(body)


def answer_until_photo(page: Page, name: str, id_number: str, phone: str) -> None:
    """A pre-2017 一级建造师 certificate: every question of the application up to the photo."""
    send(page, "我要申请补办证书")
    click_button(page, "遗失了")
    click_button(page, "领过")
    click_button(page, "没有电子证书")
    send(page, "一级建造师")
    send(page, "市政公用工程")
    send(page, "2015年5月")
    send(page, name)
    send(page, id_number)
    send(page, "不记得")
    send(page, "青岛")
    send(page, phone)


def feedback_list(stack) -> list:
    """The stored ratings, read with the staff token from the backend."""
    response = requests.get(
        f"{stack.backend_url}/api/v1/feedback",
        headers={"Authorization": f"Bearer {stack.staff_token}"},
        timeout=10,
    )
    response.raise_for_status()
    data = response.json()
    return data if isinstance(data, list) else data.get("items", [])


# ---------------------------------------------------------------- the test


@pytest.mark.e2e
def test_portal_chat_in_a_real_browser(stack, page: Page) -> None:
    """FAQ, quick reply, literal <script>, reload, large font, retry after a network error, rating."""
    open_chat(page, stack.web_url)
    greeting_buttons = page.locator(".ReplyBtn").all_inner_texts()
    assert len(greeting_buttons) >= 2, greeting_buttons

    # An FAQ typed and sent with Enter.
    send(page, "补办要交钱吗")
    assert "不收费" in last_bot_text(page)

    # A hot question from the greeting: the bubble shows the title, the bot answers.
    replies_before = len(bot_texts(page))
    click_button(page, greeting_buttons[0])
    assert user_texts(page)[-1] == greeting_buttons[0]
    assert len(bot_texts(page)) > replies_before

    # Text is text: a <script> message shows literally and never runs.
    attack = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
    send(page, attack)
    assert user_texts(page)[-1] == attack
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator(".MessageList script, .MessageList img[src='x']").count() == 0

    # A reload restores the conversation.
    transcript = user_texts(page), bot_texts(page)
    page.reload()
    expect(page.locator(USER_TEXT)).to_have_count(len(transcript[0]))
    assert (user_texts(page), bot_texts(page)) == transcript

    # The 适老化 switch toggles a class on <html> and survives a reload.
    toggle = page.get_by_role("button", name="大字高对比模式")
    toggle.click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder-mode\b"))
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder-mode\b"))
    page.get_by_role("button", name="大字高对比模式").click()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\belder-mode\b"))

    # A network failure: polite message, the text stays, and 重试 delivers it.
    page.route("**/webhooks/rest/webhook", lambda route: route.abort())
    box = page.get_by_role("textbox", name="输入您的问题")
    box.fill("需要登报吗")
    box.press("Enter")
    failed = page.locator('.MsgBlock[data-failed="true"]').last
    expect(failed).to_contain_text("需要登报吗")
    expect(failed).to_contain_text("网络")
    page.unroute("**/webhooks/rest/webhook")
    failed.get_by_role("button", name="重试").click()
    expect(page.locator('.MsgBlock[data-failed="true"]')).to_have_count(0)
    wait_idle(page)
    assert user_texts(page)[-1] == "需要登报吗"

    # Keyboard: Tab from the composer reaches buttons with a visible focus ring.
    box.focus()
    page.keyboard.press("Shift+Tab")
    focused_outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert page.evaluate("document.activeElement.tagName") in ("BUTTON", "INPUT", "A")
    assert focused_outline != "none"

    # Works at 360 px: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # A rating from the header's 评价 button is stored where staff can read it.
    token = f"e2e-{uuid.uuid4().hex[:8]}"
    page.get_by_role("button", name="评价本次服务").click()
    rate(page, "满意", f"很方便 {token}")
    stored = [f for f in feedback_list(stack) if token in (f.get("comment") or "")]
    assert len(stored) == 1, stored
    assert stored[0]["rating"] == 4 and stored[0]["label"] == "满意"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-widget.png"), full_page=True)


@pytest.mark.e2e
def test_widget_tag_opens_the_chat(stack, page: Page) -> None:
    """The one-tag embed on the demo portal opens the chat in an iframe and closes again."""
    page.goto(stack.web_url.rstrip("/") + "/demo-portal.html")
    launcher = page.get_by_role("button", name="打开证书补发在线咨询")
    launcher.click()
    frame = page.frame_locator('iframe[title="证书补发在线咨询"]')
    expect(frame.locator(".ReplyBtn").first).to_be_visible()
    frame.get_by_role("button", name="关闭对话窗口").click()
    expect(page.locator("#reissue-chat-panel")).to_have_attribute("data-open", "false")


def make_id_photo(path: Path) -> Path:
    """A photo that meets the guide's rules: JPEG, 295×413 px, white background, about 10 KB."""
    import random

    from PIL import Image

    rng = random.Random(7)
    image = Image.new("RGB", (295, 413), (255, 255, 255))
    face = Image.new("RGB", (150, 200))
    face.putdata([(rng.randrange(90, 200), rng.randrange(60, 160), rng.randrange(40, 140)) for _ in range(150 * 200)])
    image.paste(face, (72, 140))
    image.save(path, "JPEG", quality=40)
    return path


def test_application_with_photo_in_a_real_browser(stack, page: Page, tmp_path: Path) -> None:
    """A pre-2017 certificate: the whole application by clicks and typing, the photo uploaded and
    checked, the masked summary confirmed, one application stored with the photo, and a rating."""
    id_number = valid_id_number()
    open_chat(page, stack.web_url)
    answer_until_photo(page, "王五", id_number, "13612345678")
    assert "证件照" in last_bot_text(page) or any("证件照" in t for t in bot_texts(page)[-3:])
    photo_ref = upload_photo(page, make_id_photo(tmp_path / "photo.jpg"))
    summary = "\n".join(bot_texts(page)[-2:])
    assert "370202********" in summary and id_number not in summary and "已上传" in summary
    click_button(page, "确认提交")
    reply = "\n".join(bot_texts(page)[-4:])
    number = re.search(r"申请编号是\s*(BF\d+)", reply).group(1)
    record = stack.backend_application(number)
    assert record["photo_ref"] == photo_ref and record["city"] == "青岛市" and record["obtained"] == "2015-05"
    rate(page, "非常满意", "很方便")
    assert any(item.get("comment") == "很方便" and item.get("rating") == 5 for item in feedback_list(stack))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-application.png"), full_page=True)


@pytest.mark.e2e
def test_browser_storage_keeps_no_id_number_phone_or_name(stack, page: Page) -> None:
    """The visitor sees what they typed; the browser keeps it masked, in this tab only, drafts included."""
    id_number, phone, name = valid_id_number("37020219850607001"), "13987654321", "欧阳娜娜"
    open_chat(page, stack.web_url)
    answer_until_photo(page, name, id_number, phone)
    assert {id_number, phone, name} <= set(user_texts(page))

    page.get_by_role("textbox", name="输入您的问题").fill(f"我的手机是{phone}")
    stored = json.dumps(browser_storage(page), ensure_ascii=False)
    for secret in (id_number, phone, name, id_number[6:14]):
        assert secret not in stored, f"{secret} is stored: {stored}"
    assert mask_id(id_number) in stored and mask_phone(phone) in stored and "欧***" in stored
    assert browser_storage(page)["local"] == {}

    page.reload()
    expect(page.locator(USER_TEXT)).to_contain_text([mask_id(id_number)])
    shown = page.locator(".MessageList").inner_text()
    assert id_number not in shown and phone not in shown and name not in shown
    assert mask_phone(phone) in user_texts(page) and "欧***" in user_texts(page)
    assert page.get_by_role("textbox", name="输入您的问题").input_value() == ""


@pytest.mark.e2e
def test_new_chat_forgets_the_conversation(stack, page: Page, confirms: List[str]) -> None:
    """「新对话」: nothing of the previous conversation on screen, in storage, in late replies or in Rasa."""
    senders = rest_senders(page)
    open_chat(page, stack.web_url)
    greeting = bot_texts(page)
    marker = f"证书编号{uuid.uuid4().hex[:6]}"
    send(page, f"我的身份证号是{valid_id_number()}，{marker}")
    send(page, "补办要交钱吗")
    old_sender = senders[-1]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-before-new-chat.png"), full_page=True)

    # A question still on its way when 「新对话」 is pressed: its late answer must not reach the new conversation.
    held: List[Route] = []

    def hold_first(route: Route) -> None:
        """Keep the first message waiting; let every later one through."""
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(REST_ROUTE, hold_first)
    box = page.get_by_role("textbox", name="输入您的问题")
    box.fill("需要登报吗")
    box.press("Enter")
    expect(page.locator('.MsgBlock[data-pending="true"]')).to_have_count(1)
    box.fill("没发出去的草稿")
    page.get_by_role("button", name="开始新对话").click()
    assert len(confirms) == 1
    expect(page.locator(USER_TEXT)).to_have_count(0)
    held[0].continue_()
    expect(page.locator(".ReplyBtn").first).to_be_visible()
    wait_idle(page)
    page.wait_for_timeout(1500)  # time for the held answer to arrive and (wrongly) be shown
    page.unroute(REST_ROUTE)

    assert bot_texts(page) == greeting
    assert page.get_by_role("textbox", name="输入您的问题").input_value() == ""
    new_sender = senders[-1]
    assert new_sender != old_sender and new_sender.startswith("web-")
    stored = json.dumps(browser_storage(page), ensure_ascii=False)
    for trace in (old_sender, marker, "不收费", "需要登报吗", "登报声明", "草稿"):
        assert trace not in stored, f"{trace} is still stored: {stored}"
    page.screenshot(path=str(ARTIFACTS / "web-after-new-chat.png"), full_page=True)

    page.reload()
    expect(page.locator(".ReplyBtn").first).to_be_visible()
    assert user_texts(page) == [] and bot_texts(page) == greeting
    send(page, "需要登报吗")
    assert senders[-1] == new_sender
    assert any(marker in words for words in user_words(stack, old_sender))
    assert not any(marker in words or "交钱" in words for words in user_words(stack, new_sender))


@pytest.mark.e2e
def test_an_idle_conversation_is_forgotten(stack, page: Page) -> None:
    """Left alone for more than 30 minutes (the next visitor at a hall computer), the chat starts afresh."""
    senders = rest_senders(page)
    page.clock.install()
    open_chat(page, stack.web_url)
    greeting = bot_texts(page)
    send(page, "补办要交钱吗")
    old_sender = senders[-1]
    page.clock.fast_forward("29:00")
    expect(page.locator(USER_TEXT)).to_have_count(1)
    page.clock.fast_forward("02:30")
    expect(page.locator(USER_TEXT)).to_have_count(0)
    expect(page.locator(BOT_TEXT).first).to_be_visible()
    wait_idle(page)
    assert greeting[0] in bot_texts(page) and "不收费" not in "".join(bot_texts(page))
    assert senders[-1] != old_sender
    assert "不收费" not in json.dumps(browser_storage(page), ensure_ascii=False)
