"""``conformance run --workers N``: N pytest processes, each running one ``--shard i/N`` of the
cases, then one merged report, as ``conformance merge`` would make of N machines' results.

Processes rather than threads: pytest runs one case at a time, and the cases' batched requests and
state machines are what take the time. Each worker provisions its own objects under its own run id
(conformance.pytest_plugin adds the shard to it), so workers never touch each other's objects.
Against the embedded reference server each worker starts its own (state never shared, and the
server's work is spread over the cores too); against a target they share it, so keep N modest for
a production server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO

import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from lxml import etree

from conformance.pytest_plugin import signals_as_interrupt
from conformance.report import publish
from conformance.report.baseline import load_baseline
from conformance.report.merge import merge_runs
from conformance.report.verdict import NONCONFORMANT, UNREACHABLE, USAGE, Verdict
from conformance.results import ResultsError, Run, load_run
from conformance.runner.invoke import (
    INTERRUPTED,
    RunError,
    RunSettings,
    cases_dir,
    check_target,
    hypothesis_home,
    pytest_args,
)

STOP_GRACE_S = 60.0  # how long an interrupted worker may take to clean up before it is killed


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
    return [sys.executable, "-m", __name__, home, *pytest_args(own, cases), "--shard", f"{index}/{count}"]


def _relay(stream: IO[str], label: str, write: Callable[[str], None], said: list[str]) -> None:
    """A worker's output, line by line, prefixed with its shard so parallel progress stays legible;
    ``said`` keeps its last words (a usage error's one line)."""
    for line in iter(stream.readline, ""):
        write(f"[{label}] {line.rstrip()}")
        if line.strip():
            said[:] = [line.strip()]
    stream.close()


def merge_junit(files: list[Path], out: Path) -> None:
    """One junit.xml: every worker's <testsuite> under one <testsuites>."""
    root = etree.Element("testsuites", name="csom-conformance")
    for path in files:
        tree = etree.parse(str(path))
        suites = (
            [tree.getroot()] if tree.getroot().tag == "testsuite" else tree.getroot().findall("testsuite")
        )
        root.extend(suites)
    out.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


def _stop(workers: list[subprocess.Popen[str]]) -> None:
    """Ctrl-C or SIGTERM: each worker gets SIGINT, so its session ends and deletes what it created."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
    for worker in workers:
        try:
            worker.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            worker.kill()


def _collect(settings: RunSettings, statuses: list[int], last_words: list[list[str]]) -> Run:
    """The workers' results merged; a worker with no cases (more workers than case functions) is fine."""
    runs = []
    for index, status in enumerate(statuses, 1):
        if status == pytest.ExitCode.USAGE_ERROR:
            said = last_words[index - 1][0] if last_words[index - 1] else "usage error"
            raise RunError(said.removeprefix("ERROR: "), USAGE)
        path = shard_dir(settings.report_dir, index) / "results.json"
        if status == pytest.ExitCode.NO_TESTS_COLLECTED and not path.exists():
            continue
        try:
            runs.append(load_run(path))
        except ResultsError as exc:
            raise RunError(f"worker {index} left no results ({exc})", NONCONFORMANT) from None
    if not runs:
        raise RunError("no conformance case matches the selection (--protocol, -k)", USAGE)
    return merge_runs(runs)


def _start(settings: RunSettings, cases: Path, index: int, count: int) -> subprocess.Popen[str]:
    shard_dir(settings.report_dir, index).mkdir(parents=True, exist_ok=True)
    # the user's folder, for relative paths in the settings; its own session: a Ctrl-C at the
    # terminal reaches the workers through _stop only, once
    return subprocess.Popen(
        worker_command(settings, cases, index, count), text=True,
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
    try:
        with signals_as_interrupt():
            for index in range(1, count + 1):
                workers.append(_start(settings, cases, index, count))
                relays.append(threading.Thread(
                    target=_relay, args=(workers[-1].stdout, f"{index}/{count}", echo, last_words[index - 1]),
                    daemon=True,
                ))  # fmt: skip
                relays[-1].start()
            statuses = [worker.wait() for worker in workers]
    except KeyboardInterrupt:
        _stop(workers)
        raise RunError("interrupted", INTERRUPTED) from None
    for relay in relays:
        relay.join()
    run = _collect(settings, statuses, last_words)
    merge_junit(
        [p for i in range(1, count + 1) if (p := shard_dir(settings.report_dir, i) / "junit.xml").is_file()],
        settings.report_dir / "junit.xml",
    )
    verdict = publish(
        run, settings.report_dir, load_baseline(settings.baseline) if settings.baseline else None
    )
    if verdict.exit_code == UNREACHABLE:
        raise RunError(verdict.aborted, UNREACHABLE)
    return run, verdict


def _worker(argv: list[str]) -> int:
    """A worker: ``HYPOTHESIS_HOME PYTEST_ARGS...`` (Hypothesis' caches where an in-process run keeps
    them: runner.invoke.hypothesis_home)."""
    set_hypothesis_home_dir(argv[0])
    return pytest.main(argv[1:])


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
