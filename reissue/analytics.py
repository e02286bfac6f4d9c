"""The service owner's figures, computed from projected conversation events and the backend's own rows (pure).

A projected event says what happened in a conversation without any of its words: the conversation's keyed hash,
its channel, the kind of event, an intent, action, form or requested-field name, the answer plan's labels, and
the time. The definitions, in the words of docs/workspace.md ("The service owner's view"):

- A **conversation** is one Rasa session of one sender (a new session starts after 60 idle minutes) in which the
  person wrote at least one message that is not a greeting (the web widget greets by itself when opened). It
  counts on the China day of its first such message. Greetings are not **turns**; every other user message is.
- A turn **abstained** when the assistant said the guide does not answer it (intent `not_in_guide`), **fell back**
  when it did not understand (`nlu_fallback`, `unclear`, or a fallback action ran), was **out of scope** when it
  was routed to another authority, asked for a **person** (`human_handoff`, or `action_handoff` ran); else it was
  **answered**.
- A conversation was **handed off** when any of its turns asked for a person; it **ended answered** when its last
  turn was answered or routed out of scope (the person was told where to go); it is **contained** when it ended
  answered and was not handed off.
- The **funnel** counts conversations reaching each step of the application: started (the form began),
  eligibility (passed: the form asked for the first field of the certificate's data), data (every field given:
  the form asked for the confirmation), confirmed (the applicant confirmed and the assistant filed it: an
  application number or outbox reference was given); delivered counts the applications the backend received in the
  window (also those the outbox delivered later). Each step's drop is the previous step minus this one.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from reissue import clock

CHANNELS = ("web", "rest", "wechat")
RATINGS = (1, 2, 3, 4, 5)
DEFAULT_DAYS = 28
MAX_DAYS = 366
# The days a window may cover at all (the service's records begin long after the first, and end long before the last).
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
TOP_TOPICS = 10

# Kinds of projected event.
USER = "user"
ACTION = "action"
LOOP = "loop"
REQUESTED = "requested"
FILED = "filed"
SESSION = "session"
KINDS = (USER, ACTION, LOOP, REQUESTED, FILED, SESSION)

GREETING = "greet"
ABSTAIN_INTENTS = frozenset({"not_in_guide"})
FALLBACK_INTENTS = frozenset({"nlu_fallback", "unclear"})
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
OUT_OF_SCOPE_INTENT = "out_of_scope"
HANDOFF_INTENT = "human_handoff"
HANDOFF_ACTION = "action_handoff"
APPLICATION_FORM = "reissue_form"
ELIGIBILITY_FIELDS = ("reissue_reason", "ever_collected", "has_ecert")
CONFIRMATION_FIELD = "confirmed"

# Outcomes of a turn.
ANSWERED = "answered"
ABSTAINED = "abstained"
FELL_BACK = "fell_back"
OUT_OF_SCOPE = "out_of_scope"
HANDED_OFF = "handoff"

# Steps of the application funnel, in order.
STARTED = "started"
ELIGIBILITY = "eligibility"
DATA = "data"
CONFIRMED = "confirmed"
DELIVERED = "delivered"
FUNNEL = (STARTED, ELIGIBILITY, DATA, CONFIRMED, DELIVERED)


@dataclass(frozen=True)
class Event:
    """One projected event: no text and no slot value, only names, the conversation's hash and the time (aware)."""

    conversation: str
    kind: str
    at: datetime
    channel: Optional[str] = None
    intent: Optional[str] = None
    action: Optional[str] = None
    loop: Optional[str] = None
    slot: Optional[str] = None
    topics: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Window:
    """The days reported, first and last included, in China's calendar."""

    first: date
    last: date

    @classmethod
    def ending(cls, last: date, days: int = DEFAULT_DAYS) -> "Window":
        """The `days` days up to and including `last`."""
        return cls(last - timedelta(days=days - 1), last)

    @property
    def days(self) -> List[date]:
        """Every day of the window, in order."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def weeks(self) -> List[date]:
        """The Monday of every week the window touches, in order."""
        return sorted({week_of(day) for day in self.days})

    def holds(self, day: date) -> bool:
        """Whether `day` is one of the window's days."""
        return self.first <= day <= self.last


def week_of(day: date) -> date:
    """The Monday of the week of `day`."""
    return day - timedelta(days=day.weekday())


def china_day(moment: datetime) -> date:
    """The China date of an aware moment (a naive one is taken as UTC, as the backend stores them)."""
    return clock.local(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).date()


