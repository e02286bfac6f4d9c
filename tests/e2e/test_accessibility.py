"""Accessibility and 适老化 of every page the project serves, measured in a real browser against the real stack.

axe-core (web/node_modules/axe-core, a dev dependency of the web page) audits each page × mode against WCAG 2.1
A/AA and, in 关怀 mode, the 7:1 contrast rule; the MIIT numbers axe does not know (type size, line height, tap
targets, nothing moving by itself) are measured from computed styles and boxes. Full results go to
test-artifacts/a11y/. The chat page's 关怀 mode is its 长辈版 switch; the staff pages follow the browser's
"more contrast" setting (prefers-contrast: more).
"""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from tests.e2e.conftest import create_reviewer
from tests.e2e.test_web_widget import (
    BOT_TEXT,
    REPLY_TIMEOUT_MS,
    make_id_photo,
    valid_id_number,
    wait_idle,
)

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "a11y"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]
BLOCKING = ("serious", "critical")
STAFF_USER = "a11y-reviewer"
STAFF_PASSWORD = "a11y-password-" + uuid.uuid4().hex[:8]
MODES = ("normal", "care")
PAGES = ("chat", "widget", "staff-login", "staff-search", "staff-application")

# Everything visible on the page (shadow roots and iframes included) that the MIIT rules speak about.
MEASURE_JS = """
(scope) => {
  const all = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      all.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  const start = scope ? document.querySelector(scope) : document;
  if (start && start.shadowRoot) walk(start.shadowRoot);
  if (start) walk(start);
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && r.right > 0 && r.bottom > 0 && r.left < innerWidth
      && s.visibility !== 'hidden' && parseFloat(s.opacity) > 0 && !el.closest('[aria-hidden="true"]');
  };
  const describe = (el) => {
    const cls = typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).slice(0, 2).join('.') : '';
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls + ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '')
      .trim().slice(0, 24) + '"';
  };
  const text = [];
  for (const el of all) {
    if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TITLE'].includes(el.tagName)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !shown(el)) continue;
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize);
    const ratio = s.lineHeight === 'normal' ? null : parseFloat(s.lineHeight) / size;
    const lines = el.getBoundingClientRect().height / (ratio ? ratio * size : 1.2 * size);
    text.push({ what: describe(el), size, ratio, multiline: lines >= 1.8, answer: !!el.closest('.Message.left .MsgText') });
  }
  // Tap targets: controls and links, except links inside running text (WCAG 2.5.8's inline exception).
  const targets = [];
  for (const el of all) {
    if (!el.matches('a[href], button, select, textarea, input, [role="button"], label')) continue;
    if (el.matches('input[type="hidden"]')) continue;
    if (el.matches('input[type="radio"], input[type="checkbox"]') && el.closest('label')) continue;
    if (el.matches('label') && !el.querySelector('input[type="radio"], input[type="checkbox"]')) continue;
    if (el.matches('a') && el.closest('p, .MsgText, li') && el.closest('p, .MsgText, li').innerText.trim() !== el.innerText.trim()) continue;
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    targets.push({ what: describe(el), width: Math.round(r.width * 10) / 10, height: Math.round(r.height * 10) / 10 });
  }
  const moving = document.getAnimations()
    .filter((a) => a.playState === 'running' && a.effect && a.effect.getComputedTiming().iterations === Infinity)
    .map((a) => describe(a.effect.target || document.body));
  const marquee = document.querySelectorAll('marquee, blink, video[autoplay], audio[autoplay], dialog[open]').length;
  return { lang: document.documentElement.lang, text, targets, moving, marquee };
}
"""

FOCUS_JS = """
() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return { tag: 'BODY', text: '', visible: false };
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  const ring = s.boxShadow && s.boxShadow !== 'none';
  return {
    tag: el.tagName, text: (el.innerText || '').trim(), role: el.getAttribute('role') || '',
    cls: typeof el.className === 'string' ? el.className : '',
    name: el.getAttribute('aria-label') || '', visible: outline || ring,
  };
}
"""


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", autouse=True)
def axe_is_built() -> None:
    """The audit needs axe-core from the web build."""
    assert AXE.is_file(), "axe-core is missing: run `make web` (npm ci) first"


