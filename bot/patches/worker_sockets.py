"""One listening socket per Sanic worker (SO_REUSEPORT), so the kernel spreads connections over the workers.

With several workers, Sanic 21.12 binds one socket in the parent and every forked worker accepts from it.
The first worker to wake accepts every pending connection at once, so a burst of keep-alive connections
(a proxy, the portal's gateway, the benchmark's 20 users) can land on one worker while the other idles:
measured here, one of two Rasa workers did all the work of a 400-message run. With this installed (by
`bot.patches.install`, in the process that starts the workers, never at import), the parent only reserves the port
and each worker listens on its own SO_REUSEPORT socket; Linux hashes each new connection to one of them.
One worker (`serve_single`) is untouched.
"""
from __future__ import annotations

import logging
import socket
from typing import Any, Callable, Dict

logger = logging.getLogger(__name__)
_originals: Dict[str, Callable[..., Any]] = {}


def reserve_port(host: str, port: int, *, backlog: int = 100) -> socket.socket:
    """The parent's socket: bound with SO_REUSEPORT (so workers can bind beside it) but not listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def own_listener(shared: socket.socket, backlog: int) -> socket.socket:
    """A worker's listening socket on the shared socket's address, in the kernel's SO_REUSEPORT group."""
    sock = socket.socket(shared.family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(shared.getsockname()[:2])
    sock.listen(backlog)
    return sock


def serve_on_own_socket(**settings: Any) -> Any:
    """Sanic's `serve` for one worker of several: on its own listening socket instead of the shared one."""
    shared = settings.get("sock")
    if settings.get("run_multiple") and isinstance(shared, socket.socket) and shared.family != socket.AF_UNIX:
        settings["sock"] = own_listener(shared, settings.get("backlog") or 100)
        shared.close()  # this worker's inherited copy only
    return _originals["serve"](**settings)


def install() -> None:
    """Give each Sanic worker its own SO_REUSEPORT socket from now on (idempotent; no-op where unsupported)."""
    if not hasattr(socket, "SO_REUSEPORT"):
        return
    from sanic.server import runners

    if "serve" not in _originals:
        _originals["serve"], _originals["bind_socket"] = runners.serve, runners.bind_socket
        runners.serve, runners.bind_socket = serve_on_own_socket, reserve_port
        logger.debug("Sanic workers listen on their own SO_REUSEPORT sockets")


def uninstall() -> None:
    """Restore Sanic's shared socket (for tests)."""
    if "serve" in _originals:
        from sanic.server import runners

        runners.serve, runners.bind_socket = _originals.pop("serve"), _originals.pop("bind_socket")
