"""Database operations of the backend: idempotent intake, lookups, status changes, photos, feedback,
unanswered questions."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from backend.errors import ApiError
from backend.lifecycle import REJECTED, SUBMITTED, transition_error
from backend.models import Application, Feedback, Photo, StatusEvent, UnansweredQuestion
from backend.numbering import new_application_number, new_photo_ref, utc_now_naive
from backend.privacy import id_hmac, seal
from backend.validation import CleanApplication
from reissue import clock
from reissue.application import is_application_number, is_photo_ref
from reissue.knowledge import message
from reissue.masking import mask_last4, mask_phone, scrub

PAGE_SIZE = 20
NUMBER_ATTEMPTS = 8


@dataclass(frozen=True)
class Secrets:
    """The keys used to protect personal numbers."""

    hmac_key: str
    seal_secret: str


def request_hash(payload: Dict[str, Any], key: str) -> str:
    """A stable keyed digest of a request body (key order and whitespace do not matter); keyed, because a plain
    hash of a body whose other fields are stored would give the ID and phone number back by trial."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def idempotency_conflict() -> ApiError:
    """The 409 for a key reused with a different body."""
    return ApiError(409, "idempotency_conflict", "这个 Idempotency-Key 已用于另一份不同的申请，请换一个新的键。")


def _load(session: Session, **where: Any) -> Optional[Application]:
    """One application with its events, by a column value."""
    statement = select(Application).options(selectinload(Application.events)).filter_by(**where)
    return session.execute(statement).scalar_one_or_none()


def find_replay(factory: sessionmaker, key: str, digest: str) -> Optional[Application]:
    """The application stored under `key` when the body matches (or its digest was erased); 409 when it differs;
    None if new."""
    with factory() as session:
        existing = _load(session, idempotency_key=key)
    if existing is None:
        return None
    if existing.request_hash and not hmac.compare_digest(existing.request_hash, digest):
        raise idempotency_conflict()
    return existing


def create_application(
    factory: sessionmaker, secrets: Secrets, key: str, digest: str, clean: CleanApplication
) -> Tuple[Application, bool]:
    """Store the application once per key; returns it and whether this call created it."""
    for _ in range(NUMBER_ATTEMPTS):
        now = utc_now_naive()
        app = Application(
            number=new_application_number(clock.now()),
            idempotency_key=key,
            request_hash=digest,
            status=SUBMITTED,
            reason=clean.reason,
            qualification=clean.qualification,
            level=clean.level,
            specialty=clean.specialty,
            obtained=clean.obtained,
            applicant_name=clean.applicant_name,
            id_hmac=id_hmac(clean.id_number, secrets.hmac_key),
            id_masked=mask_last4(clean.id_number),
            id_last4=clean.id_number[-4:],
            id_encrypted=seal(clean.id_number, secrets.seal_secret),
            cert_number=clean.cert_number,
            cert_number_unknown=clean.cert_number_unknown,
            city=clean.city,
            phone_masked=mask_phone(clean.phone),
            phone_encrypted=seal(clean.phone, secrets.seal_secret),
            photo_ref=clean.photo_ref,
            channel=clean.channel,
            sender_ref=clean.sender_ref,
            created_at=now,
            updated_at=now,
        )
        app.events.append(StatusEvent(at=now, from_status=None, to_status=SUBMITTED, actor=f"applicant:{clean.channel}"))
        with factory() as session:
            try:
                session.add(app)
                session.commit()
            except IntegrityError:
                session.rollback()
                replay = find_replay(factory, key, digest)
                if replay is not None:
                    return replay, False
                continue  # the random number collided; draw another
        with factory() as session:
            return _load(session, id=app.id), True
    raise ApiError(503, "busy", "系统繁忙，请稍后再试。")


def progress(factory: sessionmaker, number: str, last4: str) -> Optional[Application]:
    """The application when number and ID last 4 match; None otherwise (never says which failed)."""
    if not is_application_number(number):
        return None
    with factory() as session:
        app = _load(session, number=number)
    if app is None:
        hmac.compare_digest(last4.upper(), "0000")
        return None
    return app if hmac.compare_digest(app.id_last4.upper(), last4.upper()) else None


def admin_record(factory: sessionmaker, number: str) -> Optional[Application]:
    """The application by number, for staff."""
    if not is_application_number(number):
        return None
    with factory() as session:
        return _load(session, number=number)


