"""Every JSON endpoint and error code of backend.routes.api, on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import io
import json
import stat
from pathlib import Path
from typing import Any, Dict

import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image
from sqlalchemy import func, select
from sqlalchemy.engine.url import make_url

from backend.models import Application, Base, StatusEvent
from backend.privacy import id_hmac, unseal
from reissue import knowledge
from tests.backend.backend_helpers import BOT, ID_A, ID_B, STAFF, application_body, new_key, photo_bytes

JPEG = photo_bytes("JPEG")
PNG = photo_bytes("PNG")


def post_app(client: TestClient, body: Dict[str, Any], key: str = "", headers: Dict[str, str] = BOT):
    """POST an application with a key (fresh unless given)."""
    return client.post("/api/v1/applications", json=body, headers={**headers, "Idempotency-Key": key or new_key()})


def set_status(client: TestClient, number: str, status: str, reason: str = ""):
    """POST a status change with the staff machine token."""
    payload = {"status": status}
    if reason:
        payload["reason"] = reason
    return client.post(f"/api/v1/applications/{number}/status", json=payload, headers=STAFF)


def count(app, model) -> int:
    """Rows of a table."""
    with app.state.factory() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


# --- create -----------------------------------------------------------------------------------------

def test_create_returns_201_with_number_status_and_time(client, app):
    response = post_app(client, application_body())
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "已提交"
    assert data["number"].startswith("BF") and len(data["number"]) == 15 and data["number"][2:].isdigit()
    assert data["created_at"].endswith("+08:00")
    assert count(app, Application) == 1


def test_create_stores_id_only_as_hmac_mask_and_ciphertext(client, app, settings):
    number = post_app(client, application_body()).json()["number"]
    with app.state.factory() as session:
        row = session.execute(select(Application).where(Application.number == number)).scalar_one()
    assert row.id_hmac == id_hmac(ID_A, settings.backend_id_hmac_key)
    assert ID_A not in row.id_masked and row.id_masked.endswith(ID_A[-4:])
    assert ID_A not in row.id_encrypted and unseal(row.id_encrypted, settings.backend_id_secret) == ID_A
    assert "13800138000" not in row.phone_masked and unseal(row.phone_encrypted, settings.backend_id_secret) == "13800138000"
    assert row.cert_number is None and row.cert_number_unknown is True


def test_stored_id_mask_keeps_the_last_four_only(client, app, submitted):
    with app.state.factory() as session:
        row = session.execute(select(Application).where(Application.number == submitted["number"])).scalar_one()
    assert row.id_masked == "*" * 14 + ID_A[-4:] and row.id_last4 == ID_A[-4:]
    admin = client.get(f"/api/v1/applications/{submitted['number']}/admin", headers=STAFF).json()
    progress = client.get(f"/api/v1/applications/{submitted['number']}", params={"id_last4": ID_A[-4:]}, headers=BOT)
    assert admin["id_number_masked"] == progress.json()["id_number_masked"] == "*" * 14 + ID_A[-4:]


def stored_text(app, settings) -> bytes:
    """Every row of every table as text, and on SQLite the database file's bytes too."""
    with app.state.engine.connect() as connection:
        rows = [str(tuple(row)) for table in Base.metadata.sorted_tables for row in connection.execute(select(table))]
    raw = b""
    if settings.database_url.startswith("sqlite"):
        raw = Path(make_url(settings.database_url).database).read_bytes()
    return "\n".join(rows).encode("utf-8") + raw


def test_database_holds_no_number_nor_a_hash_that_gives_it_back(client, app, settings):
    body = application_body()
    assert post_app(client, body).status_code == 201
    client.post("/api/v1/feedback", json={"rating": 2, "label": "不满意", "comment": "请回电13800138000"})
    stored = stored_text(app, settings)
    unkeyed = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
    assert ID_A[-4:].encode() in stored and "张三".encode() in stored
    for secret in (ID_A, ID_A[:14], ID_A[6:14], "13800138000", unkeyed.hexdigest(), settings.backend_id_hmac_key,
                   settings.backend_id_secret):
        assert secret.encode() not in stored, secret


