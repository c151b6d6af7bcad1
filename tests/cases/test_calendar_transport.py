"""cases/test_calendar.py and cases/test_transport.py, run as a user runs them (pytest in a
subprocess): all pass on the embedded reference server and through a faithful proxy to it, and
each broken variant of the server (tests/cases/faults.py) fails the cases it must, naming the
section and the check.

The runs are independent, so they go in parallel, once per module; each test reads its run's
results.json.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest

from conformance.judge.checks import CHECKS
from conformance.selftest import member_env
from conformance.server import ReferenceServer
from tests.cases.broken import Upstream, broken_server
from tests.cases.faults import FAULTS, RUNS, Broken
from tests.cases.runner import ROOT, Run, run_cases

CASE_FILES = ("cases/test_calendar.py", "cases/test_transport.py")
TOKEN_ENV = "CONFORMANCE_TEST_TOKEN"
CHECK = re.compile(r"\bchecks\.(\w+)")  # a check the case files pass to verify


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Every run, by name: "embedded", "proxy" (no fault), and each group of faults by their names."""
    with ReferenceServer(seed_data=True) as server, ExitStack() as stack:
        upstream = Upstream(server.url, server.token)
        env = {TOKEN_ENV: server.token, **member_env()}  # what the calendar cases cannot learn
        jobs: dict[str, tuple[str, ...]] = {"embedded": ()}
        for names in [(), *RUNS]:
            url = stack.enter_context(broken_server(upstream, *(FAULTS[n].fault for n in names)))
            jobs["+".join(names) or "proxy"] = ("--target", url, "--token-env", TOKEN_ENV)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            futures = {
                name: pool.submit(run_cases, tmp_path_factory.mktemp(name[:30]), CASE_FILES, *args, env=env)
                for name, args in jobs.items()
            }
            yield {name: future.result() for name, future in futures.items()}


def _run_of(runs: dict[str, Run], broken: Broken) -> Run:
    return next(run for name, run in runs.items() if broken.fault.name in name.split("+"))


@pytest.mark.parametrize("name", ["embedded", "proxy"])
def test_all_cases_pass_on_the_reference_server(name: str, runs: dict[str, Run]) -> None:
    run = runs[name]
    assert run.returncode == 0, run.output
    outcomes = {c["outcome"] for c in run.cases.values()}
    assert outcomes == {"passed"}, [c for c in run.cases.values() if c["outcome"] != "passed"]
    protocols = {c["protocol"] for c in run.cases.values()}
    assert protocols == {"contactslaw-calendar", "ms-csom"}


@pytest.mark.parametrize("broken", [pytest.param(b, id=name) for name, b in FAULTS.items()])
def test_broken_server_fails_the_right_cases(broken: Broken, runs: dict[str, Run]) -> None:
    run = _run_of(runs, broken)
    assert run.returncode == 1, run.output
    for expect in broken.expect:
        result = run.cases.get(expect.case_id)
        assert result is not None, f"no case {expect.case_id}: {sorted(run.cases)[:5]}…"
        assert result["outcome"] == "failed", (expect, result["outcome"], result["message"])
        assert result["section"] == expect.section, (expect, result["section"])
        assert f"{expect.check}: expected" in result["message"], (expect, result["message"])
        assert expect.says in result["message"], (expect, result["message"])
        assert result["evidence"], "a failure shows the HTTP exchange it judged"
    # the suite never crashes on a broken answer, and the fault is not everything breaking
    errors = [c["id"] for c in run.cases.values() if c["outcome"] == "error"]
    assert not errors, errors
    assert any(c["outcome"] == "passed" for c in run.cases.values())


def test_every_check_kind_has_a_failing_counterpart() -> None:
    """Each check the two case files call is shown failing by some broken server above."""
    by_function = {check.function.__name__: name for name, check in CHECKS.items()}
    called = {function for path in CASE_FILES for function in CHECK.findall((ROOT / path).read_text())}
    assert called <= set(by_function), sorted(called - set(by_function))
    used = {by_function[function] for function in called}
    shown = {expect.check for broken in FAULTS.values() for expect in broken.expect}
    assert used, "the case files call no check"
    assert used <= shown, sorted(used - shown)
