"""Independent calls sent at once (issue 23: one after another, each was a round trip of its own).

Each runs in a thread of its own, no more threads than the target's ``max_concurrency``, under the
calling thread's case deadline (a deadline is a thread's own: a thread started without it would wait
for a slow target as long as ``read_timeout`` allows every request).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from conformance.drive.target import Target

T = TypeVar("T")


def at_once(target: Target, calls: Sequence[Callable[[], T]]) -> list[T]:
    """The calls' results in their order; the first call's exception, if any, is raised after all ended."""
    left = target.time_left()

    def run(call: Callable[[], T]) -> T:
        with target.case_deadline(left):
            return call()

    if len(calls) < 2:  # nothing to overlap
        return [call() for call in calls]
    threads = min(target.connection.max_concurrency, len(calls))
    with ThreadPoolExecutor(threads, thread_name_prefix="at-once") as pool:
        return list(pool.map(run, calls))