def test_feedback_comment_is_stored_masked(client):
    assert client.post("/api/v1/feedback", json={"rating": 2, "label": "不满意",
                                                 "comment": f"请回电13800138000，身份证{ID_A}"}).status_code == 201
    comment = client.get("/api/v1/feedback", headers=STAFF).json()["items"][0]["comment"]
    assert comment.startswith("请回电") and "13800138000" not in comment and ID_A not in comment


def test_same_key_same_body_returns_200_and_no_second_row(client, app):
    key = new_key()
    first = post_app(client, application_body(), key)
    again = post_app(client, application_body(), key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert count(app, Application) == 1


def test_same_key_different_body_is_409(client, app):
    key = new_key()
    assert post_app(client, application_body(), key).status_code == 201
    response = post_app(client, application_body(phone="13900139000"), key)
    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_conflict"
    assert count(app, Application) == 1


@pytest.mark.parametrize("key", [None, "short", "x" * 129, "含中文的键名abcdefgh"])
def test_missing_or_bad_idempotency_key_is_422(client, key):
    headers = dict(BOT)
    if key is not None:
        headers["Idempotency-Key"] = key.encode("utf-8")  # type: ignore[assignment]
    response = client.post("/api/v1/applications", json=application_body(), headers=headers)
    assert response.status_code == 422
    assert "idempotency-key" in response.json()["fields"]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"id_number": ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")}, "id_number"),
        ({"id_number": "12345"}, "id_number"),
        ({"phone": "12345678901"}, "phone"),
        ({"phone": "1380013800"}, "phone"),
        ({"qualification": "注册会计师"}, "qualification"),
        ({"qualification": "不存在的资格"}, "qualification"),
        ({"level": "三级"}, "level"),
        ({"obtained": "2099-01"}, "obtained"),
        ({"obtained": "2001-05"}, "obtained"),
        ({"obtained": "2015-13"}, "obtained"),
        ({"city": "北京市"}, "city"),
        ({"city": "济南市历下区"}, "city"),
        ({"reason": "stolen"}, "reason"),
        ({"channel": "email"}, "channel"),
        ({"photo_ref": "PH" + "0" * 24}, "photo_ref"),
        ({"photo_ref": "../etc/passwd"}, "photo_ref"),
        ({"applicant_name": ""}, "applicant_name"),
        ({"applicant_name": "张3"}, "applicant_name"),
        ({"applicant_name": None}, "applicant_name"),
        ({"phone": 13800138000}, "phone"),
        ({"comment": "x"}, "comment"),
        ({"sender_ref": "s" * 129}, "sender_ref"),
    ],
)
def test_invalid_field_is_422_with_chinese_message_for_that_field(client, app, overrides, field):
    response = post_app(client, application_body(**overrides))
    assert response.status_code == 422, response.text
    data = response.json()
    assert data["error"] == "validation_error"
    assert field in data["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in data["fields"][field])
    assert count(app, Application) == 0


@pytest.mark.parametrize("name", ["张\u202e三", "\u2066张三\u2069", "张\u200f三", "张\x00三", "张\t三", "张三\x1b[31m",
                                  "张\x85三", "张\x9b三", "\u202a张三"])
def test_name_with_control_or_bidirectional_characters_is_422(client, app, name):
    response = post_app(client, application_body(applicant_name=name))
    assert response.status_code == 422
    data = response.json()
    assert data["error"] == "validation_error"
    assert data["fields"] == {"applicant_name": knowledge.message("backend_name_hidden_characters")}
    assert count(app, Application) == 0


@pytest.mark.parametrize("name", ["阿依古丽·买买提", "欧阳娜娜", " 张三 "])
def test_ordinary_names_are_still_accepted(client, name):
    assert post_app(client, application_body(applicant_name=name)).status_code == 201


def test_obtained_before_first_exam_year_names_the_year(client):
    response = post_app(client, application_body(obtained="2003-01"))
    assert response.status_code == 422
    assert "2004" in response.json()["fields"]["obtained"]


def test_non_json_and_non_object_bodies_are_422(client):
    headers = {**BOT, "Idempotency-Key": new_key(), "Content-Type": "application/json"}
    for raw in (b"{not json", b"[]", b"null", b"\xff\xfe"):
        response = client.post("/api/v1/applications", content=raw, headers=headers)
        assert response.status_code == 422, raw
        assert response.json()["error"] == "validation_error"


def test_valid_photo_ref_is_accepted(client):
    ref = client.post("/api/v1/photos", files={"file": ("a.jpg", JPEG, "image/jpeg")}).json()["photo_ref"]
    assert post_app(client, application_body(photo_ref=ref)).status_code == 201


# --- tokens -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer"}])
def test_without_valid_token_every_protected_endpoint_is_401_without_data(client, submitted, headers):
    number = submitted["number"]
    calls = [
        ("post", "/api/v1/applications", {"json": application_body(), "headers": {**headers, "Idempotency-Key": new_key()}}),
        ("post", "/api/v1/applications", {"content": b"{bad", "headers": {**headers, "Content-Type": "application/json"}}),
        ("get", f"/api/v1/applications/{number}?id_last4={ID_A[-4:]}", {"headers": headers}),
        ("get", "/api/v1/applications", {"headers": headers}),
        ("get", f"/api/v1/applications/{number}/admin", {"headers": headers}),
        ("post", f"/api/v1/applications/{number}/status", {"json": {"status": "审核中"}, "headers": headers}),
        ("get", "/api/v1/feedback", {"headers": headers}),
        ("get", "/api/v1/photos/PH" + "0" * 24, {"headers": headers}),
        ("post", "/api/v1/unanswered", {"json": {"text": "能邮寄吗", "kind": "abstain", "channel": "web"},
                                        "headers": headers}),
        ("get", "/api/v1/unanswered", {"headers": headers}),
    ]
    for method, url, kwargs in calls:
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == 401, (url, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert set(response.json()) == {"error", "message", "fields"}
        assert number not in response.text and "张三" not in response.text


def test_bot_token_cannot_use_staff_endpoints(client, submitted):
    number = submitted["number"]
    assert client.get("/api/v1/applications", headers=BOT).status_code == 403
    assert client.get(f"/api/v1/applications/{number}/admin", headers=BOT).status_code == 403
    changed = client.post(f"/api/v1/applications/{number}/status", json={"status": "审核中"}, headers=BOT)
    assert changed.status_code == 403
    assert client.get("/api/v1/feedback", headers=BOT).status_code == 403
    assert client.get("/api/v1/unanswered", headers=BOT).status_code == 403
    assert client.get(f"/api/v1/applications/{number}/admin", headers=STAFF).json()["status"] == "已提交"


def test_staff_token_cannot_create_applications(client, app):
    assert post_app(client, application_body(), headers=STAFF).status_code == 403
    assert count(app, Application) == 0


# --- progress query -----------------------------------------------------------------------------------

def test_progress_shows_status_timeline_and_masked_data_only(client, submitted):
    response = client.get(f"/api/v1/applications/{submitted['number']}", params={"id_last4": ID_A[-4:]}, headers=BOT)
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "已提交" and data["status_label"]
    assert [entry["status"] for entry in data["timeline"]] == ["已提交"]
    assert data["applicant_name_masked"] == "张*"
    assert ID_A not in response.text and "13800138000" not in response.text and "张三" not in response.text
    assert data["review_reason"] is None


def test_progress_accepts_lowercase_x(client):
    body = application_body(id_number=ID_B)
    number = post_app(client, body).json()["number"]
    last4 = ID_B[-4:].lower()
    assert client.get(f"/api/v1/applications/{number}", params={"id_last4": last4}, headers=BOT).status_code == 200


def test_wrong_pair_answers_exactly_like_unknown_number(client, submitted):
    number = submitted["number"]
    wrong = client.get(f"/api/v1/applications/{number}", params={"id_last4": "0000"}, headers=BOT)
    unknown = client.get("/api/v1/applications/BF2026010100000", params={"id_last4": ID_A[-4:]}, headers=BOT)
    malformed = client.get("/api/v1/applications/whatever", params={"id_last4": ID_A[-4:]}, headers=BOT)
    assert wrong.status_code == unknown.status_code == malformed.status_code == 404
    assert wrong.content == unknown.content == malformed.content
    assert wrong.headers["content-length"] == unknown.headers["content-length"]


@pytest.mark.parametrize("last4", ["", "12", "12345", "abcd", "12X4"])
def test_malformed_last4_is_422(client, submitted, last4):
    response = client.get(f"/api/v1/applications/{submitted['number']}", params={"id_last4": last4}, headers=BOT)
    assert response.status_code == 422
    assert "id_last4" in response.json()["fields"]


# --- lifecycle and audit ------------------------------------------------------------------------------

def test_full_lifecycle_with_audit_trail(client, app, submitted):
    number = submitted["number"]
    assert set_status(client, number, "审核中").status_code == 200
    assert set_status(client, number, "审核通过").status_code == 200
    final = set_status(client, number, "证书已发放", reason="本人领取")
    assert final.status_code == 200
    audit = final.json()["audit"]
    assert [(e["from_status"], e["to_status"]) for e in audit] == [
        (None, "已提交"), ("已提交", "审核中"), ("审核中", "审核通过"), ("审核通过", "证书已发放")]
    assert [e["actor"] for e in audit] == ["applicant:web", "staff-token", "staff-token", "staff-token"]
    assert audit[3]["reason"] == "本人领取" and all(e["at"].endswith("+08:00") for e in audit)
    assert count(app, StatusEvent) == 4
    progress = client.get(f"/api/v1/applications/{number}", params={"id_last4": ID_A[-4:]}, headers=BOT).json()
    assert [t["status"] for t in progress["timeline"]] == ["已提交", "审核中", "审核通过", "证书已发放"]
    assert "actor" not in progress["timeline"][1]


@pytest.mark.parametrize("claimed", ["审核员甲", "li", "applicant:web", ""])
def test_a_body_actor_cannot_set_the_audit_actor(client, app, submitted, claimed):
    """The machine token's changes are audited as `staff-token`; a body naming someone is refused, nothing applied."""
    number = submitted["number"]
    before = count(app, StatusEvent)
    response = client.post(f"/api/v1/applications/{number}/status", json={"status": "审核中", "actor": claimed},
                           headers=STAFF)
    assert response.status_code == 422 and set(response.json()["fields"]) == {"actor"}
    assert "令牌" in response.json()["fields"]["actor"] and count(app, StatusEvent) == before
    assert client.get(f"/api/v1/applications/{number}/admin", headers=STAFF).json()["status"] == "已提交"
    audit = set_status(client, number, "审核中").json()["audit"]
    assert [e["actor"] for e in audit] == ["applicant:web", "staff-token"]


def test_rejection_needs_a_reason_and_the_applicant_sees_it(client, submitted):
    number = submitted["number"]
    set_status(client, number, "审核中")
    missing = set_status(client, number, "审核不通过")
    assert missing.status_code == 409 and "原因" in missing.json()["message"]
    rejected = set_status(client, number, "审核不通过", reason="照片与身份证照片不是同一人")
    assert rejected.status_code == 200
    progress = client.get(f"/api/v1/applications/{number}", params={"id_last4": ID_A[-4:]}, headers=BOT).json()
    assert progress["status"] == "审核不通过"
    assert progress["review_reason"] == "照片与身份证照片不是同一人"


@pytest.mark.parametrize(
    "path, target",
    [([], "审核通过"), ([], "证书已发放"), (["审核中"], "证书已发放"), (["审核中"], "审核中"),
     (["审核中", "审核通过"], "审核不通过"), (["审核中", "审核通过", "证书已发放"], "审核中")],
)
def test_illegal_transitions_are_409_in_chinese_and_not_audited(client, app, submitted, path, target):
    number = submitted["number"]
    for step in path:
        assert set_status(client, number, step).status_code == 200
    before = count(app, StatusEvent)
    response = set_status(client, number, target, reason="原因")
    assert response.status_code == 409
    assert response.json()["error"] == "illegal_transition"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])
    assert count(app, StatusEvent) == before