@dataclass
class Turn:
    """One user message (not a greeting) and what the assistant did with it."""

    intent: str
    day: date
    topics: Tuple[str, ...] = ()
    actions: List[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """answered, abstained, fell_back, out_of_scope or handoff."""
        if self.intent == HANDOFF_INTENT or HANDOFF_ACTION in self.actions:
            return HANDED_OFF
        if self.intent in FALLBACK_INTENTS or FALLBACK_ACTIONS.intersection(self.actions):
            return FELL_BACK
        if self.intent in ABSTAIN_INTENTS:
            return ABSTAINED
        if self.intent == OUT_OF_SCOPE_INTENT:
            return OUT_OF_SCOPE
        return ANSWERED


@dataclass
class Conversation:
    """One session of one sender: its channel, turns and the application steps it reached."""

    key: str
    channel: Optional[str] = None
    turns: List[Turn] = field(default_factory=list)
    steps: Set[str] = field(default_factory=set)

    @property
    def day(self) -> date:
        """The China day of its first turn."""
        return self.turns[0].day

    @property
    def handed_off(self) -> bool:
        """Whether any turn asked for a person."""
        return any(turn.outcome == HANDED_OFF for turn in self.turns)

    @property
    def ended_answered(self) -> bool:
        """Whether the last turn was answered (or routed to where the person should go)."""
        return self.turns[-1].outcome in (ANSWERED, OUT_OF_SCOPE)

    @property
    def contained(self) -> bool:
        """Ended answered without a person."""
        return self.ended_answered and not self.handed_off


def _step_of(event: Event) -> Optional[str]:
    """The funnel step an event shows the conversation reached, if any."""
    if event.kind == LOOP and event.loop == APPLICATION_FORM:
        return STARTED
    if event.kind == REQUESTED and event.slot == CONFIRMATION_FIELD:
        return DATA
    if event.kind == REQUESTED and event.slot and event.slot not in ELIGIBILITY_FIELDS:
        return ELIGIBILITY
    if event.kind == FILED:
        return CONFIRMED
    return None


def conversations(events: Iterable[Event]) -> List[Conversation]:
    """The conversations of the events (any order; events at the same moment keep their order), those without a
    turn left out."""
    by_sender: Dict[str, List[Event]] = {}
    for event in events:
        by_sender.setdefault(event.conversation, []).append(event)
    found: List[Conversation] = []
    for sender, items in by_sender.items():
        current = Conversation(sender)
        sessions = [current]
        for event in sorted(items, key=lambda e: e.at):
            if event.kind == SESSION and (current.turns or current.steps):
                current = Conversation(sender)
                sessions.append(current)
            elif event.kind == USER and event.intent and event.intent != GREETING:
                current.turns.append(Turn(event.intent, china_day(event.at), event.topics))
            elif event.kind == ACTION and event.action and current.turns:
                current.turns[-1].actions.append(event.action)
            step = _step_of(event)
            if step:
                current.steps.add(step)
            if event.kind == USER and current.channel is None and event.channel in CHANNELS:
                current.channel = event.channel
        found.extend(c for c in sessions if c.turns)
    return found


@dataclass(frozen=True)
class Application:
    """What the figures need of one application the backend received: when, where."""

    at: datetime
    city: str


@dataclass(frozen=True)
class Rating:
    """What the figures need of one satisfaction rating: when, how many stars."""

    at: datetime
    rating: int


@dataclass(frozen=True)
class Summary:
    """Every figure of the service owner's view over one window."""

    window: Window
    daily: List[Dict[str, object]]
    containment: Dict[str, object]
    turns: Dict[str, object]
    topics: List[Dict[str, object]]
    funnel: List[Dict[str, object]]
    cities: List[Dict[str, object]]
    ratings: List[Dict[str, object]]
    followups: Dict[str, int]


def _rate(part: int, whole: int) -> Optional[float]:
    """part / whole to four places, None when there is no whole."""
    return round(part / whole, 4) if whole else None


def daily_counts(found: Sequence[Conversation], window: Window) -> List[Dict[str, object]]:
    """Conversations per day and channel, every day of the window (zeros included)."""
    counts = Counter((c.day, c.channel) for c in found)
    rows = []
    for day in window.days:
        row: Dict[str, object] = {"day": day.isoformat()}
        row.update({channel: counts[(day, channel)] for channel in CHANNELS})
        row["total"] = sum(counts[(day, channel)] for channel in (*CHANNELS, None))
        rows.append(row)
    return rows


def containment(found: Sequence[Conversation]) -> Dict[str, object]:
    """How many conversations were handed off, ended answered, were contained, and the containment rate."""
    contained = sum(c.contained for c in found)
    return {"conversations": len(found), "handed_off": sum(c.handed_off for c in found),
            "ended_answered": sum(c.ended_answered for c in found), "contained": contained,
            "rate": _rate(contained, len(found))}


def turn_counts(turns: Sequence[Turn]) -> Dict[str, object]:
    """Turns by outcome, with the abstain and fallback rates."""
    outcomes = Counter(turn.outcome for turn in turns)
    total = len(turns)
    return {"turns": total, "answered": outcomes[ANSWERED], "abstained": outcomes[ABSTAINED],
            "fell_back": outcomes[FELL_BACK], "out_of_scope": outcomes[OUT_OF_SCOPE], "handoff": outcomes[HANDED_OFF],
            "abstain_rate": _rate(outcomes[ABSTAINED], total), "fallback_rate": _rate(outcomes[FELL_BACK], total)}


def top_topics(turns: Sequence[Turn], titles: Mapping[str, str], limit: int = TOP_TOPICS) -> List[Dict[str, object]]:
    """The FAQ keys answered most often (each once per turn), most first, ties by key."""
    counts = Counter(key for turn in turns if turn.outcome == ANSWERED for key in set(turn.topics) if key in titles)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"key": key, "title": titles[key], "count": count} for key, count in ranked]


