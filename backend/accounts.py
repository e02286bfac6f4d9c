"""Staff accounts: argon2 password hashes, roles, server-side sessions, and sign-in with lockout.

Roles: a reviewer searches, reads records and photos, changes statuses and reads feedback; an administrator can do
all of that and also creates and disables accounts (on the page or with `python -m backend accounts`).
"""
from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import List, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from backend.errors import LAST_ADMINISTRATOR
from backend.models import StaffAccount, StaffSession
from backend.numbering import utc_now_naive
from backend.privacy import token_hash
from backend.throttle import LOGIN_BY_ACCOUNT, LOGIN_BY_ADDRESS, admit, forgive
from reissue.knowledge import message

LOG = logging.getLogger("backend")
REVIEWER = "reviewer"
ADMINISTRATOR = "administrator"
ROLES = (REVIEWER, ADMINISTRATOR)
MIN_PASSWORD = 10
MAX_PASSWORD = 128
SESSION_LIFETIME = timedelta(hours=8)
# Letters (any script), digits and ._- only: no spaces, no control or bidirectional characters.
_USERNAME = re.compile(r"[\w.\-]{2,32}")
_ACTIVE_ADMINISTRATOR = (StaffAccount.role == ADMINISTRATOR, StaffAccount.active.is_(True))


class AccountError(ValueError):
    """An account operation refused, with the Chinese reason for the person who asked."""


class LastAdministrator(AccountError):
    """Refused: the change would leave no active administrator."""


@dataclass(frozen=True)
class Staff:
    """The signed-in member of staff."""

    username: str
    role: str

    @property
    def is_administrator(self) -> bool:
        """True for an administrator."""
        return self.role == ADMINISTRATOR


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a session token, or a lockout of `retry_after_s` seconds, or neither (wrong)."""

    token: Optional[str] = None
    staff: Optional[Staff] = None
    retry_after_s: int = 0


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """argon2id with the library's recommended parameters (RFC 9106 low-memory profile)."""
    return PasswordHasher()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to verify against when the account does not exist, so both cases take the same time."""
    return hasher().hash(secrets.token_urlsafe(16))


def normalise_username(username: str) -> str:
    """The stored form of an account name: NFKC, trimmed, lower case."""
    return unicodedata.normalize("NFKC", username).strip().lower()


def _check_new_account(username: str, password: str, role: str) -> None:
    """Raise AccountError when the name, password or role of a new account is not acceptable."""
    if not _USERNAME.fullmatch(username):
        raise AccountError(message("staff_account_bad_username"))
    _check_password(password)
    if role not in ROLES:
        raise AccountError(message("staff_account_bad_role"))


def _check_password(password: str) -> None:
    """Raise AccountError when a new password is too short or too long."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(message("staff_account_bad_password", min_length=MIN_PASSWORD, max_length=MAX_PASSWORD))


def create_account(factory: sessionmaker, username: str, password: str, role: str) -> Staff:
    """Create an active account; AccountError when the input is refused or the name is taken."""
    username = normalise_username(username)
    _check_new_account(username, password, role)
    account = StaffAccount(username=username, password_hash=hasher().hash(password), role=role, active=True,
                           created_at=utc_now_naive())
    with factory() as session:
        try:
            session.add(account)
            session.commit()
        except IntegrityError:
            session.rollback()
            raise AccountError(message("staff_account_exists", username=username)) from None
    return Staff(username, role)


def _find(session, username: str) -> StaffAccount:
    """The account by name; AccountError when there is none."""
    username = normalise_username(username)
    account = session.execute(select(StaffAccount).where(StaffAccount.username == username)).scalar_one_or_none()
    if account is None:
        raise AccountError(message("staff_account_unknown", username=username))
    return account


