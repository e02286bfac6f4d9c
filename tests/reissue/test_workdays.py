"""Tests of the working-day calendar: official holidays, make-up days, the staff file and the estimate."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import reissue.workdays as workdays
from reissue.workdays import add_working_days, calendar_source, is_working_day, next_working_day


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2025, 1, 1), False),    # 元旦
        (date(2025, 1, 26), True),    # Sunday, make-up day before Spring Festival 2025
        (date(2025, 1, 28), False),   # 除夕 2025
        (date(2025, 2, 8), True),     # Saturday, make-up day
        (date(2025, 10, 1), False),   # National Day 2025
        (date(2025, 10, 8), False),   # 中秋 joined to National Day 2025
        (date(2025, 10, 11), True),   # Saturday, make-up day
        (date(2026, 2, 14), True),    # Saturday, make-up day before Spring Festival 2026
        (date(2026, 2, 16), False),   # Spring Festival 2026
        (date(2026, 2, 23), False),   # last day of the 2026 Spring Festival break
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),    # Saturday, make-up day
        (date(2026, 9, 20), True),    # Sunday, make-up day before National Day 2026
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),   # Saturday, make-up day
        (date(2026, 11, 27), True),   # an ordinary Friday
        (date(2026, 11, 28), False),  # an ordinary Saturday
    ],
)
def test_is_working_day_official(day: date, working: bool) -> None:
    """Public holidays and make-up working days of 2025–2026."""
    assert is_working_day(day) is working


def test_day_one_is_the_first_working_day_after_start() -> None:
    """Day 1 after a Friday is the next Monday; n = 0 is the start itself."""
    assert add_working_days(date(2026, 11, 27), 1).date == date(2026, 11, 30)
    assert add_working_days(date(2026, 11, 27), 0).date == date(2026, 11, 27)
    assert add_working_days(date(2026, 11, 25), 1).date == date(2026, 11, 26)


def test_across_spring_festival_2026() -> None:
    """From Friday 13 Feb 2026: Sat 14 Feb works, then nothing until 24 Feb."""
    assert add_working_days(date(2026, 2, 13), 1).date == date(2026, 2, 14)
    result = add_working_days(date(2026, 2, 13), 2)
    assert result.date == date(2026, 2, 24)
    assert not result.estimated and result.note == ""


def test_across_national_day_2026() -> None:
    """From 30 Sep 2026 the next working day is 8 Oct; 10 Oct (Saturday) counts."""
    assert add_working_days(date(2026, 9, 30), 1).date == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3).date == date(2026, 10, 10)


def test_sixty_five_working_days_in_2025() -> None:
    """65 working days from 1 Sep 2025 skip the National Day week and count make-up days.

    September 2–30: 21 weekdays + Sunday 28th = 22; October: 23 weekdays − 6 holidays + Saturday 11th = 18;
    November: 20 → 60; then 1–5 December → the 65th is Friday 5 December.
    """
    result = add_working_days(date(2025, 9, 1), 65)
    assert result.date == date(2025, 12, 5)
    assert not result.estimated


def test_estimate_beyond_known_years() -> None:
    """2030 is estimated (weekends only) and the note says so."""
    result = add_working_days(date(2030, 1, 1), 5)
    assert result.date == date(2030, 1, 8)
    assert result.estimated
    assert "2030年" in result.note and "估算" in result.note
    assert calendar_source(2030) == "estimate"
    assert calendar_source(2026) == "official"


def test_crossing_into_an_unknown_year_is_estimated() -> None:
    """65 working days from late 2026 reach 2027, so the result is an estimate naming 2027."""
    result = add_working_days(date(2026, 11, 27), 65)
    assert result.estimated and "2027年" in result.note
    assert result.date.year == 2027


@pytest.mark.parametrize("n", [-5, "abc", None])
def test_bad_counts_do_not_crash(n) -> None:
    """Negative or non-numeric counts give the start date."""
    assert add_working_days(date(2026, 5, 6), n).date == date(2026, 5, 6)


def test_staff_file_extends_the_calendar(tmp_path, monkeypatch) -> None:
    """A year added to holidays.yml is used (holidays and make-up days), and is not an estimate."""
    path = tmp_path / "holidays.yml"
    path.write_text(
        yaml.safe_dump({"years": {2031: {"holidays": ["2031-01-01", "2031-01-02"], "workdays": ["2031-01-04"]}}}),
        encoding="utf-8",
    )
    monkeypatch.setattr(workdays, "HOLIDAYS_FILE", path)
    workdays._file_years.cache_clear()
    try:
        assert calendar_source(2031) == "file"
        assert not is_working_day(date(2031, 1, 1))
        assert not is_working_day(date(2031, 1, 2))
        assert is_working_day(date(2031, 1, 4))  # a Saturday made a working day
        result = add_working_days(date(2030, 12, 31), 2)
        assert result.date == date(2031, 1, 4)
        assert not result.estimated
    finally:
        workdays._file_years.cache_clear()


def test_broken_staff_file_falls_back_to_the_estimate(tmp_path, monkeypatch) -> None:
    """A broken file never crashes; the year is estimated."""
    path = tmp_path / "holidays.yml"
    path.write_text("years: [this is: not valid", encoding="utf-8")
    monkeypatch.setattr(workdays, "HOLIDAYS_FILE", path)
    workdays._file_years.cache_clear()
    try:
        assert calendar_source(2031) == "estimate"
        assert add_working_days(date(2031, 1, 1), 1).estimated
    finally:
        workdays._file_years.cache_clear()


def test_shipped_file_is_valid() -> None:
    """The shipped holidays.yml loads and lists no year the package already knows."""
    years = workdays._file_years()
    for year in years:
        assert calendar_source(year) in ("file", "official")


def test_next_working_day() -> None:
    """The first working day after (or on) a date."""
    assert next_working_day(date(2026, 10, 1)) == date(2026, 10, 8)
    assert next_working_day(date(2026, 11, 27), include_today=True) == date(2026, 11, 27)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31)), st.integers(min_value=0, max_value=80))
def test_result_is_a_working_day_after_start(start: date, n: int) -> None:
    """The result is never before the start and, for n ≥ 1, is itself a working day."""
    result = add_working_days(start, n)
    assert result.date >= start
    if n:
        assert is_working_day(result.date)
        assert result.date - start >= timedelta(days=n)