def test_status_change_validation_and_unknown_number(client, submitted):
    number = submitted["number"]
    assert client.post(f"/api/v1/applications/{number}/status", json={"status": "已提交"},
                       headers=STAFF).status_code == 422
    assert client.post(f"/api/v1/applications/{number}/status", json={},
                       headers=STAFF).json()["fields"].keys() == {"status"}
    assert set_status(client, "BF2026010100000", "审核中").status_code == 404
    assert client.get("/api/v1/applications/BF2026010100000/admin", headers=STAFF).status_code == 404


# --- staff list ---------------------------------------------------------------------------------------

def test_staff_search_by_number_last4_full_id_name_status_and_city(client):
    first = post_app(client, application_body()).json()["number"]
    second = post_app(client, application_body(id_number=ID_B, applicant_name="李四", city="青岛市")).json()["number"]

    def numbers(**params: Any):
        response = client.get("/api/v1/applications", params=params, headers=STAFF)
        assert response.status_code == 200
        return [item["number"] for item in response.json()["items"]]

    assert numbers() == [second, first]
    assert numbers(q=first) == [first]
    assert numbers(q=ID_B[-4:]) == [second]
    assert numbers(q=ID_A) == [first]
    assert numbers(q="李") == [second]
    assert numbers(city="青岛市") == [second]
    assert numbers(status="审核中") == []
    assert numbers(q="%") == []
    listing = client.get("/api/v1/applications", headers=STAFF).json()
    assert listing["total"] == 2 and listing["page"] == 1 and listing["page_size"] == 20
    assert ID_A not in str(listing) and ID_B not in str(listing)


