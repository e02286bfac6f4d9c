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


def chinese_date(day: date) -> str:
    """A date as the assistant writes it: 2026年12月02日."""
    return f"{day:%Y年%m月%d日}"


def chinese_year_month(value: str) -> str:
    """An application's year and month ("2015-05") as the assistant writes it: 2015年05月; "" when empty."""
    return f"{value[:4]}年{value[5:7]}月" if value else ""


def local(moment: datetime) -> datetime:
    """`moment` in China's time; a naive datetime is taken to be China's time already."""
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment.astimezone(CHINA)


def display_time(value: str) -> str:
    """An ISO time as staff read it, in China's time ("2026-12-03 05:59"); a date or anything else unchanged."""
    if not isinstance(value, str) or len(value) <= 10:
        return value
    try:
        return f"{local(datetime.fromisoformat(value)):%Y-%m-%d %H:%M}"
    except ValueError:
        return value