@pytest.fixture(scope="module")
def staff_account(stack) -> Tuple[str, str]:
    """A reviewer account made with the real command line (`python -m backend accounts create`)."""
    done = create_reviewer(stack, STAFF_USER, STAFF_PASSWORD)
    assert done.returncode == 0 or "已" in done.stderr, done.stderr
    return STAFF_USER, STAFF_PASSWORD


def new_application(stack, name: str = "赵六") -> str:
    """One application stored through the backend's bot API; its number."""
    body = {
        "reason": "lost", "qualification": "一级建造师", "level": "一级", "specialty": "建筑工程",
        "obtained": "2015-06", "applicant_name": name, "id_number": valid_id_number("37010219800101003"),
        "cert_number": "不记得", "city": "济南市", "phone": "13800138001", "channel": "web", "sender_ref": "e2e-a11y",
    }
    response = requests.post(
        f"{stack.backend_url}/api/v1/applications", json=body, timeout=30,
        headers={"Authorization": f"Bearer {stack.bot_token}", "Idempotency-Key": f"e2e-a11y-{uuid.uuid4().hex}"},
    )
    assert response.status_code in (200, 201), response.text
    return response.json()["number"]


@pytest.fixture(scope="module")
def application_number(stack) -> str:
    """The application the staff search and detail pages show."""
    return new_application(stack)


def open_context(
    browser: Browser, mode: str = "normal", viewport: Dict[str, int] = PHONE, audit: bool = False
) -> BrowserContext:
    """A fresh context; 关怀 mode also asks for more contrast (what the staff pages follow). An audit context
    lets the test inject axe-core past the pages' content security policy (nothing else changes)."""
    context = browser.new_context(
        viewport=viewport, locale="zh-CN", contrast="more" if mode == "care" else "no-preference", bypass_csp=audit
    )
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    # Pop-ups are counted: a page that opens one by itself fails the MIIT check.
    context.add_init_script("window.__popups = 0; window.open = () => { window.__popups += 1; return null; };")
    return context


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context at phone width, closed after the test."""
    ctx = open_context(browser)
    yield ctx
    ctx.close()


def sign_in(page: Page, web_backend: str, user: Tuple[str, str]) -> None:
    """Sign in to the staff page with the form."""
    page.goto(web_backend + "/staff")
    page.get_by_label("账号").fill(user[0])
    page.get_by_label("密码").fill(user[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="申请检索")).to_be_visible()


def set_care(frame: Page | Frame) -> None:
    """Switch the chat page (or the widget's frame) into 关怀 mode with its header switch."""
    frame.locator('[data-testid="elder-toggle"]').click()
    expect(frame.locator("html")).to_have_class(re.compile(r"\belder-mode\b"))


def widget_frame(page: Page) -> Frame:
    """The chat page inside the widget's iframe, once the widget has made it (it does so on the click)."""
    frame = page.wait_for_selector("iframe[src*='embed=1']", state="attached").content_frame()
    assert frame is not None, "the widget's iframe is not there"
    return frame


def open_page(page: Page, stack, which: str, mode: str, user: Tuple[str, str], number: str) -> List[Frame]:
    """Bring `page` to one of PAGES in `mode`; the frames whose content is the page under test."""
    if which == "chat":
        page.goto(stack.web_url + "/")
        expect(page.locator(".ReplyBtn").first).to_be_visible()
        if mode == "care":
            set_care(page)
        wait_idle(page)
        return [page.main_frame]
    if which == "widget":
        page.goto(stack.web_url + "/demo-portal.html")
        page.get_by_role("button", name="打开证书补发在线咨询").click()
        frame = widget_frame(page)
        expect(frame.locator(".ReplyBtn").first).to_be_visible()
        if mode == "care":
            set_care(frame)
        expect(frame.locator(".AppRoot")).to_have_attribute("data-busy", "false")
        # The panel slides in: measure its boxes only once every finite animation of the portal has finished.
        page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running' "
                               "|| a.effect.getComputedTiming().iterations === Infinity)")
        return [page.main_frame, frame]
    if which == "staff-login":
        page.goto(stack.backend_url + "/staff")
        expect(page.get_by_role("button", name="登录")).to_be_visible()
        return [page.main_frame]
    sign_in(page, stack.backend_url, user)
    if which == "staff-search":
        page.goto(f"{stack.backend_url}/staff?q={number}")
        expect(page.locator("table a", has_text=number)).to_be_visible()
    else:
        page.goto(f"{stack.backend_url}/staff/applications/{number}")
        expect(page.get_by_role("heading", name=re.compile(number))).to_be_visible()
    return [page.main_frame]


