"""The live handoff queue: a conversation enters it with a masked summary, a member of staff takes it, replies,
hands it back or closes it; the user's side reads the replies with the handoff's own secret token. Every step is
an audited event; every text is stored masked (`reissue.handoff.clean_text`). Nobody taking it in time makes it
`expired` with an offer to leave a callback number (`backend.callbacks`).

A channel that pushes replies itself (WeChat) keeps no state of its own: it finds the conversation's handoff here by
the conversation's HMAC (`relay`), and its pollers, however many, get each message to push exactly once (`claim`),
then say whether WeChat took it (`report`); an undelivered reply is shown to staff and, when the user next writes,
the user is told how else to reach a person."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend import callbacks
from backend.errors import ApiError
from backend.handoff_models import Handoff, HandoffEvent, HandoffMessage
from backend.numbering import utc_now_naive
from backend.privacy import token_hash, tokens_equal
from backend.service import Secrets
from reissue import callback as callback_rules
from reissue import handoff as rules
from reissue import sealing
from reissue.knowledge import message

USER, STAFF, SYSTEM = "user", "staff", "system"
ASSISTANT_ACTOR = "assistant"
USER_ACTOR = "user"
LIST_LIMIT = 100
CLAIM_LIMIT = 50
# The delivery of a message a channel pushes: waiting, handed to one poller, taken by WeChat, refused by it, and
# refused with the user told since.
PENDING, CLAIMED, SENT, UNDELIVERED, NOTIFIED = "pending", "claimed", "sent", "undelivered", "notified"
ADDRESS_CONTEXT, ADDRESS_SALT = b"handoff-address-v1", b"reissue-backend"
ASSISTANT, PERSON, CALLBACK = "assistant", "person", "callback"


@dataclass(frozen=True)
class Policy:
    """The settings the queue's user side follows: how long a handoff waits, how long a callback number is kept."""

    wait_s: float = 180.0
    callback_days: float = callback_rules.DEFAULT_RETENTION_DAYS


@dataclass(frozen=True)
class Opened:
    """A new queue entry: its number, the secret the user's side reads it with, and how many wait before it."""

    id: int
    token: str
    ahead: int


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


def _note(session: Session, handoff_id: int, author: str, text: str, now: datetime) -> HandoffMessage:
    """Add one message to the transcript; a staff or system message of a pushing channel's handoff waits to be
    pushed."""
    pushed = author != USER and session.get(Handoff, handoff_id).address_sealed is not None
    note = HandoffMessage(handoff_id=handoff_id, author=author, text=rules.clean_text(text), at=now,
                          delivery=PENDING if pushed else None)
    session.add(note)
    return note


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


