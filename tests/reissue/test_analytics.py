"""The service owner's figures from hand-built event lists: conversations, containment, turns, topics, funnel."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import List

import pytest

from reissue.analytics import (
    Application,
    Event,
    Rating,
    Window,
    conversations,
    summarize,
    window_of,
)

UTC = timezone.utc
# 2026-12-01 10:00 in China is 02:00 UTC.
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
WINDOW = Window(date(2026, 11, 30), date(2026, 12, 6))
TITLES = {"newspaper": "要不要登报", "fee": "收不收费", "materials": "要带什么材料"}


class Script:
    """Builds one sender's events a second apart."""

    def __init__(self, conversation: str, channel: str = "web", start: datetime = T0) -> None:
        """A sender on `channel`, starting at `start`."""
        self.conversation, self.channel, self.at = conversation, channel, start
        self.events: List[Event] = [self._event("session")]

    def _event(self, kind: str, **names: object) -> Event:
        """One event a second after the previous one."""
        self.at += timedelta(seconds=1)
        return Event(self.conversation, kind, self.at, **names)  # type: ignore[arg-type]

    def user(self, intent: str, *topics: str, actions: tuple = ()) -> "Script":
        """A user message with its intent and plan labels, and the actions that answered it."""
        self.events.append(self._event("user", channel=self.channel, intent=intent, topics=tuple(topics)))
        self.events += [self._event("action", action=name) for name in actions]
        return self

    def form(self, *requested: str, filed: bool = False) -> "Script":
        """The application form starting and asking for these fields, then filing when `filed`."""
        self.events.append(self._event("loop", loop="reissue_form"))
        self.events += [self._event("requested", slot=name) for name in requested]
        if filed:
            self.events.append(self._event("filed"))
        return self

    def new_session(self, after: timedelta) -> "Script":
        """A new session after a pause."""
        self.at += after
        self.events.append(self._event("session"))
        return self


def figures(*scripts: Script, applications=(), ratings=(), window: Window = WINDOW):
    """The summary of these scripts' events."""
    events = [event for script in scripts for event in script.events]
    return summarize(events, list(applications), list(ratings), window, TITLES, {"overdue": 1})


def test_a_greeting_alone_is_no_conversation_and_no_turn():
    summary = figures(Script("a").user("greet", actions=("action_greet",)))
    assert summary.containment["conversations"] == 0 and summary.turns["turns"] == 0


def test_conversations_are_counted_per_day_and_channel_on_china_days():
    late = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 December in China
    summary = figures(Script("a").user("greet").user("faq", "fee"), Script("b", "wechat").user("faq", "fee"),
                      Script("c", "rest", late).user("faq", "fee"))
    by_day = {row["day"]: row for row in summary.daily}
    assert len(summary.daily) == 7 and by_day["2026-11-30"]["total"] == 0
    assert by_day["2026-12-01"] == {"day": "2026-12-01", "web": 1, "rest": 0, "wechat": 1, "total": 2}
    assert by_day["2026-12-02"]["rest"] == 1


def test_a_new_session_is_a_new_conversation():
    script = Script("a").user("faq", "fee").new_session(timedelta(hours=2)).user("faq", "newspaper")
    assert [len(c.turns) for c in conversations(script.events)] == [1, 1]


def test_containment_needs_no_handoff_and_an_answered_last_turn():
    contained = Script("a").user("not_in_guide").user("faq", "fee")
    abstained_last = Script("b").user("faq", "fee").user("not_in_guide")
    handed_off = Script("c").user("human_handoff", actions=("action_handoff",)).user("faq", "fee")
    routed = Script("d").user("out_of_scope")
    summary = figures(contained, abstained_last, handed_off, routed)
    assert summary.containment == {"conversations": 4, "handed_off": 1, "ended_answered": 3, "contained": 2,
                                   "rate": 0.5}