def run_axe(page: Page, frames: List[Frame], mode: str) -> Dict[str, Any]:
    """axe-core over the page (iframes included): WCAG 2.1 A/AA, and in 关怀 mode the 7:1 contrast rule."""
    for frame in frames:
        frame.add_script_tag(path=str(AXE))
    wcag = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: true})", WCAG_TAGS
    )
    enhanced = None
    if mode == "care":
        enhanced = page.evaluate(
            "async () => await axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast-enhanced']},"
            " iframes: true})"
        )
    return {"wcag": wcag, "enhanced": enhanced}


def counts(result: Dict[str, Any]) -> Dict[str, Any]:
    """Violations by impact (rules and nodes) of one axe result."""
    by_impact: Dict[str, int] = {}
    for violation in result["violations"]:
        by_impact[violation["impact"]] = by_impact.get(violation["impact"], 0) + 1
    return {
        "rules": len(result["violations"]),
        "nodes": sum(len(v["nodes"]) for v in result["violations"]),
        "by_impact": by_impact,
        "ids": sorted(f"{v['id']} ({v['impact']}, {len(v['nodes'])})" for v in result["violations"]),
    }


# On the demo portal only the widget is ours: the portal's own page is measured by axe alone.
WIDGET_HOST = "#reissue-chat-widget"


def measure(frames: List[Frame], mode: str) -> Tuple[Dict[str, Any], List[str]]:
    """The MIIT measures of every frame (the portal: its widget only) and the problems found in them."""
    care = mode == "care"
    scopes = [WIDGET_HOST if len(frames) > 1 and i == 0 else None for i in range(len(frames))]
    measures = [frame.evaluate(MEASURE_JS, scope) for frame, scope in zip(frames, scopes)]
    problems: List[str] = []
    min_target = 60 if care else 44
    for m in measures:
        if m["lang"] != "zh-CN":
            problems.append(f"lang is {m['lang']!r}, not zh-CN")
        for t in m["targets"]:
            if t["width"] < min_target or t["height"] < min_target:
                problems.append(f"tap target {t['what']} is {t['width']}×{t['height']} px (< {min_target})")
        if m["moving"] or m["marquee"]:
            problems.append(f"content moving by itself: {m['moving']}, marquee/autoplay/dialog: {m['marquee']}")
        if care:
            for t in m["text"]:
                if t["size"] < 18:
                    problems.append(f"text {t['what']} is {t['size']} px (< 18)")
                if t["multiline"] and (t["ratio"] is None or t["ratio"] < 1.3):
                    problems.append(f"line height of {t['what']} is {t['ratio']} (< 1.3)")
            answers = [t["size"] for t in m["text"] if t["answer"]]
            body = [t["size"] for t in m["text"] if not t["answer"]]
            if answers and body and min(answers) <= min(body):
                problems.append(f"answers ({min(answers)} px) are not larger than the smallest text ({min(body)} px)")
    return {"frames": measures}, problems