def funnel(found: Sequence[Conversation], delivered: int) -> List[Dict[str, object]]:
    """Each step with how many reached it and how many dropped since the step before."""
    reached = {step: sum(step in c.steps for c in found) for step in FUNNEL[:-1]}
    reached[DELIVERED] = delivered
    rows, previous = [], None
    for step in FUNNEL:
        dropped = max(previous - reached[step], 0) if previous is not None else 0
        rows.append({"step": step, "count": reached[step], "dropped": dropped,
                     "drop_rate": _rate(dropped, previous or 0) if previous is not None else None})
        previous = reached[step]
    return rows


def city_weeks(applications: Sequence[Application], window: Window) -> List[Dict[str, object]]:
    """Applications per city and week (Monday), weeks in order, the busiest city first within a week."""
    counts = Counter((week_of(china_day(a.at)), a.city) for a in applications if window.holds(china_day(a.at)))
    return [{"week": week.isoformat(), "city": city, "count": count}
            for (week, city), count in sorted(counts.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))]


def rating_weeks(ratings: Sequence[Rating], window: Window) -> List[Dict[str, object]]:
    """Ratings 1–5 per week (Monday) of the window, with the week's count and mean."""
    counts = Counter((week_of(china_day(r.at)), r.rating) for r in ratings if window.holds(china_day(r.at)))
    rows = []
    for week in window.weeks:
        by_stars = {str(stars): counts[(week, stars)] for stars in RATINGS}
        total = sum(by_stars.values())
        mean = round(sum(stars * counts[(week, stars)] for stars in RATINGS) / total, 2) if total else None
        rows.append({"week": week.isoformat(), "counts": by_stars, "total": total, "mean": mean})
    return rows


def summarize(events: Iterable[Event], applications: Sequence[Application], ratings: Sequence[Rating],
              window: Window, titles: Mapping[str, str], followups: Mapping[str, int]) -> Summary:
    """Every figure over `window`: the conversations whose first turn falls in it and their turns, the backend's
    applications and ratings of its days; `titles` names the FAQ keys, `followups` are today's follow-up counts."""
    found = [c for c in conversations(events) if window.holds(c.day)]
    turns = [turn for c in found for turn in c.turns]
    delivered = sum(window.holds(china_day(a.at)) for a in applications)
    return Summary(window=window, daily=daily_counts(found, window), containment=containment(found),
                   turns=turn_counts(turns), topics=top_topics(turns, titles), funnel=funnel(found, delivered),
                   cities=city_weeks(applications, window), ratings=rating_weeks(ratings, window),
                   followups=dict(followups))


def window_of(first: Optional[date], last: Optional[date], today: date) -> Window:
    """The window asked for: both ends, or the 28 days up to `last` (default today), or from `first` to today.
    Raises ValueError when it runs backwards, spans more than MAX_DAYS or leaves EARLIEST–LATEST."""
    end = last or (today if first is None else max(first, today))
    start = first or (end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise ValueError("first day after last day")
    if start < EARLIEST or end > LATEST:
        raise ValueError("outside the years a window may cover")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValueError("window too long")
    return Window(start, end)
