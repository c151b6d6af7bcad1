"""cases/test_identities.py, run as a user runs it against a reference server (pytest in a
subprocess): with two identities (the second's token from CONFORMANCE_SECOND_TOKEN) every case
passes; with one they skip, saying how to give a second; behind a proxy that makes every caller the
first user (a server that ignores who is calling), and shows the second no workflow of the web
(workflows kept per user), each fails at its section. That proxy also answers
every Authorization header it saw as the Error of a write and the name of a task, to both
identities: the second identity's token, in the failing cases' messages and in the first's answers
they show, is redacted from every report file as the first's is. Behind one that answers the second
identity slowly, the second's requests are held to case_timeout as the first's are.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cases.test_identities import DELETE, FORBIDDEN, HIDDEN, NO_SECOND, UPDATE, WEB_SCOPED
from conformance.server import ReferenceServer
from conformance.server.seed import SECOND_FORBIDDEN_ENV, second_forbidden_member
from tests.cases.broken import CALENDAR, CSOM, Answer, Call, Fault, Upstream, broken_server
from tests.cases.faults import _objects
from tests.cases.runner import Run, run_cases

IDENTITIES = "cases/test_identities.py"
CASES = (HIDDEN, UPDATE, DELETE, FORBIDDEN, WEB_SCOPED)
OTHER = "x-conformance-other-caller"  # the proxy's own mark, between its two halves


def _workflows_hidden(value: dict[str, Any]) -> None:
    kind = value.get("_ObjectType_")
    if isinstance(kind, str) and kind.startswith("SP.WorkflowServices.") and kind.endswith("Collection"):
        value["_Child_Items_"] = []


def _everyone_is_the_first(seen: list[str]) -> tuple[Fault, Fault]:
    def before(call: Call, upstream: Upstream) -> Call:
        sent = call.headers.get("authorization")
        if sent and sent not in seen:
            seen.append(sent)
        first = f"Bearer {upstream.token}"
        other = {OTHER: "1"} if sent != first else {}
        return replace(call, headers={**call.headers, "authorization": first, **other})

    def after(call: Call, answer: Answer) -> Answer:
        if answer.status != 200:
            return answer
        array: list[Any] = answer.json()
        echo = " ".join(seen)  # a leaky server's, to both identities: their own and the other's
        for value in _objects(array[1:]):
            if value.get("_ObjectType_") == "SP.WorkManagement.OM.TaskWriteResult":
                value["Error"] = echo  # quoted by the failing cases
            elif value.get("_ObjectType_") == "SP.WorkManagement.OM.Task":
                value["Name"] = echo  # in the first's read back, the evidence of the failing cases
            elif OTHER in call.headers:  # and workflows kept per user, not per web
                _workflows_hidden(value)
        return answer.with_json(array)

    return (
        Fault("everyone-is-the-first-user", CSOM, before=before, after=after),
        Fault("everyone-is-the-first-user", CALENDAR, before=before),
    )


SLOW_S = 3.0  # each of the second identity's requests, past a case_timeout of 1 s


def _second_is_slow(call: Call, upstream: Upstream) -> Call:
    """Any caller but the first waits (the proxy's loop with it: these runs send one at a time)."""
    if call.headers.get("authorization") != f"Bearer {upstream.token}":
        time.sleep(SLOW_S)
    return call


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Run], dict[str, Path], str]]:
    """Each run against a demo reference server of its own (its first and second user's tokens)."""
    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(ReferenceServer(seed_data=True))
            for name in ("two", "one", "broken", "slow")
        }
        second = servers["broken"].second_token
        assert second
        url = stack.enter_context(
            broken_server(
                Upstream(servers["broken"].url, servers["broken"].token or ""), *_everyone_is_the_first([])
            )
        )
        slow = Upstream(servers["slow"].url, servers["slow"].token or "")
        slow_url = stack.enter_context(
            broken_server(
                slow, *(Fault("second-is-slow", end, before=_second_is_slow) for end in (CSOM, CALENDAR))
            )
        )
        targets = {"two": servers["two"].url, "one": servers["one"].url, "broken": url, "slow": slow_url}
        folders = {name: tmp_path_factory.mktemp(name) for name in targets}

        def run(name: str) -> Run:
            server = servers[name]
            env = {"FIRST_TOKEN": server.token or "", SECOND_FORBIDDEN_ENV: second_forbidden_member() or ""}
            if name != "one":
                env["CONFORMANCE_SECOND_TOKEN"] = server.second_token or ""
            args = ("--target", targets[name], "--token-env", "FIRST_TOKEN")
            args += ("--conformance-case-timeout", "1") if name == "slow" else ()
            return run_cases(folders[name], (IDENTITIES,), *args, env=env)

        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            done = dict(zip(targets, pool.map(run, targets), strict=True))
        yield done, folders, second


def test_two_identities_pass(runs: tuple[dict[str, Run], dict[str, Path], str]) -> None:
    run = runs[0]["two"]
    assert run.returncode == 0, run.output
    assert set(run.outcome("passed")) == {meta.id for meta in CASES}, run.output


def test_one_identity_skips_saying_why(runs: tuple[dict[str, Run], dict[str, Path], str]) -> None:
    run = runs[0]["one"]
    assert set(run.outcome("skipped")) == {meta.id for meta in CASES}, run.output
    assert all(NO_SECOND in c["message"] for c in run.cases.values())


def test_a_server_ignoring_who_calls_fails_each_case_at_its_section(
    runs: tuple[dict[str, Run], dict[str, Path], str],
) -> None:
    done, folders, second = runs
    run = done["broken"]
    assert run.returncode == 1, run.output
    assert set(run.outcome("failed")) == {meta.id for meta in CASES}, run.output
    for meta in CASES:
        failed = run.cases[meta.id]
        assert (failed["section"], failed["level"]) == (meta.section, meta.level)
        assert f"[{meta.level.upper()} {meta.section}]" in failed["message"], failed["message"]
    assert "TaskWriteResult.Error of the second identity's DeleteTask" in run.cases[DELETE.id]["message"]
    assert "expected HTTP 403; got HTTP 200" in run.cases[FORBIDDEN.id]["message"], run.cases[FORBIDDEN.id][
        "message"
    ]
    leaks = [
        p.name
        for p in folders["broken"].rglob("*")
        if p.is_file() and second in p.read_text(errors="replace")
    ]
    assert leaks == [], "the second identity's token in the report"
    assert second not in run.output


def test_the_second_identitys_requests_are_held_to_the_case_timeout(
    runs: tuple[dict[str, Run], dict[str, Path], str],
) -> None:
    run = runs[0]["slow"]
    assert set(run.outcome("error")) == {meta.id for meta in CASES}, run.output
    assert all("CaseTimeout" in c["message"] for c in run.cases.values()), run.output
