"""The workflow part of the world a run sets up on the target (MS-SPWFCSOM), and the wire helpers
that build workflow requests.

:func:`provision_workflow` finds a list with an item on the current web (``Web.Lists`` with child
items, then ``List.GetItemById``), saves and publishes a definition named with the run id,
subscribes it to that list and to the web (a site workflow) and starts an instance on the item and
one on the site, so that every workflow method has real arguments and ``EnumerateInstancesForSite``
has an item. It fills values by the parameter names of the spec's method tables (``listId``,
``itemId``, ``itemGuid``, ``definitionId``, ``workflowDefinitionId``, ``subscriptionId``,
``eventSourceId``, ``instanceId``) and object-path providers (``subscription``,
``parentSubscription``, ``instance``, ``definition``). A read-only run looks existing objects up
instead. Everything goes through the wire codec and :class:`~conformance.target.Target`, so it works
on any server; :func:`clean_up_workflow` removes what was created and never raises.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.probe import web
from conformance.shapes import Catalogue
from conformance.target import CsomReply, Target
from conformance.wire import QuerySpec, RequestBuilder, scope_error
from conformance.wire.values import ObjectPathRef

WF = "Microsoft.SharePoint.Client.WorkflowServices."
# A workflow that waits a day, so its instances stay running for suspend, resume, cancel and
# terminate (an empty workflow may complete at once).
WAITING_XAML = (
    '<Activity xmlns="http://schemas.microsoft.com/netfx/2009/xaml/activities">'
    '<Sequence><Delay Duration="1.00:00:00" /></Sequence></Activity>'
)
ITEM_IDS_TRIED = range(1, 11)  # the list's first item ids, probed for an item that exists
# WorkflowStatus names (3.1.5.12) of an instance that may still run
RUNNING = ("NotStarted", "Started", "Suspended", "Canceling")

Provider = Callable[[RequestBuilder], ObjectPathRef]


@dataclass
class WorkflowWorld:
    """What a run created on the target (ids), for clean-up, and where workflows run."""

    web_id: uuid.UUID | None = None
    list_id: uuid.UUID | None = None
    item_id: int | None = None
    definitions: list[uuid.UUID] = field(default_factory=list)
    subscriptions: list[uuid.UUID] = field(default_factory=list)
    instances: list[uuid.UUID] = field(default_factory=list)


# ------------------------------------------------------------------------------------ wire helpers


def type_id(catalogue: Catalogue, short: str) -> str:
    return catalogue.types[WF + short].type_id


def statuses(catalogue: Catalogue) -> dict[str, int]:
    """WorkflowStatus (3.1.5.12) values by name, from the spec data."""
    return {value.name: value.value for value in catalogue.types[WF + "WorkflowStatus"].values}


def section(catalogue: Catalogue, owner: str, member: str) -> str:
    """The spec section of a member (method or property) of a workflow class, from the spec data."""
    spec_type = catalogue.types[WF + owner]
    return next(m.section for m in (*spec_type.methods, *spec_type.properties) if m.name == member)


def service(builder: RequestBuilder, catalogue: Catalogue, kind: str) -> ObjectPathRef:
    """``new WorkflowServicesManager(ctx, web).GetWorkflow<kind>Service()`` (kind: Deployment,
    Subscription, Instance, Interop)."""
    manager = builder.construct(type_id(catalogue, "WorkflowServicesManager"), web(builder))
    return builder.method(manager, f"GetWorkflow{kind}Service")


def construct(builder: RequestBuilder, catalogue: Catalogue, short: str, **properties: Any) -> ObjectPathRef:
    """A client-constructed object (WorkflowDefinition, WorkflowSubscription) with properties set."""
    path = builder.construct(type_id(catalogue, short))
    for name, value in properties.items():
        builder.set_property(path, name, value)
    return path


def new_definition(
    builder: RequestBuilder, catalogue: Catalogue, name: str, **properties: Any
) -> ObjectPathRef:
    return construct(
        builder, catalogue, "WorkflowDefinition",
        DisplayName=name, Description="csom-conformance", Xaml=WAITING_XAML, **properties,
    )  # fmt: skip


def new_subscription(
    builder: RequestBuilder, catalogue: Catalogue, name: str, definition_id: uuid.UUID, source: uuid.UUID
) -> ObjectPathRef:
    """A manually started subscription; several instances may run on one item at a time (3.1.5.5.1.1.9),
    so that every start call of a run can succeed."""
    return construct(
        builder, catalogue, "WorkflowSubscription",
        Name=name, DefinitionId=definition_id, EventSourceId=source, EventTypes=["WorkflowStart"],
        ManualStartBypassesActivationLimit=True,
    )  # fmt: skip


def result(reply: CsomReply, action_id: int) -> Any:
    """The decoded result under an action id (None when absent or the request failed)."""
    return reply.response.results.get(action_id) if reply.response else None


def scoped_result(reply: CsomReply, scope_id: int, action_id: int) -> Any:
    """The result of an action inside an exception scope, None when the scope caught an error."""
    if reply.response is None or scope_error(reply.response.results.get(scope_id)) is not None:
        return None
    return result(reply, action_id)


def children(value: Any) -> list[dict[str, Any]]:
    items = value.get("_Child_Items_") if isinstance(value, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def ids_of(values: Iterable[Any]) -> list[uuid.UUID]:
    return [v for v in values if isinstance(v, uuid.UUID)]


def getter(catalogue: Catalogue, kind: str, method: str, value: Any) -> Provider:
    """A provider of ``<kind>Service.<method>(value)`` (GetSubscription, GetInstance ...)."""
    return lambda builder: builder.method(service(builder, catalogue, kind), method, value)


# --------------------------------------------------------------------------------------- provision


def provision_workflow(
    target: Target,
    catalogue: Catalogue,
    run_id: str,
    values: MutableMapping[str, Any],
    problems: list[str],
    *,
    read_only: bool,
) -> WorkflowWorld:
    """Provision (or, read-only, find) the workflow arguments into ``values``; reasons for missing
    ones go to ``problems``. Returns what was created."""
    world = WorkflowWorld()
    name = f"{run_id} conformance workflow"
    # a client-side object, not saved: SaveDefinition cases save it, others only pass it
    values["definition"] = lambda builder: new_definition(builder, catalogue, name)
    _find_list_item(target, catalogue, world, values, problems)
    if read_only:
        _find_existing(target, catalogue, values, problems)
        return world
    definition_id = _save_definition(target, catalogue, name, problems)
    if definition_id is None:
        return world
    world.definitions.append(definition_id)
    values["definitionId"] = values["workflowDefinitionId"] = definition_id
    site_subscription = _publish_and_subscribe(target, catalogue, run_id, world, values, problems)
    _start(target, catalogue, world, site_subscription, values, problems)
    return world


def _find_list_item(
    target: Target,
    catalogue: Catalogue,
    world: WorkflowWorld,
    values: MutableMapping[str, Any],
    problems: list[str],
) -> None:
    """A list of the current web with an item; the suite cannot create lists on a real server."""
    builder = RequestBuilder()
    current = web(builder)
    web_query = builder.query(current, QuerySpec.select("Id"))
    lists_query = builder.query(
        builder.property(current, "Lists"), QuerySpec.select(), QuerySpec.select("Id", "ItemCount")
    )
    reply = target.process_query(builder.build())
    web_value = result(reply, web_query)
    world.web_id = web_value.get("Id") if isinstance(web_value, dict) else None
    candidates = [lst["Id"] for lst in children(result(reply, lists_query)) if lst.get("ItemCount")]
    if not candidates:
        problems.append(f"the current web has no list with items: {reply.exchange.describe(600)}")
        return
    builder = RequestBuilder()
    found = builder.method(builder.property(web(builder), "Lists"), "GetById", candidates[0])
    probes = []
    for item_id in ITEM_IDS_TRIED:
        with builder.exception_scope() as scope_id:
            item = builder.method(found, "GetItemById", item_id)
            probes.append((scope_id, builder.query(item, QuerySpec.select("Id", "FieldValues"))))
    reply = target.process_query(builder.build())
    items = [v for v in (scoped_result(reply, s, q) for s, q in probes) if isinstance(v, dict)]
    if not items:
        problems.append(f"list {candidates[0]} has none of the items {list(ITEM_IDS_TRIED)}")
        return
    world.list_id, world.item_id = candidates[0], items[0].get("Id")
    values["listId"], values["itemId"] = world.list_id, world.item_id
    guid = (items[0].get("FieldValues") or {}).get("GUID")
    if isinstance(guid, uuid.UUID):
        values["itemGuid"] = guid


def _save_definition(
    target: Target, catalogue: Catalogue, name: str, problems: list[str]
) -> uuid.UUID | None:
    builder = RequestBuilder()
    saved = builder.call(
        service(builder, catalogue, "Deployment"), "SaveDefinition", new_definition(builder, catalogue, name)
    )
    reply = target.process_query(builder.build())
    definition_id = result(reply, saved)
    if not isinstance(definition_id, uuid.UUID):
        problems.append(f"SaveDefinition returned no definition id: {reply.exchange.describe(600)}")
        return None
    return definition_id


def _publish_and_subscribe(
    target: Target,
    catalogue: Catalogue,
    run_id: str,
    world: WorkflowWorld,
    values: MutableMapping[str, Any],
    problems: list[str],
) -> uuid.UUID | None:
    """PublishDefinition, then a list subscription (the arguments) and a site subscription (each in
    its own scope); returns the site subscription's id."""
    definition_id = values["definitionId"]
    builder = RequestBuilder()
    builder.call(service(builder, catalogue, "Deployment"), "PublishDefinition", definition_id)
    subscriptions = service(builder, catalogue, "Subscription")
    planned = {}
    names = {key: f"{run_id} conformance {key} subscription" for key in ("list", "site")}
    for key, source in (("list", world.list_id), ("site", world.web_id)):
        if source is not None:
            with builder.exception_scope() as scope_id:
                subscription = new_subscription(builder, catalogue, names[key], definition_id, source)
                planned[key] = (scope_id, builder.call(subscriptions, "PublishSubscription", subscription))
    reply = target.process_query(builder.build())
    published = {key: scoped_result(reply, *ids) for key, ids in planned.items()}
    world.subscriptions += ids_of(published.values())
    subscription_id = published.get("list")
    if not isinstance(subscription_id, uuid.UUID):
        problems.append(f"no list subscription was published: {reply.exchange.describe(600)}")
    else:
        values["subscriptionId"], values["eventSourceId"] = subscription_id, world.list_id
        values["associationName"] = names["list"]  # InteropService: the subscription by its name
        values["subscription"] = values["parentSubscription"] = getter(
            catalogue, "Subscription", "GetSubscription", subscription_id
        )
    site = published.get("site")
    return site if isinstance(site, uuid.UUID) else None


