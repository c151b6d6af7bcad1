"""Provisioning on a real reference server: a read-only run finds existing objects instead of creating."""

from __future__ import annotations

from conformance.server import ReferenceServer
from conformance.shapes import catalogue
from conformance.target import Credentials, Target
from conformance.world import provision


def test_read_only_provisioning_finds_an_existing_task_and_creates_nothing() -> None:
    with (
        ReferenceServer(seed_data=True) as server,
        Target(server.url, credentials=Credentials.bearer(server.token)) as target,
    ):
        world = provision(target, catalogue(), "ccrun0", read_only=True)
    assert isinstance(world.values.get("taskKey"), int), world.problems
    assert world.created_tasks == []
