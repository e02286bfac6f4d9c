"""Sanic workers on their own SO_REUSEPORT sockets: a burst of keep-alive connections reaches every worker."""
from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import textwrap
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.patches.worker_sockets import own_listener, reserve_port

ROOT = Path(__file__).resolve().parents[3]
APP = textwrap.dedent(
    """
    import os, sys, time
    from sanic import Sanic, response
    from bot.patches.worker_sockets import install as install_worker_sockets
    if sys.argv[2] == "own":
        install_worker_sockets()
    app = Sanic("pid_app")

    @app.get("/")
    async def pid(request):
        end = time.perf_counter() + 0.01  # 10 ms of CPU, like a Rasa turn
        while time.perf_counter() < end:
            pass
        return response.text(str(os.getpid()))

    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=2, access_log=False, motd=False)
    """
)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_of_each_connection(port: int, connections: int) -> Counter:
    """Connect `connections` keep-alive clients in one burst, then send 3 requests on each: which pid served each.

    The connections are all established before any request, as when a proxy or 20 users' sessions
    connect at once: they wait in the kernel's queue and a waking worker may accept them all.
    """
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(connections)]
    for client in clients:
        client.connect()

    def one(client: http.client.HTTPConnection) -> str:
        """Three requests on one connection; the pid that served them."""
        pids = set()
        for _ in range(3):
            client.request("GET", "/")
            pids.add(client.getresponse().read().decode())
        client.close()
        assert len(pids) == 1  # a connection stays with its worker
        return pids.pop()

    with ThreadPoolExecutor(connections) as pool:
        return Counter(pool.map(one, clients))


def test_reserved_port_and_worker_sockets_share_the_address() -> None:
    """The parent's reservation does not listen; two worker sockets bind beside it and listen."""
    reserved = reserve_port("127.0.0.1", 0)
    try:
        first, second = own_listener(reserved, 10), own_listener(reserved, 10)
        assert first.getsockname() == second.getsockname() == reserved.getsockname()
        assert listening_sockets(reserved.getsockname()[1]) == 2
        socket.create_connection(first.getsockname(), timeout=2).close()
        first.close()
        second.close()
    finally:
        reserved.close()


def listening_sockets(port: int) -> int:
    """How many sockets listen on 127.0.0.1:`port` (distinct inodes in state LISTEN, from /proc/net/tcp)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":
            inodes.add(fields[9])
    return len(inodes)


@pytest.mark.parametrize("mode, listeners", [("own", 2), ("shared", 1)])
def test_each_worker_listens_on_its_own_socket_and_gets_connections(mode: str, listeners: int) -> None:
    """Installed: two listening sockets, and 24 connections made in one burst reach both workers (≥ 4 each).

    Sanic's own way ("shared", the control) has one socket for both workers.
    """
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", APP, str(port), mode], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)  # both workers up
        sockets = listening_sockets(port)
        served = worker_of_each_connection(port, 24)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert sockets == listeners
    if mode == "own":
        assert len(served) == 2 and min(served.values()) >= 4, served
