"""conformance.drive.lanes: a state machine's examples in parallel lanes, with a small machine of our own
(no target), so each property is seen directly: the examples each lane runs, the same draws for
the same seed, a lane's error reported, Ctrl-C ending every lane through its teardown."""

from __future__ import annotations

import _thread
import importlib
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from conformance.drive.lanes import MAX_LANES, examples_of, run_lanes

PROFILE = settings(max_examples=10, database=None, deadline=None)


class Log:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.begun: Counter[int] = Counter()  # machines made, by lane
        self.examples: dict[int, set[int]] = {}  # by lane: the machines that ran a step (not rejected)
        self.draws: dict[int, list[int]] = {}  # by lane
        self.threads: set[str] = set()
        self.torn_down: Counter[int] = Counter()


def machines(
    log: Log, *, fail_in: int | None = None, on_step: Callable[[int], None] | None = None
) -> Callable[[int], type[RuleBasedStateMachine]]:
    def machine(lane: int) -> type[RuleBasedStateMachine]:
        class Counting(RuleBasedStateMachine):
            def __init__(self) -> None:
                super().__init__()
                with log.lock:
                    log.begun[lane] += 1
                    log.threads.add(threading.current_thread().name)

            @rule(value=st.integers(0, 10**6))
            def step(self, value: int) -> None:
                with log.lock:
                    log.draws.setdefault(lane, []).append(value)
                    log.examples.setdefault(lane, set()).add(id(self))
                if on_step is not None:
                    on_step(lane)
                if lane == fail_in and value % 2:
                    raise RuntimeError(f"lane {lane} broke")

            def teardown(self) -> None:
                with log.lock:
                    log.torn_down[lane] += 1

        return Counting

    return machine


def test_lanes_share_the_examples_and_only_the_first_runs_the_simplest_one() -> None:
    assert [examples_of(lane, 4, 10) for lane in range(4)] == [3, 3, 2, 2]
    log = Log()
    error = run_lanes(machines(log), concurrency=8, run_seed=7, profile=PROFILE, steps=3)
    assert error is None
    assert {lane: len(ran) for lane, ran in log.examples.items()} == {
        lane: examples_of(lane, MAX_LANES, 10) for lane in range(MAX_LANES)
    }
    # a thread each at most (one that has finished its lane may take the next)
    assert len(log.threads) <= MAX_LANES and log.torn_down == log.begun
    # Hypothesis' first example, every draw its simplest value: 2 steps (the lane's initialize is one)
    assert [lane for lane, draws in sorted(log.draws.items()) if draws[:2] == [0, 0]] == [0]


def test_concurrency_caps_the_threads_never_the_draws() -> None:
    """One thread or several, the same lanes draw the same examples (a lane count that followed the
    concurrency cap drew other examples for the same seed under --max-concurrency or --workers)."""
    runs = {concurrency: Log() for concurrency in (1, 2, 4)}
    other = Log()
    for concurrency, log in runs.items():
        assert run_lanes(machines(log), concurrency=concurrency, run_seed=3, profile=PROFILE, steps=3) is None
        assert len(log.threads) <= concurrency and set(log.examples) == set(range(MAX_LANES))
    assert run_lanes(machines(other), concurrency=4, run_seed=4, profile=PROFILE, steps=3) is None
    assert runs[1].draws == runs[2].draws == runs[4].draws != other.draws


def test_a_module_imported_midway_changes_no_draw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis draws constants from the source of the local modules imported at the time: a
    module that a thread, a plugin or another selection imports must not change what a seed draws."""
    before, after = Log(), Log()
    assert run_lanes(machines(before), concurrency=4, run_seed=5, profile=PROFILE, steps=10) is None
    numbers = ", ".join(str(n) for n in range(1000, 10**6, 997))
    (tmp_path / "ccrun_constants.py").write_text(f"NUMBERS = ({numbers})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("ccrun_constants")
    assert run_lanes(machines(after), concurrency=4, run_seed=5, profile=PROFILE, steps=10) is None
    assert after.draws == before.draws


def test_a_lanes_error_is_reported_and_the_other_lanes_finish() -> None:
    log = Log()
    error = run_lanes(machines(log, fail_in=1), concurrency=4, run_seed=1, profile=PROFILE, steps=5)
    assert error is not None and "lane 1 broke" in str(error)
    assert len(log.examples[0]) == examples_of(0, MAX_LANES, 10)  # lane 0 ran all its examples


def test_ctrl_c_stops_every_lane_after_its_step_and_each_tears_down() -> None:
    log, interrupted, handled = Log(), threading.Event(), threading.Event()

    def on_ctrl_c(signum: int, frame: object) -> None:
        handled.set()
        raise KeyboardInterrupt

    def interrupt_once(lane: int) -> None:
        time.sleep(0.01)  # every lane gets going
        if lane == 0 and not interrupted.is_set():
            interrupted.set()
            _thread.interrupt_main()
        if interrupted.is_set():
            # the main thread sees Ctrl-C at its next poll: no lane may run through its examples first
            assert handled.wait(10)
            time.sleep(0.05)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_lanes(
                machines(log, on_step=interrupt_once), concurrency=4, run_seed=2, profile=PROFILE, steps=50
            )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert log.torn_down == log.begun  # every example begun was torn down
    assert sum(map(len, log.examples.values())) < 10
