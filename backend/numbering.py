"""Application numbers and photo references (formats in reissue.application), and the stored times."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from reissue import clock
from reissue.application import APPLICATION_NUMBER_PREFIX, PHOTO_REF_PREFIX


def utc_now_naive() -> datetime:
    """The current UTC time without tzinfo, as stored in the database."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local_iso(stored: datetime) -> str:
    """Render a stored naive-UTC time as ISO 8601 in China's time (second precision)."""
    return clock.local(stored.replace(tzinfo=timezone.utc)).isoformat(timespec="seconds")


def staff_time(value: object) -> object:
    """A time as the staff pages show it: a stored naive-UTC datetime or an ISO string, in China's time to the minute."""
    if isinstance(value, datetime):
        value = to_local_iso(value) if value.tzinfo is None else value.isoformat()
    return clock.display_time(value) if isinstance(value, str) else value


def new_application_number(now: datetime) -> str:
    """`BF` + the date in China + 5 random digits, e.g. BF2026112704817."""
    return f"{APPLICATION_NUMBER_PREFIX}{clock.local(now):%Y%m%d}{secrets.randbelow(100000):05d}"


def new_photo_ref() -> str:
    """`PH` + 24 random hex digits."""
    return PHOTO_REF_PREFIX + secrets.token_hex(12)
