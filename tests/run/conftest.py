"""Targets for running ``conformance run`` as a real subprocess: the reference server (behind the
broken-server proxy of tests/cases/broken.py where a test breaks answers on purpose), and a server
that stops answering mid-run."""

from __future__ import annotations

import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.server import ReferenceServer
from tests.cases.broken import Upstream

CONFORMANCE = Path(sys.executable).with_name("conformance")


def conformance(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``conformance ARGS`` as a user runs it, from ``cwd`` (never the checkout's root)."""
    return subprocess.run([str(CONFORMANCE), *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    with ReferenceServer(seed_data=True) as server:
        yield Upstream(server.url, server.token)


class _AnswersOnlyGet(socketserver.BaseRequestHandler):
    """Answers a GET; drops any other request without a word, as a server that crashed would."""

    def handle(self) -> None:
        if self.request.recv(65536).startswith(b"GET "):
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.fixture
def vanishing_target() -> Iterator[str]:
    """A target that is reachable at first (GET) and then stops answering (every POST)."""
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _AnswersOnlyGet) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()
