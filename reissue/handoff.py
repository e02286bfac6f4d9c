"""Live handoff to a person: when staff are there, what the queue entry says (masked), and the words that end it.

A handoff is `waiting` in the queue, `taken` by a member of staff, then `released` (handed back to the assistant),
`closed` (by staff or by the user's "不用了") or `expired` (nobody took it in time).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from reissue.application import FIELD_LABELS, REASON_LABELS
from reissue.hall import hall_status
from reissue.knowledge import message
from reissue.masking import mask_id, mask_name, mask_phone, scrub
from reissue.parsing.text import normalise

WAITING, TAKEN, RELEASED, CLOSED, EXPIRED = "waiting", "taken", "released", "closed", "expired"
STATUSES: Tuple[str, ...] = (WAITING, TAKEN, RELEASED, CLOSED, EXPIRED)
OPEN_STATUSES: Tuple[str, ...] = (WAITING, TAKEN)
STATUS_LABELS: Dict[str, str] = {WAITING: "排队中", TAKEN: "服务中", RELEASED: "已交回助手", CLOSED: "已结束",
                                 EXPIRED: "无人接听"}
ALWAYS = "always"
HALL = "hall"
MAX_TURNS = 8
MAX_TURN_CHARS = 300
MAX_TEXT_CHARS = 1000
# Form fields shown in the queue entry, in the form's order; the personal ones masked.
SUMMARY_FIELDS: Tuple[str, ...] = (
    "reissue_reason", "qualification", "level", "specialty", "obtained", "applicant_name", "id_number",
    "cert_number", "city", "phone", "photo_ref",
)
MASKS = {"id_number": mask_id, "phone": mask_phone, "applicant_name": mask_name}
# The topic staff read first, by the form the conversation is in (no form: a question about the service).
TOPICS = {"reissue_form": "handoff_topic_reissue", "progress_form": "handoff_topic_progress"}
_CANCEL = re.compile(r"^(?:不用了|不用|不需要了|不需要|算了|取消)(?:吧|啦|了)?(?:[,，。.!！~～]*(?:谢谢|谢了))?[。.!！~～]*$")


def staffed(now: datetime, hours: str) -> bool:
    """True when a person can answer now: `always`, or (by default) while the hall is open on a working day."""
    if (hours or HALL).strip().lower() == ALWAYS:
        return True
    return hall_status(now).open


def is_cancel(text: str) -> bool:
    """True for a short "不用了" (no thanks, I no longer need a person)."""
    return bool(_CANCEL.match(normalise(text or "").strip()))


def masked_fields(slots: Mapping[str, Any]) -> List[Dict[str, str]]:
    """The form's fields filled so far, labelled, with the personal ones masked."""
    fields: List[Dict[str, str]] = []
    for name in SUMMARY_FIELDS:
        value = slots.get(name)
        if value in (None, ""):
            continue
        if name == "reissue_reason":
            shown = REASON_LABELS.get(str(value), str(value))
        elif name in MASKS:
            shown = MASKS[name](value)
        else:
            shown = scrub(str(value))
        fields.append({"label": FIELD_LABELS[name], "value": shown[:64]})
    return fields


def masked_turns(turns: Iterable[Tuple[str, str]], limit: int = MAX_TURNS) -> List[Dict[str, str]]:
    """The last `limit` turns as {who: user|bot, text}, every ID and phone number in them masked."""
    kept = [(who, text) for who, text in turns if who in ("user", "bot") and (text or "").strip()]
    return [{"who": who, "text": scrub(text.strip())[:MAX_TURN_CHARS]} for who, text in kept[-limit:]]


def summary(topic: str, slots: Mapping[str, Any], turns: Iterable[Tuple[str, str]],
            requested: Optional[str] = None) -> Dict[str, Any]:
    """The queue entry's summary: the topic, the fields so far (masked), the field being asked, the last turns."""
    return {
        "topic": scrub(topic)[:64],
        "fields": masked_fields(slots),
        "asking": FIELD_LABELS.get(requested or "", ""),
        "turns": masked_turns(turns),
    }


def conversation_summary(loop: Optional[str], slots: Mapping[str, Any], turns: Iterable[Tuple[str, str]],
                         requested: Optional[str]) -> Dict[str, Any]:
    """The summary of a conversation in form `loop` (or none), its slots, its turns and the field being asked."""
    topic = message(TOPICS.get(str(loop), "handoff_topic_question"))
    return summary(topic, slots, turns, requested if loop else None)


def clean_summary(raw: Mapping[str, Any]) -> Dict[str, Any]:
    """A summary as a client sent it, masked again and cut to its limits (whatever the client masked)."""
    clean = summary(str(raw.get("topic") or ""), {}, [], None)
    clean["fields"] = [{"label": clean_text(str(f.get("label", "")))[:32], "value": clean_text(str(f.get("value", "")))[:64]}
                       for f in raw.get("fields") or [] if isinstance(f, dict)][:len(SUMMARY_FIELDS)]
    clean["asking"] = clean_text(str(raw.get("asking") or ""))[:32]
    clean["turns"] = masked_turns([(str(t.get("who", "")), str(t.get("text", "")))
                                   for t in raw.get("turns") or [] if isinstance(t, dict)])
    return clean


def clean_text(text: str) -> str:
    """A message for the transcript: trimmed, at most MAX_TEXT_CHARS, every ID and phone number masked."""
    return scrub((text or "").strip())[:MAX_TEXT_CHARS]
