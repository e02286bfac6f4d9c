"""好差评 follow-ups: a 不满意 or 非常不满意 rating is followed up within 15 working days."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reissue.workdays import WorkdayResult, add_working_days

FOLLOWUP_WORKING_DAYS = 15
LOW_RATINGS = (1, 2)  # 非常不满意, 不满意


def needs_followup(rating: int) -> bool:
    """True for the ratings that open a follow-up."""
    return rating in LOW_RATINGS


def due_date(rated_on: date) -> WorkdayResult:
    """The day a rating given on `rated_on` (China's date) must be followed up by: 15 working days later."""
    return add_working_days(rated_on, FOLLOWUP_WORKING_DAYS)


@dataclass(frozen=True)
class FollowupState:
    """What staff recorded so far."""

    contacted: bool
    resolved: bool


def is_overdue(due: date, today: date, state: FollowupState) -> bool:
    """True when the follow-up is not resolved and its due day has passed."""
    return not state.resolved and today > due


def state_label(state: FollowupState) -> str:
    """The state's key: resolved, contacted or open."""
    if state.resolved:
        return "resolved"
    return "contacted" if state.contacted else "open"
