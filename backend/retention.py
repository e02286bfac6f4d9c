"""Personal data deleted on time: unanswered questions, feedback, orphan photos, the personal fields of
applications whose status is final, handoffs, and callback numbers never called (after CALLBACK_RETENTION_DAYS).
`python -m backend.retention` makes one pass; `--interval S` repeats it.
"""
from __future__ import annotations

import argparse
import logging
import stat
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, List, Optional

from sqlalchemy import delete, event, exists, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from backend import analytics, callbacks, handoffs, service
from backend.db import make_engine, make_session_factory
from backend.lifecycle import ALLOWED
from backend.models import Application, Feedback, Photo, UnansweredQuestion
from backend.numbering import utc_now_naive
from backend.privacy import reencode_photo
from reissue.application import is_photo_ref
from reissue.callback import retention_days
from reissue.masking import mask_last4, mask_name, scrub
from reissue.serving import run_until_signalled
from reissue.settings import Settings

logger = logging.getLogger(__name__)

# Statuses the lifecycle never leaves (审核不通过, 证书已发放): the applicant's case is closed.
FINAL_STATUSES = tuple(status for status, following in ALLOWED.items() if not following)
# Waiting after a failed pass (the database may still be starting), when the interval is longer.


@dataclass(frozen=True)
class Periods:
    """How long each kind of record is kept; None keeps it for ever."""

    unanswered: Optional[timedelta]
    feedback: Optional[timedelta]
    orphan_photos: Optional[timedelta]
    finished_applications: Optional[timedelta]
    handoffs: Optional[timedelta] = None
    analytics: Optional[timedelta] = None
    callback_numbers: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Periods":
        """The periods of the settings; zero or less means keep for ever."""

        def period(**amount: float) -> Optional[timedelta]:
            """A positive period, or None."""
            length = timedelta(**amount)
            return length if length > timedelta(0) else None

        return cls(
            unanswered=period(days=settings.unanswered_retention_days),
            feedback=period(days=settings.feedback_retention_days),
            orphan_photos=period(hours=settings.orphan_photo_hours),
            finished_applications=period(days=settings.application_retention_days),
            handoffs=period(days=settings.handoff_retention_days),
            analytics=period(days=settings.analytics_retention_days),
            callback_numbers=timedelta(days=retention_days(settings.callback_retention_days)),
        )


@dataclass(frozen=True)
class Swept:
    """What one pass did: rows deleted, applications stripped, legacy photo files secured."""

    unanswered: int = 0
    feedback: int = 0
    photos: int = 0
    applications: int = 0
    secured: int = 0
    handoffs: int = 0
    analytics: int = 0
    callback_numbers: int = 0
    callbacks: int = 0


def delete_older(factory: sessionmaker, model: type, cutoff: datetime) -> int:
    """Delete the rows of `model` created before `cutoff`; return how many."""
    with factory() as session:
        deleted = session.execute(delete(model).where(model.created_at < cutoff)).rowcount
        session.commit()
    return int(deleted or 0)


def delete_photos(factory: sessionmaker, upload_dir: Path, refs: List[str]) -> int:
    """Delete these photos, rows and files, unless an application took one meanwhile; return how many."""
    if not refs:
        return 0
    unattached = ~exists().where(Application.photo_ref == Photo.ref)
    with factory() as session:
        session.execute(delete(Photo).where(Photo.ref.in_(refs), unattached).execution_options(synchronize_session=False))
        kept = set(session.execute(select(Photo.ref).where(Photo.ref.in_(refs))).scalars())
        session.commit()
    gone = [ref for ref in refs if ref not in kept]
    for ref in gone:
        service.delete_photo_file(upload_dir, ref)
    return len(gone)


def delete_orphan_photos(factory: sessionmaker, upload_dir: Path, cutoff: datetime) -> int:
    """Delete photos uploaded before `cutoff` that no application names, and photo files without a row;
    return how many."""
    with factory() as session:
        refs = list(session.execute(
            select(Photo.ref).where(Photo.created_at < cutoff, ~exists().where(Application.photo_ref == Photo.ref))
        ).scalars())
        known = set(session.execute(select(Photo.ref)).scalars())
    removed = delete_photos(factory, upload_dir, refs)
    limit = cutoff.replace(tzinfo=timezone.utc).timestamp()
    for path in upload_dir.glob("*") if upload_dir.is_dir() else ():
        if is_photo_ref(path.name) and path.name not in known and path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)  # written, but its row never committed
            removed += 1
    return removed


