"""The live handoff queue: a conversation enters it with a masked summary, a member of staff takes it, replies,
hands it back or closes it; the user's side reads the replies with the handoff's own secret token. Every step is
an audited event; every text is stored masked (`reissue.handoff.clean_text`)."""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.errors import ApiError
from backend.handoff_models import Handoff, HandoffEvent, HandoffMessage
from backend.numbering import utc_now_naive
from backend.privacy import tokens_equal
from reissue import handoff as rules
from reissue.knowledge import message

USER, STAFF, SYSTEM = "user", "staff", "system"
ASSISTANT_ACTOR = "assistant"
USER_ACTOR = "user"
LIST_LIMIT = 100


@dataclass(frozen=True)
class Opened:
    """A new queue entry: its number, the secret the user's side reads it with, and how many wait before it."""

    id: int
    token: str
    ahead: int


def _hash(token: str) -> str:
    """The stored form of a handoff token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def not_found() -> ApiError:
    """The 404 for a handoff that does not exist (or whose token is wrong: the same answer)."""
    return ApiError(404, "not_found", message("handoff_not_found"))


def _load(session: Session, handoff_id: int) -> Handoff:
    """The handoff row, or 404."""
    row = session.get(Handoff, handoff_id)
    if row is None:
        raise not_found()
    return row


def _ahead(session: Session, row: Handoff) -> int:
    """How many waiting handoffs entered the queue before this one."""
    if row.status != rules.WAITING:
        return 0
    return int(session.execute(select(func.count(Handoff.id)).where(
        Handoff.status == rules.WAITING, Handoff.id < row.id)).scalar_one())


def _note(session: Session, handoff_id: int, author: str, text: str, now: datetime) -> None:
    """Add one message to the transcript."""
    session.add(HandoffMessage(handoff_id=handoff_id, author=author, text=rules.clean_text(text), at=now))


def _audit(session: Session, handoff_id: int, action: str, actor: str, now: datetime) -> None:
    """Add one event to the audit trail."""
    session.add(HandoffEvent(handoff_id=handoff_id, action=action, actor=actor[:64], at=now))


def _move(session: Session, handoff_id: int, allowed: Tuple[str, ...], values: Dict[str, Any], refusal: str) -> None:
    """Compare-and-set the handoff's status (two staff pressing at once: one wins, the other gets 409)."""
    done = session.execute(update(Handoff).where(Handoff.id == handoff_id, Handoff.status.in_(allowed))
                           .values(**values)).rowcount
    if not done:
        _load(session, handoff_id)
        raise ApiError(409, "conflict", message(refusal))


def open_handoff(factory: sessionmaker, channel: str, summary: Dict[str, Any],
                 now: Optional[datetime] = None) -> Opened:
    """Put a conversation in the queue with its summary (masked again here); return its number and token."""
    now = now or utc_now_naive()
    clean = rules.summary(str(summary.get("topic") or ""), {}, [], None)
    clean["fields"] = [{"label": rules.clean_text(str(f.get("label", "")))[:32],
                        "value": rules.clean_text(str(f.get("value", "")))[:64]}
                       for f in summary.get("fields") or [] if isinstance(f, dict)][:len(rules.SUMMARY_FIELDS)]
    clean["asking"] = rules.clean_text(str(summary.get("asking") or ""))[:32]
    clean["turns"] = rules.masked_turns([(str(t.get("who", "")), str(t.get("text", "")))
                                         for t in summary.get("turns") or [] if isinstance(t, dict)])
    token = secrets.token_urlsafe(24)
    with factory.begin() as session:
        row = Handoff(status=rules.WAITING, channel=channel, token_hash=_hash(token), topic=clean["topic"],
                      summary=json.dumps(clean, ensure_ascii=False), created_at=now)
        session.add(row)
        session.flush()
        _audit(session, row.id, "queued", ASSISTANT_ACTOR, now)
        return Opened(row.id, token, _ahead(session, row))


def list_handoffs(factory: sessionmaker, status: Optional[str]) -> List[Dict[str, Any]]:
    """The handoffs with this status (all open ones when None), oldest first, with their place and summary."""
    wanted = (status,) if status else rules.OPEN_STATUSES
    with factory() as session:
        rows = session.execute(select(Handoff).where(Handoff.status.in_(wanted)).order_by(Handoff.id)
                               .limit(LIST_LIMIT)).scalars().all()
        return [view(session, row) for row in rows]


def view(session: Session, row: Handoff) -> Dict[str, Any]:
    """The staff view of one handoff (without its transcript)."""
    return {
        "id": row.id, "status": row.status, "status_label": rules.STATUS_LABELS.get(row.status, row.status),
        "channel": row.channel, "topic": row.topic, "summary": json.loads(row.summary), "taken_by": row.taken_by,
        "created_at": row.created_at, "taken_at": row.taken_at, "ended_at": row.ended_at,
        "ahead": _ahead(session, row),
    }


def detail(factory: sessionmaker, handoff_id: int) -> Dict[str, Any]:
    """One handoff for staff: the view, its transcript and its audit trail."""
    with factory() as session:
        row = _load(session, handoff_id)
        found = view(session, row)
        found["messages"] = [{"id": m.id, "author": m.author, "text": m.text, "at": m.at} for m in session.execute(
            select(HandoffMessage).where(HandoffMessage.handoff_id == handoff_id).order_by(HandoffMessage.id)
        ).scalars()]
        found["events"] = [{"action": e.action, "actor": e.actor, "at": e.at} for e in session.execute(
            select(HandoffEvent).where(HandoffEvent.handoff_id == handoff_id).order_by(HandoffEvent.id)
        ).scalars()]
        return found


