"""好差评 follow-ups: a low rating opens one due 15 working days later; records are audited and masked."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from backend import followups
from backend.models import Feedback
from backend.workspace_models import WorkspaceEvent
from reissue import clock
from reissue.workdays import add_working_days


def rate(client, rating: int, label: str, comment: str = "") -> int:
    """Leave one rating through the public API; its id."""
    response = client.post("/api/v1/feedback", json={"rating": rating, "label": label, "comment": comment or None})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def backdate(app, feedback_id: int, when: datetime) -> None:
    """Move a rating's stored time (naive UTC)."""
    with app.state.factory() as session:
        session.execute(update(Feedback).where(Feedback.id == feedback_id).values(created_at=when))
        session.commit()


def test_a_very_unsatisfied_rating_is_due_15_working_days_later_and_overdue_after(client, app):
    old = rate(client, 1, "非常不满意")
    backdate(app, old, datetime(2025, 9, 26, 2, 0))  # 10:00 in China, the Friday before National Day
    fresh = rate(client, 2, "不满意")
    rate(client, 3, "基本满意")
    items = followups.followups(app.state.factory)
    assert [item.feedback.id for item in items] == [old, fresh]
    assert items[0].due == date(2025, 10, 23) and items[0].overdue
    assert items[1].due == add_working_days(clock.today(), 15).date and not items[1].overdue
    assert followups.counts(items) == {"open": 2, "contacted": 0, "resolved": 0, "overdue": 1, "total": 2}


def test_the_china_date_of_a_late_evening_rating_counts(client, app):
    late = rate(client, 1, "非常不满意")
    backdate(app, late, datetime(2025, 11, 6, 17, 0))  # Thursday in UTC, Friday 01:00 in China
    assert followups.followups(app.state.factory, date(2025, 11, 7))[0].due == date(2025, 11, 28)


def test_a_record_is_masked_audited_and_resolving_ends_overdue(client, app):
    old = rate(client, 1, "非常不满意")
    backdate(app, old, datetime(2025, 9, 26, 2, 0))
    item = followups.record(app.state.factory, old, False, True, "已电话联系 13800138000，已解释", "wang")
    assert item.state.contacted and item.state.resolved and not item.overdue
    assert item.record.note == "已电话联系 138****8000，已解释" and item.record.updated_by == "wang"
    with app.state.factory() as session:
        event = session.execute(select(WorkspaceEvent)).scalar_one()
    assert (event.actor, event.action, event.subject) == ("wang", "followup_record", f"feedback:{old}")
