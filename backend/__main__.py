"""Run the backend with uvicorn on the configured host and port: `python -m backend`; manage staff accounts:
`python -m backend accounts create|disable|password|list …` (passwords are read from the terminal or stdin)."""
from __future__ import annotations

import argparse
import getpass
import logging
import sys
from typing import List, Optional, TextIO

import uvicorn
from fastapi import FastAPI

from backend import accounts
from backend.app import create_app
from backend.db import make_engine, make_session_factory, run_migrations
from reissue.knowledge import message
from reissue.settings import Settings, get_settings, require_safe_defaults


class DropQueryStrings(logging.Filter):
    """Remove query strings from access-log lines (a staff search may carry a full ID number)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the path argument of uvicorn's access record; always keep the record."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = args[:2] + (args[2].split("?", 1)[0],) + args[3:]
        return True


def server_config(settings: Settings, app: Optional[FastAPI] = None) -> uvicorn.Config:
    """uvicorn's configuration: the client address is taken from X-Forwarded-For only when the connection comes
    from one of TRUSTED_PROXIES (default: loopback, i.e. a proxy on this machine)."""
    # ws="none": the backend has no WebSocket routes, and rasa pins a websockets version uvicorn cannot use.
    return uvicorn.Config(app or create_app(settings), host=settings.host, port=settings.backend_port,
                          log_level="info", ws="none", proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies)


def serve(settings: Settings) -> None:
    """Build the app and serve it until interrupted."""
    logging.getLogger("uvicorn.access").addFilter(DropQueryStrings())
    uvicorn.Server(server_config(settings)).run()


def read_password(stdin: TextIO) -> str:
    """A new password: typed twice at a terminal, or the first line of stdin (never a command-line argument)."""
    if stdin.isatty():
        first = getpass.getpass(message("staff_cli_password"))
        if getpass.getpass(message("staff_cli_password_again")) != first:
            raise accounts.AccountError(message("staff_cli_password_mismatch"))
        return first
    return stdin.readline().rstrip("\r\n")


def parser() -> argparse.ArgumentParser:
    """The command line: no arguments serves; `accounts …` manages staff accounts."""
    main_parser = argparse.ArgumentParser(prog="python -m backend", description=__doc__)
    commands = main_parser.add_subparsers(dest="command")
    account_parser = commands.add_parser("accounts", help="create, disable, re-password or list staff accounts")
    actions = account_parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create an account; the password is read from the terminal or stdin")
    create.add_argument("username")
    create.add_argument("--role", choices=accounts.ROLES, default=accounts.REVIEWER)
    actions.add_parser("disable", help="disable an account and end its sessions").add_argument("username")
    actions.add_parser("password", help="set a new password (read like create's) and end its sessions") \
        .add_argument("username")
    actions.add_parser("list", help="every account with its role and state")
    return main_parser


def manage_accounts(settings: Settings, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    """Run one `accounts` command against the configured database; 0 on success, 1 with the reason on stderr."""
    engine = make_engine(settings.database_url)
    try:
        run_migrations(engine)
        factory = make_session_factory(engine)
        if args.action == "create":
            created = accounts.create_account(factory, args.username, read_password(stdin), args.role)
            out.write(message("staff_account_created", username=created.username) + "\n")
        elif args.action == "disable":
            accounts.disable_account(factory, args.username)
            out.write(message("staff_account_disabled", username=accounts.normalise_username(args.username)) + "\n")
        elif args.action == "password":
            accounts.set_password(factory, args.username, read_password(stdin))
            out.write(message("staff_account_password_set", username=accounts.normalise_username(args.username)) + "\n")
        else:
            for row in accounts.list_accounts(factory):
                out.write(f"{row.username}\t{row.role}\t{'active' if row.active else 'disabled'}\n")
    except accounts.AccountError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    finally:
        engine.dispose()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Serve, or manage accounts; refuses to serve development secrets beyond this machine."""
    args = parser().parse_args(argv)
    settings = get_settings()
    if args.command == "accounts":
        return manage_accounts(settings, args, sys.stdin, sys.stdout)
    require_safe_defaults(settings)
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
