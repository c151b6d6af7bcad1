"""Provisioning on a real reference server: a read-only run finds existing objects instead of creating."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

from conformance.background import BackgroundServer
from conformance.drive.target import Connection, Credentials, Target
from conformance.drive.world import clean_up, named, provision, run_pattern, seed_pattern, sweep
from conformance.model.catalogue import catalogue
from conformance.server import ReferenceServer
from tests.cases.broken import CSOM, Answer, Call, Fault, Upstream, broken_server
from tests.cases.counting import counting_proxy


def test_read_only_provisioning_finds_an_existing_task_and_creates_nothing() -> None:
    with (
        ReferenceServer(seed_data=True) as server,
        Target(server.url, credentials=Credentials.bearer(server.token)) as target,
    ):
        world = provision(target, catalogue(), "ccrun0", read_only=True)
    assert isinstance(world.values.get("taskKey"), int), world.problems
    assert world.created_tasks == []


@pytest.mark.parametrize("cap", [1, 3])
def test_provisioning_sends_its_independent_parts_at_once(cap: int) -> None:
    """The task, the refresh job and the workflow chain go at once, up to max_concurrency (issue 23),
    and provision the same values whatever the cap."""
    peak = [0]
    with ReferenceServer(seed_data=True) as server, ExitStack() as stack:
        proxy = stack.enter_context(BackgroundServer(counting_proxy(server.url, CSOM, peak), lifespan="on"))
        target = stack.enter_context(
            Target(
                proxy.url,
                credentials=Credentials.bearer(server.token),
                connection=Connection(max_concurrency=cap),
            )
        )
        world = provision(target, catalogue(), "ccrun0", read_only=False)
    assert peak[0] == cap, f"{peak[0]} ProcessQuery requests at once, {cap} allowed"
    assert world.problems == []
    assert {"taskKey", "refreshId", "instanceId", "subscriptionId"} <= set(world.values)


def _peak(server: ReferenceServer, call: Callable[[Target], object]) -> int:
    """The most ProcessQuery requests ``call`` had in flight at once through a counting proxy."""
    peak = [0]
    with (
        BackgroundServer(counting_proxy(server.url, CSOM, peak), lifespan="on") as proxy,
        Target(proxy.url, credentials=Credentials.bearer(server.token)) as target,
    ):
        call(target)
    return peak[0]


def test_clean_up_and_sweep_send_tasks_and_workflows_at_once() -> None:
    """The tasks' and the workflow objects' removal go at once (issue 23), both at a session's end,
    and remove everything."""
    with (
        ReferenceServer(seed_data=True) as server,
        Target(server.url, credentials=Credentials.bearer(server.token)) as direct,
    ):
        world = provision(direct, catalogue(), "ccrun3", read_only=False)
        cleaned = _peak(server, lambda target: clean_up(target, catalogue(), world))
        provision(direct, catalogue(), "ccrun3", read_only=False)
        swept = _peak(server, lambda target: sweep(target, catalogue(), run_pattern("ccrun3")))
        assert named(direct, catalogue(), run_pattern("ccrun3")) == []
    assert (cleaned, swept) == (2, 2), "ProcessQuery requests at once: clean_up, sweep"


def _without_ids(call: Call, answer: Answer) -> Answer:
    """Every object of the answer loses its Id (a broken target's tasks cannot be named by id)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "Id"}
        return [strip(v) for v in value] if isinstance(value, list) else value

    return answer.with_json(strip(answer.json()))


def test_named_lists_what_carries_a_run_id_and_skips_what_has_no_id() -> None:
    with ReferenceServer(seed_data=True) as server:
        with Target(server.url, credentials=Credentials.bearer(server.token)) as target:
            provision(target, catalogue(), "ccrun5s1", read_only=False)
            found = named(target, catalogue(), seed_pattern(5))
            assert named(target, catalogue(), seed_pattern(55)) == []
        assert "task" in found[0] and "'ccrun5s1 probe task'" in found[0]
        assert {line.split()[0] for line in found} == {"task", "definition", "subscription"}
        upstream = Upstream(server.url, server.token)
        for fault, expected in (
            (Fault("none", CSOM), found),
            (Fault("no ids", CSOM, after=_without_ids), []),
        ):
            with (
                broken_server(upstream, fault) as url,
                Target(url, credentials=Credentials.bearer(server.token)) as target,
            ):
                assert named(target, catalogue(), seed_pattern(5)) == expected


def _item_probe_refused(call: Call, answer: Answer) -> Answer:
    """The request probing the list's items fails as a whole: a header ErrorInfo and no results (as
    SharePoint answers an argument it cannot take outside a scope)."""
    if b"GetItemById" not in call.body:
        return answer
    header = answer.json()[0] | {
        "ErrorInfo": {"ErrorMessage": "Invalid argument.", "ErrorValue": None, "ErrorCode": -2147024809,
                      "ErrorTypeName": "System.ArgumentException"},
    }  # fmt: skip
    return answer.with_json([header])


def test_a_request_failing_as_a_whole_leaves_its_scoped_results_missing() -> None:
    """No scope result is no malformed answer: provisioning says what it lacks and the run goes on
    (it raised "expected an object for HasException, got None", an error in every case)."""
    with ReferenceServer(seed_data=True) as server:
        fault = Fault("item probe refused", CSOM, after=_item_probe_refused)
        with (
            broken_server(Upstream(server.url, server.token), fault) as url,
            Target(url, credentials=Credentials.bearer(server.token)) as target,
        ):
            world = provision(target, catalogue(), "ccrun6", read_only=True)
    assert "itemId" not in world.values
    assert any("has none of the items" in problem for problem in world.problems), world.problems
