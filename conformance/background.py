"""Run any ASGI app under uvicorn in a background thread on a free loopback port.

    with BackgroundServer(app) as server:
        httpx.get(server.url + "/")

The reference server, the fault proxy, the tests' broken servers and the benchmark's latency proxy
all start this way.
"""

from __future__ import annotations

import socket
import threading
from typing import Any, Self

import uvicorn

KEEP_ALIVE_S = 30  # seconds an idle connection stays open: longer than clients keep theirs


class BackgroundServer:
    """Serves ``app`` until the context exits; extra keyword arguments go to ``uvicorn.Config``."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self.app = app
        self._host, self._port = host, port
        # keep-alive: uvicorn's 5 s equals httpx's keepalive_expiry, so a client could reuse a connection
        # just as the server closes it (a ReadError, seen in CI); the client must be the one to drop it
        self._options = {
            "log_level": "warning", "access_log": False, "lifespan": "off",
            "timeout_keep_alive": KEEP_ALIVE_S, **options,
        }  # fmt: skip
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    def __enter__(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it; without it every answer waits for the client's delayed ACK
        # (~40 ms on Linux): uvicorn sets TCP_NODELAY only on sockets it binds itself
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self._host, self._port))
        self._port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self.app, **self._options))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the server on {self.url} failed to start")
            threading.Event().wait(0.005)
        return self

    def stop(self) -> None:
        """Ask the server to stop without waiting (``join`` waits): stopping many at once is faster."""
        if self._server is not None:
            self._server.should_exit = True

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.join()
