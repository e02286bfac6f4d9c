"""Callback numbers: the offer made when no person could answer, the short dialogue in which the user consents and
leaves a mobile number (masked for every view, sealed at rest), and the staff's record of the call, which deletes the
sealed number. Open numbers not called within the retention are deleted by `lapse_due`. Every step is audited; so is
each time a signed-in account has an open number shown whole to place the call (`reveal`, at most 30 an hour).

The dialogue is pure (`reissue.callback.step`); this module keeps its state and the number.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import secrets as token_source
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional, Tuple

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend import throttle
from backend.callback_models import Callback, CallbackEvent
from backend.errors import ApiError
from backend.numbering import utc_now_naive
from backend.privacy import token_hash, tokens_equal
from backend.service import Secrets
from reissue import callback as rules
from reissue import sealing
from reissue.handoff import clean_summary, clean_text
from reissue.knowledge import message
from reissue.masking import mask_last4, mask_phone

USER_ACTOR, ASSISTANT_ACTOR = "user", "assistant"
LIST_LIMIT = 200
PHONE_CONTEXT, SEAL_SALT = b"callback-phone-v1", b"reissue-backend"
CONVERSATION_CONTEXT = b"conversation-v1"
REVEALED = "revealed"
# Whole numbers one account may have shown: enough for a day of callbacks, too few to copy the list out.
REVEALS_PER_ACCOUNT = throttle.Rule("callback_reveal", 30, 60 * 60)
LOG = logging.getLogger("backend")


@dataclass(frozen=True)
class Offered:
    """A new offer: its number and the secret the user's side answers it with (None when a channel answers it)."""

    id: int
    token: Optional[str]


@dataclass(frozen=True)
class Answered:
    """What the user's words did to an offer: its status, what the user is told, and whether the words are for the
    assistant instead (`passthrough`)."""

    status: str
    replies: Tuple[str, ...]
    passthrough: bool

    def body(self) -> Dict[str, Any]:
        """The API form."""
        return {"status": self.status, "messages": [{"text": text} for text in self.replies],
                "passthrough": self.passthrough}