def test_turn_outcomes_and_rates():
    script = (Script("a").user("faq", "fee").user("not_in_guide").user("nlu_fallback", actions=("action_two_stage_fallback",))
              .user("inform", actions=("action_default_fallback",)).user("out_of_scope")
              .user("human_handoff", actions=("action_handoff",)))
    turns = figures(script).turns
    assert turns == {"turns": 6, "answered": 1, "abstained": 1, "fell_back": 2, "out_of_scope": 1, "handoff": 1,
                     "abstain_rate": 0.1667, "fallback_rate": 0.3333}


def test_top_topics_count_answered_faq_keys_once_per_turn():
    summary = figures(Script("a").user("faq", "fee", "fee", "newspaper"), Script("b").user("faq", "fee"),
                      Script("c").user("not_in_guide", "not_in_guide"), Script("d").user("faq", "unknown_label"))
    assert summary.topics == [{"key": "fee", "title": "收不收费", "count": 2},
                              {"key": "newspaper", "title": "要不要登报", "count": 1}]


def test_the_funnel_counts_each_step_once_per_conversation_with_the_drop():
    diverted = Script("a").user("start_reissue").form("reissue_reason", "ever_collected")  # never collected
    gave_up_in_data = Script("b").user("start_reissue").form("reissue_reason", "has_ecert", "qualification", "obtained")
    declined = Script("c").user("start_reissue").form("reissue_reason", "qualification", "phone", "confirmed")
    filed = Script("d").user("start_reissue").form("reissue_reason", "qualification", "confirmed", filed=True)
    filed_twice = Script("e").user("start_reissue").form("qualification", "confirmed", filed=True).form(
        "qualification", "confirmed", filed=True)
    applications = [Application(T0 + timedelta(minutes=5), "济南市")]
    rows = figures(diverted, gave_up_in_data, declined, filed, filed_twice, applications=applications).funnel
    assert [(r["step"], r["count"], r["dropped"]) for r in rows] == [
        ("started", 5, 0), ("eligibility", 4, 1), ("data", 3, 1), ("confirmed", 2, 1), ("delivered", 1, 1)]
    assert rows[0]["drop_rate"] is None and rows[1]["drop_rate"] == 0.2 and rows[4]["drop_rate"] == 0.5


def test_applications_per_city_and_week_inside_the_window():
    monday = datetime(2026, 11, 30, 1, tzinfo=UTC)
    applications = [Application(monday, "济南市"), Application(monday + timedelta(days=6), "青岛市"),
                    Application(monday + timedelta(days=6), "青岛市"), Application(monday + timedelta(days=7), "济南市"),
                    Application(monday - timedelta(days=1), "济南市")]
    summary = figures(applications=applications, window=Window(date(2026, 11, 30), date(2026, 12, 7)))
    assert summary.cities == [{"week": "2026-11-30", "city": "青岛市", "count": 2},
                              {"week": "2026-11-30", "city": "济南市", "count": 1},
                              {"week": "2026-12-07", "city": "济南市", "count": 1}]


def test_ratings_per_week_with_the_mean():
    ratings = [Rating(T0, 5), Rating(T0, 4), Rating(T0, 1), Rating(T0 + timedelta(days=7), 3)]
    summary = figures(ratings=ratings, window=Window(date(2026, 11, 30), date(2026, 12, 13)))
    first, second = summary.ratings
    assert first == {"week": "2026-11-30", "counts": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1}, "total": 3, "mean": 3.33}
    assert second["counts"]["3"] == 1 and second["mean"] == 3.0
    assert figures().ratings[0]["mean"] is None and figures().followups == {"overdue": 1}


def test_the_default_window_is_the_last_28_days_and_a_backwards_one_is_refused():
    today = date(2026, 12, 31)
    assert window_of(None, None, today) == Window(date(2026, 12, 4), today)
    assert window_of(date(2026, 12, 20), None, today) == Window(date(2026, 12, 20), today)
    assert window_of(None, date(2026, 12, 10), today).first == date(2026, 11, 13)
    for first, last in ((date(2026, 12, 2), date(2026, 12, 1)), (date(2025, 1, 1), date(2026, 12, 1)),
                        (date.min, date(1, 1, 2)), (date(9999, 12, 30), date.max)):
        with pytest.raises(ValueError):
            window_of(first, last, today)
