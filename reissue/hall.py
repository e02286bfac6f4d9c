"""Whether the government service hall is open now, and when it opens next (Asia/Shanghai)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import List, Optional, Tuple

from reissue import clock
from reissue.clock import CHINA
from reissue.knowledge import fact
from reissue.workdays import is_working_day

WEEKDAYS = "一二三四五六日"
_RANGE = re.compile(
    r"(?P<part>上午|下午|中午|晚上)?\s*(?P<h1>\d{1,2})\s*[:：点]\s*(?P<m1>\d{2})?\s*[-－—~～至到]+\s*"
    r"(?P<h2>\d{1,2})\s*[:：点]\s*(?P<m2>\d{2})?"
)
Session = Tuple[time, time]


@dataclass(frozen=True)
class HallStatus:
    """Open now or not, a Chinese sentence saying so, and the next time it is open (now, if open)."""

    open: bool
    message: str
    next_open: datetime
    closes_at: Optional[datetime] = None


def parse_session(text: str) -> Optional[Session]:
    """Parse "上午8:30-11:30" / "下午1:00-5:00" into (start, end); 下午 adds 12 hours below 12."""
    match = _RANGE.search(str(text or ""))
    if not match:
        return None
    afternoon = match.group("part") in ("下午", "晚上")
    hours = []
    for hour_key, minute_key in (("h1", "m1"), ("h2", "m2")):
        hour = int(match.group(hour_key))
        minute = int(match.group(minute_key) or 0)
        if afternoon and hour < 12:
            hour += 12
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            return None
        hours.append(time(hour, minute))
    if hours[0] >= hours[1]:
        return None
    return hours[0], hours[1]


def sessions() -> List[Session]:
    """The hall's opening sessions of a working day, from the facts."""
    found = [parse_session(str(fact(name))) for name in ("hall_morning", "hall_afternoon")]
    return sorted(session for session in found if session is not None)


def _clock(moment: time) -> str:
    """"8:30" for a time."""
    return f"{moment.hour}:{moment.minute:02d}"


def _hours_text() -> str:
    """"上午8:30-11:30、下午1:00-5:00" from the facts."""
    return f"{fact('hall_morning')}、{fact('hall_afternoon')}"


def _day_text(day: date, today: date) -> str:
    """"今天", "明天" or "12月1日（周一）"."""
    if day == today:
        return "今天"
    if day == today + timedelta(days=1):
        return "明天"
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def _part(moment: time) -> str:
    """"上午8:30" or "下午1:00" as people say it."""
    if moment.hour >= 12:
        hour = moment.hour - 12 if moment.hour > 12 else moment.hour
        return f"下午{hour}:{moment.minute:02d}"
    return f"上午{_clock(moment)}"


def _next_open(local: datetime, day_sessions: List[Session]) -> datetime:
    """The next session start after `local` (searching up to a year ahead)."""
    day = local.date()
    for _ in range(370):
        if is_working_day(day):
            for start, _end in day_sessions:
                candidate = datetime.combine(day, start, tzinfo=CHINA)
                if candidate > local:
                    return candidate
        day += timedelta(days=1)
    return datetime.combine(day, day_sessions[0][0], tzinfo=CHINA)


def hall_status(now: datetime) -> HallStatus:
    """Whether the hall is open at `now` and, if not, why and when it opens next."""
    local = clock.local(now)
    day_sessions = sessions()
    if not day_sessions:
        return HallStatus(False, f"大厅办公时间是工作日{_hours_text()}。", local)
    working = is_working_day(local.date())
    if working:
        for start, end in day_sessions:
            if start <= local.time() < end:
                closes = datetime.combine(local.date(), end, tzinfo=CHINA)
                return HallStatus(
                    True,
                    f"大厅现在正在办公，这一段到{_part(end)}结束（办公时间：工作日{_hours_text()}）。",
                    local,
                    closes,
                )
    next_open = _next_open(local, day_sessions)
    when = f"{_day_text(next_open.date(), local.date())}{_part(next_open.time())}"
    if not working:
        reason = "今天是周末" if local.weekday() >= 5 else "今天是法定节假日"
    elif local.time() < day_sessions[0][0]:
        reason = "现在还没到上班时间"
    elif local.time() >= day_sessions[-1][1]:
        reason = "今天已经下班了"
    else:
        reason = "现在是午休时间"
    return HallStatus(False, f"大厅现在不办公（{reason}），下次办公是{when}。", next_open)
