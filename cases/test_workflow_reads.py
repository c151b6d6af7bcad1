"""What a run writes to workflow objects reads back, whole, by every route ([MS-SPWFCSOM]).

The run saves a definition of its own (SaveDefinition), publishes it and subscribes it to the run's
list (PublishSubscription), then, in a later request that writes nothing, reads both back by every
route the spec gives: GetDefinition and EnumerateDefinitions (all, and published only);
GetSubscription, EnumerateSubscriptions and the subscriptions by definition, by list and by event
source. Each value written is one case, at the section of its property, judged on every route that
returned the object: a server that keeps a name whole in the answer to the write but cuts it short
where it reads it from its store fails here. The property texts ("Specifies the display name …")
say no MUST: the cases are semantic. The objects are removed afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.case import CaseMeta, RunOptions, case
from conformance.drive.target import CsomReply, Target
from conformance.drive.world import World
from conformance.drive.world_wf import (
    WAITING_XAML,
    WorkflowWorld,
    children,
    clean_up_workflow,
    new_definition,
    new_subscription,
    scoped_result,
    section,
    service,
)
from conformance.judge import checks
from conformance.judge.checks import Site, verify
from conformance.model.catalogue import WF, catalogue
from conformance.wire import QuerySpec, RequestBuilder

CATALOGUE = catalogue()
PROTOCOL = "ms-spwfcsom"
DEFINITION, SUBSCRIPTION = "WorkflowDefinition", "WorkflowSubscription"
# the written values that new_definition and new_subscription do not make up from the run
DEFINITION_VALUES = {"Description": "csom-conformance", "Xaml": WAITING_XAML}
EVENT_TYPES = ["WorkflowStart"]


@dataclass(frozen=True)
class Route:
    """One way to read an object back: ``service.method(args)``, a collection when ``many``."""

    owner: str  # DEFINITION or SUBSCRIPTION: the object it reads
    kind: str  # the service: Deployment, Subscription
    method: str
    args: tuple[Any, ...]

    @property
    def name(self) -> str:
        shown = ", ".join(str(a).lower() if isinstance(a, bool) else "…" for a in self.args)
        return f"{self.method}({shown})"

    @property
    def many(self) -> bool:
        return self.method.startswith("Enumerate")


@dataclass(frozen=True)
class Written:
    """What the run wrote (None: the write failed) and the request that read it all back."""

    values: dict[str, dict[str, Any]]  # by owner: property -> the value written
    reads: dict[Route, tuple[int, int]]  # (scope id, query id) of each route
    reply: CsomReply | None  # the read
    writes: tuple[CsomReply, ...]  # the saves and publishes, for the evidence
    problem: str = ""  # why nothing could be written or read


def _routes(definition: uuid.UUID, source: uuid.UUID, on_list: bool, subscription: uuid.UUID) -> list[Route]:
    by_list = [
        Route(SUBSCRIPTION, "Subscription", "EnumerateSubscriptionsByList", (source,)),
    ] if on_list else []  # fmt: skip
    return [
        Route(DEFINITION, "Deployment", "GetDefinition", (definition,)),
        Route(DEFINITION, "Deployment", "EnumerateDefinitions", (False,)),
        Route(DEFINITION, "Deployment", "EnumerateDefinitions", (True,)),
        Route(SUBSCRIPTION, "Subscription", "GetSubscription", (subscription,)),
        Route(SUBSCRIPTION, "Subscription", "EnumerateSubscriptions", ()),
        Route(SUBSCRIPTION, "Subscription", "EnumerateSubscriptionsByDefinition", (definition,)),
        Route(SUBSCRIPTION, "Subscription", "EnumerateSubscriptionsByEventSource", (source,)),
        *by_list,
    ]


def _write(
    target: Target, run_id: str, source: uuid.UUID
) -> tuple[dict[str, dict[str, Any]], list[CsomReply], str]:
    """Save and publish a definition, then subscribe it to ``source``: the values written by owner."""
    name = f"{run_id} read back by every route"  # longer than a server's cut-short name
    builder = RequestBuilder()
    with builder.exception_scope() as scope_id:
        saved = builder.call(
            service(builder, CATALOGUE, "Deployment"),
            "SaveDefinition",
            new_definition(builder, CATALOGUE, name),
        )
    save = target.process_query(builder.build())
    definition = scoped_result(save, scope_id, saved)
    if not isinstance(definition, uuid.UUID):
        return {}, [save], f"SaveDefinition returned no definition id: {save.exchange.describe(300)}"
    values: dict[str, dict[str, Any]] = {
        DEFINITION: {"Id": definition, "DisplayName": name, **DEFINITION_VALUES}
    }
    builder = RequestBuilder()
    builder.call(service(builder, CATALOGUE, "Deployment"), "PublishDefinition", definition)
    subscription_name = f"{run_id} subscription read back by every route"
    with builder.exception_scope() as scope_id:
        published = builder.call(
            service(builder, CATALOGUE, "Subscription"),
            "PublishSubscription",
            new_subscription(builder, CATALOGUE, subscription_name, definition, source),
        )
    publish = target.process_query(builder.build())
    subscription = scoped_result(publish, scope_id, published)
    if not isinstance(subscription, uuid.UUID):
        problem = f"PublishSubscription returned no subscription id: {publish.exchange.describe(300)}"
        return values, [save, publish], problem
    values[SUBSCRIPTION] = {
        "Id": subscription, "Name": subscription_name, "DefinitionId": definition, "EventSourceId": source,
        "EventTypes": EVENT_TYPES, "ManualStartBypassesActivationLimit": True,
    }  # fmt: skip
    return values, [save, publish], ""


def _read(
    target: Target, routes: list[Route], values: dict[str, dict[str, Any]]
) -> tuple[dict[Route, tuple[int, int]], CsomReply]:
    """Every route in one request that writes nothing, each in its own scope."""
    builder = RequestBuilder()
    reads = {}
    for route in routes:
        fields = QuerySpec.select(*values[route.owner])
        with builder.exception_scope() as scope_id:
            path = builder.method(service(builder, CATALOGUE, route.kind), route.method, *route.args)
            query = (
                builder.query(path, QuerySpec.select(), fields) if route.many else builder.query(path, fields)
            )
        reads[route] = (scope_id, query)
    return reads, target.process_query(builder.build())


@pytest.fixture(scope="module")
def written(target: Target, world: World, run_options: RunOptions) -> Iterator[Written]:
    place = world.workflow
    source = place.list_id or place.web_id
    if source is None:
        yield Written({}, {}, None, (), f"no list or web to subscribe to: {world.problems}")
        return
    values, writes, problem = _write(target, run_options.run_id, source)
    made = WorkflowWorld(
        definitions=[v["Id"] for k, v in values.items() if k == DEFINITION],
        subscriptions=[v["Id"] for k, v in values.items() if k == SUBSCRIPTION],
    )
    try:
        if problem:
            yield Written(values, {}, None, tuple(writes), problem)
            return
        routes = _routes(
            values[DEFINITION]["Id"], source, place.list_id is not None, values[SUBSCRIPTION]["Id"]
        )
        reads, reply = _read(target, routes, values)
        yield Written(values, reads, reply, tuple(writes))
    finally:
        if leftovers := clean_up_workflow(target, CATALOGUE, made):
            print(f"\nconformance: could not remove workflow object(s) this run created: {leftovers}")


def _found(
    reply: CsomReply, route: Route, read: tuple[int, int], object_id: uuid.UUID
) -> dict[str, Any] | None:
    """The object as the route returned it (None: the route failed or did not list it)."""
    value = scoped_result(reply, *read)
    candidates = children(value) if route.many else [value] if isinstance(value, dict) else []
    return next((c for c in candidates if c.get("Id") == object_id), None)


PROPERTIES = [
    (DEFINITION, "DisplayName"), (DEFINITION, "Description"), (DEFINITION, "Xaml"),
    (SUBSCRIPTION, "Name"), (SUBSCRIPTION, "DefinitionId"), (SUBSCRIPTION, "EventSourceId"),
    (SUBSCRIPTION, "EventTypes"), (SUBSCRIPTION, "ManualStartBypassesActivationLimit"),
]  # fmt: skip


def _meta(owner: str, prop: str) -> CaseMeta:
    item = CATALOGUE.item_id(WF + owner, prop)
    return CaseMeta(PROTOCOL, section(CATALOGUE, owner, prop), item, "readback", "semantic", writes=True)


@pytest.mark.parametrize(("owner", "prop"), [case(_meta(o, p), o, p) for o, p in PROPERTIES])
def test_written_value_reads_back_by_every_route(owner: str, prop: str, written: Written) -> None:
    """The value the run wrote is what every route that returns the object shows."""
    if written.problem or owner not in written.values or written.reply is None:
        pytest.skip(f"nothing of this kind was written to read back: {written.problem}")
    mine = written.values[owner]
    at = Site.of(_meta(owner, prop), written.reply.exchange, *(w.exchange for w in written.writes))
    judged = 0
    for route, read in written.reads.items():
        if route.owner != owner or (found := _found(written.reply, route, read, mine["Id"])) is None:
            continue  # a route that fails, or leaves the object out, is its own case's business
        verify(at, checks.equals, found.get(prop), mine[prop], what=f"{prop} read back by {route.name}")
        judged += 1
    if not judged:
        pytest.skip(f"no route returned the run's {owner} {mine['Id']}")