def purge_finished_applications(factory: sessionmaker, upload_dir: Path, cutoff: datetime) -> int:
    """Strip the personal data of applications final since before `cutoff`: the name masked, ID HMAC and seals
    erased, the phone masked to its last four, certificate number, sender and photo removed. Number, status,
    ID last four, dates and the audit trail stay, so the applicant can still look the decision up."""
    with factory() as session:
        rows = session.execute(
            select(Application.id, Application.applicant_name, Application.phone_masked, Application.photo_ref)
            .where(Application.status.in_(FINAL_STATUSES), Application.updated_at < cutoff,
                   Application.id_encrypted != "")
        ).all()
        for row_id, name, phone_masked, _photo in rows:
            session.execute(update(Application).where(Application.id == row_id).values(
                applicant_name=mask_name(name), id_hmac="", id_encrypted="", phone_encrypted="",
                phone_masked=mask_last4(phone_masked), cert_number=None, sender_ref=None, photo_ref=None,
                request_hash="",
            ))
        session.commit()
    delete_photos(factory, upload_dir, [photo for *_, photo in rows if photo])
    return len(rows)


def secure_legacy_photos(factory: sessionmaker, upload_dir: Path) -> int:
    """Encode again without metadata, and make private (0600), photo files stored before uploads were cleaned."""
    if not upload_dir.is_dir():
        return 0
    upload_dir.chmod(0o700)
    secured = 0
    for path in upload_dir.glob("*"):
        if not (is_photo_ref(path.name) and path.is_file() and stat.S_IMODE(path.stat().st_mode) & 0o077):
            continue
        photo = reencode_photo(path.read_bytes())
        if photo is not None:
            service.replace_photo(factory, upload_dir, path.name, photo.data, photo.content_type)
        path.chmod(0o600)
        secured += 1
    return secured


def sweep(factory: sessionmaker, upload_dir: Path, periods: Periods, now: datetime) -> Swept:
    """One retention pass at `now` (naive UTC, as stored)."""

    def cutoff(period: Optional[timedelta]) -> Optional[datetime]:
        """The moment before which a record of this period is due, or None to keep it."""
        return None if period is None else now - period

    unanswered_cutoff, feedback_cutoff = cutoff(periods.unanswered), cutoff(periods.feedback)
    photo_cutoff, application_cutoff = cutoff(periods.orphan_photos), cutoff(periods.finished_applications)
    return Swept(
        unanswered=delete_older(factory, UnansweredQuestion, unanswered_cutoff) if unanswered_cutoff else 0,
        feedback=delete_older(factory, Feedback, feedback_cutoff) if feedback_cutoff else 0,
        applications=(purge_finished_applications(factory, upload_dir, application_cutoff)
                      if application_cutoff else 0),
        photos=delete_orphan_photos(factory, upload_dir, photo_cutoff) if photo_cutoff else 0,
        secured=secure_legacy_photos(factory, upload_dir),
        handoffs=handoffs.delete_older(factory, now - periods.handoffs) if periods.handoffs else 0,
        analytics=analytics.delete_older(factory, now - periods.analytics) if periods.analytics else 0,
        callback_numbers=callbacks.lapse_due(factory, now - periods.callback_numbers, now),
        callbacks=callbacks.delete_older(factory, now - periods.handoffs) if periods.handoffs else 0,
    )


def _secure_delete(dbapi_connection, _record) -> None:
    """Have SQLite overwrite deleted content, so removed personal data does not linger in free pages."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def retention_engine(url: str) -> Engine:
    """The backend's engine for `url`; on SQLite, deleted content is overwritten."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _secure_delete)
    return engine


def succeeded(work: Callable[[], object]) -> bool:
    """Call `work`; log a failure (personal numbers masked) instead of raising it."""
    try:
        work()
    except Exception as error:  # noqa: BLE001 - the database may be down; the next pass tries again
        logger.error("retention pass failed: %s: %s", type(error).__name__, scrub(error)[:300])
        return False
    return True


def main(argv: Optional[List[str]] = None) -> int:
    """Command line: one pass (exit status 1 when it failed), or a pass every --interval seconds until stopped."""
    parser = argparse.ArgumentParser(description="Delete personal data whose retention period has passed.")
    parser.add_argument("--interval", type=float, default=None, help="repeat every this many seconds until stopped")
    args = parser.parse_args(argv)
    from reissue.logging_setup import configure_logging
    from reissue.settings import get_settings

    configure_logging()
    settings = get_settings()
    engine = retention_engine(settings.database_url)
    factory = make_session_factory(engine)
    periods = Periods.from_settings(settings)

    def one_pass() -> None:
        """Sweep now and log the counts."""
        swept = sweep(factory, settings.upload_dir, periods, utc_now_naive())
        logger.info("retention pass: %s", ", ".join(f"{name} {count}" for name, count in asdict(swept).items()))

    try:
        if args.interval is None:
            return 0 if succeeded(one_pass) else 1
        logger.info("retention job started (every %.0f s)", args.interval)
        return run_until_signalled(args.interval, lambda: succeeded(one_pass))
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
