"""Start the action server on the configured host and port (loopback by default): python -m actions.server."""
from __future__ import annotations

import logging
import os


def main() -> None:
    """Run rasa_sdk's action server for this package."""
    from rasa_sdk.endpoint import run

    import bot.patches as patches
    from reissue.logging_setup import configure_logging
    from reissue.settings import get_settings, require_safe_defaults

    settings = get_settings()
    require_safe_defaults(settings)
    configure_logging()
    os.environ.setdefault("SANIC_HOST", settings.host)
    # Rasa's client keeps idle connections for 15 s; a server that closes them sooner (Sanic's default is
    # 5 s) races with a request reusing one ("Cannot write to closing transport"), so the server waits longer.
    os.environ["SANIC_KEEP_ALIVE_TIMEOUT"] = str(settings.action_keep_alive_s)
    patches.install(patches.ACTION_SERVER)  # several workers: each gets its share of Rasa's connections
    logging.getLogger(__name__).info("action server on %s:%s", os.environ["SANIC_HOST"], settings.action_port)
    run("actions", port=settings.action_port, cors_origins=None, auto_reload=False)


if __name__ == "__main__":
    main()
