"""Application numbers and photo references."""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))
NUMBER_RE = re.compile(r"^BF\d{13}$")
PHOTO_REF_RE = re.compile(r"^PH[0-9a-f]{24}$")


def beijing_now() -> datetime:
    """The current time in Beijing (aware)."""
    return datetime.now(BEIJING)


def utc_now_naive() -> datetime:
    """The current UTC time without tzinfo, as stored in the database."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_beijing_iso(stored: datetime) -> str:
    """Render a stored naive-UTC time as ISO 8601 in Beijing time (second precision)."""
    return stored.replace(tzinfo=timezone.utc).astimezone(BEIJING).isoformat(timespec="seconds")


def new_application_number(now: datetime) -> str:
    """`BF` + the Beijing date + 5 random digits, e.g. BF2026112704817."""
    return f"BF{now.astimezone(BEIJING):%Y%m%d}{secrets.randbelow(100000):05d}"


def new_photo_ref() -> str:
    """`PH` + 24 random hex digits."""
    return "PH" + secrets.token_hex(12)
