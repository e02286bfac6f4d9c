"""Running a stdlib HTTP server until SIGTERM or Ctrl-C (the web page and the lookup service share it)."""
from __future__ import annotations

import signal
import threading
from http.server import HTTPServer


def serve_until_stopped(server: HTTPServer) -> int:
    """Serve until SIGTERM or Ctrl-C, then close the socket; returns the exit code 0."""
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
