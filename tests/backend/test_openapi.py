"""The committed docs/openapi.json is exactly what the app publishes."""
from __future__ import annotations

import json

from backend.openapi import document
from reissue.settings import PROJECT_ROOT


def test_committed_document_matches_the_app():
    committed = json.loads((PROJECT_ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(document())), "regenerate: python -m backend.openapi > docs/openapi.json"


def test_document_lists_the_contract_endpoints():
    paths = document()["paths"]
    assert set(paths) == {
        "/api/v1/applications", "/api/v1/applications/{number}", "/api/v1/applications/{number}/admin",
        "/api/v1/applications/{number}/status", "/api/v1/photos", "/api/v1/photos/{ref}", "/api/v1/feedback",
        "/api/v1/unanswered", "/healthz",
        "/api/v1/unanswered/groups", "/api/v1/unanswered/reviews", "/api/v1/drafts", "/api/v1/drafts/{draft_id}",
        "/api/v1/followups", "/api/v1/followups/{feedback_id}",
        "/api/v1/knowledge", "/api/v1/knowledge/{key}", "/api/v1/knowledge/{key}/versions",
        "/api/v1/knowledge/{key}/rollback",
        "/api/v1/handoffs", "/api/v1/handoffs/{handoff_id}", "/api/v1/handoffs/{handoff_id}/take",
        "/api/v1/handoffs/{handoff_id}/messages", "/api/v1/handoffs/{handoff_id}/release",
        "/api/v1/handoffs/{handoff_id}/close", "/api/v1/handoffs/{handoff_id}/updates",
        "/api/v1/handoffs/{handoff_id}/user-messages",
        "/api/v1/channel-handoffs/relay", "/api/v1/channel-handoffs/claim", "/api/v1/channel-handoffs/report",
        "/api/v1/callbacks", "/api/v1/callbacks/{callback_id}", "/api/v1/callbacks/{callback_id}/user-messages",
        "/api/v1/analytics/events", "/api/v1/analytics/summary", "/api/v1/analytics/{table}.csv",
    }
    assert "/staff" not in paths
