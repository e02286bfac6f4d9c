"""Retention: old unanswered questions, feedback and orphan photos deleted, finished applications stripped of
personal data, on SQLite and PostgreSQL; the job's loop and command line."""
from __future__ import annotations

import os
import stat
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, List

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine.url import make_url

from backend import retention
from backend.models import Application, Feedback, Photo, UnansweredQuestion
from backend.numbering import utc_now_naive
from backend.privacy import id_hmac
from backend.retention import Periods, succeeded, sweep
from reissue.serving import run_every
from tests.backend.backend_helpers import BOT, ID_A, STAFF, application_body, new_key, photo_bytes

PERIODS = Periods(unanswered=timedelta(days=90), feedback=timedelta(days=180), orphan_photos=timedelta(hours=96),
                  finished_applications=timedelta(days=365))


def backdate(app, model, column: str, ids: List[int], **delta: float) -> None:
    """Move `column` of the given rows back in time by `delta` (timedelta keywords)."""
    with app.state.factory() as session:
        session.execute(update(model).where(model.id.in_(ids)).values({column: utc_now_naive() - timedelta(**delta)}))
        session.commit()


def ids_of(app, model) -> List[int]:
    """The ids of the rows of a table, in order."""
    with app.state.factory() as session:
        return list(session.execute(select(model.id).order_by(model.id)).scalars())


def upload(client) -> str:
    """Upload a photo; return its reference."""
    return client.post("/api/v1/photos", files={"file": ("p.jpg", photo_bytes(), "image/jpeg")}).json()["photo_ref"]


def photo_id(app, ref: str) -> int:
    """The row id of a photo."""
    with app.state.factory() as session:
        return session.execute(select(Photo.id).where(Photo.ref == ref)).scalar_one()


def submit(client, **overrides: Any) -> str:
    """Store an application; return its number."""
    response = client.post("/api/v1/applications", json=application_body(**overrides),
                           headers={**BOT, "Idempotency-Key": new_key()})
    assert response.status_code == 201, response.text
    return response.json()["number"]


def decide(client, number: str, *steps: str) -> None:
    """Walk an application through status changes as staff."""
    for status in steps:
        body: Dict[str, str] = {"status": status}
        if status == "审核不通过":
            body["reason"] = "照片不清晰"
        assert client.post(f"/api/v1/applications/{number}/status", json=body, headers=STAFF).status_code == 200


def record(app, number: str) -> Application:
    """The stored application row."""
    with app.state.factory() as session:
        return session.execute(select(Application).where(Application.number == number)).scalar_one()


def test_old_unanswered_questions_and_feedback_are_deleted(client, app, settings):
    for text in ("能邮寄吗", "能加急吗"):
        client.post("/api/v1/unanswered", json={"text": text, "kind": "abstain", "channel": "web"}, headers=BOT)
    for rating, label in ((5, "非常满意"), (4, "满意")):
        client.post("/api/v1/feedback", json={"rating": rating, "label": label})
    old_question, new_question = ids_of(app, UnansweredQuestion)
    old_feedback, new_feedback = ids_of(app, Feedback)
    backdate(app, UnansweredQuestion, "created_at", [old_question], days=91)
    backdate(app, Feedback, "created_at", [old_feedback], days=181)
    backdate(app, Feedback, "created_at", [new_feedback], days=179)
    swept = sweep(app.state.factory, settings.upload_dir, PERIODS, utc_now_naive())
    assert (swept.unanswered, swept.feedback) == (1, 1)
    assert ids_of(app, UnansweredQuestion) == [new_question] and ids_of(app, Feedback) == [new_feedback]


def test_orphan_photos_go_attached_and_recent_ones_stay(client, app, settings):
    orphan, attached, recent = upload(client), upload(client), upload(client)
    submit(client, photo_ref=attached)
    backdate(app, Photo, "created_at", [photo_id(app, orphan), photo_id(app, attached)], hours=97)
    backdate(app, Photo, "created_at", [photo_id(app, recent)], hours=95)
    stray_old, stray_new = settings.upload_dir / ("PH" + "a" * 24), settings.upload_dir / ("PH" + "b" * 24)
    other = settings.upload_dir / "README"
    for path in (stray_old, stray_new, other):
        path.write_bytes(b"x")
    long_ago = time.time() - 97 * 3600
    for path in (stray_old, other):
        os.utime(path, (long_ago, long_ago))
    swept = sweep(app.state.factory, settings.upload_dir, PERIODS, utc_now_naive())
    assert swept.photos == 2
    with app.state.factory() as session:
        assert set(session.execute(select(Photo.ref)).scalars()) == {attached, recent}
    assert {path.name for path in settings.upload_dir.iterdir()} == {attached, recent, stray_new.name, "README"}
    assert client.get(f"/api/v1/photos/{orphan}", headers=BOT).status_code == 404
    assert client.get(f"/api/v1/photos/{attached}", headers=BOT).status_code == 200


