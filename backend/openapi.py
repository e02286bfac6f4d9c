"""Print the OpenAPI document of the app: `python -m backend.openapi > docs/openapi.json`."""
from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from backend.app import create_app
from reissue.settings import get_settings


def document() -> dict:
    """The OpenAPI document, built from an app on a throw-away SQLite database."""
    with tempfile.TemporaryDirectory() as folder:
        settings = replace(get_settings(), database_url=f"sqlite:///{Path(folder) / 'openapi.sqlite'}",
                           upload_dir=Path(folder) / "uploads")
        app = create_app(settings)
        schema = app.openapi()
        app.state.engine.dispose()
    return schema


def main() -> None:
    """Write the document to stdout as stable, readable JSON."""
    sys.stdout.write(json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=False) + "\n")


if __name__ == "__main__":
    main()
