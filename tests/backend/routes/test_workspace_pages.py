"""The workspace's staff pages: the inbox and its decisions as the signed-in account, the drafts."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.workspace_models import QuestionReview, ReviewedDocument, WorkspaceEvent
from reissue.knowledge import message
from tests.backend.backend_helpers import BOT, sign_in


@pytest.fixture
def staff(client: TestClient, app) -> TestClient:
    """The test client signed in as the reviewer `zhao`."""
    return sign_in(app, client, "zhao")


def ask(client: TestClient, text: str) -> int:
    """Record one unanswered question as the bot does."""
    response = client.post("/api/v1/unanswered", headers=BOT, json={"text": text, "kind": "abstain", "channel": "web"})
    assert response.status_code == 201
    return response.json()["id"]


def test_visitors_go_to_the_login_form(client):
    for path in ("/staff/inbox", "/staff/drafts"):
        assert client.get(path, follow_redirects=False).status_code == 303
    assert client.post("/staff/inbox/review", data={"ids": "1", "action": "dismiss"},
                       follow_redirects=False).status_code == 303


def test_the_inbox_shows_groups_escaped_with_their_forms(staff):
    ids = [ask(staff, "能邮寄到家吗<script>"), ask(staff, "能邮寄到家吗<script>？")]
    page = staff.get("/staff/inbox")
    assert page.status_code == 200 and "<script>" not in page.text and "能邮寄到家吗&lt;script&gt;" in page.text
    assert "共 2 次" in page.text and "未答问题 <kbd>Alt+I</kbd>" in page.text
    assert re.findall(r'name="ids" value="(\d+)"', page.text) == [str(i) for i in ids]
    assert 'value="fee"' in page.text


def test_a_decision_on_the_page_is_audited_with_the_signed_in_account(staff, app):
    ids = [ask(staff, "周六大厅开门吗"), ask(staff, "周六大厅开门吗?")]
    done = staff.post("/staff/inbox/review", data={"ids": [str(i) for i in ids], "action": "out_of_scope",
                                                   "authority": "当地政务服务中心", "name": "政务服务中心开放时间",
                                                   "category": "other_ministry",
                                                   "source": "https://example.org/hall-hours"})
    assert done.status_code == 200
    assert message("workspace_reviewed", count=2, action="不属于本事项，去当地政务服务中心") in done.text
    assert "没有待处理的问题。" in done.text
    with app.state.factory() as session:
        reviews = session.execute(select(QuestionReview)).scalars().all()
        event = session.execute(select(WorkspaceEvent)).scalar_one()
    assert {r.actor for r in reviews} == {"zhao"} and event.actor == "zhao"
    again = staff.post("/staff/inbox/review", data={"ids": [str(i) for i in ids], "action": "dismiss"})
    assert again.status_code == 409 and message("workspace_questions_gone") in again.text


def test_a_wrong_decision_comes_back_on_the_page(staff):
    ids = [ask(staff, "周六大厅开门吗")]
    missing = staff.post("/staff/inbox/review", data={"ids": str(ids[0]), "action": "map", "faq_key": ""})
    assert missing.status_code == 422 and "常见问题，请从列表里选一个" in missing.text
    assert staff.post("/staff/inbox/review", data={"ids": "x", "action": "dismiss"}).status_code == 422


def test_the_form_asks_for_the_look_alike_without_a_script(staff):
    ask(staff, "游艇驾驶证丢了怎么补")
    page = staff.get("/staff/inbox")
    form = page.text[page.text.index('<form method="post" action="/staff/inbox/review'):]
    form = form[:form.index("</form>")]
    for field in ("name", "aliases", "authority", "source"):
        assert f'<input name="{field}"' in form
    categories = re.findall(r'<option value="([a-z_]+)"( selected)?>', form[form.index('name="category"'):])
    assert {key for key, _ in categories} >= {"identity", "licence", "other_ministry", "association", "withdrawn"}
    assert [key for key, selected in categories if selected] == ["other_ministry"]
    assert ">其他部门的资格证书<" in form and "<script" not in page.text


def test_out_of_scope_from_the_page_stores_the_look_alike_or_names_what_is_missing(staff, app):
    ids = [ask(staff, "游艇驾驶证丢了怎么补")]
    refused = staff.post("/staff/inbox/review", data={"ids": str(ids[0]), "action": "out_of_scope",
                                                      "authority": "海事管理机构", "name": "游艇操作人员证书"})
    assert refused.status_code == 422 and message("workspace_document_source_required") in refused.text
    done = staff.post("/staff/inbox/review", data={
        "ids": str(ids[0]), "action": "out_of_scope", "name": "游艇操作人员证书", "aliases": "游艇驾驶证、游艇证，游艇驾照",
        "category": "licence", "authority": "海事管理机构", "source": "《游艇安全管理规定》"})
    assert done.status_code == 200 and message("workspace_reviewed", count=1, action="不属于本事项，去海事管理机构") in done.text
    with app.state.factory() as session:
        document = session.execute(select(ReviewedDocument)).scalar_one()
        event = session.execute(select(WorkspaceEvent)).scalar_one()
    assert (document.name, document.category, document.actor) == ("游艇操作人员证书", "licence", "zhao")
    assert document.aliases == '["游艇操作人员证书", "游艇驾驶证", "游艇证", "游艇驾照"]'
    assert event.actor == "zhao" and '"name": "游艇操作人员证书"' in event.detail


def test_a_draft_is_published_from_the_page_only_with_a_source(staff, app):
    ids = [ask(staff, "周六大厅开门吗")]
    assert staff.post("/staff/inbox/review", data={"ids": str(ids[0]), "action": "new_answer"}).status_code == 200
    page = staff.get("/staff/drafts")
    number = re.search(r'action="/staff/drafts/(\d+)"', page.text).group(1)
    refused = staff.post(f"/staff/drafts/{number}", data={"answer": "周六不开门。", "publish": "1"})
    assert refused.status_code == 422 and message("workspace_draft_needs_source") in refused.text
    saved = staff.post(f"/staff/drafts/{number}", data={"answer": "周六不开门。", "publish": "0"})
    assert saved.status_code == 200 and message("workspace_draft_saved") in saved.text
    published = staff.post(f"/staff/drafts/{number}", data={"answer": "周六不开门。", "source": "办事指南·办理时间",
                                                            "publish": "1"})
    assert published.status_code == 200 and "已发布" in published.text and "办事指南·办理时间" in published.text
    with app.state.factory() as session:
        actions = [e.action for e in session.execute(select(WorkspaceEvent).order_by(WorkspaceEvent.id)).scalars()]
        actors = {e.actor for e in session.execute(select(WorkspaceEvent)).scalars()}
    assert actions == ["unanswered_new_answer", "draft_save", "draft_publish"] and actors == {"zhao"}


def test_a_post_from_another_origin_is_refused(staff):
    ids = [ask(staff, "周六大厅开门吗")]
    response = staff.post("/staff/inbox/review", data={"ids": str(ids[0]), "action": "dismiss"},
                          headers={"Origin": "http://evil.test"})
    assert response.status_code == 403


def test_overdue_followups_stand_out_and_a_record_names_the_account(staff, app):
    from datetime import datetime

    from sqlalchemy import update

    from backend.models import Feedback

    old = staff.post("/api/v1/feedback", json={"rating": 1, "label": "非常不满意"}).json()["id"]
    staff.post("/api/v1/feedback", json={"rating": 2, "label": "不满意"})
    with app.state.factory() as session:
        session.execute(update(Feedback).where(Feedback.id == old).values(created_at=datetime(2025, 9, 26, 2, 0)))
        session.commit()
    page = staff.get("/staff/followups")
    assert page.status_code == 200 and "已逾期 1 条" in page.text and "2025-10-23" in page.text
    assert page.text.count('<strong class="error">已逾期</strong>') == 1 and "差评回访 <kbd>Alt+U</kbd>" in page.text
    saved = staff.post(f"/staff/followups/{old}", data={"contacted": "1", "resolved": "1", "note": "已解释清楚"})
    assert saved.status_code == 200 and message("followup_saved") in saved.text
    assert "没有逾期" in saved.text and "zhao" in saved.text and "已解释清楚" in saved.text
    with app.state.factory() as session:
        assert session.execute(select(WorkspaceEvent)).scalar_one().actor == "zhao"
    assert staff.post("/staff/followups/424242", data={}).status_code == 404


def test_an_answer_is_edited_and_rolled_back_on_the_page_as_the_signed_in_account(staff, app):
    from reissue import knowledge as kb

    listing = staff.get("/staff/knowledge")
    assert listing.status_code == 200 and kb.faq_entries()["fee"].title in listing.text
    refused = staff.post("/staff/knowledge/duration", data={"text": "要两个多月。", "note": "简短"})
    assert refused.status_code == 422 and "“65”" in refused.text and "要两个多月。" in refused.text
    saved = staff.post("/staff/knowledge/fee", data={"text": "补证不收费。", "note": "更简短"})
    assert saved.status_code == 200 and message("knowledge_saved", version=1) in saved.text
    assert "第 1 版，zhao 改于" in saved.text
    back = staff.post("/staff/knowledge/fee/rollback", data={"version": "0", "note": "恢复原文"})
    assert back.status_code == 200 and "回退到第 0 版：恢复原文" in back.text
    with app.state.factory() as session:
        assert {e.actor for e in session.execute(select(WorkspaceEvent)).scalars()} == {"zhao"}
    assert staff.get("/staff/knowledge/no_such").status_code == 404
