"""The patch boundary: nothing is patched at import or by building a channel; install() checks the versions."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot import patches

ROOT = Path(__file__).resolve().parents[3]


def test_install_refuses_another_framework_version(monkeypatch) -> None:
    monkeypatch.setattr(patches, "_installed", lambda package: "9.9.9" if package == "sanic" else patches.PINNED[package])
    with pytest.raises(patches.PatchVersionError, match=r"worker_sockets.*sanic 21\.12\.2.*9\.9\.9"):
        patches.install(["worker_sockets"])
    patches.check_versions(["action_result", "event_types"])  # rasa itself is still the pinned one


def test_the_pins_are_the_installed_and_required_versions() -> None:
    required = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    for package, pinned in patches.PINNED.items():
        assert f"{package}=={pinned}" in required
        assert patches._installed(package) == pinned
    assert set(patches.RASA_SERVER) == set(patches.PATCHES) and set(patches.ACTION_SERVER) <= set(patches.PATCHES)


def test_channels_and_imports_patch_nothing(tmp_path) -> None:
    """Building the REST and WeChat channels (as Rasa does) leaves Rasa's and Sanic's own code in place."""
    probe = textwrap.dedent(
        """
        from rasa.core.actions.action import RemoteAction
        from rasa.shared.core.events import Event
        from sanic.server import runners
        before = (RemoteAction._validate_action_result, Event.__dict__["resolve_by_type"], runners.serve)
        import bot.patches, bot.nlu.diet
        from bot.channels.rest import RestInput
        from bot.channels.wechat import WeChatInput
        RestInput.from_credentials({})
        WeChatInput.from_credentials({})
        after = (RemoteAction._validate_action_result, Event.__dict__["resolve_by_type"], runners.serve)
        assert before == after, "a channel or an import patched the framework"
        bot.patches.install()
        assert RemoteAction._validate_action_result is not before[0] and runners.serve is not before[2]
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.stdout.strip().endswith("ok"), result.stderr[-2000:]
