"""好差评 follow-ups: every 不满意 or 非常不满意 rating is an item due 15 working days after it was given; staff record
whether the applicant was contacted, whether it is resolved, and a note (masked), each change audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timezone
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from backend import audit
from backend.errors import ApiError
from backend.models import Feedback
from backend.numbering import utc_now_naive
from backend.workspace_models import RatingFollowup
from reissue import clock
from reissue.followups import LOW_RATINGS, FollowupState, due_date, is_overdue, state_label
from reissue.knowledge import message
from reissue.masking import scrub

STATES = ("open", "contacted", "resolved")


@dataclass(frozen=True)
class Followup:
    """One low rating with its due day and what staff recorded."""

    feedback: Feedback
    due: date
    due_estimated: bool
    state: FollowupState
    overdue: bool
    record: Optional[RatingFollowup]

    @property
    def state_key(self) -> str:
        """open, contacted or resolved."""
        return state_label(self.state)


def _followup(feedback: Feedback, record: Optional[RatingFollowup], today: date) -> Followup:
    """The follow-up of one rating as of `today`."""
    due = due_date(clock.local(feedback.created_at.replace(tzinfo=timezone.utc)).date())
    state = FollowupState(contacted=bool(record and record.contacted), resolved=bool(record and record.resolved))
    return Followup(feedback=feedback, due=due.date, due_estimated=due.estimated, state=state,
                    overdue=is_overdue(due.date, today, state), record=record)


def followups(factory: sessionmaker, today: Optional[date] = None) -> List[Followup]:
    """Every follow-up: overdue first, then unresolved by due day, then resolved (newest first)."""
    today = today or clock.today()
    with factory() as session:
        rows = session.execute(
            select(Feedback, RatingFollowup).outerjoin(RatingFollowup, RatingFollowup.feedback_id == Feedback.id)
            .where(Feedback.rating.in_(LOW_RATINGS))
        ).all()
    items = [_followup(feedback, record, today) for feedback, record in rows]
    return sorted(items, key=lambda f: (not f.overdue, f.state.resolved, f.due if not f.state.resolved else date.min,
                                        -f.feedback.id))


def counts(items: List[Followup]) -> Dict[str, int]:
    """How many follow-ups there are in each state, how many are overdue, and all."""
    found = {state: sum(item.state_key == state for item in items) for state in STATES}
    return {**found, "overdue": sum(item.overdue for item in items), "total": len(items)}


def not_a_followup() -> ApiError:
    """The 404 for a rating that is unknown or needs no follow-up."""
    return ApiError(404, "not_found", message("followup_unknown"))


def record(factory: sessionmaker, feedback_id: int, contacted: bool, resolved: bool, note: str,
           actor: str) -> Followup:
    """Store what staff recorded about a low rating as `actor` (resolved implies contacted); 404 for a rating
    that needs no follow-up; 409 when a first record for it was stored at the same moment."""
    now = utc_now_naive()
    clean_note = scrub(note.strip())[:1000] or None
    with factory() as session:
        feedback = session.get(Feedback, feedback_id)
        if feedback is None or feedback.rating not in LOW_RATINGS:
            raise not_a_followup()
        row = session.execute(select(RatingFollowup).where(RatingFollowup.feedback_id == feedback_id)
                              .with_for_update()).scalar_one_or_none()
        if row is None:
            row = RatingFollowup(feedback_id=feedback_id)
            session.add(row)
        row.contacted, row.resolved = contacted or resolved, resolved
        row.note, row.updated_by, row.updated_at = clean_note, actor, now
        audit.record(session, actor, "followup_record", f"feedback:{feedback_id}",
                     {"contacted": row.contacted, "resolved": resolved})
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise ApiError(409, "conflict", message("followup_changed")) from None
        return _followup(feedback, row, clock.today())
