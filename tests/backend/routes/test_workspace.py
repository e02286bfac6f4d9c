"""The workspace API: the grouped inbox, decisions about a group (audited as staff-token), drafts."""
from __future__ import annotations

import json
from typing import Dict, List

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.workspace_models import QuestionReview, ReviewedDocument, ReviewedExample, WorkspaceEvent
from tests.backend.backend_helpers import BOT, STAFF


def ask(client: TestClient, text: str, kind: str = "abstain", channel: str = "web",
        guesses: List[Dict[str, object]] = ()) -> int:
    """Record one unanswered question as the bot does; its id."""
    response = client.post("/api/v1/unanswered", headers=BOT,
                           json={"text": text, "kind": kind, "channel": channel, "guesses": list(guesses)})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def groups(client: TestClient, **params: str) -> Dict[str, object]:
    """The grouped inbox."""
    response = client.get("/api/v1/unanswered/groups", headers=STAFF, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def asked(client: TestClient) -> Dict[str, List[int]]:
    """Three wordings of one question, a question with an ID number, and one other question."""
    fee = [ask(client, "补办证书要交钱吗", guesses=[{"label": "faq/fee", "confidence": 0.4}]),
           ask(client, "补办证书要交钱吗？", channel="wechat"),
           ask(client, "補辦證書要交錢嗎", guesses=[{"label": "faq/fee", "confidence": 0.2}])]
    own = [ask(client, "我身份证370102199001011234查一下进度")]
    hall = [ask(client, "周六大厅开门吗", kind="fallback")]
    return {"fee": fee, "own": own, "hall": hall}


def test_near_identical_questions_are_one_group_with_count_dates_samples_and_guesses(client, asked):
    body = groups(client)
    assert body["total"] == 3 and body["open_questions"] == 5
    assert [g["ids"] for g in body["items"]] == [asked["fee"], asked["hall"], asked["own"]]
    first = body["items"][0]
    assert first["count"] == 3 and first["first_seen"] <= first["last_seen"]
    assert first["samples"] == ["補辦證書要交錢嗎", "补办证书要交钱吗？", "补办证书要交钱吗"]
    assert first["top_guesses"] == [{"label": "faq/fee", "confidence": 0.3}]
    assert first["channels"] == ["web", "wechat"]
    assert "370102199001011234" not in str(body) and "1234" in body["items"][2]["samples"][0]
    flat = client.get("/api/v1/unanswered", headers=STAFF).json()
    assert flat["total"] == 5 and len(flat["items"]) == 5


def test_recent_order_puts_the_newest_group_first(client, asked):
    assert [g["ids"] for g in groups(client, order="recent")["items"]] == [asked["hall"], asked["own"], asked["fee"]]


def test_mapping_a_group_makes_reviewed_examples_and_is_audited(client, app, asked):
    group = groups(client)["items"][0]
    answer = client.post("/api/v1/unanswered/reviews", headers=STAFF,
                         json={"question_ids": group["ids"], "action": "map", "faq_key": "fee"})
    assert answer.status_code == 200 and answer.json() == {"reviewed": group["count"]}
    assert groups(client)["open_questions"] == 5 - group["count"]
    with app.state.factory() as session:
        examples = session.execute(select(ReviewedExample)).scalars().all()
        event = session.execute(select(WorkspaceEvent)).scalar_one()
    assert {e.faq_key for e in examples} == {"fee"} and all(e.actor == "staff-token" for e in examples)
    assert event.actor == "staff-token" and event.action == "unanswered_map"
    again = client.post("/api/v1/unanswered/reviews", headers=STAFF,
                        json={"question_ids": group["ids"], "action": "dismiss"})
    assert again.status_code == 409 and again.json()["error"] == "conflict"


YACHT = {"action": "out_of_scope", "name": "游艇操作人员证书", "aliases": ["游艇驾驶证", "游艇证"],
         "category": "licence", "authority": "海事管理机构", "source": "《游艇安全管理规定》"}


@pytest.mark.parametrize("body, field", [
    ({"action": "map", "faq_key": "no_such_key"}, "faq_key"),
    ({"action": "out_of_scope", "authority": "  "}, "authority"),
    ({**YACHT, "authority": "  "}, "authority"),
    ({**YACHT, "name": " "}, "name"),
    ({**YACHT, "source": ""}, "source"),
    ({**YACHT, "category": "fishing"}, "category"),
    ({**YACHT, "aliases": ["游艇驾驶证", "艇"]}, "aliases"),
    ({**YACHT, "aliases": ["x" * 41]}, "aliases"),
    ({"action": "promote"}, "action"),
])
def test_a_wrong_decision_is_a_422_naming_the_field(client, asked, body, field):
    response = client.post("/api/v1/unanswered/reviews", headers=STAFF,
                           json={"question_ids": asked["hall"], **body})
    assert response.status_code == 422 and field in response.json()["fields"]
    assert groups(client)["open_questions"] == 5


def test_unknown_questions_are_a_409_and_the_bot_may_not_decide(client, asked):
    assert client.post("/api/v1/unanswered/reviews", headers=STAFF,
                       json={"question_ids": [999999], "action": "dismiss"}).status_code == 409
    assert client.post("/api/v1/unanswered/reviews", headers=BOT,
                       json={"question_ids": asked["hall"], "action": "dismiss"}).status_code == 403
    assert client.get("/api/v1/unanswered/groups", headers=BOT).status_code == 403
    assert client.get("/api/v1/unanswered/groups").status_code == 401
    assert client.get("/api/v1/unanswered/groups", headers=STAFF, params={"order": "x"}).status_code == 422


def test_out_of_scope_stores_the_look_alike_and_the_authority_audited(client, app, asked):
    body = {**YACHT, "question_ids": asked["hall"], "aliases": ["游艇驾驶证", "遊艇証", "游艇证", "游艇操作人员证书"],
            "authority": " 海事管理机构 "}
    response = client.post("/api/v1/unanswered/reviews", headers=STAFF, json=body)
    assert response.status_code == 200 and response.json() == {"reviewed": 1}
    with app.state.factory() as session:
        review = session.execute(select(QuestionReview)).scalar_one()
        document = session.execute(select(ReviewedDocument)).scalar_one()
        event = session.execute(select(WorkspaceEvent)).scalar_one()
    assert (review.action, review.authority, review.actor) == ("out_of_scope", "海事管理机构", "staff-token")
    assert (document.name, document.category, document.authority, document.source, document.actor) == (
        "游艇操作人员证书", "licence", "海事管理机构", "《游艇安全管理规定》", "staff-token")
    # the name first, Traditional typed as Simplified, no repeats
    assert json.loads(document.aliases) == ["游艇操作人员证书", "游艇驾驶证", "游艇证"]
    detail = json.loads(event.detail)
    assert event.action == "unanswered_out_of_scope" and event.actor == "staff-token"
    assert (detail["document_id"], detail["name"], detail["source"]) == (document.id, "游艇操作人员证书", "《游艇安全管理规定》")


def test_a_look_alike_defaults_to_its_name_and_another_ministry_and_is_masked(client, app, asked):
    body = {"question_ids": asked["own"], "action": "out_of_scope", "name": "工作证 13812345678",
            "authority": "所在单位", "source": "https://example.org/rule"}
    assert client.post("/api/v1/unanswered/reviews", headers=STAFF, json=body).status_code == 200
    with app.state.factory() as session:
        document = session.execute(select(ReviewedDocument)).scalar_one()
    assert document.name == "工作证 138****5678" and json.loads(document.aliases) == ["工作证 138****5678"]
    assert (document.category, document.source) == ("other_ministry", "https://example.org/rule")


def test_other_decisions_add_no_look_alike(client, app, asked):
    assert client.post("/api/v1/unanswered/reviews", headers=STAFF,
                       json={"question_ids": asked["hall"], "action": "dismiss", "name": "游艇证"}).status_code == 200
    with app.state.factory() as session:
        assert session.execute(select(ReviewedDocument)).scalars().all() == []


def test_a_new_answer_draft_is_published_only_with_its_source(client, asked):
    assert client.post("/api/v1/unanswered/reviews", headers=STAFF,
                       json={"question_ids": asked["hall"], "action": "new_answer"}).status_code == 200
    draft = client.get("/api/v1/drafts", headers=STAFF).json()["items"][0]
    assert draft["question"] == "周六大厅开门吗" and draft["status"] == "draft" and draft["created_by"] == "staff-token"
    url = f"/api/v1/drafts/{draft['id']}"
    refused = client.post(url, headers=STAFF, json={"answer": "周六不开门。", "publish": True})
    assert refused.status_code == 422 and "source" in refused.json()["fields"]
    assert client.post(url, headers=STAFF, json={"source": "办事指南·办理地点", "publish": True}).status_code == 422
    published = client.post(url, headers=STAFF,
                            json={"answer": "周六不开门。", "source": "办事指南·办理地点", "publish": True})
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert client.post(url, headers=STAFF, json={"answer": "改一下"}).status_code == 409
    assert client.post("/api/v1/drafts/424242", headers=STAFF, json={"answer": "x"}).status_code == 404


# --- follow-ups of low ratings ------------------------------------------------------------------------

def test_a_very_unsatisfied_rating_creates_a_followup_due_15_working_days_later(client):
    from reissue import clock
    from reissue.workdays import add_working_days

    rated = client.post("/api/v1/feedback", json={"rating": 1, "label": "非常不满意", "comment": "等太久了"}).json()
    client.post("/api/v1/feedback", json={"rating": 5, "label": "非常满意"})
    body = client.get("/api/v1/followups", headers=STAFF).json()
    assert [item["feedback_id"] for item in body["items"]] == [rated["id"]]
    item = body["items"][0]
    assert item["due_date"] == add_working_days(clock.today(), 15).date.isoformat()
    assert (item["state"], item["overdue"], item["comment"]) == ("open", False, "等太久了")
    assert body["summary"] == {"open": 1, "contacted": 0, "resolved": 0, "overdue": 0, "total": 1}


def test_staff_record_a_followup_and_the_state_filters(client, app):
    rated = client.post("/api/v1/feedback", json={"rating": 2, "label": "不满意"}).json()
    url = f"/api/v1/followups/{rated['id']}"
    done = client.post(url, headers=STAFF, json={"contacted": True, "note": "已回电"})
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["updated_by"], done.json()["note"]) == ("contacted", "staff-token", "已回电")
    assert client.get("/api/v1/followups", headers=STAFF, params={"state": "open"}).json()["total"] == 0
    assert client.get("/api/v1/followups", headers=STAFF, params={"state": "contacted"}).json()["total"] == 1
    assert client.get("/api/v1/followups", headers=STAFF, params={"state": "late"}).status_code == 422
    assert client.post(url, headers=STAFF, json={"note": 5}).status_code == 422
    assert client.post(url, headers=BOT, json={}).status_code == 403


def test_a_satisfied_or_unknown_rating_has_no_followup(client):
    happy = client.post("/api/v1/feedback", json={"rating": 4, "label": "满意"}).json()
    assert client.post(f"/api/v1/followups/{happy['id']}", headers=STAFF, json={}).status_code == 404
    assert client.post("/api/v1/followups/999999", headers=STAFF, json={}).status_code == 404
