"""The knowledge API: read by the bot and staff, edited and rolled back by staff, the guide's words kept."""
from __future__ import annotations

from sqlalchemy import select

from backend.workspace_models import WorkspaceEvent
from reissue import knowledge
from tests.backend.backend_helpers import BOT, STAFF


def items(client, headers=STAFF):
    """Every answer by key."""
    response = client.get("/api/v1/knowledge", headers=headers)
    assert response.status_code == 200, response.text
    return {item["key"]: item for item in response.json()["items"]}


def test_every_answer_is_listed_with_its_source_and_version(client):
    listed = items(client, BOT)
    assert list(listed) == list(knowledge.faq_entries())
    fee = listed["fee"]
    assert (fee["text"], fee["version"], fee["is_default"]) == (knowledge.answer("fee"), 0, True)
    assert fee["source"] == "常见问题·需要缴费吗"


def test_an_edit_is_a_new_version_with_who_and_why_and_a_rollback_restores(client, app):
    text = "补办证书不收费，不需要交任何费用。如有人以补证名义收费，请拨打12333核实。"
    edited = client.put("/api/v1/knowledge/fee", headers=STAFF, json={"text": text, "note": "加上核实电话"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["version"], edited.json()["updated_by"], edited.json()["is_default"]) == \
        (1, "staff-token", False)
    assert items(client, BOT)["fee"]["text"] == text
    versions = client.get("/api/v1/knowledge/fee/versions", headers=STAFF).json()["items"]
    assert [(v["version"], v["note"]) for v in versions] == [(1, "加上核实电话"), (0, "")]
    back = client.post("/api/v1/knowledge/fee/rollback", headers=STAFF, json={"version": 0, "note": "恢复"})
    assert back.status_code == 200 and back.json()["version"] == 2 and back.json()["is_default"]
    assert items(client)["fee"]["text"] == knowledge.answer("fee")
    with app.state.factory() as session:
        actions = [e.action for e in session.execute(select(WorkspaceEvent).order_by(WorkspaceEvent.id)).scalars()]
    assert actions == ["knowledge_edit", "knowledge_rollback"]


def test_a_guide_fact_cannot_be_edited_away_without_a_note_saying_so(client):
    text = knowledge.answer("duration").replace("65个工作日", "六十五个工作日")
    refused = client.put("/api/v1/knowledge/duration", headers=STAFF, json={"text": text, "note": "改成汉字"})
    assert refused.status_code == 422 and "“65”" in refused.json()["fields"]["text"]
    assert items(client)["duration"]["version"] == 0
    admitted = client.put("/api/v1/knowledge/duration", headers=STAFF,
                          json={"text": text, "note": "数字改成汉字，与指南写法不同"})
    assert admitted.status_code == 200 and admitted.json()["version"] == 1


def test_wrong_requests_are_clear(client):
    assert client.put("/api/v1/knowledge/no_such", headers=STAFF, json={"text": "x", "note": "y"}).status_code == 404
    assert client.put("/api/v1/knowledge/fee", headers=STAFF, json={"text": " ", "note": "y"}).status_code == 422
    assert client.put("/api/v1/knowledge/fee", headers=STAFF, json={"text": "x"}).status_code == 422
    assert client.put("/api/v1/knowledge/fee", headers=BOT, json={"text": "x", "note": "y"}).status_code == 403
    assert client.post("/api/v1/knowledge/fee/rollback", headers=STAFF,
                       json={"version": 7, "note": "y"}).status_code == 404
    assert client.get("/api/v1/knowledge/no_such/versions", headers=STAFF).status_code == 404
    assert client.get("/api/v1/knowledge").status_code == 401
