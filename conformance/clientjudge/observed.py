"""What a client sent: each request as the reference server received it, and :class:`Observer`, the
ASGI wrapper that hands a copy of every request to the judge while the server answers it as always.

The wrapper tees the body as the server reads it (nothing is buffered ahead of the server, whose own
size and time limits stay in force) and keeps at most ``MAX_KEPT`` bytes of it; the request is
handed on once the server has answered it, before the answer's last byte is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

MAX_KEPT = 2 * 1024 * 1024 + 1  # the reference server refuses a ProcessQuery body larger than 2 MB


@dataclass(frozen=True)
class Observed:
    """One request: header names in lower case; secrets included, so never written as they are."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int = 0  # the reference server's answer

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


class Observer:
    """ASGI app: ``app`` answers every request; ``seen`` gets each HTTP request once answered (on a
    worker thread, so that judging a large request keeps no other client waiting)."""

    def __init__(self, app: Any, seen: Callable[[Observed], None]) -> None:
        self.app = app
        self.seen = seen

    @property
    def state(self) -> Any:  # ReferenceServer reads the app's state (its token)
        return self.app.state

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        kept = 0
        status = 0
        ended = False

        async def tee() -> dict:
            nonlocal kept, ended
            message = await receive()
            ended = message["type"] != "http.request" or not message.get("more_body", False)
            if message["type"] == "http.request" and kept < MAX_KEPT:
                chunk = message.get("body", b"")[: MAX_KEPT - kept]
                chunks.append(chunk)
                kept += len(chunk)
            return message

        async def answer(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                while not ended and kept < MAX_KEPT:  # a request refused unread (401) is judged too
                    await tee()
                # judged before the answer's last byte leaves: a client that has its answer (and a
                # client process that has ended) has been judged in full
                await anyio.to_thread.run_sync(self.seen, self._observed(scope, chunks, status))
            await send(message)

        await self.app(scope, tee, answer)

    @staticmethod
    def _observed(scope: dict, chunks: list[bytes], status: int) -> Observed:
        return Observed(
            scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"),
            tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]),
            b"".join(chunks), status,
        )  # fmt: skip
