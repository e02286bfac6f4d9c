"""A loopback TCP proxy in front of a real server (PostgreSQL, Redis) that can be frozen.

Frozen, it still accepts connections and takes the bytes clients send, but forwards nothing either way: what a
server stopped with SIGSTOP looks like to its clients (the kernel completes connections and acknowledges data, the
process never answers). Thawed, it forwards what it held and carries on, like SIGCONT. The server itself, shared
with other tests, is never touched.
"""
from __future__ import annotations

import socket
import threading
from typing import List, Optional, Tuple

CHUNK = 65536


class FreezingProxy:
    """Forward 127.0.0.1:`port` to `target` until frozen; `thaw` lets everything held through."""

    def __init__(self, target: Tuple[str, int]) -> None:
        """Listen on a free loopback port and start forwarding."""
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self.listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._sockets: List[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, name=f"freezing-proxy-{self.port}", daemon=True).start()

    @property
    def frozen(self) -> bool:
        """True while nothing is forwarded."""
        return not self._flowing.is_set()

    def freeze(self) -> None:
        """Stop forwarding: open connections hang, new ones are accepted and hang too."""
        self._flowing.clear()

    def thaw(self) -> None:
        """Forward again, what was held first."""
        self._flowing.set()

    def close(self) -> None:
        """Stop listening and drop every connection (a client stuck on one then gets an error)."""
        self._closed = True
        self._flowing.set()
        self.listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _close(sock)

    def _keep(self, sock: socket.socket) -> None:
        """Remember a socket to drop at close."""
        with self._lock:
            self._sockets.append(sock)

    def _accept(self) -> None:
        """Take each connection at once, whether frozen or not."""
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self._keep(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        """Open the upstream connection once not frozen (the server sees nothing before), then pump both ways."""
        self._flowing.wait()
        try:
            upstream = socket.create_connection(self.target, timeout=10)
            upstream.settimeout(None)
        except OSError:
            _close(client)
            return
        self._keep(upstream)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, source: socket.socket, destination: socket.socket) -> None:
        """Copy bytes from source to destination, holding each chunk while frozen; close both at the end."""
        try:
            while True:
                data: Optional[bytes] = source.recv(CHUNK)
                if not data:
                    destination.shutdown(socket.SHUT_WR)
                    return
                self._flowing.wait()
                if self._closed:
                    return
                destination.sendall(data)
        except OSError:
            _close(source)
            _close(destination)


def _close(sock: socket.socket) -> None:
    """Shut a socket down both ways and close it, ignoring a socket already gone."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