def open_handoff(factory: sessionmaker, channel: str, summary: Dict[str, Any], now: Optional[datetime] = None,
                 conversation: str = "", address: str = "", keys: Optional[Secrets] = None) -> Opened:
    """Put a conversation in the queue with its summary (masked again here); return its number and token. A channel
    that pushes replies itself gives its `conversation` id (kept as an HMAC) and the `address` to push to (sealed)."""
    now = now or utc_now_naive()
    clean = rules.clean_summary(summary)
    token = secrets.token_urlsafe(24)
    pushed = bool(conversation and address and keys)
    with factory.begin() as session:
        row = Handoff(status=rules.WAITING, channel=channel, token_hash=token_hash(token), topic=clean["topic"],
                      summary=json.dumps(clean, ensure_ascii=False), created_at=now,
                      conversation_hash=callbacks.conversation_key(conversation, keys.hmac_key) if pushed else None,
                      address_sealed=sealing.seal(address, keys.seal_secret, ADDRESS_CONTEXT, ADDRESS_SALT)
                      if pushed else None)
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
        found["messages"] = [{"id": m.id, "author": m.author, "text": m.text, "at": m.at,
                              "undelivered": m.delivery in (UNDELIVERED, NOTIFIED)} for m in session.execute(
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
    if row is None or not token or not tokens_equal(token_hash(token), row.token_hash):
        raise not_found()
    return row


def _expire_if_due(session: Session, row: Handoff, now: datetime, policy: Policy) -> Optional[HandoffMessage]:
    """Nobody took it within the wait: the user is given the hotline and the hall, and offered a callback; the
    notice saying so, when it expired now."""
    if row.status != rules.WAITING or now - row.created_at <= timedelta(seconds=policy.wait_s):
        return None
    _move(session, row.id, (rules.WAITING,), {"status": rules.EXPIRED, "ended_at": now}, "handoff_ended")
    callbacks.add_offer(session, row.channel, callback_rules.UNANSWERED, row.summary, row.topic, now,
                        handoff_id=row.id, hashed_token=row.token_hash, conversation_hash=row.conversation_hash)
    notice = _note(session, row.id, SYSTEM, "\n".join((message("handoff_expired"), message("handoff"),
                                                         callback_rules.offer_text(policy.callback_days))), now)
    _audit(session, row.id, "expired", ASSISTANT_ACTOR, now)
    session.flush()
    session.refresh(row)
    return notice


def _user_says(session: Session, row: Handoff, text: str, now: datetime) -> None:
    """The user's message in an open handoff's transcript; "不用了" ends the handoff."""
    _note(session, row.id, USER, text, now)
    if rules.is_cancel(text):
        _move(session, row.id, rules.OPEN_STATUSES, {"status": rules.CLOSED, "ended_at": now}, "handoff_ended")
        _note(session, row.id, SYSTEM, message("handoff_cancelled"), now)
        _audit(session, row.id, "cancelled", USER_ACTOR, now)


def user_message(factory: sessionmaker, handoff_id: int, token: str, text: str,
                 now: Optional[datetime] = None) -> None:
    """The user's message to the person; "不用了" ends the handoff instead."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        row = _user_row(session, handoff_id, token)
        if row.status not in rules.OPEN_STATUSES:
            raise ApiError(409, "conflict", message("handoff_ended"))
        _user_says(session, row, text, now)


def updates(factory: sessionmaker, handoff_id: int, token: str, after: int, policy: Policy,
            now: Optional[datetime] = None) -> Dict[str, Any]:
    """What the user's side has not shown yet: the status, the place in the queue, staff and system messages, and
    the callback offer the user may answer now (its id; the handoff's token answers it)."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        row = _user_row(session, handoff_id, token)
        _expire_if_due(session, row, now, policy)
        found = session.execute(select(HandoffMessage).where(
            HandoffMessage.handoff_id == handoff_id, HandoffMessage.id > after,
            HandoffMessage.author.in_((STAFF, SYSTEM))).order_by(HandoffMessage.id)).scalars().all()
        offer = callbacks.dialogue_of_handoff(session, row.id, now) if row.status == rules.EXPIRED else None
        return {"status": row.status, "ahead": _ahead(session, row), "callback_id": offer,
                "messages": [{"id": m.id, "author": m.author, "text": m.text} for m in found]}


def _open_for(session: Session, key: str) -> Optional[Handoff]:
    """The conversation's open handoff (the newest), if any."""
    return session.execute(select(Handoff).where(Handoff.conversation_hash == key,
                                                 Handoff.status.in_(rules.OPEN_STATUSES))
                           .order_by(Handoff.id.desc()).limit(1)).scalars().first()


def _undelivered_notice(session: Session, key: str) -> List[str]:
    """The notice owed to a user some of whose replies WeChat refused (each such reply owes it once)."""
    ids = list(session.execute(select(HandoffMessage.id).join(Handoff, Handoff.id == HandoffMessage.handoff_id).where(
        Handoff.conversation_hash == key, HandoffMessage.delivery == UNDELIVERED)).scalars())
    if not ids:
        return []
    session.execute(update(HandoffMessage).where(HandoffMessage.id.in_(ids)).values(delivery=NOTIFIED)
                    .execution_options(synchronize_session=False))
    return [message("handoff_undelivered") + "\n" + message("handoff")]


def relay(factory: sessionmaker, conversation: str, text: str, keys: Secrets, policy: Policy,
          now: Optional[datetime] = None) -> Dict[str, Any]:
    """A pushing channel's user wrote: to the person of an open handoff, to a callback offer in dialogue, or to the
    assistant (`route`), with what the channel sends the user now (`replies`)."""
    now = now or utc_now_naive()
    key = callbacks.conversation_key(conversation, keys.hmac_key)
    with factory.begin() as session:
        replies = _undelivered_notice(session, key)
        row = _open_for(session, key)
        if row is not None:
            expired = _expire_if_due(session, row, now, policy)
            if expired is None:
                _user_says(session, row, text, now)
                return {"route": PERSON, "handoff_id": row.id, "replies": replies}
            _note(session, row.id, USER, text, now)  # written before the user could read the offer
            expired.delivery = SENT  # said now, in this answer
            return {"route": CALLBACK, "handoff_id": row.id, "replies": replies + [expired.text]}
        offer = callbacks.dialogue_for(session, key, now)
        if offer is not None:
            answered = callbacks.answer_row(session, offer, text, keys, policy.callback_days, now)
            if not answered.passthrough:
                return {"route": CALLBACK, "handoff_id": offer.handoff_id, "replies": replies + list(answered.replies)}
        return {"route": ASSISTANT, "handoff_id": None, "replies": replies}


def claim(factory: sessionmaker, keys: Secrets, policy: Policy, limit: int = CLAIM_LIMIT,
          now: Optional[datetime] = None) -> Dict[str, Any]:
    """The messages a pushing channel's poller sends now, each handed out once however many pollers ask (the
    handoffs left waiting too long expire first); and how many such handoffs are still open."""
    now = now or utc_now_naive()
    with factory.begin() as session:
        due = session.execute(select(Handoff).where(
            Handoff.address_sealed.isnot(None), Handoff.status == rules.WAITING,
            Handoff.created_at < now - timedelta(seconds=policy.wait_s))).scalars().all()
        for row in due:
            _expire_if_due(session, row, now, policy)
        pending = session.execute(select(HandoffMessage, Handoff.address_sealed)
                                  .join(Handoff, Handoff.id == HandoffMessage.handoff_id)
                                  .where(HandoffMessage.delivery == PENDING).order_by(HandoffMessage.id)
                                  .limit(limit)).all()
        items = []
        for note, sealed in pending:
            taken = session.execute(update(HandoffMessage).where(HandoffMessage.id == note.id,
                                                                 HandoffMessage.delivery == PENDING)
                                    .values(delivery=CLAIMED).execution_options(synchronize_session=False)).rowcount
            if taken:
                address = sealing.unseal(sealed, keys.seal_secret, ADDRESS_CONTEXT, ADDRESS_SALT)
                items.append({"id": note.id, "handoff_id": note.handoff_id, "address": address, "text": note.text})
        still_open = int(session.execute(select(func.count(Handoff.id)).where(
            Handoff.address_sealed.isnot(None), Handoff.status.in_(rules.OPEN_STATUSES))).scalar_one())
        return {"items": items, "open": still_open}


def report(factory: sessionmaker, results: List[Tuple[int, bool]]) -> int:
    """Whether WeChat took each claimed message; a refused one is shown to staff as undelivered. Returns how many
    were recorded (a message not claimed is left as it is)."""
    recorded = 0
    with factory.begin() as session:
        for message_id, delivered in results:
            recorded += int(session.execute(update(HandoffMessage).where(
                HandoffMessage.id == message_id, HandoffMessage.delivery == CLAIMED)
                .values(delivery=SENT if delivered else UNDELIVERED)
                .execution_options(synchronize_session=False)).rowcount or 0)
    return recorded


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