def shoot(page: Page, name: str) -> None:
    """A screenshot of the page at its phone width and at desktop width into test-artifacts/a11y/."""
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"))
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"))


# ---------------------------------------------------------------- the audit


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("which", PAGES)
def test_page_passes_axe_and_the_miit_measures(
    stack, browser: Browser, staff_account: Tuple[str, str], application_number: str, which: str, mode: str
) -> None:
    """No serious or critical axe violation; in 关怀 mode 7:1 contrast, ≥ 18 px text, answers larger, line height
    ≥ 1.3; tap targets ≥ 44 px (60 in 关怀 mode); nothing moves or pops up by itself; lang="zh-CN"."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    viewport = DESKTOP if which.startswith("staff") else PHONE
    context = open_context(browser, mode, viewport, audit=True)
    dialogs: List[str] = []
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        frames = open_page(page, stack, which, mode, staff_account, application_number)
        result = run_axe(page, frames, mode)
        measures, problems = measure(frames, mode)
        summary = {"page": which, "mode": mode, "wcag": counts(result["wcag"]),
                   "enhanced": counts(result["enhanced"]) if result["enhanced"] else None, "problems": problems}
        (ARTIFACTS / f"axe-{which}-{mode}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
        (ARTIFACTS / f"summary-{which}-{mode}.json").write_text(
            json.dumps({**summary, "measures": measures}, ensure_ascii=False, indent=1)
        )
        popups = page.evaluate("window.__popups")
        shoot(page, f"{which}-{mode}")
    finally:
        context.close()
    blocking = [v for v in result["wcag"]["violations"] if v["impact"] in BLOCKING]
    if result["enhanced"]:
        assert result["enhanced"]["passes"], "the 7:1 contrast rule checked nothing"
        blocking += result["enhanced"]["violations"]
    assert not blocking, [f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in blocking]
    assert not problems, problems
    assert popups == 0 and dialogs == [], (popups, dialogs)


# ---------------------------------------------------------------- keyboard only


def focused(page: Page) -> Dict[str, Any]:
    """What has the keyboard focus (inside the widget's shadow root too) and whether its focus ring shows."""
    return page.evaluate(FOCUS_JS)


def tab_until(page: Page, wanted: Callable[[Dict[str, Any]], bool], key: str = "Tab", limit: int = 60) -> None:
    """Press `key` until the focused element is `wanted`; every stop on the way must show its focus."""
    seen: List[str] = []
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        seen.append(f"{now['tag']} {now['text'][:12]}")
        if now["tag"] != "BODY":
            assert now["visible"], f"no visible focus on {now}"
        if wanted(now):
            return
    raise AssertionError(f"never reached the element with {key}: {seen}")


def is_composer(now: Dict[str, Any]) -> bool:
    """The focus is in the message box."""
    return now["tag"] == "TEXTAREA" and "Composer-input" in now["cls"]


def key_to_composer(page: Page) -> None:
    """Tab forward to the message box."""
    if not is_composer(focused(page)):
        tab_until(page, is_composer)


def key_send(page: Page, text: str) -> None:
    """Type into the message box with the keyboard, press Enter and wait for the answer."""
    key_to_composer(page)
    before = page.locator(".Message.right").count()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(page.locator(".Message.right")).to_have_count(before + 1)
    wait_idle(page)


def key_choose(page: Page, title: str) -> None:
    """From the message box, Shift+Tab back to the newest button called `title` and press Enter."""
    key_to_composer(page)
    before = page.locator(".Message.right").count()
    tab_until(page, lambda now: now["tag"] == "BUTTON" and now["text"] == title, key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".Message.right")).to_have_count(before + 1)
    wait_idle(page)


