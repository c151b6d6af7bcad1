"""Provisioning on a real reference server: a read-only run finds existing objects instead of creating."""

from __future__ import annotations

from typing import Any

from conformance.drive.target import Credentials, Target
from conformance.drive.world import named, provision, seed_pattern
from conformance.model.catalogue import catalogue
from conformance.server import ReferenceServer
from tests.cases.broken import CSOM, Answer, Call, Fault, Upstream, broken_server


def test_read_only_provisioning_finds_an_existing_task_and_creates_nothing() -> None:
    with (
        ReferenceServer(seed_data=True) as server,
        Target(server.url, credentials=Credentials.bearer(server.token)) as target,
    ):
        world = provision(target, catalogue(), "ccrun0", read_only=True)
    assert isinstance(world.values.get("taskKey"), int), world.problems
    assert world.created_tasks == []


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