def _start(
    target: Target,
    catalogue: Catalogue,
    world: WorkflowWorld,
    site_subscription: uuid.UUID | None,
    values: MutableMapping[str, Any],
    problems: list[str],
) -> None:
    """An instance on the item (``instanceId``) and a site workflow instance (so that
    EnumerateInstancesForSite has an item on any target), each in its own scope."""
    builder = RequestBuilder()
    instances = service(builder, catalogue, "Instance")
    planned = {}
    if "subscriptionId" in values:
        with builder.exception_scope() as scope_id:
            on_item = builder.call(
                instances,
                "StartWorkflowOnListItemBySubscriptionId",
                values["subscriptionId"],
                world.item_id,
                {},
            )
            planned["item"] = (scope_id, on_item)
    if site_subscription is not None:
        with builder.exception_scope() as scope_id:
            subscription = builder.method(
                service(builder, catalogue, "Subscription"), "GetSubscription", site_subscription
            )
            planned["site"] = (scope_id, builder.call(instances, "StartWorkflow", subscription, {}))
    if not planned:
        return
    reply = target.process_query(builder.build())
    started = {key: scoped_result(reply, *ids) for key, ids in planned.items()}
    world.instances += ids_of(started.values())
    if not isinstance(started.get("site"), uuid.UUID):
        problems.append("no site workflow instance was started (EnumerateInstancesForSite may be empty)")
    instance_id = started.get("item")
    if not isinstance(instance_id, uuid.UUID):
        problems.append(f"no workflow instance was started on the item: {reply.exchange.describe(600)}")
        return
    values["instanceId"] = instance_id
    values["instance"] = getter(catalogue, "Instance", "GetInstance", instance_id)


