"""SIGTERM handled as Ctrl-C, for the pytest session (conformance.pytest.session) and the parent of
worker processes (runner.workers): a run told to stop tears down as on Ctrl-C, so what it created
on the target is still removed."""

from __future__ import annotations

import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def signals_as_interrupt(first: Callable[[], None] = lambda: None) -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, so that pytest tears the session down (and the target is swept)
    as on Ctrl-C; once: a second SIGTERM or Ctrl-C is ignored, so that the clean-up is not cut short.
    Neither is lost when it lands where Python drops exceptions (see _resent_if_lost). ``first`` runs
    when the first of them comes, before anything is torn down."""
    noticed = []

    def notice() -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        if not noticed:
            noticed.append(True)
            first()

    def terminate(signum: int, frame: types.FrameType | None) -> None:
        notice()
        raise _resent_if_lost(KeyboardInterrupt(), signal.SIGTERM, terminate)

    def interrupt(signum: int, frame: types.FrameType | None) -> None:
        notice()
        raise _resent_if_lost(KeyboardInterrupt(), signal.SIGINT, interrupt)

    if threading.current_thread() is not threading.main_thread():  # only the main thread gets signals
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum, handler in
                ((signal.SIGTERM, terminate), (signal.SIGINT, interrupt))}  # fmt: skip
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def interrupts_ignored() -> Iterator[None]:
    """Ctrl-C and SIGTERM ignored (in the main thread, the only one signals reach), for a clean-up
    that must not be cut short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _resent_if_lost(
    interrupt: BaseException, signum: int, handler: Callable[[int, types.FrameType | None], None]
) -> BaseException:
    """``interrupt``, watched: raised in a garbage-collector callback (Hypothesis keeps one), a weakref
    finalizer or a ``__del__``, Python cannot pass it on, hands it to sys.unraisablehook and drops
    it. There it is taken back: ``handler`` is put back and the signal sent again, to be raised once
    that code has returned."""
    passed_on = sys.unraisablehook

    def taken_back(unraisable: sys.UnraisableHookArgs) -> None:
        if unraisable.exc_value is not interrupt:
            passed_on(unraisable)
            return
        sys.unraisablehook = passed_on
        taken = threading.Event()

        def again(signum: int, frame: types.FrameType | None) -> None:
            taken.set()
            handler(signum, frame)

        signal.signal(signum, again)
        threading.Thread(target=_resend, args=(signum, again, taken), daemon=True).start()

    sys.unraisablehook = taken_back
    return interrupt


def _resend(
    signum: int, handler: Callable[[int, types.FrameType | None], None], taken: threading.Event
) -> None:
    """Send ``signum`` to the main thread every 50 ms until ``handler`` has taken it (from this thread:
    sent from the hook, the handler would run, and be lost, in the hook). Once is not always enough: a
    signal that arrives while the main thread is still finishing the collection that dropped the
    interrupt was now and then not taken until the main thread's next sleep had run its course.
    Stops too when the handler is no longer ``signum``'s (the run's signal handling has ended)."""
    main = threading.main_thread()
    while not taken.wait(0.05) and main.is_alive() and signal.getsignal(signum) is handler:
        signal.pthread_kill(main.ident, signum)  # type: ignore[arg-type]
