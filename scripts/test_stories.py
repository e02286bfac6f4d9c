"""Run the test stories against the trained model and fail on any prediction error."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """`rasa test core --fail-on-prediction-errors` with results in a temporary folder."""
    rasa = str(Path(sys.executable).with_name("rasa"))
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            [rasa, "test", "core", "--model", "models/reissue.tar.gz", "--stories", "tests/stories",
             "--fail-on-prediction-errors", "--out", out, "--quiet"],
            cwd=ROOT, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        )
        failed = Path(out) / "failed_test_stories.yml"
        if result.returncode != 0 and failed.exists():
            print(failed.read_text(encoding="utf-8"))
    print("test stories: " + ("passed" if result.returncode == 0 else "FAILED"))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
