"""Provisioning on a real reference server: a read-only run finds existing objects instead of creating."""

from __future__ import annotations

from typing import Any

from conformance.server import ReferenceServer
from conformance.shapes import catalogue
from conformance.target import Credentials, Target
from conformance.world import named, provision, seed_pattern
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
