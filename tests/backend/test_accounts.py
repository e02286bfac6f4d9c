"""Staff accounts: names, argon2 hashes, sessions that end, rehashing, and the `python -m backend accounts` command."""
from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from backend import accounts
from backend.__main__ import main
from backend.models import StaffAccount
from backend.numbering import utc_now_naive

PASSWORD = "correct-horse-battery"


def stored(app, username: str) -> StaffAccount:
    """The account row."""
    with app.state.factory() as session:
        return session.execute(select(StaffAccount).where(StaffAccount.username == username)).scalar_one()


@pytest.mark.parametrize("username", ["a", "x" * 33, "wang li", "wa\u202eng", "wa\u2066ng", "wa\x00ng", "wa\x85ng", "wang;"])
def test_names_with_spaces_controls_or_bidirectional_marks_are_refused(app, username):
    with pytest.raises(accounts.AccountError):
        accounts.create_account(app.state.factory, username, PASSWORD, accounts.REVIEWER)
    assert accounts.list_accounts(app.state.factory) == []


def test_names_are_unique_whatever_their_case_and_chinese_names_are_fine(app):
    factory = app.state.factory
    assert accounts.create_account(factory, " Wang ", PASSWORD, accounts.REVIEWER).username == "wang"
    with pytest.raises(accounts.AccountError, match="已经存在"):
        accounts.create_account(factory, "WANG", PASSWORD, accounts.REVIEWER)
    assert accounts.create_account(factory, "王审核", PASSWORD, accounts.ADMINISTRATOR).role == accounts.ADMINISTRATOR
    for password, role in (("short", accounts.REVIEWER), ("p" * 129, accounts.REVIEWER), (PASSWORD, "root")):
        with pytest.raises(accounts.AccountError):
            accounts.create_account(factory, "zhao", password, role)


def test_a_session_ends_at_logout_expiry_disabling_and_a_new_password(app):
    factory = app.state.factory
    accounts.create_account(factory, "wang", PASSWORD, accounts.REVIEWER)
    now = utc_now_naive()
    tokens = [accounts.sign_in(factory, "wang", PASSWORD, "10.0.0.1", now).token for _ in range(3)]
    assert all(tokens) and accounts.session_staff(factory, tokens[0], now) == accounts.Staff("wang", "reviewer")
    assert accounts.session_staff(factory, tokens[0], now + accounts.SESSION_LIFETIME + timedelta(seconds=1)) is None
    accounts.sign_out(factory, tokens[0])
    assert accounts.session_staff(factory, tokens[0], now) is None and accounts.session_staff(factory, tokens[1], now)
    accounts.set_password(factory, "wang", "another-password")
    assert accounts.session_staff(factory, tokens[1], now) is None
    token = accounts.sign_in(factory, "wang", "another-password", "10.0.0.1", now).token
    accounts.disable_account(factory, "wang")
    assert accounts.session_staff(factory, token, now) is None
    assert accounts.sign_in(factory, "wang", "another-password", "10.0.0.1", now).token is None


def test_session_tokens_are_stored_only_as_digests(app):
    factory = app.state.factory
    accounts.create_account(factory, "wang", PASSWORD, accounts.REVIEWER)
    token = accounts.sign_in(factory, "wang", PASSWORD, "10.0.0.1").token
    from backend.models import StaffSession

    with factory() as session:
        hashes = session.execute(select(StaffSession.token_hash)).scalars().all()
    assert hashes == [accounts.token_hash(token)] and token not in hashes


def test_a_hash_made_with_weaker_parameters_is_renewed_at_sign_in(app):
    factory = app.state.factory
    accounts.create_account(factory, "wang", PASSWORD, accounts.REVIEWER)
    with factory() as session:
        row = session.execute(select(StaffAccount).where(StaffAccount.username == "wang")).scalar_one()
        row.password_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
        session.commit()
    assert accounts.sign_in(factory, "wang", PASSWORD, "10.0.0.1").token
    assert not accounts.hasher().check_needs_rehash(stored(app, "wang").password_hash)


# --- the command line ----------------------------------------------------------------------------------

