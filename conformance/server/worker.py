"""One thread that runs blocking work for the event loop, one job after another.

    worker = SerialWorker("conformance-db")
    result = await worker.run(work, arg)     # work(arg) on the worker's thread

The reference server's database work comes here when it must wait for the database, off the
event loop (``Database.run``). Transactions run one at a time anyway, so one thread is enough, and
it takes a job with one queue put and one loop wake-up, where a thread pool pays for futures,
locks and waiters (measured: ~40 against ~95 µs of CPU per hand-off). The thread ends when its
``SerialWorker`` is garbage-collected.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_Job = tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Callable[..., Any], tuple[Any, ...]]


class SerialWorker:
    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        threading.Thread(target=_serve, args=(self._jobs,), name=name, daemon=True).start()
        # None tells the thread to end; the finalizer holds the queue, not the worker
        weakref.finalize(self, self._jobs.put, None)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` on the worker's thread; its result, or its exception raised here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, work, args))
        return await future


def _serve(jobs: queue.SimpleQueue[_Job | None]) -> None:
    while (job := jobs.get()) is not None:
        _run_one(*job)
        del job  # keep no request's objects alive while waiting for the next


def _run_one(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], work: Callable[..., Any], args: Any
) -> None:
    try:
        deliver, value = _set_result, work(*args)
    except BaseException as exc:  # handed to the awaiting coroutine, which decides
        deliver, value = _set_exception, exc
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for this result any more
        loop.call_soon_threadsafe(deliver, future, value)


def _set_result(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():  # the waiting coroutine may have been cancelled
        future.set_result(value)


def _set_exception(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
