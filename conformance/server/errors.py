"""What the server logs of a failure it did not expect (the catch-all), bounded.

A request that reaches the catch-all is the server's bug, but a client can repeat it at will:
a full traceback each time (170 KB for a deep recursion) let a client grow the log without
bound. So each distinct failure (its type and where it was raised) is logged once, with the
innermost frames only and its message cut; repeats are counted, and summed up in one line at
most once a minute; at most ``MAX_DISTINCT`` distinct failures are logged a minute.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

MESSAGE_CHARS = 300  # of the exception's message: it may quote the client's input
TRACE_FRAMES = 6  # the innermost frames
MAX_DISTINCT = 20  # distinct failures logged per minute
WINDOW_S = 60.0


def _key(exc: BaseException) -> tuple[str, str, int]:
    frames = traceback.extract_tb(exc.__traceback__)
    where = frames[-1] if frames else None
    return type(exc).__name__, where.filename if where else "", where.lineno or 0 if where else 0


def short_trace(exc: BaseException) -> str:
    """The exception's innermost frames and its message, cut: a few hundred bytes, not a whole stack."""
    message = str(exc)
    if len(message) > MESSAGE_CHARS:
        message = f"{message[:MESSAGE_CHARS]}… ({len(message)} characters)"
    frames = traceback.format_list(traceback.extract_tb(exc.__traceback__)[-TRACE_FRAMES:])
    return "".join(frames) + f"{type(exc).__name__}: {message}"


@dataclass
class FailureLog:
    """Logs unexpected failures to ``logger``, each distinct one once (see the module)."""

    logger: logging.Logger
    clock: Callable[[], float] = time.monotonic
    _seen: dict[tuple[str, str, int], int] = field(default_factory=dict)  # repeats since last said
    _window_start: float = 0.0
    _logged_in_window: int = 0
    _suppressed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, exc: BaseException, what: str) -> None:
        key = _key(exc)
        with self._lock:
            now = self.clock()
            if now - self._window_start >= WINDOW_S:
                self._summarize()
                self._window_start, self._logged_in_window = now, 0
            if key in self._seen:
                self._seen[key] += 1
                return
            if self._logged_in_window >= MAX_DISTINCT or len(self._seen) >= 50 * MAX_DISTINCT:
                self._suppressed += 1
                return
            self._seen[key] = 0
            self._logged_in_window += 1
        self.logger.error("%s failed unexpectedly (logged once):\n%s", what[:120], short_trace(exc))

    def _summarize(self) -> None:
        repeats = sum(self._seen.values())
        if repeats or self._suppressed:
            self.logger.error(
                "unexpected failures since the last summary: %d repeats of ones logged, %d others not logged",
                repeats, self._suppressed,
            )  # fmt: skip
        self._seen = dict.fromkeys(self._seen, 0)
        self._suppressed = 0


# the server's one log of unexpected failures: ProcessQuery's catch-all and any other endpoint's
FAILURES = FailureLog(logging.getLogger("conformance.server"))
