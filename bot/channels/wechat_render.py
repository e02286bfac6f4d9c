"""Pure rendering for WeChat customer-service messages: merge a bot turn, number buttons, read digit answers."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from reissue import knowledge

MAX_TEXT_BYTES = 2000  # the send API refuses text over 2048 bytes (errcode 45002); keep a margin
HANDOFF_PHRASES = ("转人工", "人工客服", "人工服务", "真人客服")
HANDOFF_MAX_CHARS = 12

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CHOICE_RE = re.compile(r"^第?(\d{1,2}|[一二两三四五六七八九十])(?:个|项|条|号)?$")
_TRAILING_PUNCT = " \t\r\n。．.、，,!！?？~～"


@dataclass(frozen=True)
class Choice:
    """One numbered choice: what the user saw and what Rasa should receive."""

    number: int
    title: str
    payload: str


@dataclass
class RenderedTurn:
    """The send-API payloads (without `touser`) of one bot turn and the choices it offered."""

    payloads: List[Dict[str, Any]] = field(default_factory=list)
    choices: List[Choice] = field(default_factory=list)
    truncated: bool = False


def normalize_text(text: str) -> str:
    """NFKC-normalise (full-width digits and letters become ASCII) and strip whitespace."""
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_choice_number(text: str) -> Optional[int]:
    """Return the number a short answer like "1", "１", "第2个" or "三" stands for, else None."""
    cleaned = normalize_text(text).strip(_TRAILING_PUNCT)
    match = _CHOICE_RE.match(cleaned)
    if not match:
        return None
    token = match.group(1)
    return int(token) if token.isdigit() else _CN_DIGITS[token]


def resolve_choice(text: str, choices: Sequence[Choice]) -> Optional[Choice]:
    """Return the choice a digit answer selects, or None when it selects nothing."""
    number = parse_choice_number(text)
    if number is None:
        return None
    for choice in choices:
        if choice.number == number:
            return choice
    return None


def is_handoff_request(text: str) -> bool:
    """Return True for a short request for a human agent (转人工 / 人工客服)."""
    cleaned = normalize_text(text)
    if not cleaned or len(cleaned) > HANDOFF_MAX_CHARS:
        return False
    return any(phrase in cleaned for phrase in HANDOFF_PHRASES)


def _utf8_len(text: str) -> int:
    """Return the UTF-8 byte length of `text`."""
    return len(text.encode("utf-8"))


def _cut_to_bytes(text: str, max_bytes: int) -> str:
    """Return the longest prefix of `text` within `max_bytes` UTF-8 bytes."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def _split_long_block(block: str, max_bytes: int) -> List[str]:
    """Split one block over `max_bytes` at line breaks, hard-cutting lines that are still too long."""
    pieces: List[str] = []
    current = ""
    for line in block.split("\n"):
        while _utf8_len(line) > max_bytes:
            head = _cut_to_bytes(line, max_bytes)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
            line = line[len(head) :]
        candidate = f"{current}\n{line}" if current else line
        if _utf8_len(candidate) > max_bytes:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def pack_texts(blocks: Sequence[str], max_bytes: int = MAX_TEXT_BYTES, separator: str = "\n\n") -> List[str]:
    """Merge text blocks, separated by a blank line, into as few texts of at most `max_bytes` as possible."""
    texts: List[str] = []
    current = ""
    for raw in blocks:
        block = raw.strip()
        if not block:
            continue
        parts = [block] if _utf8_len(block) <= max_bytes else _split_long_block(block, max_bytes)
        for part in parts:
            candidate = f"{current}{separator}{part}" if current else part
            if _utf8_len(candidate) <= max_bytes:
                current = candidate
            else:
                texts.append(current)
                current = part
    if current:
        texts.append(current)
    return texts


def format_choices(choices: Sequence[Choice]) -> str:
    """Render choices as numbered lines under the "reply with a number" header."""
    lines = [knowledge.message("channel_wechat_choices")] + [f"{c.number}. {c.title}" for c in choices]
    return "\n".join(lines)


def _custom_payload(custom: Any) -> Optional[Dict[str, Any]]:
    """Return a ready send-API payload from a `custom: {wechat: {...}}` response, if it holds one."""
    if not isinstance(custom, dict):
        return None
    payload = custom.get("wechat")
    if isinstance(payload, dict) and isinstance(payload.get("msgtype"), str) and payload["msgtype"] in payload:
        return dict(payload)
    return None


def render_turn(
    messages: Sequence[Dict[str, Any]], max_messages: int = 5, max_bytes: int = MAX_TEXT_BYTES
) -> RenderedTurn:
    """Turn a turn's collected Rasa messages into at most `max_messages` send-API payloads.

    Texts are merged with blank lines; buttons become numbered choices, numbered across the turn;
    image URLs and attachments become text lines; `custom: {wechat: {msgtype: ...}}` is sent as is.
    """
    blocks: List[str] = []
    extra: List[Dict[str, Any]] = []
    choices: List[Choice] = []
    for message in messages:
        text = str(message.get("text") or "").strip()
        buttons = message.get("buttons") or message.get("quick_replies") or []
        block_choices: List[Choice] = []
        for button in buttons:
            if not isinstance(button, dict):
                continue
            title = str(button.get("title") or button.get("payload") or "").strip()
            payload = str(button.get("payload") or title).strip()
            if not title:
                continue
            block_choices.append(Choice(len(choices) + len(block_choices) + 1, title, payload))
        if block_choices:
            text = f"{text}\n{format_choices(block_choices)}" if text else format_choices(block_choices)
            choices.extend(block_choices)
        if text:
            blocks.append(text)
        if message.get("image"):
            blocks.append(knowledge.message("channel_wechat_image", url=message["image"]))
        if message.get("attachment"):
            blocks.append(knowledge.message("channel_wechat_attachment", url=message["attachment"]))
        custom = _custom_payload(message.get("custom"))
        if custom is not None:
            extra.append(custom)

    texts = pack_texts(blocks, max_bytes=max_bytes)
    truncated = False
    extra_limit = max(max_messages - (1 if texts else 0), 0)
    if len(extra) > extra_limit:
        extra = extra[:extra_limit]
        truncated = True
    room = max_messages - len(extra)
    if len(texts) > room:
        kept = texts[: room - 1]
        tail = f"\n\n{knowledge.message('channel_wechat_truncated')}"
        listing = format_choices(choices) if choices else ""
        if listing and any(listing in t for t in kept):
            listing = ""
        if listing:
            tail += f"\n\n{listing}"
        texts = kept + [_cut_to_bytes(texts[room - 1], max_bytes - _utf8_len(tail)).rstrip() + tail]
        truncated = True
    payloads = [{"msgtype": "text", "text": {"content": t}} for t in texts] + extra
    return RenderedTurn(payloads=payloads, choices=choices, truncated=truncated)