@pytest.mark.parametrize("params", [{"page": 0}, {"page": "x"}, {"status": "乱写"}, {"q": "q" * 65}])
def test_staff_list_rejects_bad_query(client, params):
    response = client.get("/api/v1/applications", params=params, headers=STAFF)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_admin_view_is_full_but_masked(client, submitted):
    data = client.get(f"/api/v1/applications/{submitted['number']}/admin", headers=STAFF).json()
    assert data["applicant_name"] == "张三" and data["id_last4"] == ID_A[-4:]
    assert data["phone_masked"] == "138****8000"
    assert data["cert_number_unknown"] is True and data["sender_ref"] == "sender-1"
    assert ID_A not in str(data) and "13800138000" not in str(data)


# --- photos -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("content", [JPEG, PNG], ids=["jpeg", "png"])
def test_photo_upload_and_fetch(client, settings, content):
    created = client.post("/api/v1/photos", files={"file": ("p.bin", content, "application/octet-stream")})
    assert created.status_code == 201
    ref = created.json()["photo_ref"]
    stored = (settings.upload_dir / ref).read_bytes()
    assert ref.startswith("PH") and Image.open(io.BytesIO(stored)).size == Image.open(io.BytesIO(content)).size
    for headers in (BOT, STAFF):
        fetched = client.get(f"/api/v1/photos/{ref}", headers=headers)
        assert fetched.status_code == 200 and fetched.content == stored
        assert fetched.headers["content-type"] == ("image/jpeg" if content is JPEG else "image/png")
        assert fetched.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/api/v1/photos/{ref}").status_code == 401