def take(factory: sessionmaker, handoff_id: int, actor: str, now: Optional[datetime] = None) -> None:
    """A member of staff takes a waiting handoff; the user is told a person is there."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        _move(session, handoff_id, (rules.WAITING,), {"status": rules.TAKEN, "taken_by": actor[:64], "taken_at": now},
              "handoff_not_waiting")
        _note(session, handoff_id, SYSTEM, message("handoff_taken"), now)
        _audit(session, handoff_id, "taken", actor, now)


def reply(factory: sessionmaker, handoff_id: int, actor: str, text: str, now: Optional[datetime] = None) -> None:
    """A staff reply to a taken handoff (masked before it is stored and shown)."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        row = _load(session, handoff_id)
        if row.status != rules.TAKEN:
            raise ApiError(409, "conflict", message("handoff_not_taken"))
        _note(session, handoff_id, STAFF, text, now)
        _audit(session, handoff_id, "replied", actor, now)


def release(factory: sessionmaker, handoff_id: int, actor: str, now: Optional[datetime] = None) -> None:
    """Hand the conversation back to the assistant, which goes on with the form where it was."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        _move(session, handoff_id, (rules.TAKEN,), {"status": rules.RELEASED, "ended_at": now}, "handoff_not_taken")
        asking = json.loads(_load(session, handoff_id).summary).get("asking") or ""
        resume = message("handoff_resume", field=asking) if asking else message("handoff_resume_free")
        _note(session, handoff_id, SYSTEM, message("handoff_released", resume=resume), now)
        _audit(session, handoff_id, "released", actor, now)


def close(factory: sessionmaker, handoff_id: int, actor: str, now: Optional[datetime] = None) -> None:
    """End a waiting or taken handoff from the staff side."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        _move(session, handoff_id, rules.OPEN_STATUSES, {"status": rules.CLOSED, "ended_at": now}, "handoff_ended")
        _note(session, handoff_id, SYSTEM, message("handoff_closed"), now)
        _audit(session, handoff_id, "closed", actor, now)


def _user_row(session: Session, handoff_id: int, token: str) -> Handoff:
    """The handoff the user's token opens, or 404 (a wrong token looks like a missing handoff)."""
    row = session.get(Handoff, handoff_id)
    if row is None or not token or not tokens_equal(_hash(token), row.token_hash):
        raise not_found()
    return row


def _expire_if_due(session: Session, row: Handoff, now: datetime, wait_s: float) -> None:
    """Nobody took it within `wait_s`: the user is given the hotline and the hall instead."""
    if row.status == rules.WAITING and now - row.created_at > timedelta(seconds=wait_s):
        _move(session, row.id, (rules.WAITING,), {"status": rules.EXPIRED, "ended_at": now}, "handoff_ended")
        _note(session, row.id, SYSTEM, message("handoff_expired") + "\n" + message("handoff"), now)
        _audit(session, row.id, "expired", ASSISTANT_ACTOR, now)
        session.refresh(row)


def user_message(factory: sessionmaker, handoff_id: int, token: str, text: str,
                 now: Optional[datetime] = None) -> None:
    """The user's message to the person; "不用了" ends the handoff instead."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        row = _user_row(session, handoff_id, token)
        if row.status not in rules.OPEN_STATUSES:
            raise ApiError(409, "conflict", message("handoff_ended"))
        _note(session, handoff_id, USER, text, now)
        if rules.is_cancel(text):
            _move(session, handoff_id, rules.OPEN_STATUSES, {"status": rules.CLOSED, "ended_at": now}, "handoff_ended")
            _note(session, handoff_id, SYSTEM, message("handoff_cancelled"), now)
            _audit(session, handoff_id, "cancelled", USER_ACTOR, now)


def updates(factory: sessionmaker, handoff_id: int, token: str, after: int, wait_s: float,
            now: Optional[datetime] = None) -> Dict[str, Any]:
    """What the user's side has not shown yet: the status, the place in the queue, staff and system messages."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        row = _user_row(session, handoff_id, token)
        _expire_if_due(session, row, now, wait_s)
        found = session.execute(select(HandoffMessage).where(
            HandoffMessage.handoff_id == handoff_id, HandoffMessage.id > after,
            HandoffMessage.author.in_((STAFF, SYSTEM))).order_by(HandoffMessage.id)).scalars().all()
        return {"status": row.status, "ahead": _ahead(session, row),
                "messages": [{"id": m.id, "author": m.author, "text": m.text} for m in found]}


def delete_older(factory: sessionmaker, cutoff: datetime) -> int:
    """Delete the handoffs that entered the queue before `cutoff`, with their transcripts and audit trails."""
    with factory.begin() as session:
        ids = list(session.execute(select(Handoff.id).where(Handoff.created_at < cutoff)).scalars())
        if not ids:
            return 0
        for model in (HandoffMessage, HandoffEvent):
            session.execute(delete(model).where(model.handoff_id.in_(ids)).execution_options(synchronize_session=False))
        return int(session.execute(delete(Handoff).where(Handoff.id.in_(ids))
                                   .execution_options(synchronize_session=False)).rowcount or 0)
