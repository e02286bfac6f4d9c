"""Request and response bodies of the callback API (pydantic v1, as rasa pins it)."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from pydantic import Field, constr
from typing_extensions import Literal

from backend.handoff_schemas import Conversation, Summary, Text, Token
from backend.schemas import ApiModel
from reissue.application import CHANNELS
from reissue.callback import MAX_NOTE_CHARS, REASONS, STATUSES


class OfferIn(ApiModel):
    """The assistant offers a callback (outside staffed hours); WeChat names the conversation that answers it."""

    channel: Literal[CHANNELS]
    summary: Summary
    conversation: Optional[Conversation] = None


class OfferOut(ApiModel):
    """The offer: its number and, when the user's side answers it with a token, the token."""

    id: int
    token: Optional[str] = None


class AnswerIn(ApiModel):
    """The user's words to the offer, with its secret."""

    token: Token
    text: Text


class Reply(ApiModel):
    """One thing the assistant tells the user."""

    text: str


class AnswerOut(ApiModel):
    """The offer after the user's words, what the user is told, and whether the words are for the assistant."""

    status: Literal[STATUSES]
    messages: List[Reply]
    passthrough: bool = Field(..., description="这句话不是回答回电询问的：交给智能助手回答")


class RecordIn(ApiModel):
    """Staff record the call."""

    reached: bool = Field(..., description="是否已接通")
    note: constr(strict=True, strip_whitespace=True, max_length=MAX_NOTE_CHARS) = ""


class CallbackOut(ApiModel):
    """One callback for staff: the number only masked."""

    id: int
    status: Literal[STATUSES]
    status_label: str
    reason: Literal[REASONS]
    reason_label: str
    channel: str
    topic: str
    summary: Summary
    phone: str = Field(..., description="打码后的回电号码（删除后只留后4位）")
    created_at: datetime
    numbered_at: Optional[datetime] = None
    delete_by: Optional[datetime] = Field(None, description="号码最迟删除的时间")
    recorded_at: Optional[datetime] = None
    recorded_by: Optional[str] = None
    reached: Optional[bool] = None
    note: Optional[str] = None
    number_deleted_at: Optional[datetime] = None
    handoff_id: Optional[int] = None


class CallbackList(ApiModel):
    """The callbacks of one status."""

    items: List[CallbackOut]


class AuditLine(ApiModel):
    """One audited step."""

    action: str
    actor: str
    at: datetime


class CallbackDetail(CallbackOut):
    """One callback with its audit trail."""

    events: List[AuditLine]
