"""Session fixtures of the conformance cases: the spec catalogue, the provisioned world on the
target, and the batched snapshots the shape cases judge. ``target`` and ``run_options`` come from
the conformance pytest plugin (conformance/pytest/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.case import RunOptions
from conformance.drive.snapshots import Snapshot, take_snapshots
from conformance.drive.target import Target
from conformance.drive.world import World, await_refresh, clean_up, provision
from conformance.model.catalogue import Catalogue
from conformance.model.catalogue import catalogue as spec_catalogue
from conformance.model.routes import Arguments, Route, plan_routes, route_writes
from conformance.model.seeding import same_draws


@pytest.fixture(scope="session", autouse=True)
def _same_draws() -> Iterator[None]:
    """Every case's draws follow the seed alone (conformance.model.seeding)."""
    with same_draws():
        yield


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return spec_catalogue()


@pytest.fixture(scope="session")
def routes(catalogue: Catalogue) -> dict[str, Route]:
    return plan_routes(catalogue)


@pytest.fixture(scope="session")
def world(target: Target, catalogue: Catalogue, run_options: RunOptions) -> Iterator[World]:
    provisioned = provision(target, catalogue, run_options.run_id, read_only=run_options.read_only)
    yield provisioned
    leftovers = clean_up(target, catalogue, provisioned)
    if leftovers:
        print(f"\nconformance: could not remove {len(leftovers)} object(s) this run created: {leftovers}")


@pytest.fixture(scope="session")
def arguments(catalogue: Catalogue, world: World, run_options: RunOptions) -> Arguments:
    return Arguments(catalogue, world.values, text=run_options.run_id)


@pytest.fixture(scope="session")
def snapshots(
    target: Target,
    catalogue: Catalogue,
    routes: dict[str, Route],
    arguments: Arguments,
    world: World,
    run_options: RunOptions,
) -> dict[str, Snapshot]:
    wanted = [
        (name, route) for name, route in routes.items()
        if not (run_options.read_only and route_writes(route))
    ]  # fmt: skip
    await_refresh(target, catalogue, world)
    return take_snapshots(target, catalogue, wanted, arguments, run_options.batch_size)
