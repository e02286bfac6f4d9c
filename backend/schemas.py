"""Request and response bodies of the HTTP API (pydantic v1, as rasa pins it)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Type

from pydantic import BaseModel, Field, confloat, conint, conlist, constr
from typing_extensions import Literal

from reissue.application import APPLICATION_NUMBER, CHANNELS, PHOTO_REF, REASONS

SATISFACTION = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
NUMBER_PATTERN = rf"^{APPLICATION_NUMBER}$"
PHOTO_REF_PATTERN = rf"^{PHOTO_REF}$"


def _nullable_optionals(schema: Dict[str, Any], model: Type[BaseModel]) -> None:
    """Mark fields that accept null as `anyOf: [..., null]` so the OpenAPI document is honest."""
    for field in model.__fields__.values():
        prop = schema.get("properties", {}).get(field.alias)
        if prop is None or not field.allow_none:
            continue
        outer = {key: prop.pop(key) for key in ("title", "description", "default") if key in prop}
        schema["properties"][field.alias] = {**outer, "anyOf": [prop, {"type": "null"}]}


class ApiModel(BaseModel):
    """Base of every body: unknown fields rejected, nullable fields documented."""

    class Config:
        """Forbid unknown fields; post-process the JSON schema."""

        extra = "forbid"
        schema_extra = staticmethod(_nullable_optionals)


StrictText = constr(strict=True)


class ApplicationIn(ApiModel):
    """A reissue application as the assistant forwards it."""

    reason: Literal[REASONS] = Field(..., description="遗失、损毁或超期未领取")
    qualification: constr(strict=True, min_length=1, max_length=64) = Field(..., description="资格名称（规范名称）")
    level: Optional[constr(strict=True, max_length=32)] = None
    specialty: Optional[constr(strict=True, max_length=64)] = None
    obtained: constr(strict=True, regex=r"^\d{4}-(0[1-9]|1[0-2])$") = Field(..., description="取得年月 YYYY-MM")
    applicant_name: constr(strict=True, min_length=1, max_length=32)
    id_number: constr(strict=True, regex=r"^\d{17}[0-9Xx]$") = Field(..., description="18位身份证号码")
    cert_number: Optional[constr(strict=True, max_length=64)] = Field(None, description="证书管理号，可填“不记得”")
    city: constr(strict=True, min_length=1, max_length=16) = Field(..., description="山东省地市，如“济南市”")
    phone: constr(strict=True, regex=r"^1\d{10}$")
    photo_ref: Optional[constr(strict=True, regex=PHOTO_REF_PATTERN)] = None
    channel: Literal[CHANNELS]
    sender_ref: Optional[constr(strict=True, max_length=128)] = None


class ApplicationCreated(ApiModel):
    """The answer to a created (or replayed) application."""

    number: str
    status: str
    created_at: str


class TimelineEntry(ApiModel):
    """One status change as the applicant sees it."""

    status: str
    status_label: str
    at: str


class ApplicationProgress(ApiModel):
    """The applicant's view of an application: status, timeline, failure reason; masked data only."""

    number: str
    status: str
    status_label: str
    review_reason: Optional[str] = None
    applicant_name_masked: str
    id_number_masked: str
    qualification: str
    level: Optional[str] = None
    city: str
    created_at: str
    updated_at: str
    timeline: List[TimelineEntry]


class AuditEntry(ApiModel):
    """One row of the audit trail."""

    at: str
    from_status: Optional[str] = None
    to_status: str
    reason: Optional[str] = None
    actor: str


class ApplicationAdmin(ApiModel):
    """The staff view: every field, with the ID and phone numbers still masked."""

    number: str
    status: str
    status_label: str
    review_reason: Optional[str] = None
    reason: str
    qualification: str
    level: Optional[str] = None
    specialty: Optional[str] = None
    obtained: str
    applicant_name: str
    id_number_masked: str
    id_last4: str
    cert_number: Optional[str] = None
    cert_number_unknown: bool
    city: str
    phone_masked: str
    photo_ref: Optional[str] = None
    channel: str
    sender_ref: Optional[str] = None
    created_at: str
    updated_at: str
    audit: List[AuditEntry]


class ApplicationSummary(ApiModel):
    """One line of the staff list."""

    number: str
    status: str
    applicant_name: str
    id_number_masked: str
    qualification: str
    city: str
    created_at: str


class ApplicationList(ApiModel):
    """One page of the staff list."""

    items: List[ApplicationSummary]
    total: int
    page: int
    page_size: int


class StatusChange(ApiModel):
    """A staff request to move an application to another status (who made it comes from the credential, never
    from the body: a body naming an `actor` is refused)."""

    status: Literal["审核中", "审核通过", "审核不通过", "证书已发放"]
    reason: Optional[constr(strict=True, max_length=500)] = None


class PhotoCreated(ApiModel):
    """The reference of an uploaded photo."""

    photo_ref: str


class FeedbackIn(ApiModel):
    """A satisfaction rating."""

    rating: conint(strict=True, ge=1, le=5)
    label: Literal["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    comment: Optional[constr(strict=True, max_length=500)] = None
    sender_ref: Optional[constr(strict=True, max_length=128)] = None
    application_number: Optional[constr(strict=True, regex=NUMBER_PATTERN)] = None


class FeedbackCreated(ApiModel):
    """The answer to a stored rating."""

    id: int
    created_at: str


class FeedbackItem(ApiModel):
    """One stored rating, for staff."""

    id: int
    rating: int
    label: str
    comment: Optional[str] = None
    sender_ref: Optional[str] = None
    application_number: Optional[str] = None
    created_at: str


class FeedbackList(ApiModel):
    """One page of ratings."""

    items: List[FeedbackItem]
    total: int
    page: int
    page_size: int


class Guess(ApiModel):
    """One of the assistant's top guesses for an unanswered question."""

    label: constr(strict=True, min_length=1, max_length=64)
    confidence: confloat(strict=False, ge=0.0, le=1.0)


class UnansweredIn(ApiModel):
    """A question the assistant did not answer, as the bot reports it (already masked)."""

    text: constr(strict=True, min_length=1, max_length=1000)
    kind: Literal["abstain", "fallback", "out_of_scope"]
    channel: Literal[CHANNELS]
    guesses: conlist(Guess, max_items=5) = Field(default_factory=list)


class UnansweredCreated(ApiModel):
    """The answer to a stored unanswered question."""

    id: int
    created_at: str


class UnansweredItem(ApiModel):
    """One stored unanswered question, for staff."""

    id: int
    text: str
    kind: str
    channel: str
    guesses: List[Guess]
    created_at: str


class UnansweredList(ApiModel):
    """One page of unanswered questions."""

    items: List[UnansweredItem]
    total: int
    page: int
    page_size: int


class Health(ApiModel):
    """Liveness and database reachability."""

    status: str
    database: str


class ErrorBody(ApiModel):
    """Every 4xx/5xx body: a code, a Chinese message and per-field Chinese messages."""

    error: str
    message: str
    fields: Dict[str, str] = Field(default_factory=dict)
