"""conformance.background: an idle connection outlives what clients keep theirs (httpx: 5 s), so a
client never reuses one the server is closing."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx

from conformance.background import BackgroundServer


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"hi"})


def _answer(conn: socket.socket) -> bytes:
    """Send a GET on the open connection and read its answer (empty: the server had closed it)."""
    conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    received = b""
    while not received.endswith(b"\r\n\r\nhi") and (chunk := conn.recv(4096)):
        received += chunk
    return received


def test_an_idle_connection_outlives_the_clients_keepalive_expiry() -> None:
    expiry = httpx.Limits().keepalive_expiry
    assert expiry is not None
    with BackgroundServer(hello) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            assert _answer(conn).startswith(b"HTTP/1.1 200")
            time.sleep(expiry + 1)  # idle past the client's expiry: still open, still answering
            assert _answer(conn).startswith(b"HTTP/1.1 200")