def test_photo_is_stored_without_exif_and_readable_by_the_owner_only(client, settings):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (36.0, 40.0, 12.5), 3: "E", 4: (117.0, 0.0, 30.0)}
    original = photo_bytes("JPEG", exif=exif)
    ref = client.post("/api/v1/photos", files={"file": ("p.jpg", original, "image/jpeg")}).json()["photo_ref"]
    path = settings.upload_dir / ref
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.upload_dir.stat().st_mode) & 0o077 == 0
    stored = path.read_bytes()
    assert b"PhoneMaker" not in stored and not Image.open(io.BytesIO(stored)).getexif()


def test_damaged_photo_is_422_and_not_stored(client, settings):
    response = client.post("/api/v1/photos", files={"file": ("a.jpg", JPEG[:150], "image/jpeg")})
    assert response.status_code == 422
    assert response.json()["fields"] == {"file": knowledge.message("backend_photo_unreadable")}
    assert not settings.upload_dir.exists() or not list(settings.upload_dir.iterdir())


def test_photo_rejects_other_formats_and_missing_file(client):
    gif = client.post("/api/v1/photos", files={"file": ("a.jpg", b"GIF89a" + b"\x00" * 50, "image/jpeg")})
    assert gif.status_code == 422 and "file" in gif.json()["fields"]
    empty = client.post("/api/v1/photos", files={"file": ("a.jpg", b"", "image/jpeg")})
    assert empty.status_code == 422
    missing = client.post("/api/v1/photos", data={"other": "x"})
    assert missing.status_code == 422 and "file" in missing.json()["fields"]


