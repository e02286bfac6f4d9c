"""The project's replacements inside Rasa 3.6 and Sanic 21.12, behind one boundary.

Each module replaces one hot spot and says why; `install()` puts them in place only when the installed
framework versions are the ones they were written and tested against (`PINNED`), and refuses otherwise,
because a patch of another version's internals could silently change behaviour. Nothing is patched at
import: the Rasa launcher (`python -m bot.server`) and the action server's entry point call `install()`.
"""
from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Dict, Iterable, Tuple

PINNED: Dict[str, str] = {"rasa": "3.6.21", "sanic": "21.12.2"}
# Patch module → the packages whose internals it replaces.
PATCHES: Dict[str, Tuple[str, ...]] = {
    "action_result": ("rasa",),
    "event_types": ("rasa",),
    "worker_sockets": ("sanic",),
}
RASA_SERVER = tuple(PATCHES)
ACTION_SERVER = ("worker_sockets",)


class PatchVersionError(RuntimeError):
    """An installed framework is not the version the patches were written for."""


def _installed(package: str) -> str:
    """The installed version of `package`, or 'not installed'."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def check_versions(names: Iterable[str]) -> None:
    """Raise PatchVersionError unless every package the named patches touch is at its pinned version."""
    for name in names:
        for package in PATCHES[name]:
            found = _installed(package)
            if found != PINNED[package]:
                raise PatchVersionError(
                    f"bot.patches.{name} replaces internals of {package} {PINNED[package]}, but {found} is installed: "
                    f"re-check the patch against that version (tests/bot/patches) and update PINNED, or remove it."
                )


def install(names: Iterable[str] = RASA_SERVER) -> None:
    """Install the named patches (idempotent) after checking the framework versions."""
    names = tuple(names)
    check_versions(names)
    for name in names:
        import_module(f"bot.patches.{name}").install()


def uninstall(names: Iterable[str] = RASA_SERVER) -> None:
    """Restore the frameworks' own code (for tests)."""
    for name in tuple(names):
        import_module(f"bot.patches.{name}").uninstall()
