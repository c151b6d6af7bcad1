"""``conformance run --workers N``: N pytest processes, each running one ``--shard i/N`` of the
cases, then one merged report, as ``conformance merge`` would make of N machines' results.

Processes rather than threads: pytest runs one case at a time, and the cases' batched requests and
state machines are what take the time. Each worker provisions its own objects under its own run id
(the plugin's session adds the shard to it), so workers never touch each other's objects.
Against the embedded reference server each worker starts its own (state never shared, and the
server's work is spread over the cores too); against a target they share it, so keep N modest for
a production server.

One voice: workers print nothing of their own (pytest's terminal is off in them); each reports the
cases it collected and each case's progress letter as event lines, which the parent shows as one
progress display, and the parent alone prints the summary and the verdict of the merged run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from conformance.report import publish
from conformance.report.baseline import load_baseline
from conformance.report.junit import merge_junit, relabel
from conformance.report.merge import merge_runs
from conformance.report.verdict import NONCONFORMANT, UNREACHABLE, USAGE, Verdict
from conformance.results import JOURNAL, ResultsError, Run, load_run, read_journal
from conformance.runner.handover import handover_args
from conformance.runner.invoke import (
    INTERRUPTED,
    INTERRUPTED_REASON,
    RunError,
    RunSettings,
    cases_dir,
    check_target,
    hypothesis_home,
    interrupted_message,
    pytest_args,
)
from conformance.runner.signals import interrupts_ignored, signals_as_interrupt

STOP_GRACE_S = 60.0  # how long an interrupted worker may take to clean up before it is killed
PARENT_POLL_S = 0.1  # how often a worker checks that its parent still runs
EVENT = "@conformance-progress "  # how a worker's progress lines start (the rest are relayed as said)
PROGRESS_WIDTH = 80  # letters a progress line, as pytest's
FAILURE_LETTERS = frozenset("FES")  # failed, error, suite error: what pytest's --maxfail counts
ENOUGH = "the run's --max-failures are reached"  # what the parent tells its workers then


class Progress:
    """The workers' progress as one display: pytest's letters, a line of 80 at a time, each with the
    share of all the cases done once every worker has said how many it has."""

    def __init__(
        self,
        workers: int,
        write: Callable[[str], None],
        stop_after: int | None = None,
        stop: Callable[[], None] = lambda: None,
    ) -> None:
        """``stop`` is called once ``stop_after`` cases failed or errored, across the workers."""
        self._write, self._waiting = write, workers
        self._expected = self._done = self.failures = 0
        self._stop_after, self._stop = stop_after, stop
        self._line = ""
        self._lock = threading.Lock()

    def event(self, text: str) -> None:
        kind, _, value = text.partition(" ")
        with self._lock:
            if kind == "collected":
                self._expected += int(value)
                self._waiting -= 1
            elif kind == "letter":
                self._done += 1
                self._line += value
                if len(self._line) >= PROGRESS_WIDTH:
                    self._flush()
                if value in FAILURE_LETTERS:
                    self.failures += 1
                    if self.failures == self._stop_after:
                        self._stop()

    def close(self) -> None:
        with self._lock:
            if self._line:
                self._flush()

    def _flush(self) -> None:
        share = f" [{100 * self._done // self._expected:3d}%]" if self._expected and not self._waiting else ""
        self._write(f"{self._line:<{PROGRESS_WIDTH}}{share}")
        self._line = ""


class _WorkerProgress:
    """In a worker: the events Progress shows (pytest's own letters, through its teststatus hook)."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        _event(f"collected {len(session.items)}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        config = self.config
        _, letter, _ = config.hook.pytest_report_teststatus(report=report, config=config)
        if letter:
            _event(f"letter {letter}")

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session
        if getattr(self, "stopping", False):
            session.shouldfail = ENOUGH

    def listen(self, parent: IO[str]) -> None:
        """The parent's word (:func:`_enough`): the run's --max-failures are reached across the
        workers, so this one stops after the case under way, as on its own --maxfail."""
        for line in parent:
            if line.strip() == ENOUGH:
                self.stopping = True
                if (session := getattr(self, "session", None)) is not None:
                    session.shouldfail = ENOUGH

    @pytest.hookimpl(trylast=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str]:
        """pytest's own letters, whose hook goes with the terminal a worker turns off."""
        if report.passed or report.skipped:
            return report.outcome, "." if report.passed else "s", report.outcome.upper()
        return ("failed", "F", "FAILED") if report.when == "call" else ("error", "E", "ERROR")


def _event(text: str) -> None:
    # a broken pipe: the parent is gone, and _watch_parent stops this worker (its session sweeps)
    with contextlib.suppress(BrokenPipeError):
        print(f"{EVENT}{text}", flush=True)


def default_workers(target: str | None) -> int:
    """The embedded server: one worker a core (at most 4); a remote target: 2, gentle by default."""
    return max(1, min(4, os.cpu_count() or 1)) if target is None else 2


def worker_settings(settings: RunSettings, index: int, count: int) -> RunSettings:
    """One worker's settings: its reports in its shard folder, and its share of the target's
    concurrency cap and rate limit, so that N workers together keep within them."""
    access = settings.access
    share = replace(
        access,
        max_concurrency=max(1, access.max_concurrency // count) if access.max_concurrency else None,
        rate_limit=access.rate_limit / count if access.rate_limit else None,
    )
    return replace(settings, report_dir=shard_dir(settings.report_dir, index), access=share)


def worker_count(settings: RunSettings, wanted: int) -> int:
    """No more workers than the concurrency cap allows (each keeps one request in flight)."""
    cap = settings.access.max_concurrency
    return min(wanted, cap) if cap else wanted


def shard_dir(report_dir: Path, index: int) -> Path:
    return report_dir / "shards" / str(index)


def worker_command(settings: RunSettings, cases: Path, index: int, count: int) -> list[str]:
    """One worker's pytest command line: the run's own, with its share of the run (worker_settings)."""
    own = worker_settings(settings, index, count)
    home = str(hypothesis_home())
    args = [*pytest_args(own, cases, terminal=False), *handover_args(own.target_config(), own.fail_on)]
    return [sys.executable, "-m", __name__, str(os.getpid()), home, *args, "--shard", f"{index}/{count}"]


def _relay(
    stream: IO[str], label: str, write: Callable[[str], None], progress: Progress, said: list[str]
) -> None:
    """A worker's output, line by line: progress events to the one display, anything else (a
    warning, an error) prefixed with its shard; ``said`` keeps its last words (a usage error's line)."""
    for line in iter(stream.readline, ""):
        if line.startswith(EVENT):
            progress.event(line.removeprefix(EVENT).strip())
            continue
        if line.strip():  # a blank line, set apart from pytest's progress, says nothing here
            write(f"[{label}] {line.rstrip()}")
            said[:] = [line.strip()]
    stream.close()


def _stop(workers: list[subprocess.Popen[str]]) -> None:
    """Ctrl-C or SIGTERM: each worker gets SIGTERM, so its session ends and deletes what it created
    (a worker ignores any SIGTERM after the first, its parent-watch's too: nothing cuts that short)."""
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        try:
            worker.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            worker.kill()


def _enough(workers: list[subprocess.Popen[str]]) -> None:
    """--max-failures reached across the workers: each stops after its case under way (told on its
    stdin, which waits for a worker still starting, where a signal could end it)."""
    for worker in workers:
        with contextlib.suppress(OSError):  # it has ended meanwhile
            worker.stdin.write(ENOUGH + "\n")  # type: ignore[union-attr]  # a pipe: see _start
            worker.stdin.flush()  # type: ignore[union-attr]


def _collect(
    settings: RunSettings,
    statuses: list[int | None],
    last_words: list[list[str]],
    *,
    stopped: bool = False,
) -> Run:
    """The workers' results merged; a worker with no cases (more workers than case functions) is fine,
    and so is, ``stopped`` (Ctrl-C, or --max-failures reached), one stopped before it judged any."""
    runs = []
    for index, status in enumerate(statuses, 1):
        if status == pytest.ExitCode.USAGE_ERROR:
            said = last_words[index - 1][0] if last_words[index - 1] else "usage error"
            raise RunError(said.removeprefix("ERROR: "), USAGE)
        path = shard_dir(settings.report_dir, index) / "results.json"
        stopped_early = stopped and not path.with_name(JOURNAL).exists()
        if (status == pytest.ExitCode.NO_TESTS_COLLECTED or stopped_early) and not path.exists():
            continue
        try:
            runs.append(load_run(path))
        except ResultsError as exc:
            try:  # a worker that crashed or was killed: what it judged before, from its journal
                runs.append(read_journal(path.with_name(JOURNAL)))
            except ResultsError:
                raise RunError(f"worker {index} left no results ({exc})", NONCONFORMANT) from None
    if not runs:
        raise RunError("no conformance case matches the selection (--protocol, -k, -m)", USAGE)
    return merge_runs(runs)


def _start(settings: RunSettings, cases: Path, index: int, count: int) -> subprocess.Popen[str]:
    shard_dir(settings.report_dir, index).mkdir(parents=True, exist_ok=True)
    # the user's folder, for relative paths in the settings; its own session: a Ctrl-C at the
    # terminal reaches the workers through _stop only, once
    return subprocess.Popen(
        worker_command(settings, cases, index, count), text=True, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def run_workers(settings: RunSettings, count: int, echo: Callable[[str], None]) -> tuple[Run, Verdict]:
    """Run the cases in ``count`` worker processes and publish the merged reports."""
    cases = cases_dir()
    check_target(settings)
    settings = replace(settings, report_dir=settings.report_dir.resolve())
    settings.report_dir.mkdir(parents=True, exist_ok=True)
    workers: list[subprocess.Popen[str]] = []
    relays: list[threading.Thread] = []
    last_words: list[list[str]] = [[] for _ in range(count)]
    progress = Progress(count, echo, settings.max_failures, lambda: _enough(workers))
    interrupted = False
    try:
        with signals_as_interrupt():
            for index in range(1, count + 1):
                workers.append(_start(settings, cases, index, count))
                relays.append(threading.Thread(
                    target=_relay,
                    args=(workers[-1].stdout, f"{index}/{count}", echo, progress, last_words[index - 1]),
                    daemon=True,
                ))  # fmt: skip
                relays[-1].start()
            statuses: list[int | None] = [worker.wait() for worker in workers]
    except KeyboardInterrupt:
        # each worker sweeps the target (saying what it removed) and writes what it judged; a second
        # Ctrl-C or SIGTERM must not leave them to it alone and the user without the report
        with interrupts_ignored():
            _stop(workers)
        interrupted, statuses = True, [worker.poll() for worker in workers]
    for relay in relays:
        relay.join(STOP_GRACE_S)
    progress.close()
    enough = bool(settings.max_failures and progress.failures >= settings.max_failures)
    try:
        run = _collect(settings, statuses, last_words, stopped=interrupted or enough)
    except RunError:
        if interrupted:  # stopped before any worker judged a case: no report to write
            raise RunError(interrupted_message(settings.report_dir, written=False), INTERRUPTED) from None
        raise
    if interrupted:  # one partial report of what the workers judged, marked so
        run = replace(run, header=replace(run.header, aborted=INTERRUPTED_REASON))
    if enough:  # a partial run too
        selection = {**run.header.selection, "--max-failures": str(settings.max_failures)}
        run = replace(run, header=replace(run.header, selection=selection))
    merge_junit(
        [p for i in range(1, count + 1) if (p := shard_dir(settings.report_dir, i) / "junit.xml").is_file()],
        settings.report_dir / "junit.xml",
    )
    relabel(settings.report_dir / "junit.xml")
    verdict = publish(
        run, settings.report_dir, load_baseline(settings.baseline) if settings.baseline else None
    )
    if interrupted:
        raise RunError(interrupted_message(settings.report_dir, written=True), INTERRUPTED)
    if verdict.exit_code == UNREACHABLE:
        raise RunError(verdict.aborted, UNREACHABLE)
    return run, verdict


def _watch_parent(parent: int) -> None:
    """Stop this worker as SIGTERM does (its session sweeps the target and ends) once ``parent`` is
    gone, whatever killed it (SIGKILL too): a worker never goes on writing to a target alone. The
    parent's pipes are gone with it, so what is left to say goes nowhere."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.dup2(devnull, sys.stderr.fileno())
    os.kill(os.getpid(), signal.SIGTERM)


def _worker(argv: list[str]) -> int:
    """A worker: ``PARENT_PID HYPOTHESIS_HOME PYTEST_ARGS...`` (Hypothesis' caches where an in-process
    run keeps them: runner.invoke.hypothesis_home)."""
    threading.Thread(target=_watch_parent, args=(int(argv[0]),), daemon=True).start()
    set_hypothesis_home_dir(argv[1])
    progress = _WorkerProgress()
    # stdin as it is now: pytest's capture puts /dev/null in its place
    parent = os.fdopen(os.dup(sys.stdin.fileno()), encoding="utf-8")
    threading.Thread(target=progress.listen, args=(parent,), daemon=True).start()
    return pytest.main(argv[2:], plugins=[progress])


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
