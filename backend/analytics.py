"""The service owner's figures in the backend: the projected events the Rasa server's broker sends are stored in
`analytics_events`; a summary reads them with the backend's own applications, ratings and follow-ups and hands
them to the pure computation (reissue.analytics)."""
from __future__ import annotations

import threading
import time as monotonic_time
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from backend import followups
from backend.analytics_models import AnalyticsEvent
from backend.models import Application, Feedback
from reissue import clock
from reissue.analytics import Application as AppliedIn
from reissue.analytics import Event, Rating, Summary, Window, summarize
from reissue.knowledge import faq_entries

TOPIC_SEPARATOR = ","
# Events are read a day beyond each end of the window: a conversation counts on the day of its first turn, so the
# session around midnight must be whole, and the turns after the last day's conversations began must be there.
MARGIN = timedelta(days=1)
CACHE_SECONDS = 60.0


def _utc_naive(moment: datetime) -> datetime:
    """An aware moment as the naive UTC the tables store."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def day_start(day: date) -> datetime:
    """00:00 of a China day, as stored (naive UTC)."""
    return _utc_naive(datetime.combine(day, time.min, tzinfo=clock.CHINA))


def _aware(stored: datetime) -> datetime:
    """A stored naive UTC time as an aware one."""
    return stored.replace(tzinfo=timezone.utc)


def store(factory: sessionmaker, events: Iterable[Dict[str, Any]]) -> int:
    """Store projected events (already validated); how many."""
    rows = [AnalyticsEvent(conversation=e["conversation"], channel=e.get("channel"), kind=e["kind"],
                           intent=e.get("intent"), action=e.get("action"), loop=e.get("loop"), slot=e.get("slot"),
                           topics=TOPIC_SEPARATOR.join(e.get("topics") or ()) or None,
                           at=datetime.fromtimestamp(float(e["at"]), timezone.utc).replace(tzinfo=None))
            for e in events]
    with factory() as session:
        session.add_all(rows)
        session.commit()
    return len(rows)


def _events(factory: sessionmaker, window: Window) -> List[Event]:
    """The projected events around the window, oldest first (same moment: in arrival order)."""
    start, end = day_start(window.first) - MARGIN, day_start(window.last + timedelta(days=1)) + MARGIN
    columns = (AnalyticsEvent.conversation, AnalyticsEvent.kind, AnalyticsEvent.at, AnalyticsEvent.channel,
               AnalyticsEvent.intent, AnalyticsEvent.action, AnalyticsEvent.loop, AnalyticsEvent.slot,
               AnalyticsEvent.topics)
    with factory() as session:
        rows = session.execute(select(*columns).where(AnalyticsEvent.at >= start, AnalyticsEvent.at < end)
                               .order_by(AnalyticsEvent.at, AnalyticsEvent.id)).all()
    return [Event(conversation, kind, _aware(at), channel, intent, action, loop, slot,
                  tuple(topics.split(TOPIC_SEPARATOR)) if topics else ())
            for conversation, kind, at, channel, intent, action, loop, slot, topics in rows]


def _backend_rows(factory: sessionmaker, window: Window) -> Tuple[List[AppliedIn], List[Rating]]:
    """The applications and ratings the backend received on the window's days."""
    start, end = day_start(window.first), day_start(window.last + timedelta(days=1))
    with factory() as session:
        applications = session.execute(select(Application.created_at, Application.city)
                                       .where(Application.created_at >= start, Application.created_at < end)).all()
        ratings = session.execute(select(Feedback.created_at, Feedback.rating)
                                  .where(Feedback.created_at >= start, Feedback.created_at < end)).all()
    return ([AppliedIn(_aware(at), city) for at, city in applications],
            [Rating(_aware(at), int(rating)) for at, rating in ratings])


def topic_titles() -> Dict[str, str]:
    """Every FAQ key with the title staff know it by."""
    return {key: entry.title for key, entry in faq_entries().items()}


def summary(factory: sessionmaker, window: Window, today: Optional[date] = None) -> Summary:
    """Every figure of the window, computed now; the follow-up counts are today's."""
    applications, ratings = _backend_rows(factory, window)
    counts = followups.counts(followups.followups(factory, today))
    return summarize(_events(factory, window), applications, ratings, window, topic_titles(), counts)


def delete_older(factory: sessionmaker, cutoff: datetime) -> int:
    """Delete the projected events from before `cutoff` (naive UTC); how many."""
    with factory() as session:
        deleted = session.execute(delete(AnalyticsEvent).where(AnalyticsEvent.at < cutoff)).rowcount
        session.commit()
    return int(deleted or 0)


@dataclass
class SummaryCache:
    """The summaries the dashboard computed lately, so that its page and its charts show the same figures and the
    charts do not compute them again; each is kept CACHE_SECONDS."""

    seconds: float = CACHE_SECONDS
    _items: Dict[Tuple[date, date], Tuple[float, Summary]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fresh(self, factory: sessionmaker, window: Window) -> Summary:
        """Compute the window's summary now and keep it."""
        found = summary(factory, window)
        with self._lock:
            now = monotonic_time.monotonic()
            self._items = {key: item for key, item in self._items.items() if now - item[0] < self.seconds}
            self._items[(window.first, window.last)] = (now, found)
        return found

    def get(self, factory: sessionmaker, window: Window) -> Summary:
        """The kept summary of the window while it is fresh, else a new one."""
        with self._lock:
            kept = self._items.get((window.first, window.last))
        if kept and monotonic_time.monotonic() - kept[0] < self.seconds:
            return kept[1]
        return self.fresh(factory, window)