def _find_existing(
    target: Target, catalogue: Catalogue, values: MutableMapping[str, Any], problems: list[str]
) -> None:
    """Read-only: the first definition, subscription and site workflow instance of the web."""
    builder = RequestBuilder()
    planned = {}
    for key, kind, method, args, fields in (
        ("definition", "Deployment", "EnumerateDefinitions", (False,), ("Id",)),
        (
            "subscription",
            "Subscription",
            "EnumerateSubscriptions",
            (),
            ("Id", "DefinitionId", "EventSourceId"),
        ),
        ("instance", "Instance", "EnumerateInstancesForSite", (), ("Id",)),
    ):
        with builder.exception_scope() as scope_id:
            found = builder.method(service(builder, catalogue, kind), method, *args)
            planned[key] = (scope_id, builder.query(found, QuerySpec.select(), QuerySpec.select(*fields)))
    reply = target.process_query(builder.build())
    first = {key: next(iter(children(scoped_result(reply, *ids))), None) for key, ids in planned.items()}
    for key, found in first.items():
        if found is None:
            problems.append(f"read-only run: the target has no workflow {key} to read")
    if (definition := first["definition"]) is not None:
        values["definitionId"] = values["workflowDefinitionId"] = definition.get("Id")
    if (subscription := first["subscription"]) is not None:
        values["subscriptionId"], values["eventSourceId"] = (
            subscription.get("Id"),
            subscription.get("EventSourceId"),
        )
        values["definitionId"] = values["workflowDefinitionId"] = subscription.get("DefinitionId")
        values["subscription"] = values["parentSubscription"] = getter(
            catalogue, "Subscription", "GetSubscription", subscription.get("Id")
        )
    if (instance := first["instance"]) is not None:
        values["instanceId"] = instance.get("Id")
        values["instance"] = getter(catalogue, "Instance", "GetInstance", instance.get("Id"))


