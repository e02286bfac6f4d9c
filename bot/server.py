"""The Rasa server launcher: `python -m bot.server run …` installs the patches, then runs Rasa's own CLI.

The API token is read from the environment (RASA_AUTH_TOKEN) and handed to Rasa inside this process, so it never
appears on a command line (`ps` shows every process's arguments to every user of the machine).
"""
from __future__ import annotations

import sys
from typing import List, Optional


def rasa_argv(argv: List[str], auth_token: str) -> List[str]:
    """Rasa's arguments: `argv`, plus the API token for `run` unless one was given (pure)."""
    args = list(argv)
    if args[:1] == ["run"] and auth_token and "--auth-token" not in args:
        args += ["--auth-token", auth_token]
    return ["rasa", *args]


def main(argv: Optional[List[str]] = None) -> None:
    """Install bot.patches (after their version check) and hand the arguments to Rasa's command line."""
    from bot import patches
    from reissue.settings import get_settings, require_safe_defaults

    settings = get_settings()
    require_safe_defaults(settings)
    patches.install(patches.RASA_SERVER)
    from rasa.__main__ import main as rasa_main

    sys.argv = rasa_argv(sys.argv[1:] if argv is None else argv, settings.rasa_auth_token)
    rasa_main()


if __name__ == "__main__":
    main()
