"""Connection hygiene for the reference server under uvicorn (issue 19).

uvicorn closes an idle connection only between requests: one that never sends a request, or
sends its head a byte at a time, stays open for ever, and 1,100 of them used up a 1,024-file
limit, locking every other client out while asyncio logged a traceback per refused accept. So:

- a request's head (request line and headers) must arrive within ``REQUEST_HEAD_S`` of the
  connection opening or of the previous answer, else the connection is closed;
- at most ``max_connections`` are open at once (by default ``MAX_CONNECTIONS``, fewer when the
  process's file limit is lower): one more is closed as soon as it is accepted, which frees its
  file at once, so the limit of files is never reached;
- a request body must arrive within ``BODY_S`` (the endpoint's ``read_body``);
- when files run out all the same (a burst is accepted before the closing frees them), asyncio
  stops accepting for a second and would log a traceback each time: ``quiet_accept_errors``
  makes that one line, at most every ``ACCEPT_LOG_S`` seconds, counting the refusals between.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import time
from collections.abc import AsyncIterator
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_HEAD_S = 10.0
BODY_S = 30.0
MAX_CONNECTIONS = 1000
RESERVED_FILES = 64  # for the database, logs and the listening socket
ACCEPT_LOG_S = 10.0
_OUT_OF_FILES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
log = logging.getLogger("conformance.server")


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Log running out of files while accepting as one line now and then, not a traceback each time."""
    last, refused = [float("-inf")], [0]

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, ValueError) and "_start_serving" in repr(context.get("handle")):
            return  # the retry after such a pause, due as the server stops: its socket is closed
        if not (isinstance(exc, OSError) and exc.errno in _OUT_OF_FILES):
            loop.default_exception_handler(context)
            return
        refused[0] += 1
        now = time.monotonic()
        if now - last[0] >= ACCEPT_LOG_S:
            log.warning(
                "out of files (%s): not accepting for a second; %d such pause(s)", exc.strerror, refused[0]
            )
            last[0], refused[0] = now, 0

    loop.set_exception_handler(handler)


def connection_cap(wanted: int = MAX_CONNECTIONS) -> int:
    """``wanted``, or fewer when the process may not open that many files besides its own."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return wanted if soft == resource.RLIM_INFINITY else max(1, min(wanted, soft - RESERVED_FILES))


def guarded_protocol(head_timeout: float, max_connections: int) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a deadline for each request head and a cap on connections."""

    class GuardedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self.transport.close()  # before any byte is read: the file goes back at once
                return
            self._arm(head_timeout)

        def _arm(self, seconds: float) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._expire, self.cycle)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self, waiting_for: object) -> None:
            if self.cycle is waiting_for and not self.transport.is_closing():  # no new request began
                self.transport.close()

        def handle_events(self) -> None:
            before = self.cycle
            super().handle_events()
            if self.cycle is not before:  # a request's head arrived
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                # the next head may wait as long as an idle keep-alive connection may, not longer
                self._arm(max(head_timeout, self.timeout_keep_alive))

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return GuardedH11Protocol


async def read_body(chunks: AsyncIterator[bytes], limit: int, timeout: float = BODY_S) -> bytes | None:
    """The body from ``chunks``, or None when it is larger than ``limit`` (read no further);
    TimeoutError when it does not arrive within ``timeout`` seconds."""
    parts, size = [], 0
    async with asyncio.timeout(timeout):
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                return None
            parts.append(chunk)
    return b"".join(parts)
