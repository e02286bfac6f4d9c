"""Working days in mainland China: public holidays and make-up working days, with a labelled estimate."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Optional, Tuple

import yaml

HOLIDAYS_FILE = Path(__file__).resolve().parent / "holidays.yml"
SOURCE_PACKAGE = "official"
SOURCE_FILE = "file"
SOURCE_ESTIMATE = "estimate"
MAX_DAYS = 3650


@dataclass(frozen=True)
class WorkdayResult:
    """The date reached, whether any day on the way was only estimated, and a note for the applicant."""

    date: date
    estimated: bool
    note: str


@lru_cache(maxsize=1)
def _file_years() -> Dict[int, Tuple[FrozenSet[date], FrozenSet[date]]]:
    """(holidays, make-up workdays) per year from holidays.yml; empty when the file is missing or broken."""
    try:
        with open(HOLIDAYS_FILE, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError):
        return {}
    years: Dict[int, Tuple[FrozenSet[date], FrozenSet[date]]] = {}
    for year, item in (raw.get("years") or {}).items():
        try:
            holidays = frozenset(_as_date(value) for value in (item or {}).get("holidays") or [])
            workdays = frozenset(_as_date(value) for value in (item or {}).get("workdays") or [])
            years[int(year)] = (holidays, workdays)
        except (TypeError, ValueError, AttributeError):
            continue
    return years


def _as_date(value: object) -> date:
    """A date from YAML (already a date, or an ISO string)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@lru_cache(maxsize=64)
def _package_knows(year: int) -> bool:
    """True when the chinesecalendar package has the official schedule of `year`."""
    try:
        import chinese_calendar

        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except (NotImplementedError, ImportError, ValueError):
        return False


def calendar_source(year: int) -> str:
    """Where the schedule of `year` comes from: "official" (package), "file" (holidays.yml) or "estimate"."""
    if _package_knows(year):
        return SOURCE_PACKAGE
    if year in _file_years():
        return SOURCE_FILE
    return SOURCE_ESTIMATE


def is_working_day(day: date) -> bool:
    """True when `day` is a working day (make-up Saturdays count; beyond known years, Monday–Friday)."""
    source = calendar_source(day.year)
    if source == SOURCE_PACKAGE:
        import chinese_calendar

        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5
    if source == SOURCE_FILE:
        holidays, workdays = _file_years()[day.year]
        if day in workdays:
            return True
        if day in holidays:
            return False
    return day.weekday() < 5


def estimate_note(years: Tuple[int, ...]) -> str:
    """The note telling the applicant a date is only an estimate."""
    listed = "、".join(f"{year}年" for year in years)
    return f"{listed}的节假日安排还没有公布，这个日期只按周一到周五估算，实际可能因节假日顺延。"


def add_working_days(start: date, n: int) -> WorkdayResult:
    """The n-th working day after `start` (day 1 is the first working day after `start`); never raises."""
    try:
        count = max(0, int(n))
    except (TypeError, ValueError):
        count = 0
    count = min(count, MAX_DAYS)
    day = start
    estimated_years: Dict[int, None] = {}
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if calendar_source(day.year) == SOURCE_ESTIMATE:
            estimated_years[day.year] = None
        if is_working_day(day):
            remaining -= 1
    estimated = bool(estimated_years)
    note = estimate_note(tuple(estimated_years)) if estimated else ""
    return WorkdayResult(day, estimated, note)


def next_working_day(day: date, include_today: bool = False) -> Optional[date]:
    """The first working day on or after (`include_today`) or after `day`; None if none within a year."""
    current = day if include_today else day + timedelta(days=1)
    for _ in range(366):
        if is_working_day(current):
            return current
        current += timedelta(days=1)
    return None
