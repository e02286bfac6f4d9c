"""The service's local time (China Standard Time): the one time zone of the project."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current time in China (aware)."""
    return datetime.now(CHINA)


def today() -> date:
    """Today's date in China (Shandong)."""
    return now().date()


def local(moment: datetime) -> datetime:
    """`moment` in China's time; a naive datetime is taken to be China's time already."""
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment.astimezone(CHINA)
