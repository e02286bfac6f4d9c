"""The README stays true: every setting the code reads is documented, and the two commands are first."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_setting_is_in_the_readme() -> None:
    """Each variable reissue/settings.py reads appears in the README's settings table."""
    settings = (ROOT / "reissue" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'_(?:env|int|float)\("([A-Z0-9_]+)"', settings))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert names, "no settings found"
    assert sorted(name for name in names if name not in readme) == []


def test_quick_start_is_make_run_and_make_test() -> None:
    """The quick start is exactly the two commands, and both are Makefile targets."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quick.splitlines() if line.strip() and not line.startswith("bash")]
    assert commands == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
