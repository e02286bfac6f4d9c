"""Train the Rasa model only when its inputs changed; bust Rasa's cache when the dictionaries changed.

Rasa restores JiebaTokenizer (and our spaCy component) from .rasa/cache without noticing a changed
dictionary or lexicon, so their hash is tracked separately and the cache is dropped when it changes.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "reissue.tar.gz"
STAMP = ROOT / "models" / "reissue.inputs.sha256"
DICT_STAMP = ROOT / "models" / "reissue.dictionaries.sha256"
MODEL_INPUTS = ("config.yml", "domain.yml", "data", "reissue/knowledge", "reissue/lexicon", "bot/nlu", "bot/build",
                "reissue/parsing/text.py")
DICTIONARY_INPUTS = ("reissue/lexicon", "bot/build", "bot/nlu")


def digest(paths: Iterable[str]) -> str:
    """SHA-256 over the names and contents of every file under `paths`."""
    sha = hashlib.sha256()
    for rel in paths:
        base = ROOT / rel
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for path in files:
            if "__pycache__" in path.parts:
                continue
            sha.update(str(path.relative_to(ROOT)).encode())
            sha.update(path.read_bytes())
    return sha.hexdigest()


def run(*args: str) -> None:
    """Run a command of the project's venv from the project root, failing loudly."""
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True)


def main() -> int:
    """Regenerate the generated inputs and train when needed."""
    run("-m", "bot.build.render_responses")
    run("-m", "bot.build.jieba_dict")
    inputs = digest(MODEL_INPUTS)
    if MODEL.exists() and STAMP.exists() and STAMP.read_text() == inputs and "--force" not in sys.argv:
        print("==> model is up to date (models/reissue.tar.gz)")
        return 0
    dictionaries = digest(DICTIONARY_INPUTS)
    if not DICT_STAMP.exists() or DICT_STAMP.read_text() != dictionaries:
        print("==> dictionaries or lexicon changed: clearing the Rasa training cache")
        shutil.rmtree(ROOT / ".rasa" / "cache", ignore_errors=True)
    print("==> training the Rasa model (about 3-4 minutes from cold, under a minute when cached)")
    started = time.monotonic()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run(
        [str(Path(sys.executable).with_name("rasa")), "train", "--fixed-model-name", "reissue", "--out", "models"],
        cwd=ROOT, check=True, env=env,
    )
    STAMP.write_text(inputs)
    DICT_STAMP.write_text(dictionaries)
    print(f"==> trained in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
