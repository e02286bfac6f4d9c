"""The staff page: cookie login, search, detail with timeline, status change, feedback, escaping."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.backend.backend_helpers import BOT, ID_A, STAFF_TOKEN, application_body, new_key


@pytest.fixture
def staff(client: TestClient) -> TestClient:
    """The test client after logging in through the form."""
    response = client.post("/staff/login", data={"token": STAFF_TOKEN}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/staff" in cookie
    return client


def test_login_form_without_cookie_and_wrong_token(client):
    page = client.get("/staff")
    assert page.status_code == 200 and 'name="token"' in page.text and "autofocus" in page.text
    wrong = client.post("/staff/login", data={"token": "nope"})
    assert wrong.status_code == 401 and "令牌不正确" in wrong.text
    assert client.get("/staff/feedback", follow_redirects=False).status_code == 303
    assert client.get("/staff/applications/BF2026010100000", follow_redirects=False).status_code == 303


def test_bot_token_cannot_log_in(client):
    from tests.backend.backend_helpers import BOT_TOKEN

    assert client.post("/staff/login", data={"token": BOT_TOKEN}).status_code == 401


def test_search_detail_and_status_change(staff, submitted):
    number = submitted["number"]
    listing = staff.get("/staff", params={"q": ID_A[-4:]})
    assert listing.status_code == 200 and number in listing.text and ID_A not in listing.text
    detail = staff.get(f"/staff/applications/{number}")
    assert detail.status_code == 200 and "办理记录" in detail.text and "138****8000" in detail.text
    changed = staff.post(f"/staff/applications/{number}/status", data={"status": "审核中", "actor": "值班员"})
    assert changed.status_code == 200 and "已改为“审核中”" in changed.text and "值班员" in changed.text
    refused = staff.post(f"/staff/applications/{number}/status", data={"status": "审核不通过", "actor": "值班员"})
    assert refused.status_code == 409 and "必须填写原因" in refused.text
    assert staff.get("/api/v1/applications/" + number + "/admin").status_code == 401  # the cookie is not an API token


def test_everything_is_escaped(staff, client):
    evil = "<script>alert(1)</script>"
    number = client.post("/api/v1/applications", json=application_body(applicant_name="张<b>"),
                         headers={**BOT, "Idempotency-Key": new_key()}).json()["number"]
    client.post("/api/v1/feedback", json={"rating": 1, "label": "非常不满意", "comment": evil})
    detail = staff.get(f"/staff/applications/{number}")
    assert "张&lt;b&gt;" in detail.text and "张<b>" not in detail.text
    feedback = staff.get("/staff/feedback")
    assert "&lt;script&gt;" in feedback.text and evil not in feedback.text
    search = staff.get("/staff", params={"q": evil})
    assert evil not in search.text
    missing = staff.get("/staff/applications/" + "%3Cscript%3E")
    assert missing.status_code == 404 and "<script>" not in missing.text


def test_cross_origin_post_is_refused(staff, submitted):
    response = staff.post(f"/staff/applications/{submitted['number']}/status",
                          data={"status": "审核中", "actor": "x"}, headers={"Origin": "http://evil.test"})
    assert response.status_code == 403


def test_bad_inputs_on_the_page_never_5xx(staff, submitted):
    for url in ("/staff?page=abc", "/staff?page=-5", "/staff?status=乱", "/staff/feedback?page=x",
                "/staff/photos/..%2Fx", "/staff/applications/" + "9" * 300):
        assert staff.get(url).status_code < 500, url
    posted = staff.post(f"/staff/applications/{submitted['number']}/status", data={"status": "", "actor": ""})
    assert 400 <= posted.status_code < 500


def test_logout_clears_the_cookie(staff):
    response = staff.post("/staff/logout", follow_redirects=False)
    assert response.status_code == 303 and 'staff_token=""' in response.headers["set-cookie"]
