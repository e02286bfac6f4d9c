"""The backend's side of the figures: stored events read back across China's midnight, retention, the cache."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from backend import analytics
from backend.analytics_models import AnalyticsEvent
from backend.numbering import utc_now_naive
from backend.retention import Periods, sweep
from reissue.analytics import Window

WINDOW = Window(date(2026, 12, 1), date(2026, 12, 7))


def epoch(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    """A UTC moment as the broker sends it (Unix time)."""
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc).timestamp()


def event(letter: str, at: float, kind: str = "user", **names: object) -> dict:
    """One projected event."""
    return {"conversation": letter * 32, "kind": kind, "at": at, "channel": "web", "intent": "faq", **names}


def test_conversations_count_on_their_china_day_at_both_ends_of_the_window(app):
    analytics.store(app.state.factory, [
        event("a", epoch(2026, 11, 30, 15, 50)),  # 23:50 on 30 November in China: before the window
        event("a", epoch(2026, 11, 30, 16, 10)),  # the same session after midnight: still not in it
        event("b", epoch(2026, 11, 30, 16, 5)),   # 00:05 on 1 December: the first day
        event("c", epoch(2026, 12, 7, 15, 55)),   # 23:55 on 7 December: the last day
        event("c", epoch(2026, 12, 7, 16, 20), intent="not_in_guide"),  # its next turn, after midnight, still counts
        event("d", epoch(2026, 12, 7, 16, 5)),    # 00:05 on 8 December: after the window
    ])
    found = analytics.summary(app.state.factory, WINDOW)
    assert found.containment["conversations"] == 2 and found.turns["turns"] == 3
    days = {row["day"]: row["total"] for row in found.daily}
    assert days["2026-12-01"] == 1 and days["2026-12-07"] == 1


def test_topics_are_stored_and_read_back(app):
    analytics.store(app.state.factory, [event("a", epoch(2026, 12, 2, 2), topics=["fee", "newspaper"])])
    assert [t["key"] for t in analytics.summary(app.state.factory, WINDOW).topics] == ["fee", "newspaper"]


def test_retention_deletes_the_events_older_than_the_period(app, settings):
    now = utc_now_naive()
    old, recent = now - timedelta(days=401), now - timedelta(days=399)
    analytics.store(app.state.factory, [event("a", old.replace(tzinfo=timezone.utc).timestamp()),
                                        event("b", recent.replace(tzinfo=timezone.utc).timestamp())])
    periods = Periods(unanswered=None, feedback=None, orphan_photos=None, finished_applications=None,
                      analytics=timedelta(days=400))
    assert sweep(app.state.factory, settings.upload_dir, periods, now).analytics == 1
    with app.state.factory() as session:
        assert [row.conversation for row in session.query(AnalyticsEvent)] == ["b" * 32]
    keep = Periods(unanswered=None, feedback=None, orphan_photos=None, finished_applications=None)
    assert sweep(app.state.factory, settings.upload_dir, keep, now).analytics == 0


def test_the_cache_keeps_a_summary_for_its_lifetime_only(app):
    cache = analytics.SummaryCache()
    first = cache.fresh(app.state.factory, WINDOW)
    analytics.store(app.state.factory, [event("a", epoch(2026, 12, 2, 2))])
    assert cache.get(app.state.factory, WINDOW) is first
    assert cache.fresh(app.state.factory, WINDOW).containment["conversations"] == 1
    expired = analytics.SummaryCache(seconds=0)
    kept = expired.fresh(app.state.factory, WINDOW)
    assert expired.get(app.state.factory, WINDOW) is not kept
