"""Pure conversions from stored rows to response bodies (masked data only)."""
from __future__ import annotations

import json
from typing import Any, Dict

from backend.lifecycle import REJECTED, status_label
from backend.models import Application, Feedback, UnansweredQuestion
from backend.numbering import to_local_iso
from reissue.masking import mask_name


def created_view(app: Application) -> Dict[str, Any]:
    """The body answering a create (or its replay)."""
    return {"number": app.number, "status": app.status, "created_at": to_local_iso(app.created_at)}


def progress_view(app: Application) -> Dict[str, Any]:
    """The applicant's view: status, timeline and the review failure reason."""
    return {
        "number": app.number,
        "status": app.status,
        "status_label": status_label(app.status),
        "review_reason": app.review_reason if app.status == REJECTED else None,
        "applicant_name_masked": mask_name(app.applicant_name),
        "id_number_masked": app.id_masked,
        "qualification": app.qualification,
        "level": app.level,
        "city": app.city,
        "created_at": to_local_iso(app.created_at),
        "updated_at": to_local_iso(app.updated_at),
        "timeline": [
            {"status": e.to_status, "status_label": status_label(e.to_status), "at": to_local_iso(e.at)}
            for e in app.events
        ],
    }


def summary_view(app: Application) -> Dict[str, Any]:
    """One line of the staff list."""
    return {
        "number": app.number,
        "status": app.status,
        "applicant_name": app.applicant_name,
        "id_number_masked": app.id_masked,
        "qualification": app.qualification,
        "city": app.city,
        "created_at": to_local_iso(app.created_at),
    }


def admin_view(app: Application) -> Dict[str, Any]:
    """The staff view: the full record with the audit trail; ID and phone stay masked."""
    return {
        "number": app.number,
        "status": app.status,
        "status_label": status_label(app.status),
        "review_reason": app.review_reason,
        "reason": app.reason,
        "qualification": app.qualification,
        "level": app.level,
        "specialty": app.specialty,
        "obtained": app.obtained,
        "applicant_name": app.applicant_name,
        "id_number_masked": app.id_masked,
        "id_last4": app.id_last4,
        "cert_number": app.cert_number,
        "cert_number_unknown": bool(app.cert_number_unknown),
        "city": app.city,
        "phone_masked": app.phone_masked,
        "photo_ref": app.photo_ref,
        "channel": app.channel,
        "sender_ref": app.sender_ref,
        "created_at": to_local_iso(app.created_at),
        "updated_at": to_local_iso(app.updated_at),
        "audit": [
            {
                "at": to_local_iso(e.at),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "reason": e.reason,
                "actor": e.actor,
            }
            for e in app.events
        ],
    }


def feedback_view(item: Feedback) -> Dict[str, Any]:
    """One rating for staff."""
    return {
        "id": item.id,
        "rating": item.rating,
        "label": item.label,
        "comment": item.comment,
        "sender_ref": item.sender_ref,
        "application_number": item.application_number,
        "created_at": to_local_iso(item.created_at),
    }


def unanswered_view(item: UnansweredQuestion) -> Dict[str, Any]:
    """One unanswered question for staff."""
    return {
        "id": item.id,
        "text": item.text,
        "kind": item.kind,
        "channel": item.channel,
        "guesses": json.loads(item.guesses or "[]"),
        "created_at": to_local_iso(item.created_at),
    }

