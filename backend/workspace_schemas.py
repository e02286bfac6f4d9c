"""Request and response bodies of the workspace API (pydantic v1, like backend/schemas.py)."""
from __future__ import annotations

from typing import List, Optional

from pydantic import Field, conint, conlist, constr
from typing_extensions import Literal

from backend.schemas import ApiModel


class GuessShare(ApiModel):
    """A label the assistant guessed for a group, with its mean confidence."""

    label: str
    confidence: float


class UnansweredGroup(ApiModel):
    """Near-identical open questions: ids, count, first and last seen, samples, kinds, channels, top guesses."""

    ids: List[int]
    count: int
    first_seen: str
    last_seen: str
    samples: List[str]
    kinds: List[str]
    channels: List[str]
    top_guesses: List[GuessShare]


class UnansweredGroupList(ApiModel):
    """One page of groups."""

    items: List[UnansweredGroup]
    total: int
    open_questions: int
    page: int
    page_size: int


class ReviewIn(ApiModel):
    """A decision about the questions of one group; `out_of_scope` names the look-alike it adds to the documents
    lexicon: its name, aliases (what people typed; the name when none), category, authority and source."""

    question_ids: conlist(conint(strict=True, ge=1), min_items=1, max_items=500)
    action: Literal["map", "new_answer", "out_of_scope", "dismiss"]
    faq_key: constr(strict=True, max_length=64) = ""
    authority: constr(strict=True, max_length=200) = Field("", description="不属于本事项时：应去的部门")
    name: constr(strict=True, max_length=60) = Field("", description="不属于本事项时：证书或事项的名称")
    aliases: conlist(constr(strict=True, max_length=40), max_items=20) = Field(
        [], description="不属于本事项时：群众的叫法（默认只有名称）")
    category: constr(strict=True, max_length=32) = Field(
        "", description="不属于本事项时：证书名单的类别（默认 other_ministry）")
    source: constr(strict=True, max_length=500) = Field(
        "", description="不属于本事项时：依据，公开网页地址或所依据的规定")


class ReviewDone(ApiModel):
    """How many questions the decision covered."""

    reviewed: int


class DraftIn(ApiModel):
    """A draft's answer and source; `publish` asks to publish it (needs both)."""

    answer: constr(strict=True, max_length=2000) = ""
    source: constr(strict=True, max_length=500) = ""
    publish: bool = False


class DraftItem(ApiModel):
    """A draft of a new answer."""

    id: int
    question: str
    answer: Optional[str]
    source: Optional[str]
    status: str
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str


class DraftList(ApiModel):
    """Every draft, unpublished first."""

    items: List[DraftItem]


class FollowupIn(ApiModel):
    """What staff recorded about following up a low rating (resolved implies contacted)."""

    contacted: bool = False
    resolved: bool = False
    note: constr(strict=True, max_length=1000) = ""


class FollowupItem(ApiModel):
    """One low rating to follow up, with its due day (15 working days after the rating)."""

    feedback_id: int
    rating: int
    label: str
    comment: Optional[str]
    application_number: Optional[str]
    rated_at: str
    due_date: str
    due_estimated: bool
    state: Literal["open", "contacted", "resolved"]
    contacted: bool
    resolved: bool
    overdue: bool
    note: Optional[str]
    updated_by: Optional[str]
    updated_at: Optional[str]


class FollowupCounts(ApiModel):
    """How many follow-ups are open, contacted, resolved, overdue, in all."""

    open: int
    contacted: int
    resolved: int
    overdue: int
    total: int


class FollowupList(ApiModel):
    """One page of follow-ups (overdue first) with the counts over all of them."""

    items: List[FollowupItem]
    summary: FollowupCounts
    total: int
    page: int
    page_size: int


class KnowledgeItem(ApiModel):
    """An FAQ answer as it is now: key, title, text, source, version (0: the training-time default)."""

    key: str
    title: str
    text: str
    source: str
    version: int
    is_default: bool
    note: str
    updated_by: Optional[str]
    updated_at: Optional[str]


class KnowledgeList(ApiModel):
    """Every FAQ answer."""

    items: List[KnowledgeItem]


class KnowledgeIn(ApiModel):
    """A new text for an answer and why."""

    text: constr(strict=True, min_length=1, max_length=2000)
    note: constr(strict=True, min_length=1, max_length=500)


class RollbackIn(ApiModel):
    """The version to restore (0: the default) and why."""

    version: conint(strict=True, ge=0, le=2**31 - 1)
    note: constr(strict=True, min_length=1, max_length=400)


class KnowledgeVersionItem(ApiModel):
    """One version of an answer."""

    version: int
    text: str
    note: str
    actor: Optional[str]
    at: Optional[str]


class KnowledgeHistory(ApiModel):
    """Every version of an answer, newest first, the default last."""

    key: str
    items: List[KnowledgeVersionItem]