def conversation_key(conversation: str, hmac_key: str) -> str:
    """The keyed digest a channel's conversation is found by (the conversation id itself is never stored)."""
    return hmac.new(hmac_key.encode("utf-8"), CONVERSATION_CONTEXT + conversation.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def seal_phone(phone: str, secret: str) -> str:
    """The number sealed for storage under its own context."""
    return sealing.seal(phone, secret, PHONE_CONTEXT, SEAL_SALT)


def unseal_phone(sealed: str, secret: str) -> str:
    """The number from its sealed copy (only `reveal`, the audited path, and the tests)."""
    return sealing.unseal(sealed, secret, PHONE_CONTEXT, SEAL_SALT)


def not_found() -> ApiError:
    """The 404 for a callback that does not exist (or whose token is wrong: the same answer)."""
    return ApiError(404, "not_found", message("callback_not_found"))


def _audit(session: Session, callback_id: int, action: str, actor: str, now: datetime) -> None:
    """Add one event to the audit trail."""
    session.add(CallbackEvent(callback_id=callback_id, action=action, actor=actor[:64], at=now))


def add_offer(session: Session, channel: str, reason: str, summary_json: str, topic: str, now: datetime,
              handoff_id: Optional[int] = None, hashed_token: Optional[str] = None,
              conversation_hash: Optional[str] = None) -> Callback:
    """Add an offer in `session` (consent asked); the summary is already masked JSON."""
    row = Callback(status=rules.OFFERED, channel=channel, reason=reason, handoff_id=handoff_id, token_hash=hashed_token,
                   conversation_hash=conversation_hash, topic=topic[:64], summary=summary_json, misses=0,
                   created_at=now)
    session.add(row)
    session.flush()
    _audit(session, row.id, "offered", ASSISTANT_ACTOR, now)
    return row


def open_offer(factory: sessionmaker, channel: str, summary: Mapping[str, Any], keys: Secrets,
               conversation: str = "", now: Optional[datetime] = None) -> Offered:
    """The assistant offers a callback outside staffed hours: a channel that answers by conversation (WeChat) gives
    `conversation`; otherwise the user's side gets a token of its own."""
    now = now or utc_now_naive()
    clean = clean_summary(summary)
    token = None if conversation else token_source.token_urlsafe(24)
    with factory.begin() as session:
        row = add_offer(session, channel, rules.OFF_HOURS, json.dumps(clean, ensure_ascii=False), clean["topic"], now,
                        hashed_token=token_hash(token) if token else None,
                        conversation_hash=conversation_key(conversation, keys.hmac_key) if conversation else None)
        return Offered(row.id, token)


def _asking(row: Callback) -> str:
    """The form field the conversation was asking when the offer was made ("" outside a form)."""
    try:
        return str(json.loads(row.summary).get("asking") or "")
    except ValueError:
        return ""


def in_dialogue(row: Callback, now: datetime) -> bool:
    """True while the offer still catches the user's words (consent or number awaited, not gone stale)."""
    return row.status in rules.DIALOGUE_STATUSES and now - row.created_at <= rules.OFFER_TTL


def answer_row(session: Session, row: Callback, text: str, keys: Secrets, days: float, now: datetime) -> Answered:
    """Apply the user's words to the offer in `session`."""
    if not in_dialogue(row, now):
        return Answered(row.status, (), True)
    before = row.status
    done = rules.step(before, text, int(row.misses or 0), days, _asking(row))
    values: Dict[str, Any] = {"status": done.status, "misses": int(row.misses or 0) + int(done.miss)}
    if done.phone:
        values.update(phone_masked=mask_phone(done.phone), phone_sealed=seal_phone(done.phone, keys.seal_secret),
                      numbered_at=now)
    changed = session.execute(update(Callback).where(Callback.id == row.id, Callback.status == before)
                              .values(**values)).rowcount
    if not changed:  # another request moved it first
        return Answered(before, (), True)
    action = {rules.ASKING: "consented", rules.OPEN: "numbered", rules.DECLINED: "declined"}.get(done.status)
    if action and done.status != before:
        _audit(session, row.id, action, USER_ACTOR, now)
    return Answered(done.status, (done.reply,) if done.reply else (), done.passthrough)


def answer(factory: sessionmaker, callback_id: int, token: str, text: str, keys: Secrets, days: float,
           now: Optional[datetime] = None) -> Answered:
    """The user's words to an offer, from the user's side with its token (a wrong token: 404)."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        row = session.get(Callback, callback_id)
        if row is None or not token or not row.token_hash or not tokens_equal(token_hash(token), row.token_hash):
            raise not_found()
        return answer_row(session, row, text, keys, days, now)


def dialogue_for(session: Session, conversation_hash: str, now: datetime) -> Optional[Callback]:
    """The conversation's offer still in dialogue, if any (the newest)."""
    row = session.execute(select(Callback).where(Callback.conversation_hash == conversation_hash,
                                                 Callback.status.in_(rules.DIALOGUE_STATUSES))
                          .order_by(Callback.id.desc()).limit(1)).scalars().first()
    return row if row is not None and in_dialogue(row, now) else None


def dialogue_of_handoff(session: Session, handoff_id: int, now: datetime) -> Optional[int]:
    """The id of the offer made when this handoff expired, while it is still in dialogue."""
    row = session.execute(select(Callback).where(Callback.handoff_id == handoff_id)
                          .order_by(Callback.id.desc()).limit(1)).scalars().first()
    return row.id if row is not None and in_dialogue(row, now) else None


def view(row: Callback, days: float) -> Dict[str, Any]:
    """The staff view of one callback: masked number, masked summary, what was recorded."""
    due = row.numbered_at + timedelta(days=rules.retention_days(days)) if row.numbered_at else None
    return {
        "id": row.id, "status": row.status, "status_label": rules.STATUS_LABELS.get(row.status, row.status),
        "reason": row.reason, "reason_label": rules.REASON_LABELS.get(row.reason, row.reason), "channel": row.channel,
        "topic": row.topic, "summary": json.loads(row.summary), "phone": row.phone_masked or "",
        "created_at": row.created_at, "numbered_at": row.numbered_at, "delete_by": due if row.phone_sealed else None,
        "recorded_at": row.recorded_at, "recorded_by": row.recorded_by, "reached": row.reached, "note": row.note,
        "number_deleted_at": row.number_deleted_at, "handoff_id": row.handoff_id,
    }


def list_callbacks(factory: sessionmaker, status: Optional[str], days: float) -> List[Dict[str, Any]]:
    """The callbacks with this status (default: open, waiting for a call), oldest first."""
    with factory() as session:
        rows = session.execute(select(Callback).where(Callback.status == (status or rules.OPEN))
                               .order_by(Callback.id).limit(LIST_LIMIT)).scalars().all()
        return [view(row, days) for row in rows]


def detail(factory: sessionmaker, callback_id: int, days: float) -> Dict[str, Any]:
    """One callback for staff, with its audit trail."""
    with factory() as session:
        row = session.get(Callback, callback_id)
        if row is None:
            raise not_found()
        found = view(row, days)
        found["events"] = [{"action": e.action, "actor": e.actor, "at": e.at} for e in session.execute(
            select(CallbackEvent).where(CallbackEvent.callback_id == callback_id).order_by(CallbackEvent.id)
        ).scalars()]
        return found


def record(factory: sessionmaker, callback_id: int, actor: str, reached: bool, note: str,
           now: Optional[datetime] = None) -> None:
    """Staff record the call: whether the user was reached and a note (masked); the sealed number is deleted."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        row = session.get(Callback, callback_id)
        if row is None:
            raise not_found()
        done = session.execute(update(Callback).where(Callback.id == callback_id, Callback.status == rules.OPEN).values(
            status=rules.DONE, recorded_at=now, recorded_by=actor[:64], reached=reached,
            note=clean_text(note)[:rules.MAX_NOTE_CHARS], phone_sealed=None, number_deleted_at=now,
            phone_masked=mask_last4(row.phone_masked or ""),
        )).rowcount
        if not done:
            raise ApiError(409, "conflict", message("callback_not_open"))
        _audit(session, callback_id, "recorded", actor, now)


def _shown(factory: sessionmaker, callback_id: int, actor: str, secret: str, now: datetime) -> str:
    """The whole number of an open callback, its audit event written in the same transaction (no number: 409)."""
    with factory.begin() as session:
        row = session.get(Callback, callback_id, with_for_update=True)  # a call being recorded waits, or wins
        if row is None:
            raise not_found()
        if row.status != rules.OPEN or not row.phone_sealed:
            raise ApiError(409, "conflict", message("callback_not_revealable"))
        _audit(session, callback_id, REVEALED, actor, now)
        return unseal_phone(row.phone_sealed, secret)


def reveal(factory: sessionmaker, callback_id: int, actor: str, secret: str, now: Optional[datetime] = None) -> str:
    """The whole number of an open callback, shown to the signed-in `actor` to place the call: audited, throttled."""
    now = now or utc_now_naive()
    admission = throttle.admit(factory, REVEALS_PER_ACCOUNT, actor, now)
    if not admission.allowed:
        LOG.warning("callback %d: number not shown to %s, too many reveals (%d s left)", callback_id, actor,
                    admission.retry_after_s)
        minutes = max(1, math.ceil(admission.retry_after_s / 60))
        raise ApiError(429, "too_many_requests",
                       message("callback_reveal_quota", limit=REVEALS_PER_ACCOUNT.limit, minutes=minutes),
                       headers={"Retry-After": str(admission.retry_after_s)})
    try:
        phone = _shown(factory, callback_id, actor, secret, now)
    except ApiError:
        throttle.forgive(factory, admission)
        raise
    LOG.info("callback %d: number shown to %s", callback_id, actor)
    return phone


def lapse_due(factory: sessionmaker, cutoff: datetime, now: datetime) -> int:
    """Delete the numbers left before `cutoff` and never called (the offer becomes `lapsed`); return how many."""
    with factory.begin() as session:
        rows = session.execute(select(Callback.id, Callback.phone_masked).where(
            Callback.status == rules.OPEN, Callback.numbered_at < cutoff)).all()
        for callback_id, masked in rows:
            session.execute(update(Callback).where(Callback.id == callback_id, Callback.status == rules.OPEN).values(
                status=rules.LAPSED, phone_sealed=None, number_deleted_at=now, phone_masked=mask_last4(masked or "")))
            _audit(session, callback_id, "lapsed", ASSISTANT_ACTOR, now)
        return len(rows)


def delete_older(factory: sessionmaker, cutoff: datetime) -> int:
    """Delete the callbacks made before `cutoff` that hold no number any more, with their audit trails."""
    with factory.begin() as session:
        ids = list(session.execute(select(Callback.id).where(Callback.created_at < cutoff,
                                                             Callback.phone_sealed.is_(None))).scalars())
        if not ids:
            return 0
        session.execute(delete(CallbackEvent).where(CallbackEvent.callback_id.in_(ids))
                        .execution_options(synchronize_session=False))
        return int(session.execute(delete(Callback).where(Callback.id.in_(ids))
                                   .execution_options(synchronize_session=False)).rowcount or 0)