def disable_account(factory: sessionmaker, username: str) -> None:
    """Disable an account and end every session it has; LastAdministrator when it is the last active
    administrator (then nobody could manage accounts any more)."""
    with factory() as session:
        account = _find(session, username)
        # On PostgreSQL, lock the active administrators first, so two administrators disabling each other at once
        # wait for one another; the UPDATE re-counts them in the same statement (SQLite runs it under its write lock).
        session.execute(select(StaffAccount.id).where(*_ACTIVE_ADMINISTRATOR).with_for_update()).all()
        others = (
            select(func.count()).select_from(StaffAccount)
            .where(*_ACTIVE_ADMINISTRATOR, StaffAccount.id != account.id).scalar_subquery()
        )
        disabled = session.execute(
            update(StaffAccount)
            .where(StaffAccount.id == account.id,
                   or_(StaffAccount.role != ADMINISTRATOR, StaffAccount.active.is_(False), others > 0))
            .values(active=False, disabled_at=func.coalesce(StaffAccount.disabled_at, utc_now_naive()))
            .execution_options(synchronize_session=False)
        )
        if disabled.rowcount != 1:
            session.rollback()
            raise LastAdministrator(LAST_ADMINISTRATOR.format(username=account.username))
        session.execute(delete(StaffSession).where(StaffSession.account_id == account.id))
        session.commit()


def set_password(factory: sessionmaker, username: str, password: str) -> None:
    """Give an account a new password and end every session it has."""
    _check_password(password)
    with factory() as session:
        account = _find(session, username)
        account.password_hash = hasher().hash(password)
        session.execute(delete(StaffSession).where(StaffSession.account_id == account.id))
        session.commit()


def list_accounts(factory: sessionmaker) -> List[StaffAccount]:
    """Every account, by name."""
    with factory() as session:
        return list(session.execute(select(StaffAccount).order_by(StaffAccount.username)).scalars().all())


def _password_matches(account: Optional[StaffAccount], password: str) -> bool:
    """Verify the password against the account's hash (a decoy hash for no account); never raises."""
    try:
        return hasher().verify(account.password_hash if account else _decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


def _rehash_if_needed(factory: sessionmaker, account: StaffAccount, password: str) -> None:
    """Store a fresh hash when the hasher's parameters have been raised since this one was made."""
    if hasher().check_needs_rehash(account.password_hash):
        with factory() as session:
            stored = session.get(StaffAccount, account.id)
            stored.password_hash = hasher().hash(password)
            session.commit()


def sign_in(factory: sessionmaker, username: str, password: str, address: str,
            now: Optional[datetime] = None) -> SignIn:
    """Check a password, counting failures per address and per account (5 in 15 minutes lock both)."""
    now = now or utc_now_naive()
    username = normalise_username(username)[:64]
    by_address = admit(factory, LOGIN_BY_ADDRESS, address, now)
    by_account = admit(factory, LOGIN_BY_ACCOUNT, username, now)
    if not (by_address.allowed and by_account.allowed):
        forgive(factory, by_address)
        forgive(factory, by_account)
        retry_after_s = max(by_address.retry_after_s, by_account.retry_after_s)
        LOG.warning("staff sign-in locked after repeated wrong passwords (%d s left)", retry_after_s)
        return SignIn(retry_after_s=retry_after_s)
    with factory() as session:
        account = session.execute(select(StaffAccount).where(StaffAccount.username == username)).scalar_one_or_none()
    if not _password_matches(account, password) or account is None or not account.active:
        return SignIn()
    forgive(factory, by_address)
    forgive(factory, by_account)
    _rehash_if_needed(factory, account, password)
    token = secrets.token_urlsafe(32)
    with factory() as session:
        session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
        session.add(StaffSession(token_hash=token_hash(token), account_id=account.id, created_at=now,
                                 expires_at=now + SESSION_LIFETIME))
        session.commit()
    LOG.info("staff sign-in: %s (%s)", account.username, account.role)
    return SignIn(token=token, staff=Staff(account.username, account.role))


def session_staff(factory: sessionmaker, token: str, now: Optional[datetime] = None) -> Optional[Staff]:
    """The member of staff a session token belongs to, while the session lasts and the account is active."""
    if not token:
        return None
    now = now or utc_now_naive()
    with factory() as session:
        row = session.execute(
            select(StaffAccount.username, StaffAccount.role)
            .join(StaffSession, StaffSession.account_id == StaffAccount.id)
            .where(StaffSession.token_hash == token_hash(token), StaffSession.expires_at > now,
                   StaffAccount.active.is_(True))
        ).first()
    return Staff(row.username, row.role) if row else None


def sign_out(factory: sessionmaker, token: str) -> None:
    """End the session of this token (logout)."""
    with factory() as session:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))
        session.commit()