@pytest.fixture
def command_env(monkeypatch, settings):
    """The command reads DATABASE_URL from the environment, like the server."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)


def run(monkeypatch, capsys, argv, stdin: str = ""):
    """Run `python -m backend …` with `stdin`; (exit code, stdout, stderr)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_creates_lists_and_disables_accounts(app, command_env, monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, ["accounts", "create", "Zhao", "--role", "administrator"], PASSWORD + "\n")
    assert code == 0 and "zhao" in out and PASSWORD not in out
    assert stored(app, "zhao").role == "administrator" and stored(app, "zhao").password_hash.startswith("$argon2id$")
    assert accounts.sign_in(app.state.factory, "zhao", PASSWORD, "10.0.0.1").token
    assert run(monkeypatch, capsys, ["accounts", "list"])[1] == "zhao\tadministrator\tactive\n"
    assert run(monkeypatch, capsys, ["accounts", "password", "zhao"], "a-new-password\n")[0] == 0
    assert accounts.sign_in(app.state.factory, "zhao", "a-new-password", "10.0.0.1").token
    assert run(monkeypatch, capsys, ["accounts", "create", "qian", "--role", "administrator"], PASSWORD + "\n")[0] == 0
    assert run(monkeypatch, capsys, ["accounts", "disable", "zhao"])[0] == 0
    assert run(monkeypatch, capsys, ["accounts", "list"])[1] == "qian\tadministrator\tactive\nzhao\tadministrator\tdisabled\n"
    code, _, err = run(monkeypatch, capsys, ["accounts", "disable", "nobody"])
    assert code == 1 and "nobody" in err


def test_the_command_takes_no_password_on_the_command_line(app, command_env, monkeypatch, capsys):
    with pytest.raises(SystemExit):
        main(["accounts", "create", "zhao", "--password", PASSWORD])
    code, _, err = run(monkeypatch, capsys, ["accounts", "create", "zhao"], "short\n")
    assert code == 1 and "密码" in err and accounts.list_accounts(app.state.factory) == []


def test_the_last_active_administrator_cannot_be_disabled(app, command_env, monkeypatch, capsys):
    factory = app.state.factory
    accounts.create_account(factory, "zhao", PASSWORD, accounts.ADMINISTRATOR)
    accounts.create_account(factory, "wang", PASSWORD, accounts.REVIEWER)
    token = accounts.sign_in(factory, "zhao", PASSWORD, "10.0.0.1").token
    code, out, err = run(monkeypatch, capsys, ["accounts", "disable", "zhao"])
    assert code == 1 and out == "" and "zhao" in err and "最后一个" in err and "管理员" in err
    with pytest.raises(accounts.LastAdministrator):
        accounts.disable_account(factory, "ZHAO")
    assert stored(app, "zhao").active and accounts.session_staff(factory, token) == accounts.Staff("zhao", "administrator")
    accounts.disable_account(factory, "wang")  # reviewers are never the last administrator
    accounts.create_account(factory, "qian", PASSWORD, accounts.ADMINISTRATOR)
    accounts.disable_account(factory, "zhao")
    assert not stored(app, "zhao").active and accounts.session_staff(factory, token) is None
    with pytest.raises(accounts.LastAdministrator):
        accounts.disable_account(factory, "qian")
    accounts.disable_account(factory, "zhao")  # an account already disabled stays so, whatever is left
    assert [(a.username, a.active) for a in accounts.list_accounts(factory)] == [
        ("qian", True), ("wang", False), ("zhao", False)]


def test_two_administrators_disabling_each_other_at_once_leave_one(app):
    factory = app.state.factory
    for name in ("zhao", "qian"):
        accounts.create_account(factory, name, PASSWORD, accounts.ADMINISTRATOR)
    barrier = threading.Barrier(2)

    def disable(name: str) -> bool:
        """Disable `name` once both threads are ready; True when it was disabled."""
        barrier.wait()
        try:
            accounts.disable_account(factory, name)
        except accounts.LastAdministrator:
            return False
        return True

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(disable, ["zhao", "qian"]))
    assert sorted(outcomes) == [False, True]
    assert [a.active for a in accounts.list_accounts(factory)].count(True) == 1