def test_photo_over_200_kb_is_413(client):
    big = JPEG + b"\x00" * (200 * 1024)
    response = client.post("/api/v1/photos", files={"file": ("a.jpg", big, "image/jpeg")})
    assert response.status_code == 413
    assert "KB" in response.json()["message"]
    exactly = JPEG + b"\x00" * (200 * 1024 - len(JPEG))
    assert client.post("/api/v1/photos", files={"file": ("a.jpg", exactly, "image/jpeg")}).status_code == 201


def test_unknown_or_malformed_photo_ref_is_404(client):
    assert client.get("/api/v1/photos/PH" + "a" * 24, headers=BOT).status_code == 404
    assert client.get("/api/v1/photos/..%2F..%2Fetc%2Fpasswd", headers=BOT).status_code == 404


# --- feedback -----------------------------------------------------------------------------------------

def test_feedback_is_public_and_listed_for_staff(client, submitted):
    created = client.post("/api/v1/feedback", json={"rating": 5, "label": "非常满意", "comment": "<b>很好</b>",
                                                      "application_number": submitted["number"]})
    assert created.status_code == 201 and created.json()["id"] >= 1
    listing = client.get("/api/v1/feedback", headers=STAFF)
    assert listing.status_code == 200
    item = listing.json()["items"][0]
    assert (item["rating"], item["label"], item["comment"]) == (5, "非常满意", "<b>很好</b>")


@pytest.mark.parametrize(
    "body, field",
    [({"rating": 0, "label": "非常满意"}, "rating"), ({"rating": 6, "label": "非常满意"}, "rating"),
     ({"rating": "5", "label": "非常满意"}, "rating"), ({"rating": 5, "label": "好"}, "label"),
     ({"rating": 5, "label": "不满意"}, "label"), ({"rating": 3, "label": "基本满意", "comment": "长" * 501}, "comment"),
     ({"rating": 3, "label": "基本满意", "application_number": "123"}, "application_number"),
     ({"label": "满意"}, "rating")],
)
def test_feedback_validation(client, body, field):
    response = client.post("/api/v1/feedback", json=body)
    assert response.status_code == 422
    assert field in response.json()["fields"]


