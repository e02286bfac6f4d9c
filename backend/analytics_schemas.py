"""Request and response bodies of the analytics API (pydantic v1, like backend/schemas.py)."""
from __future__ import annotations

from typing import Dict, List, Optional

from pydantic import confloat, conlist, constr
from typing_extensions import Literal

from backend.schemas import ApiModel
from backend.workspace_schemas import FollowupCounts
from reissue.analytics import CHANNELS, KINDS

MAX_BATCH = 500
# An identifier (intent, action, form, slot or label name); the broker sends nothing else, so no text fits here.
Name = constr(strict=True, regex=r"^[A-Za-z][A-Za-z0-9_./:-]{0,63}$")


class AnalyticsEventIn(ApiModel):
    """One projected conversation event: names and time only."""

    conversation: constr(strict=True, regex=r"^[0-9a-f]{32}$")
    kind: Literal[KINDS]
    at: confloat(ge=0, le=4102444800)
    channel: Optional[Literal[CHANNELS]] = None
    intent: Optional[Name] = None
    action: Optional[Name] = None
    loop: Optional[Name] = None
    slot: Optional[Name] = None
    topics: conlist(Name, max_items=8) = []


class AnalyticsBatchIn(ApiModel):
    """A batch of projected events from the Rasa server's event broker."""

    events: conlist(AnalyticsEventIn, min_items=1, max_items=MAX_BATCH)


class AnalyticsStored(ApiModel):
    """How many events were stored."""

    stored: int


class DailyRow(ApiModel):
    """Conversations of one day by channel (a conversation of an unknown channel counts in the total only)."""

    day: str
    web: int
    rest: int
    wechat: int
    total: int


class Containment(ApiModel):
    """Conversations handed to a person, ended answered, contained, and the containment rate."""

    conversations: int
    handed_off: int
    ended_answered: int
    contained: int
    rate: Optional[float]


class Turns(ApiModel):
    """User messages (greetings left out) by outcome, with the abstain and fallback rates."""

    turns: int
    answered: int
    abstained: int
    fell_back: int
    out_of_scope: int
    handoff: int
    abstain_rate: Optional[float]
    fallback_rate: Optional[float]


class TopicRow(ApiModel):
    """One FAQ answer and how many turns it answered."""

    key: str
    title: str
    count: int


class FunnelRow(ApiModel):
    """One step of the application: conversations (or, delivered, applications) that reached it, and the drop."""

    step: Literal["started", "eligibility", "data", "confirmed", "delivered"]
    label: str
    count: int
    dropped: int
    drop_rate: Optional[float]


class CityWeekRow(ApiModel):
    """Applications of one city in one week (its Monday)."""

    week: str
    city: str
    count: int


class RatingWeekRow(ApiModel):
    """Ratings of one week (its Monday) by stars 1–5, with count and mean."""

    week: str
    counts: Dict[str, int]
    total: int
    mean: Optional[float]



class AnalyticsSummary(ApiModel):
    """Every figure of the service owner's view over the days `from` to `to` (China's calendar)."""

    from_: str
    to: str
    daily: List[DailyRow]
    containment: Containment
    turns: Turns
    topics: List[TopicRow]
    funnel: List[FunnelRow]
    cities: List[CityWeekRow]
    ratings: List[RatingWeekRow]
    followups: FollowupCounts

    class Config:
        """`from` is a Python keyword: the field is from_ under the alias from."""

        fields = {"from_": "from"}
        allow_population_by_field_name = True