def test_finished_applications_lose_their_personal_data(client, app, settings):
    photo = upload(client)
    rejected = submit(client, photo_ref=photo, applicant_name="张三丰", cert_number="SD2015001234")
    issued, open_one, recent = submit(client), submit(client), submit(client)
    decide(client, rejected, "审核中", "审核不通过")
    decide(client, issued, "审核中", "审核通过", "证书已发放")
    decide(client, open_one, "审核中")
    decide(client, recent, "审核中", "审核通过", "证书已发放")
    backdate(app, Application, "updated_at", [record(app, n).id for n in (rejected, issued, open_one)], days=366)
    before = record(app, open_one)

    assert sweep(app.state.factory, settings.upload_dir, PERIODS, utc_now_naive()).applications == 2
    purged = record(app, rejected)
    assert purged.applicant_name == "张**" and purged.id_masked == "*" * 14 + ID_A[-4:]
    assert purged.phone_masked == "*******8000"
    assert "" == purged.id_hmac == purged.id_encrypted == purged.phone_encrypted == purged.request_hash
    assert purged.cert_number is None and purged.sender_ref is None and purged.photo_ref is None
    assert not (settings.upload_dir / photo).exists() and client.get(f"/api/v1/photos/{photo}", headers=BOT).status_code == 404
    progress = client.get(f"/api/v1/applications/{rejected}", params={"id_last4": ID_A[-4:]}, headers=BOT)
    assert progress.status_code == 200 and progress.json()["status"] == "审核不通过"
    assert progress.json()["review_reason"] == "照片不清晰"
    admin = client.get(f"/api/v1/applications/{rejected}/admin", headers=STAFF).json()
    assert [event["to_status"] for event in admin["audit"]] == ["已提交", "审核中", "审核不通过"]
    assert record(app, issued).id_encrypted == ""
    kept = record(app, open_one)
    assert (kept.applicant_name, kept.id_encrypted, kept.id_hmac) == (before.applicant_name, before.id_encrypted,
                                                                      id_hmac(ID_A, settings.backend_id_hmac_key))
    assert record(app, recent).id_encrypted != ""
    found = client.get("/api/v1/applications", params={"q": ID_A}, headers=STAFF).json()
    assert {item["number"] for item in found["items"]} == {open_one, recent}
    assert sweep(app.state.factory, settings.upload_dir, PERIODS, utc_now_naive()).applications == 0


def test_a_period_of_none_keeps_everything(client, app, settings):
    client.post("/api/v1/feedback", json={"rating": 5, "label": "非常满意"})
    backdate(app, Feedback, "created_at", ids_of(app, Feedback), days=10000)
    keep = Periods(unanswered=None, feedback=None, orphan_photos=None, finished_applications=None)
    assert sweep(app.state.factory, settings.upload_dir, keep, utc_now_naive()) == retention.Swept()
    assert len(ids_of(app, Feedback)) == 1


def test_periods_from_settings_and_zero_means_keep(settings):
    periods = Periods.from_settings(replace(settings, unanswered_retention_days=30.0, feedback_retention_days=0.0,
                                            orphan_photo_hours=12.0, application_retention_days=-1.0,
                                            handoff_retention_days=7.0, analytics_retention_days=400.0))
    assert periods == Periods(unanswered=timedelta(days=30), feedback=None, orphan_photos=timedelta(hours=12),
                              finished_applications=None, handoffs=timedelta(days=7),
                              analytics=timedelta(days=400))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_deleted_personal_data_does_not_linger_in_the_sqlite_file(client, app, settings):
    number = submit(client, applicant_name="欧阳娜娜")
    client.post("/api/v1/feedback", json={"rating": 1, "label": "非常不满意", "comment": "欧阳娜娜的意见"})
    decide(client, number, "审核中", "审核不通过")
    backdate(app, Application, "updated_at", [record(app, number).id], days=366)
    backdate(app, Feedback, "created_at", ids_of(app, Feedback), days=181)
    sweep(app.state.factory, settings.upload_dir, PERIODS, utc_now_naive())
    app.state.engine.dispose()
    assert "欧阳娜娜".encode() not in Path(make_url(settings.database_url).database).read_bytes()


def test_legacy_photo_files_are_encoded_again_and_made_private(client, app, settings):
    ref = upload(client)
    path = settings.upload_dir / ref
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    path.write_bytes(photo_bytes(exif=exif))
    path.chmod(0o644)
    swept = sweep(app.state.factory, settings.upload_dir, PERIODS, utc_now_naive())
    assert (swept.photos, swept.secured) == (0, 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and b"PhoneMaker" not in path.read_bytes()
    fetched = client.get(f"/api/v1/photos/{ref}", headers=BOT)
    assert fetched.status_code == 200 and fetched.content == path.read_bytes()


def test_the_loop_survives_a_failed_pass_and_stops_when_told():
    stop = threading.Event()
    calls: List[str] = []

    def work() -> None:
        """Fail once, then succeed and ask the loop to stop."""
        calls.append("pass")
        if len(calls) == 1:
            raise RuntimeError("database down")
        stop.set()

    assert run_every(0.01, stop, lambda: succeeded(work)) == 2 and calls == ["pass", "pass"]


def test_the_command_makes_one_pass(app, settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("UPLOAD_DIR", str(settings.upload_dir))
    with app.state.factory() as session:
        session.add(Feedback(rating=5, label="非常满意", created_at=utc_now_naive() - timedelta(days=400)))
        session.commit()
    assert retention.main([]) == 0
    assert ids_of(app, Feedback) == []


def test_the_command_fails_cleanly_without_a_database(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "uploads"))
    assert retention.main([]) == 1
