"""Runs the page's pure JavaScript unit tests (web/src/lib/__tests__) with Node's built-in runner."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"


def test_js_lib_unit_tests_pass() -> None:
    """linkify, the Rasa and backend helpers and the storage helpers behave (node --test)."""
    node = shutil.which("node")
    assert node, "Node.js is required to build the chat page"
    done = subprocess.run(
        [node, "--test", "src/lib/__tests__/"], cwd=WEB, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout
    passed = int(done.stdout.split("# pass ", 1)[1].split()[0])
    assert passed >= 30
