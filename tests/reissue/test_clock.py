"""Tests of the one clock: China's time and the way the assistant writes dates."""
from __future__ import annotations

from datetime import date, datetime, timezone

from reissue import clock


def test_dates_are_written_the_chinese_way() -> None:
    """Days and months keep two digits, as in every reply that names a date."""
    assert clock.chinese_date(date(2026, 3, 5)) == "2026年03月05日"
    assert clock.chinese_year_month("2015-05") == "2015年05月"
    assert clock.chinese_year_month("") == ""


def test_local_time_is_china_standard_time() -> None:
    """A UTC moment is shown 8 hours later; a naive one is taken as China's time."""
    assert clock.local(datetime(2026, 12, 1, 20, 0, tzinfo=timezone.utc)).hour == 4
    assert clock.local(datetime(2026, 12, 1, 9, 0)).utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


def test_staff_read_times_in_china_to_the_minute_and_dates_unchanged() -> None:
    assert clock.display_time("2026-12-02T21:59:35+00:00") == "2026-12-03 05:59"
    assert clock.display_time("2026-12-03T05:59:35+08:00") == "2026-12-03 05:59"
    assert clock.display_time("2026-12-24") == "2026-12-24"
    assert clock.display_time("") == ""
    assert clock.display_time("不是时间的文字，足够长了吧") == "不是时间的文字，足够长了吧"
