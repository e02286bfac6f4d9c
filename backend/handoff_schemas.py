"""Request and response bodies of the handoff API (pydantic v1, as rasa pins it)."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from pydantic import Field, conint, conlist, constr
from typing_extensions import Literal

from backend.schemas import ApiModel
from reissue.application import CHANNELS
from reissue.handoff import MAX_TEXT_CHARS, MAX_TURNS, STATUSES, SUMMARY_FIELDS

Text = constr(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_TEXT_CHARS)
Token = constr(strict=True, min_length=16, max_length=64)


class SummaryField(ApiModel):
    """One form field filled so far, already masked."""

    label: constr(strict=True, max_length=32)
    value: constr(strict=True, max_length=64)


class SummaryTurn(ApiModel):
    """One recent turn of the conversation, already masked."""

    who: Literal["user", "bot"]
    text: constr(strict=True, max_length=1000)


class Summary(ApiModel):
    """What staff read before they take the conversation."""

    topic: constr(strict=True, max_length=64) = ""
    fields: conlist(SummaryField, max_items=len(SUMMARY_FIELDS)) = []
    asking: constr(strict=True, max_length=32) = ""
    turns: conlist(SummaryTurn, max_items=MAX_TURNS) = []


Conversation = constr(strict=True, min_length=1, max_length=128)


class HandoffIn(ApiModel):
    """A conversation the assistant puts in the queue; a channel that pushes the replies itself (WeChat) names the
    conversation (kept as an HMAC) and the address it pushes to (kept sealed)."""

    channel: Literal[CHANNELS]
    summary: Summary
    conversation: Optional[Conversation] = None
    address: Optional[Conversation] = None


class HandoffOpened(ApiModel):
    """The queue entry: its number, the secret the user's side reads it with, and how many wait before it."""

    id: int
    token: str
    ahead: int


class TextIn(ApiModel):
    """A staff reply."""

    text: Text


class UserTextIn(ApiModel):
    """The user's message to the person, with the handoff's secret."""

    token: Token
    text: Text


class UpdatesIn(ApiModel):
    """What the user's side asks for: messages after the last one it showed."""

    token: Token
    after: conint(strict=True, ge=0) = 0


class HandoffMessageOut(ApiModel):
    """One staff or system message for the user."""

    id: int
    author: Literal["staff", "system"]
    text: str


class Updates(ApiModel):
    """The handoff's status, the place in the queue and the new messages."""

    status: Literal[STATUSES]
    ahead: int
    messages: List[HandoffMessageOut]
    callback_id: Optional[int] = Field(None, description="无人接入后提供的回电登记编号（用本次会话的令牌回答）")


class RelayIn(ApiModel):
    """A pushing channel's user wrote (bot token)."""

    conversation: Conversation
    text: Text


class RelayOut(ApiModel):
    """Where the words went (the person, a callback offer, or back to the assistant) and what to send now."""

    route: Literal["person", "callback", "assistant"]
    handoff_id: Optional[int] = None
    replies: List[str]


class Push(ApiModel):
    """One message to push, handed to this poller only."""

    id: int
    handoff_id: int
    address: str
    text: str


class Pushes(ApiModel):
    """The messages to push now, and how many pushed handoffs are still open (the poller goes on while any is)."""

    items: List[Push]
    open: int


class PushResult(ApiModel):
    """Whether WeChat took one pushed message."""

    id: conint(strict=True, ge=1)
    delivered: bool


class PushReport(ApiModel):
    """The results of one round of pushes."""

    results: conlist(PushResult, max_items=200)


class Recorded(ApiModel):
    """How many results were recorded."""

    recorded: int


class HandoffOut(ApiModel):
    """One handoff in the staff queue."""

    id: int
    status: Literal[STATUSES]
    status_label: str
    channel: str
    topic: str
    summary: Summary
    taken_by: Optional[str] = None
    created_at: datetime
    taken_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
    ahead: int = Field(..., description="排在它前面、还在排队的会话数")


class HandoffList(ApiModel):
    """The queue."""

    items: List[HandoffOut]


class TranscriptLine(ApiModel):
    """One line of the transcript (masked)."""

    id: int
    author: Literal["user", "staff", "system"]
    text: str
    at: datetime
    undelivered: bool = Field(False, description="微信未能送达（超出48小时/5条的回复窗口）")


class AuditLine(ApiModel):
    """One audited step."""

    action: str
    actor: str
    at: datetime


class HandoffDetail(HandoffOut):
    """One handoff with its transcript and audit trail."""

    messages: List[TranscriptLine]
    events: List[AuditLine]
