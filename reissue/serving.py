"""Running until SIGTERM or Ctrl-C: a stdlib HTTP server (the web page, the lookup) or a periodic job (retention)."""
from __future__ import annotations

import signal
import threading
from http.server import HTTPServer
from typing import Callable

RETRY_S = 60.0  # after a failed pass (a database down), a periodic job tries again this soon


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


def run_every(interval_s: float, stop: threading.Event, work: Callable[[], bool], retry_s: float = RETRY_S) -> int:
    """Call `work` every `interval_s` seconds until `stop` is set, sooner (`retry_s`) after a pass that returned
    False; return how many passes were made."""
    passes = 0
    while not stop.is_set():
        passes += 1
        stop.wait(interval_s if work() else min(interval_s, retry_s))
    return passes


def run_until_signalled(interval_s: float, work: Callable[[], bool]) -> int:
    """`run_every` until SIGINT or SIGTERM; returns the exit code 0."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run_every(interval_s, stop, work)
    return 0
