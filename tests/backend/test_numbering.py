"""Stored times and how the staff pages show them."""
from __future__ import annotations

from datetime import datetime, timezone

from backend.numbering import staff_time, to_local_iso


def test_a_stored_naive_utc_time_is_shown_in_chinas_time_to_the_minute() -> None:
    stored = datetime(2026, 12, 3, 0, 21, 43, 219083)
    assert to_local_iso(stored) == "2026-12-03T08:21:43+08:00"
    assert staff_time(stored) == "2026-12-03 08:21"


def test_aware_times_iso_strings_and_other_values() -> None:
    assert staff_time(datetime(2026, 12, 2, 21, 59, tzinfo=timezone.utc)) == "2026-12-03 05:59"
    assert staff_time("2026-12-02T21:59:35+00:00") == "2026-12-03 05:59"
    assert staff_time("2026-12-24") == "2026-12-24"
    assert staff_time(None) is None
