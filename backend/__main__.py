"""Run the backend with uvicorn on the configured host and port: `python -m backend`."""
from __future__ import annotations

import logging

import uvicorn

from backend.app import create_app
from reissue.settings import get_settings


class DropQueryStrings(logging.Filter):
    """Remove query strings from access-log lines (a staff search may carry a full ID number)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the path argument of uvicorn's access record; always keep the record."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = args[:2] + (args[2].split("?", 1)[0],) + args[3:]
        return True


def main() -> None:
    """Build the app from the environment and serve it until interrupted."""
    settings = get_settings()
    logging.getLogger("uvicorn.access").addFilter(DropQueryStrings())
    # ws="none": the backend has no WebSocket routes, and rasa pins a websockets version uvicorn cannot use.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.backend_port, log_level="info", ws="none")


if __name__ == "__main__":
    main()
