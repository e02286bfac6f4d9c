"""The staff page: personal accounts, server-side sessions, lockout, roles, search, detail, status, headers, escaping."""
from __future__ import annotations

import re
from typing import Dict

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend import accounts
from backend.models import StaffAccount
from reissue.knowledge import message
from tests.backend.backend_helpers import BOT, BOT_TOKEN, ID_A, STAFF_TOKEN, application_body, new_key

PASSWORD = "correct-horse-battery"
ADMIN_PASSWORD = "admin-horse-battery"


@pytest.fixture
def reviewer(app) -> str:
    """A reviewer account `wang` (the username)."""
    accounts.create_account(app.state.factory, "wang", PASSWORD, accounts.REVIEWER)
    return "wang"


@pytest.fixture
def administrator(app) -> str:
    """An administrator account `li` (the username)."""
    accounts.create_account(app.state.factory, "li", ADMIN_PASSWORD, accounts.ADMINISTRATOR)
    return "li"


def log_in(client: TestClient, username: str, password: str, **kwargs) -> "object":
    """Post the login form (no redirect followed)."""
    return client.post("/staff/login", data={"username": username, "password": password}, follow_redirects=False,
                       **kwargs)


@pytest.fixture
def staff(client: TestClient, reviewer: str) -> TestClient:
    """The test client after the reviewer logged in through the form."""
    response = log_in(client, reviewer, PASSWORD)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/staff" in cookie
    assert PASSWORD not in cookie and STAFF_TOKEN not in cookie
    return client


def admin_client(app, administrator: str) -> TestClient:
    """A second client, logged in as the administrator."""
    client = TestClient(app)
    assert log_in(client, administrator, ADMIN_PASSWORD).status_code == 303
    return client


# --- signing in --------------------------------------------------------------------------------------

