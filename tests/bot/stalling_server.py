"""Loopback TCP servers that stop answering: a proxy that can stall like a SIGSTOPped process, a full accept queue."""
from __future__ import annotations

import socket
import threading
from typing import List, Optional, Tuple


class StallingProxy:
    """A TCP proxy to `target` that, once stalled, still accepts connections and reads bytes but forwards nothing.

    That is what a database stopped with SIGSTOP looks like from outside: the kernel completes connections and
    acknowledges data, the process never answers. Without a target the proxy is silent from the start.
    """

    def __init__(self, target: Optional[Tuple[str, int]] = None) -> None:
        """Listen on a free loopback port; forwarding while not stalled (never without a target)."""
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        if target is not None:
            self.flowing.set()
        self.sockets: List[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self) -> None:
        """Stop answering: bytes already sent and new ones are held."""
        self.flowing.clear()

    def resume(self) -> None:
        """Answer again: what was held is forwarded (like SIGCONT)."""
        if self.target is not None:
            self.flowing.set()

    def close(self) -> None:
        """Drop every connection and stop listening (so a client stuck for ever finally gets an error)."""
        self.listener.close()
        for sock in list(self.sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self) -> None:
        """Take each connection and pump it both ways (or only read it, when silent)."""
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            upstream = socket.create_connection(self.target) if self.target is not None else None
            if upstream is not None:
                self.sockets.append(upstream)
                threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, source: socket.socket, destination: Optional[socket.socket]) -> None:
        """Copy `source` to `destination` while flowing; hold the bytes while stalled; only read when silent."""
        try:
            while data := source.recv(65536):
                if destination is None:
                    continue
                self.flowing.wait()
                destination.sendall(data)
        except OSError:
            pass


class FullAcceptQueue:
    """A listening port whose accept queue is full, so a new connection is never established (a connect that hangs)."""

    def __init__(self) -> None:
        """Listen with a backlog of zero and fill it with one connection that is never accepted."""
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port: int = self.listener.getsockname()[1]
        self.filler = socket.create_connection(("127.0.0.1", self.port))

    def close(self) -> None:
        """Stop listening."""
        self.filler.close()
        self.listener.close()