# ---------------------------------------------------------------------------------------- clean-up


def clean_up_workflow(target: Target, catalogue: Catalogue, world: WorkflowWorld) -> list[str]:
    """Terminate the instances, delete the subscriptions and definitions (each in its own scope, in
    that order), then read them back: what is still there (or still running) is returned. Never
    raises."""
    if not (world.definitions or world.subscriptions or world.instances):
        return []
    try:
        # other cases may have started instances of the run's subscriptions too: they block deleting
        instances = list(dict.fromkeys([*world.instances, *_running(target, catalogue, world.subscriptions)]))
        builder = RequestBuilder()
        for instance_id in instances:  # an instance that already finished refuses: no matter
            with builder.exception_scope():
                owner = service(builder, catalogue, "Instance")
                builder.call(owner, "TerminateWorkflow", builder.method(owner, "GetInstance", instance_id))
        for kind, method, ids in (
            ("Subscription", "DeleteSubscription", world.subscriptions),
            ("Deployment", "DeleteDefinition", world.definitions),
        ):
            for object_id in ids:
                with builder.exception_scope():
                    builder.call(service(builder, catalogue, kind), method, object_id)
        target.process_query(builder.build())
        return _still_there(target, catalogue, replace(world, instances=instances))
    except Exception as exc:  # clean-up reports, it never fails the run
        return [f"workflow clean-up: {type(exc).__name__}: {exc}"]


def _running(target: Target, catalogue: Catalogue, subscriptions: list[uuid.UUID]) -> list[uuid.UUID]:
    """The running instances of the subscriptions (Enumerate, each in its own scope)."""
    if not subscriptions:
        return []
    builder = RequestBuilder()
    reads = []
    for subscription_id in subscriptions:
        with builder.exception_scope() as scope_id:
            parent = builder.method(
                service(builder, catalogue, "Subscription"), "GetSubscription", subscription_id
            )
            found = builder.method(service(builder, catalogue, "Instance"), "Enumerate", parent)
            reads.append(
                (scope_id, builder.query(found, QuerySpec.select(), QuerySpec.select("Id", "Status")))
            )
    reply = target.process_query(builder.build())
    running = {statuses(catalogue)[name] for name in RUNNING}
    return [
        item["Id"]
        for read in reads
        for item in children(scoped_result(reply, *read))
        if item.get("Status") in running and isinstance(item.get("Id"), uuid.UUID)
    ]


def _still_there(target: Target, catalogue: Catalogue, world: WorkflowWorld) -> list[str]:
    builder = RequestBuilder()
    reads: list[tuple[str, int, int]] = []
    for what, kind, method, ids, fields in (
        ("definition", "Deployment", "GetDefinition", world.definitions, ("Id",)),
        ("subscription", "Subscription", "GetSubscription", world.subscriptions, ("Id",)),
        ("instance", "Instance", "GetInstance", world.instances, ("Status",)),
    ):
        for object_id in ids:
            with builder.exception_scope() as scope_id:
                found = builder.method(service(builder, catalogue, kind), method, object_id)
                reads.append(
                    (f"{what} {object_id}", scope_id, builder.query(found, QuerySpec.select(*fields)))
                )
    reply = target.process_query(builder.build())
    running = {statuses(catalogue)[name] for name in RUNNING}
    left = []
    for what, scope_id, query_id in reads:
        # still there: a definition or subscription that reads back, an instance still running
        value = scoped_result(reply, scope_id, query_id)
        if isinstance(value, dict) and (not what.startswith("instance") or value.get("Status") in running):
            left.append(what)
    return left
