"""好差评 follow-ups: which ratings open one, the due day in working days, overdue."""
from __future__ import annotations

from datetime import date

import pytest

from reissue.followups import FollowupState, due_date, is_overdue, needs_followup, state_label


@pytest.mark.parametrize("rating, opens", [(1, True), (2, True), (3, False), (4, False), (5, False)])
def test_only_unsatisfied_ratings_open_a_followup(rating, opens):
    assert needs_followup(rating) is opens


def test_the_due_day_skips_the_national_day_holiday_and_counts_the_make_up_days():
    # 2025-09-26 (Friday): Sep 28 (Sunday) and Oct 11 (Saturday) are working days, Oct 1–8 are holidays.
    assert due_date(date(2025, 9, 26)).date == date(2025, 10, 23)


def test_an_ordinary_fortnight_is_three_weeks_of_working_days():
    assert due_date(date(2025, 11, 3)).date == date(2025, 11, 24)


def test_overdue_means_past_the_due_day_and_not_resolved():
    due = date(2025, 10, 23)
    open_state, done = FollowupState(contacted=True, resolved=False), FollowupState(contacted=True, resolved=True)
    assert not is_overdue(due, date(2025, 10, 23), open_state)
    assert is_overdue(due, date(2025, 10, 24), open_state)
    assert not is_overdue(due, date(2025, 10, 24), done)
    assert [state_label(FollowupState(False, False)), state_label(open_state), state_label(done)] == \
        ["open", "contacted", "resolved"]