def search(
    factory: sessionmaker, secrets: Secrets, q: str, status: str, city: str, page: int
) -> Tuple[List[Application], int]:
    """One page of applications matching the number, ID (full or last 4) or name, newest first."""
    statement = select(Application)
    q = q.strip()
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions = [Application.number == q.upper(), Application.applicant_name.like(f"%{escaped}%", escape="\\")]
        if q.upper().startswith("BF"):
            conditions.append(Application.number.like(escaped.upper() + "%", escape="\\"))
        if len(q) == 4:
            conditions.append(Application.id_last4 == q.upper())
        if len(q) == 18:
            conditions.append(Application.id_hmac == id_hmac(q, secrets.hmac_key))
        statement = statement.where(or_(*conditions))
    if status.strip():
        statement = statement.where(Application.status == status.strip())
    if city.strip():
        statement = statement.where(Application.city == city.strip())
    with factory() as session:
        total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
        rows = session.execute(
            statement.order_by(Application.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        ).scalars().all()
    return list(rows), int(total)


def change_status(factory: sessionmaker, number: str, target: str, reason: Optional[str], actor: str) -> Application:
    """Move an application along the lifecycle and audit it, compare-and-set: the change applies only while the
    status is still the one it was checked against, so of two concurrent decisions one wins and the other gets 409."""
    reason = (reason or "").strip() or None
    actor = actor.strip()
    if not actor:
        raise ApiError(422, "validation_error", "提交的内容有误，请按提示修改。", {"actor": "请填写操作人。"})
    current = admin_record(factory, number)
    if current is None:
        raise not_found()
    problem = transition_error(current.status, target, reason)
    if problem:
        raise ApiError(409, "illegal_transition", problem)
    now = utc_now_naive()
    values: Dict[str, Any] = {"status": target, "updated_at": now}
    if target == REJECTED:
        values["review_reason"] = reason
    # The UPDATE opens the write transaction (no read before it), so SQLite serialises it instead of deadlocking.
    compare_and_set = (
        update(Application).where(Application.id == current.id, Application.status == current.status)
        .values(**values).execution_options(synchronize_session=False)
    )
    with factory() as session:
        if session.execute(compare_and_set).rowcount != 1:
            session.rollback()
            raise ApiError(409, "status_changed", message("backend_status_changed"))
        session.add(StatusEvent(application_id=current.id, at=now, from_status=current.status, to_status=target,
                                reason=reason, actor=actor))
        session.commit()
    return admin_record(factory, number)


def not_found() -> ApiError:
    """The one 404 for an unknown number or a wrong number/ID pair."""
    return ApiError(404, "not_found", "没有查到这份申请，请核对申请编号和身份证号码后4位。")


def write_private(path: Path, data: bytes) -> None:
    """Create `path` readable and writable by this user only (mode 0600; never an existing file) holding `data`."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(data)


def save_photo(factory: sessionmaker, upload_dir: Path, data: bytes, content_type: str) -> str:
    """Write the photo under upload_dir (folder 0700, file 0600) and record it; returns its reference."""
    upload_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    ref = new_photo_ref()
    write_private(upload_dir / ref, data)
    with factory() as session:
        session.add(Photo(ref=ref, content_type=content_type, size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), created_at=utc_now_naive()))
        session.commit()
    return ref


def replace_photo(factory: sessionmaker, upload_dir: Path, ref: str, data: bytes, content_type: str) -> None:
    """Put `data` in place of a stored photo's file (written privately first, then renamed) and its record."""
    staging = upload_dir / f".{ref}.new"
    staging.unlink(missing_ok=True)
    write_private(staging, data)
    os.replace(staging, upload_dir / ref)
    with factory() as session:
        session.execute(update(Photo).where(Photo.ref == ref).values(
            content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest()))
        session.commit()


def delete_photo_file(upload_dir: Path, ref: str) -> None:
    """Remove a photo's file, if it is there."""
    if is_photo_ref(ref):
        (upload_dir / ref).unlink(missing_ok=True)


def photo_exists(factory: sessionmaker, ref: str) -> bool:
    """True when a photo with this reference was uploaded."""
    if not is_photo_ref(ref):
        return False
    with factory() as session:
        return session.execute(select(Photo.id).where(Photo.ref == ref)).first() is not None


def load_photo(factory: sessionmaker, upload_dir: Path, ref: str) -> Optional[Tuple[bytes, str]]:
    """The bytes and content type of a photo, or None."""
    if not is_photo_ref(ref):
        return None
    with factory() as session:
        photo = session.execute(select(Photo).where(Photo.ref == ref)).scalar_one_or_none()
    path = upload_dir / ref
    if photo is None or not path.is_file():
        return None
    return path.read_bytes(), photo.content_type


def add_feedback(factory: sessionmaker, rating: int, label: str, comment: Optional[str],
                 sender_ref: Optional[str], application_number: Optional[str]) -> Feedback:
    """Store one rating; ID-like and phone-like numbers in the comment are masked before storing."""
    item = Feedback(rating=rating, label=label, comment=scrub((comment or "").strip()) or None, sender_ref=sender_ref,
                    application_number=application_number, created_at=utc_now_naive())
    with factory() as session:
        session.add(item)
        session.commit()
    return item


def list_feedback(factory: sessionmaker, page: int) -> Tuple[List[Feedback], int]:
    """One page of ratings, newest first."""
    with factory() as session:
        total = session.execute(select(func.count(Feedback.id))).scalar_one()
        rows = session.execute(
            select(Feedback).order_by(Feedback.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        ).scalars().all()
    return list(rows), int(total)


def add_unanswered(
    factory: sessionmaker, text: str, kind: str, channel: str, guesses: List[Dict[str, Any]]
) -> UnansweredQuestion:
    """Store one unanswered question; ID-like and phone-like numbers are masked again before storing."""
    item = UnansweredQuestion(text=scrub(text), kind=kind, channel=channel,
                              guesses=json.dumps(guesses, ensure_ascii=False), created_at=utc_now_naive())
    with factory() as session:
        session.add(item)
        session.commit()
    return item


def list_unanswered(factory: sessionmaker, page: int) -> Tuple[List[UnansweredQuestion], int]:
    """One page of unanswered questions, newest first."""
    with factory() as session:
        total = session.execute(select(func.count(UnansweredQuestion.id))).scalar_one()
        rows = session.execute(
            select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc())
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        ).scalars().all()
    return list(rows), int(total)

