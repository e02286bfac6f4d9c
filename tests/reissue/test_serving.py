"""serve_until_stopped: a server process ends cleanly (exit 0, socket closed) on SIGTERM."""
from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = """
import sys
from http.server import HTTPServer, SimpleHTTPRequestHandler
from reissue.serving import serve_until_stopped
server = HTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
print(server.server_address[1], flush=True)
sys.exit(serve_until_stopped(server))
"""


def test_sigterm_stops_the_server_cleanly() -> None:
    """The server answers, then SIGTERM ends it with exit code 0."""
    process = subprocess.Popen([sys.executable, "-c", PROGRAM], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