def test_login_form_asks_for_an_account_and_a_password(client):
    page = client.get("/staff")
    assert page.status_code == 200 and 'name="username"' in page.text and 'name="password"' in page.text
    assert "autofocus" in page.text and 'name="token"' not in page.text
    assert client.get("/staff/feedback", follow_redirects=False).status_code == 303
    assert client.get("/staff/applications/BF2026010100000", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_account_answer_alike(client, reviewer):
    wrong = log_in(client, reviewer, "not-the-password")
    unknown = log_in(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.text == unknown.text and message("staff_login_wrong") in wrong.text
    assert "set-cookie" not in wrong.headers


@pytest.mark.parametrize("token", [STAFF_TOKEN, BOT_TOKEN])
def test_the_machine_tokens_no_longer_open_the_page(client, reviewer, token):
    assert client.post("/staff/login", data={"token": token}, follow_redirects=False).status_code == 401
    assert log_in(client, reviewer, token).status_code == 401
    client.cookies.set("staff_token", token, path="/staff")
    client.cookies.set("staff_session", token, path="/staff")
    assert client.get("/staff", follow_redirects=False).text.count('name="password"') == 1


def test_password_is_stored_as_an_argon2_hash_only(app, reviewer):
    with app.state.factory() as session:
        row = session.execute(select(StaffAccount).where(StaffAccount.username == reviewer)).scalar_one()
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash


def test_logout_revokes_the_session_on_the_server(staff):
    cookie = staff.cookies.get("staff_session")
    assert cookie and staff.get("/staff").status_code == 200
    response = staff.post("/staff/logout", follow_redirects=False)
    assert response.status_code == 303 and 'staff_session=""' in response.headers["set-cookie"]
    staff.cookies.set("staff_session", cookie, path="/staff")  # a copy of the cookie kept by someone
    assert staff.get("/staff/feedback", follow_redirects=False).status_code == 303


def test_five_wrong_passwords_for_one_account_lock_it_for_15_minutes(app, reviewer):
    first, second = TestClient(app, client=("10.0.0.1", 1)), TestClient(app, client=("10.0.0.2", 1))
    for attempt in range(5):
        assert log_in(first if attempt % 2 else second, reviewer, f"wrong-{attempt}").status_code == 401
    locked = log_in(TestClient(app, client=("10.0.0.3", 1)), reviewer, PASSWORD)
    assert locked.status_code == 429 and message("staff_login_locked") in locked.text
    assert 0 < int(locked.headers["retry-after"]) <= 900 and "set-cookie" not in locked.headers


def test_five_wrong_passwords_from_one_address_lock_that_address(app, reviewer, administrator):
    attacker = TestClient(app, client=("10.0.0.9", 1))
    for attempt in range(5):
        assert log_in(attacker, f"guess{attempt}", "wrong-password").status_code == 401
    assert log_in(attacker, administrator, ADMIN_PASSWORD).status_code == 429
    assert log_in(TestClient(app, client=("10.0.0.10", 1)), reviewer, PASSWORD).status_code == 303


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(app, staff, reviewer):
    assert staff.get("/staff").status_code == 200
    accounts.disable_account(app.state.factory, reviewer)
    assert staff.get("/staff", follow_redirects=False).text.count('name="password"') == 1
    assert log_in(TestClient(app), reviewer, PASSWORD).status_code == 401


def test_a_cross_origin_login_is_refused(client, reviewer):
    response = log_in(client, reviewer, PASSWORD, headers={"Origin": "http://evil.test"})
    assert response.status_code == 401 and "set-cookie" not in response.headers


# --- roles ---------------------------------------------------------------------------------------------

def test_only_administrators_manage_accounts(app, staff, administrator):
    assert staff.get("/staff/accounts").status_code == 403
    assert staff.post("/staff/accounts", data={"username": "zhao", "role": "administrator",
                                               "password": "a-long-password"}).status_code == 403
    admin = admin_client(app, administrator)
    page = admin.get("/staff/accounts")
    assert page.status_code == 200 and "wang" in page.text and "li" in page.text
    created = admin.post("/staff/accounts", data={"username": "zhao", "role": "reviewer", "password": "zhao-password-1"})
    assert created.status_code == 200 and "zhao" in created.text
    assert log_in(TestClient(app), "zhao", "zhao-password-1").status_code == 303
    disabled = admin.post("/staff/accounts/zhao/disable")
    assert disabled.status_code == 200
    assert log_in(TestClient(app), "zhao", "zhao-password-1").status_code == 401


def test_the_page_refuses_to_disable_the_last_administrator(app, administrator, reviewer):
    admin = admin_client(app, administrator)
    refused = admin.post(f"/staff/accounts/{administrator}/disable")
    assert refused.status_code == 409 and "最后一个" in refused.text
    assert admin.get("/staff/accounts").status_code == 200
    accounts.create_account(app.state.factory, "zhao", "zhao-password-1", accounts.ADMINISTRATOR)
    assert admin.post(f"/staff/accounts/{administrator}/disable").status_code == 200
    assert admin.get("/staff/accounts", follow_redirects=False).status_code == 303


def test_account_form_refuses_bad_names_short_passwords_and_duplicates(app, administrator, reviewer):
    admin = admin_client(app, administrator)
    for data in ({"username": "a\u202eb", "role": "reviewer", "password": "long-enough-pw"},
                 {"username": "zhou", "role": "reviewer", "password": "short"},
                 {"username": "zhou", "role": "root", "password": "long-enough-pw"},
                 {"username": reviewer, "role": "reviewer", "password": "long-enough-pw"}):
        assert admin.post("/staff/accounts", data=data).status_code == 422, data
    assert [a.username for a in accounts.list_accounts(app.state.factory)] == ["li", "wang"]


# --- search, detail and status -----------------------------------------------------------------------

def test_search_detail_and_status_change_record_the_signed_in_account(staff, submitted, reviewer):
    number = submitted["number"]
    listing = staff.get("/staff", params={"q": ID_A[-4:]})
    assert listing.status_code == 200 and number in listing.text and ID_A not in listing.text
    detail = staff.get(f"/staff/applications/{number}")
    assert detail.status_code == 200 and "办理记录" in detail.text and 'name="actor"' not in detail.text
    changed = staff.post(f"/staff/applications/{number}/status", data={"status": "审核中", "actor": "冒名者"})
    assert changed.status_code == 200 and "已改为“审核中”" in changed.text
    assert staff.get(f"/api/v1/applications/{number}/admin").status_code == 401  # the cookie is not an API token
    audit = [row for row in changed.text.split("<tr>") if "审核中</td>" in row]
    assert audit and reviewer in audit[-1] and "冒名者" not in changed.text
    refused = staff.post(f"/staff/applications/{number}/status", data={"status": "审核不通过"})
    assert refused.status_code == 409 and "必须填写原因" in refused.text


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
                          data={"status": "审核中"}, headers={"Origin": "http://evil.test"})
    assert response.status_code == 403


def test_bad_inputs_on_the_page_never_5xx(staff, submitted):
    for url in ("/staff?page=abc", "/staff?page=-5", "/staff?status=乱", "/staff/feedback?page=x",
                "/staff/photos/..%2Fx", "/staff/applications/" + "9" * 300):
        assert staff.get(url).status_code < 500, url
    posted = staff.post(f"/staff/applications/{submitted['number']}/status", data={"status": ""})
    assert 400 <= posted.status_code < 500


# --- security headers -----------------------------------------------------------------------------------

EXPECTED_HEADERS: Dict[str, str] = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def test_every_staff_page_carries_the_security_headers(staff, client, submitted):
    responses = [
        staff.get("/staff"), staff.get(f"/staff/applications/{submitted['number']}"), staff.get("/staff/feedback"),
        staff.get("/staff/applications/BF2026010100000"), staff.get("/staff/photos/PH" + "0" * 24),
        staff.get("/staff/accounts"), staff.get("/staff/style.css"),
        staff.post(f"/staff/applications/{submitted['number']}/status", data={"status": "审核中"}),
        TestClient(client.app).get("/staff"), TestClient(client.app).get("/staff/feedback", follow_redirects=False),
        log_in(TestClient(client.app), "nobody", "wrong-password"), staff.get("/staff/nowhere"),
    ]
    for response in responses:
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers.get(name) == value, (response.url, name)
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert "<style" not in responses[0].text and 'style="' not in responses[0].text


def test_stylesheet_is_served_as_css(client):
    css = client.get("/staff/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and "body" in css.text


def test_pages_show_times_in_china_to_the_minute(staff, client, submitted):
    client.post("/api/v1/feedback", json={"rating": 5, "label": "非常满意"})
    for page in ("/staff/feedback", f"/staff/applications/{submitted['number']}", "/staff"):
        text = staff.get(page).text
        assert re.search(r"20\d\d-\d\d-\d\d \d\d:\d\d<", text), page
        assert not re.search(r"T\d\d:\d\d:\d\d", text), page