def test_the_whole_application_with_the_keyboard_alone(stack, context: BrowserContext, tmp_path: Path) -> None:
    """Every answer typed or chosen with Tab and Enter, the photo picked with Enter on 「选择照片」, the summary
    confirmed with Enter; focus visible at every stop, new messages announced, one application stored."""
    page = context.new_page()
    page.goto(stack.web_url + "/")
    expect(page.locator(".ReplyBtn").first).to_be_visible()
    wait_idle(page)
    live = page.locator('[aria-live="polite"]')
    # The first question goes out with the visible 「发送」 button, reached with Tab and pressed with Enter.
    key_to_composer(page)
    page.keyboard.type("我要申请补办证书")
    tab_until(page, lambda now: now["tag"] == "BUTTON" and now["text"] == "发送")
    page.keyboard.press("Enter")
    expect(page.locator(".Message.right")).to_have_count(1)
    wait_idle(page)
    expect(live).to_contain_text(page.locator(BOT_TEXT).last.inner_text()[:12])
    for title in ("遗失了", "领过", "没有电子证书"):
        key_choose(page, title)
    id_number = valid_id_number("37020219790101004")
    for answer in ("一级建造师", "市政公用工程", "2015年5月", "孙七", id_number, "不记得", "青岛", "13612345679"):
        key_send(page, answer)
    expect(page.locator(".PhotoCard").last).to_be_visible()
    key_to_composer(page)
    tab_until(page, lambda now: now["tag"] == "BUTTON" and now["text"] in ("选择照片", "重新选择照片"), key="Shift+Tab")
    assert focused(page)["visible"]
    with page.expect_file_chooser(timeout=15_000) as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(make_id_photo(tmp_path / "photo.jpg")))
    expect(page.locator(".PhotoCard").last).to_have_attribute("data-state", "done")
    wait_idle(page)
    summary = page.locator(BOT_TEXT).last.inner_text()
    assert "已上传" in "\n".join(page.locator(BOT_TEXT).all_inner_texts()[-2:]) and id_number not in summary
    key_choose(page, "确认提交")
    reply = "\n".join(page.locator(BOT_TEXT).all_inner_texts()[-4:])
    number = re.search(r"申请编号是\s*(BF\d+)", reply)
    assert number, reply
    expect(live).to_contain_text(number.group(1))
    record = stack.backend_application(number.group(1))
    assert record["photo_ref"] and record["city"] == "青岛市" and record["applicant_name"] == "孙七"
    page.screenshot(path=str(ARTIFACTS / "keyboard-application.png"), full_page=True)


# ---------------------------------------------------------------- the page's own a11y features


def test_send_button_is_visible_and_named_and_every_control_has_a_name(stack, context: BrowserContext) -> None:
    """A visible 「发送」 button even before typing; a click sends; every button and input has a name."""
    page = context.new_page()
    page.goto(stack.web_url + "/")
    expect(page.locator(".ReplyBtn").first).to_be_visible()
    send_button = page.get_by_role("button", name="发送", exact=True)
    expect(send_button).to_be_visible()
    box = page.get_by_role("textbox", name="输入您的问题")
    box.fill("补办要交钱吗")
    send_button.click()
    expect(page.locator(".Message.right")).to_have_count(1)
    wait_idle(page)
    assert "不收费" in page.locator(BOT_TEXT).last.inner_text()
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, input:not([type=hidden]), textarea, select')]
             .filter((el) => !(el.getAttribute('aria-label') || el.innerText.trim() || (el.labels && el.labels.length)
                               || el.getAttribute('aria-labelledby') || el.title))
             .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    assert page.evaluate("document.documentElement.lang") == "zh-CN"


def test_care_mode_is_found_by_its_name_and_remembered_across_visits(stack, context: BrowserContext) -> None:
    """「长辈版」 switches on the 关怀 mode; the next visit (a new tab) opens in it; localStorage holds the mode only."""
    page = context.new_page()
    page.goto(stack.web_url + "/")
    expect(page.locator(".ReplyBtn").first).to_be_visible()
    switch = page.get_by_role("button", name="长辈版")
    expect(switch).to_have_attribute("aria-pressed", "false")
    assert "关怀版" in (switch.get_attribute("aria-label") or "")
    switch.click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder-mode\b"))
    page.close()

    again = context.new_page()
    again.goto(stack.web_url + "/")
    expect(again.locator("html")).to_have_class(re.compile(r"\belder-mode\b"))
    expect(again.get_by_role("button", name="长辈版")).to_have_attribute("aria-pressed", "true")
    assert again.evaluate("Object.fromEntries(Object.entries(localStorage))") == {"reissue-chat:mode": "care"}
    again.get_by_role("button", name="长辈版").click()
    expect(again.locator("html")).not_to_have_class(re.compile(r"\belder-mode\b"))
    assert again.evaluate("Object.keys(localStorage)") == []


