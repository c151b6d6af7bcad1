"""A lifecycle state machine's examples, run in parallel lanes.

A lifecycle machine chains what steps it can into one request (conformance.drive.chain), but a step
that needs a server-made id waits for the answer: against a target 50 ms away, a machine's hundreds
of steps are still seconds of waiting. Lanes are
independent machines sharing their site verdicts (conformance.judge.sites); each has its own seed
(derived from the run's), its own objects, named apart, and reads only those, so no lane disturbs
another's model. They run in threads, as many at once as the target's concurrency cap allows
(``Connection.max_concurrency``), so their round trips overlap. The number of lanes follows the
examples alone, never the cap: a lane's seed and share decide its draws, so with fewer threads
(``--max-concurrency``, a worker's share of it) the same seed would otherwise draw other examples.

The lanes share the profile's examples (10 in 4 lanes: 3, 3, 2, 2). Every Hypothesis run starts
with its simplest example (every draw its simplest value), the same program in every lane: only
lane 0 runs it; the other lanes reject an example whose first draw, a token of the lane's own, is
its simplest value (Hypothesis then draws another), so 10 examples are, in one lane as in 4, the
simplest one and 9 drawn ones. Running it in each lane left 6 drawn ones and skipped several
sites' cases on most seeds.

Ctrl-C (and SIGTERM, which the plugin turns into one) stops every lane after its current step,
and each still runs its teardown, removing what it made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from hypothesis import Phase, reject, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    run_state_machine_as_test,
)

from conformance.model.seeding import same_draws

MAX_LANES = 4  # past this a lifecycle is no longer the longest case of a run


class LaneStopped(Exception):
    """The run was interrupted: the lane ends its example (teardown runs) and runs no more."""


def examples_of(lane: int, lanes: int, examples: int) -> int:
    """Lane ``lane``'s share of ``examples`` (the first lanes take the remainder)."""
    return examples // lanes + (lane < examples % lanes)


def run_lanes(
    machine: Callable[[int], type[RuleBasedStateMachine]], *, concurrency: int, run_seed: int,
    profile: settings, steps: int,
) -> Exception | None:  # fmt: skip
    """Run ``machine(lane)`` in MAX_LANES lanes (at most one an example), sharing ``profile``'s
    examples, in as many threads at once as ``concurrency`` allows; returns why the run stopped
    early (the first lane's exception, in lane order: its kind says whose fault it was), or None."""
    lanes = max(1, min(MAX_LANES, profile.max_examples))
    stop = threading.Event()
    errors: list[Exception | None] = [None] * lanes
    # the lanes that began, each with its end: on Ctrl-C, what the main thread waits for. Not the
    # pool's futures: Ctrl-C can land inside submit(), after a lane's thread started but before the
    # pool (or our list) knew of it, and that lane went on after run_lanes had ended
    gate, ends = threading.Lock(), dict[int, threading.Event]()

    def one(lane: int) -> None:
        with gate:
            if stop.is_set():  # interrupted before this lane had a thread
                return
            ended = ends[lane] = threading.Event()
        try:
            _run(lane)
        finally:
            ended.set()

    def _run(lane: int) -> None:
        class Lane(machine(lane)):  # type: ignore[misc, valid-type]
            @initialize(token=st.integers(0, 2**16))
            def _lane_begins(self, token: int) -> None:
                # named to sort first, so the simplest example draws it before the machine's own
                if lane and token == 0:
                    reject()  # the simplest example (or one that starts like it): lane 0 runs it

            @invariant()
            def not_interrupted(self) -> None:
                if stop.is_set():
                    raise LaneStopped("interrupted")

        share = settings(
            profile, max_examples=examples_of(lane, lanes, profile.max_examples),
            stateful_step_count=steps, phases=[Phase.generate],
        )  # fmt: skip
        try:
            run_state_machine_as_test(seed(run_seed * 64 + lane)(Lane), settings=share)
        except Exception as exc:  # every case of the machine reports it
            errors[lane] = exc

    threads = max(1, min(lanes, concurrency))
    with same_draws(), ThreadPoolExecutor(threads, thread_name_prefix="lane") as pool:
        running: list[Future[None]] = []
        try:
            # inside the try: a first lane's step can be done, and Ctrl-C come, before the last is submitted
            running += [pool.submit(one, lane) for lane in range(lanes)]
            # in short waits: a signal handled by another thread still reaches this one soon
            while wait(running, timeout=0.2).not_done:
                pass
        except BaseException:  # KeyboardInterrupt: let every lane finish its step and tear down
            with gate:
                stop.set()  # no lane begins after this
            for ended in ends.values():
                ended.wait()
            raise
    return next((error for error in errors if error is not None), None)
