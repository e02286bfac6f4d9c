"""Pure conversions from workspace rows and groups to response bodies (masked data only)."""
from __future__ import annotations

from typing import Any, Dict

from backend.followups import Followup
from backend.knowledge_store import Entry, Version
from backend.numbering import to_local_iso
from backend.workspace_models import KnowledgeDraft, WorkspaceEvent
from reissue.answering.grouping import Group


def group_view(group: Group) -> Dict[str, Any]:
    """One group of near-identical unanswered questions."""
    return {
        "ids": group.ids,
        "count": group.count,
        "first_seen": to_local_iso(group.first_seen),
        "last_seen": to_local_iso(group.last_seen),
        "samples": group.samples,
        "kinds": group.kinds,
        "channels": group.channels,
        "top_guesses": [{"label": label, "confidence": confidence} for label, confidence in group.top_guesses],
    }


def draft_view(draft: KnowledgeDraft) -> Dict[str, Any]:
    """One draft of a new answer."""
    return {
        "id": draft.id,
        "question": draft.question,
        "answer": draft.answer,
        "source": draft.source,
        "status": draft.status,
        "created_by": draft.created_by,
        "created_at": to_local_iso(draft.created_at),
        "updated_by": draft.updated_by,
        "updated_at": to_local_iso(draft.updated_at),
    }


def event_view(event: WorkspaceEvent) -> Dict[str, Any]:
    """One audit row."""
    return {"at": to_local_iso(event.at), "actor": event.actor, "action": event.action, "subject": event.subject,
            "detail": event.detail or ""}


def followup_view(item: Followup) -> Dict[str, Any]:
    """One follow-up of a low rating."""
    record = item.record
    return {
        "feedback_id": item.feedback.id,
        "rating": item.feedback.rating,
        "label": item.feedback.label,
        "comment": item.feedback.comment,
        "application_number": item.feedback.application_number,
        "rated_at": to_local_iso(item.feedback.created_at),
        "due_date": item.due.isoformat(),
        "due_estimated": item.due_estimated,
        "state": item.state_key,
        "contacted": item.state.contacted,
        "resolved": item.state.resolved,
        "overdue": item.overdue,
        "note": record.note if record else None,
        "updated_by": record.updated_by if record else None,
        "updated_at": to_local_iso(record.updated_at) if record else None,
    }


def version_view(version: Version) -> Dict[str, Any]:
    """One version of an answer."""
    return {"version": version.version, "text": version.text, "note": version.note, "actor": version.actor,
            "at": to_local_iso(version.at) if version.at else None}


def knowledge_view(entry: Entry) -> Dict[str, Any]:
    """An FAQ answer as it is now."""
    current = entry.current
    return {"key": entry.key, "title": entry.title, "text": current.text, "source": entry.source,
            "version": current.version, "is_default": entry.is_default, "note": current.note,
            "updated_by": current.actor, "updated_at": to_local_iso(current.at) if current.at else None}
