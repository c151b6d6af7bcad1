"""The embedded reference server: a conforming target for the suite and a model for implementers.

with ReferenceServer() as server:          # in-process, on a free loopback port
    httpx.get(server.url + "/api/Tasks/Calendar", headers=server.auth_headers, ...)
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from pathlib import Path

import uvicorn

from conformance.server.app import create_app

__all__ = ["ReferenceServer", "create_app"]


class ReferenceServer:
    """Runs the reference app under uvicorn in a background thread until the context exits."""

    def __init__(
        self, db_path: Path | None = None, *, token: str | None = None,
        basic: Mapping[str, str] | None = None, cookies: Mapping[str, str] | None = None,
        seed_data: bool = False, host: str = "127.0.0.1", port: int = 0,
    ) -> None:  # fmt: skip
        """The arguments of ``create_app`` (authentication modes: ``conformance.server.auth``)."""
        self.app = create_app(db_path, token=token, basic=basic, cookies=cookies, seed_data=seed_data)
        self._host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def token(self) -> str:
        """User 1's bearer token (given, or generated at start-up)."""
        return self.app.state.token

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def __enter__(self) -> ReferenceServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it; without it every answer waits for the client's delayed ACK
        # (~40 ms on Linux): uvicorn sets TCP_NODELAY only on sockets it binds itself
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self._host, self._port))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("reference server failed to start")
            threading.Event().wait(0.005)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"