ZH_VOICE_STUB = """
window.__spoken = [];
const fakeVoice = { lang: 'zh-CN', name: '测试中文语音', voiceURI: 'test-zh', localService: true, default: true };
speechSynthesis.getVoices = () => [fakeVoice];
speechSynthesis.speak = (utterance) => { window.__spoken.push({ text: utterance.text, lang: utterance.lang }); };
speechSynthesis.cancel = () => {};
"""


def test_read_aloud_is_hidden_without_a_chinese_voice(stack, context: BrowserContext) -> None:
    """Headless Chromium has no Chinese voice: no 「朗读」 button at all."""
    page = context.new_page()
    page.goto(stack.web_url + "/")
    expect(page.locator(".ReplyBtn").first).to_be_visible()
    page.wait_for_timeout(500)  # time for a late voiceschanged event
    voices = page.evaluate("speechSynthesis.getVoices().map((v) => v.lang)")
    assert not [lang for lang in voices if lang.lower().startswith("zh")], voices
    expect(page.locator(".Message.left .MsgText").first).to_be_visible()
    expect(page.get_by_role("button", name="朗读")).to_have_count(0)


def test_read_aloud_speaks_the_answer_where_a_chinese_voice_exists(stack, context: BrowserContext) -> None:
    """With a Chinese voice, each answer has 「朗读」 and pressing it speaks that answer's text in Chinese."""
    page = context.new_page()
    page.add_init_script(ZH_VOICE_STUB)
    page.goto(stack.web_url + "/")
    expect(page.locator(".ReplyBtn").first).to_be_visible()
    box = page.get_by_role("textbox", name="输入您的问题")
    box.fill("补办要交钱吗")
    box.press("Enter")
    expect(page.locator(".Message.right")).to_have_count(1)
    wait_idle(page)
    answer = page.locator(".Message.left").last
    answer.get_by_role("button", name="朗读").click()
    spoken = page.evaluate("window.__spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "zh-CN"
    assert "不收费" in spoken[0]["text"]
    assert spoken[0]["text"] == re.sub(r"\s+", " ", answer.locator(".MsgText").inner_text()).strip()


def test_errors_are_said_in_words_not_only_colour(
    stack, context: BrowserContext, staff_account: Tuple[str, str]
) -> None:
    """A rating sent without a choice, a wrong password and a refusal without its reason: each error is a
    sentence in an alert, not a colour."""
    page = context.new_page()
    page.goto(stack.web_url + "/")
    expect(page.locator(".ReplyBtn").first).to_be_visible()
    page.get_by_role("button", name="评价本次服务").click()
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".RatingCard [role=alert]")).to_have_text("请先选择一个评价等级。")

    page.goto(stack.backend_url + "/staff")
    page.get_by_label("账号").fill(staff_account[0])
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("账号或密码不正确")

    sign_in(page, stack.backend_url, staff_account)
    number = new_application(stack, "钱八")
    page.goto(f"{stack.backend_url}/staff/applications/{number}")
    page.get_by_label("改为").select_option("审核中")
    page.get_by_role("button", name=re.compile("确认变更")).click()
    expect(page.get_by_role("status")).to_contain_text("审核中")
    page.get_by_label("改为").select_option("审核不通过")
    page.get_by_role("button", name=re.compile("确认变更")).click()
    expect(page.get_by_role("alert")).to_contain_text("必须填写原因")
