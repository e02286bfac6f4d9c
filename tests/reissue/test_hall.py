"""Tests of the service hall's opening status."""
from __future__ import annotations

from datetime import datetime, time, timezone

import pytest

from reissue.clock import CHINA as SHANGHAI
from reissue.hall import hall_status, parse_session, sessions


@pytest.mark.parametrize(
    "text, expected",
    [
        ("上午8:30-11:30", (time(8, 30), time(11, 30))),
        ("下午1:00-5:00", (time(13, 0), time(17, 0))),
        ("下午1：00—5：00", (time(13, 0), time(17, 0))),
        ("14:00-17:30", (time(14, 0), time(17, 30))),
        ("全天", None),
        ("上午11:30-8:30", None),
    ],
)
def test_parse_session(text: str, expected) -> None:
    """Hours from the facts, 下午 adds 12 h."""
    assert parse_session(text) == expected


def test_sessions_come_from_the_facts() -> None:
    """The hall works 8:30–11:30 and 13:00–17:00."""
    assert sessions() == [(time(8, 30), time(11, 30)), (time(13, 0), time(17, 0))]


def at(*args: int) -> datetime:
    """A Shanghai time."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    "now, is_open",
    [
        (at(2026, 11, 27, 8, 29), False),
        (at(2026, 11, 27, 8, 30), True),
        (at(2026, 11, 27, 11, 29), True),
        (at(2026, 11, 27, 11, 30), False),
        (at(2026, 11, 27, 13, 0), True),
        (at(2026, 11, 27, 16, 59), True),
        (at(2026, 11, 27, 17, 0), False),
        (at(2026, 11, 28, 10, 0), False),   # Saturday
        (at(2026, 10, 2, 10, 0), False),    # National Day holiday
        (at(2026, 10, 10, 10, 0), True),    # make-up Saturday
    ],
)
def test_open_or_closed(now: datetime, is_open: bool) -> None:
    """Opening hours, weekends, holidays and make-up Saturdays."""
    assert hall_status(now).open is is_open


def test_open_message_and_closing_time() -> None:
    """While open: the session end and the hours from the facts."""
    status = hall_status(at(2026, 11, 27, 9, 0))
    assert status.open
    assert status.closes_at == at(2026, 11, 27, 11, 30)
    assert "上午11:30" in status.message and "上午8:30-11:30" in status.message and "下午1:00-5:00" in status.message


def test_lunch_break() -> None:
    """At noon it opens again at 13:00 today."""
    status = hall_status(at(2026, 11, 27, 12, 0))
    assert not status.open
    assert status.next_open == at(2026, 11, 27, 13, 0)
    assert "午休" in status.message and "今天下午1:00" in status.message


def test_after_work_on_friday() -> None:
    """Friday evening → Monday morning."""
    status = hall_status(at(2026, 11, 27, 18, 0))
    assert status.next_open == at(2026, 11, 30, 8, 30)
    assert "11月30日（周一）上午8:30" in status.message and "下班" in status.message


def test_before_work_and_tomorrow() -> None:
    """Early morning → today 8:30; Thursday evening → tomorrow 8:30."""
    assert hall_status(at(2026, 11, 27, 7, 0)).next_open == at(2026, 11, 27, 8, 30)
    assert "明天上午8:30" in hall_status(at(2026, 11, 26, 19, 0)).message


def test_national_day_holiday() -> None:
    """During the 2026 National Day break the next opening is 8 October."""
    status = hall_status(at(2026, 10, 1, 10, 0))
    assert "节假日" in status.message
    assert status.next_open == at(2026, 10, 8, 8, 30)


def test_naive_time_is_shanghai_and_utc_is_converted() -> None:
    """A naive datetime is Shanghai time; 01:00 UTC is 09:00 in Shanghai."""
    assert hall_status(datetime(2026, 11, 27, 9, 0)).open
    assert hall_status(datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)).open
    assert not hall_status(datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)).open
    assert hall_status(datetime(2026, 11, 27, 9, 0)).next_open.tzinfo is not None
