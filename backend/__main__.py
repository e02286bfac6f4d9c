"""Run the backend with uvicorn on the configured host and port: `python -m backend`."""
from __future__ import annotations

import uvicorn

from backend.app import create_app
from bot.settings import get_settings


def main() -> None:
    """Build the app from the environment and serve it until interrupted."""
    settings = get_settings()
    # ws="none": the backend has no WebSocket routes, and rasa pins a websockets version uvicorn cannot use.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.backend_port, log_level="info", ws="none")


if __name__ == "__main__":
    main()