# --- unanswered questions -----------------------------------------------------------------------------

def test_unanswered_question_is_stored_masked_and_listed_for_staff(client):
    body = {"text": f"我的身份证{ID_A}，手机13800138000，补好的证书能邮寄到家吗", "kind": "abstain", "channel": "wechat",
            "guesses": [{"label": "collect_reissued", "confidence": 0.41}, {"label": "express", "confidence": 0.2}]}
    created = client.post("/api/v1/unanswered", json=body, headers=BOT)
    assert created.status_code == 201 and created.json()["id"] >= 1
    listing = client.get("/api/v1/unanswered", headers=STAFF)
    assert listing.status_code == 200 and listing.json()["total"] == 1
    item = listing.json()["items"][0]
    assert item["kind"] == "abstain" and item["channel"] == "wechat"
    assert item["guesses"][0] == {"label": "collect_reissued", "confidence": 0.41}
    assert ID_A not in item["text"] and "13800138000" not in item["text"]
    assert item["text"].endswith("补好的证书能邮寄到家吗")


def test_staff_cannot_write_unanswered_questions(client):
    body = {"text": "能邮寄吗", "kind": "abstain", "channel": "web"}
    assert client.post("/api/v1/unanswered", json=body, headers=STAFF).status_code == 403


@pytest.mark.parametrize(
    "body, field",
    [({"text": "", "kind": "abstain", "channel": "web"}, "text"),
     ({"text": "长" * 1001, "kind": "abstain", "channel": "web"}, "text"),
     ({"text": "能邮寄吗", "kind": "guess", "channel": "web"}, "kind"),
     ({"text": "能邮寄吗", "kind": "abstain", "channel": "fax"}, "channel"),
     ({"text": "能邮寄吗", "kind": "abstain", "channel": "web", "guesses": [{"label": "fee", "confidence": 2}]},
      "guesses"),
     ({"text": "能邮寄吗", "kind": "abstain", "channel": "web",
       "guesses": [{"label": "fee", "confidence": 0.1}] * 6}, "guesses")],
)
def test_unanswered_validation(client, body, field):
    response = client.post("/api/v1/unanswered", json=body, headers=BOT)
    assert response.status_code == 422
    assert any(name.startswith(field) for name in response.json()["fields"]), response.json()


# --- health -------------------------------------------------------------------------------------------

def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_unreachable(settings, tmp_path):

    from backend.app import create_app

    app = create_app(settings)
    app.state.engine.dispose()
    from sqlalchemy import create_engine

    app.state.engine = create_engine("postgresql://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json() == {"status": "error", "database": "unavailable"}


def test_unknown_query_parameter_is_422_but_only_after_the_token_check(client, submitted):
    assert client.get("/api/v1/applications", params={"foo": "1"}).status_code == 401
    response = client.get("/api/v1/applications", params={"foo": "1"}, headers=STAFF)
    assert response.status_code == 422 and "foo" in response.json()["fields"]
    assert client.get("/healthz", params={"x": "1"}).status_code == 422


def test_undecodable_json_is_422_not_400(client):
    headers = {**BOT, "Idempotency-Key": new_key(), "Content-Type": "application/json"}
    response = client.post("/api/v1/applications", content=b"\xc3\x28\xa0", headers=headers)
    assert response.status_code == 422 and response.json()["fields"] == {"body": "请求内容不是有效的 JSON 对象。"}
    assert client.post("/api/v1/applications", content=b"\xc3\x28", headers={"Content-Type": "application/json"}).status_code == 401


def test_405_lists_every_method_of_the_path(client):
    response = client.request("OPTIONS", "/api/v1/applications", headers=STAFF)
    assert response.status_code == 405
    assert {"GET", "POST"} <= set(response.headers["allow"].replace(" ", "").split(","))
    assert response.json()["error"] == "method_not_allowed"
