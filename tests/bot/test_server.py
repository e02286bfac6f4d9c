"""The Rasa launcher: the API token reaches Rasa inside the process, never on a command line."""
from __future__ import annotations

import pytest

from bot.server import rasa_argv
from reissue.settings import get_settings
from scripts import stack


def test_the_token_is_added_for_run_only_and_never_twice() -> None:
    """`run` gets --auth-token from the setting; other commands and an explicit token are left alone."""
    assert rasa_argv(["run", "--enable-api"], "s3cret") == ["rasa", "run", "--enable-api", "--auth-token", "s3cret"]
    assert rasa_argv(["run", "--auth-token", "given"], "s3cret") == ["rasa", "run", "--auth-token", "given"]
    assert rasa_argv(["train"], "s3cret") == ["rasa", "train"]
    assert rasa_argv(["run"], "") == ["rasa", "run"]


def test_the_stack_starts_rasa_without_the_token_in_its_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every process `make run` starts has an argument list free of the Rasa token."""
    monkeypatch.setenv("RASA_AUTH_TOKEN", "token-that-must-not-show")
    settings = get_settings()
    for service in stack._services(settings, {}):
        assert "token-that-must-not-show" not in " ".join(service.argv)
