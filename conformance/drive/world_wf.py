"""The workflow part of the world a run sets up on the target (MS-SPWFCSOM), and the wire helpers
that build workflow requests.

:func:`provision_workflow` finds a list with an item on the current web (``Web.Lists`` with child
items, then ``List.GetItemById``), saves and publishes a definition named with the run id,
subscribes it to that list and to the web (a site workflow) and starts an instance on the item and
one on the site, so that every workflow method has real arguments and ``EnumerateInstancesForSite``
has an item. It fills values by the parameter names of the spec's method tables (``listId``,
``itemId``, ``itemGuid``, ``parentContentTypeId``, ``definitionId``, ``workflowDefinitionId``,
``subscriptionId``, ``eventSourceId``, ``instanceId``, ``associationName``, ``leafFileName``) and
object-path providers (``subscription``, ``parentSubscription``, ``instance``, ``definition``).
Calls that change or remove an object get one of their own, as ``Method.parameter`` values: a
suspended instance for ResumeWorkflow, running ones for CancelWorkflow and TerminateWorkflow, a
spare definition for DeprecateDefinition and DeleteDefinition, a spare subscription for
DeleteSubscription. A read-only run looks existing objects up instead. Everything goes through the
wire codec and :class:`~conformance.drive.target.Target`, so it works on any server;
:func:`clean_up_workflow` removes what was created (terminating every running instance of the
run's subscriptions, whoever started it) and never raises.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.drive.target import CsomReply, Target
from conformance.model.catalogue import WF, Catalogue
from conformance.model.routes import web
from conformance.wire import ObjectPathRef, QuerySpec, RequestBuilder, ValueObject, scope_error

# A workflow that waits a day, so its instances stay running for suspend, resume, cancel and
# terminate (an empty workflow may complete at once).
WAITING_XAML = (
    '<Activity xmlns="http://schemas.microsoft.com/netfx/2009/xaml/activities">'
    '<Sequence><Delay Duration="1.00:00:00" /></Sequence></Activity>'
)
ITEM_IDS_TRIED = range(1, 11)  # the list's first item ids, probed for an item that exists
# Method-qualified arguments (probe.Arguments: "Method.parameter" wins over "parameter"): calls that
# change an instance's state get an instance of their own, so one case does not spoil another's.
RESUMED = "ResumeWorkflow.instance"  # suspended at provisioning
OWN_INSTANCES = (
    RESUMED,
    "CancelWorkflow.instance",
    "TerminateWorkflow.instance",
    "CancelWorkflow.instanceId",
)
# SP.ContentTypeId, a client value type of MS-CSOMSPT (TypeId as in conformance/server/core.py)
CONTENT_TYPE_ID = "da0f1e90-296f-480e-bc27-cefe51eff241"
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
    """The result of an action inside an exception scope, None when the scope caught an error or the
    whole request failed (its header's ErrorInfo: the scope has no result)."""
    if reply.response is None or reply.response.header.error_info is not None:
        return None
    if scope_error(reply.response.results.get(scope_id)) is not None:
        return None
    return result(reply, action_id)


def children(value: Any) -> list[dict[str, Any]]:
    items = value.get("_Child_Items_") if isinstance(value, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def getter(catalogue: Catalogue, kind: str, method: str, value: Any) -> Provider:
    """A provider of ``<kind>Service.<method>(value)`` (GetSubscription, GetInstance ...)."""
    return lambda builder: builder.method(service(builder, catalogue, kind), method, value)


# --------------------------------------------------------------------------------------- provision


# arguments only a writing run can provision (it creates what they name), with why a read-only run lacks them
WRITTEN_ONLY = {"leafFileName": "no collateral file to name (only a writing run saves one)"}


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
    run = _Provisioning(target, catalogue, run_id, values, problems)
    # a client-side object, not saved: SaveDefinition cases save it, others only pass it
    values["definition"] = lambda builder: new_definition(
        builder, catalogue, f"{run_id} conformance workflow"
    )
    run.find_list_item()
    if read_only:
        run.find_existing()
        return run.world
    definitions = run.save_definitions()
    if "main" in definitions:
        values["definitionId"] = values["workflowDefinitionId"] = definitions["main"]
        subscriptions = run.publish_and_subscribe(definitions)
        if "list" in subscriptions:
            run.start(subscriptions)
    return run.world


@dataclass
class _Provisioning:
    """One provisioning run: where it sends, the values and problems it fills in, what it made."""

    target: Target
    catalogue: Catalogue
    run_id: str
    values: MutableMapping[str, Any]
    problems: list[str]
    world: WorkflowWorld = field(default_factory=WorkflowWorld)

    def _service(self, builder: RequestBuilder, kind: str) -> ObjectPathRef:
        return service(builder, self.catalogue, kind)

    def _missing(self, what: str, reply: CsomReply | None = None) -> None:
        self.problems.append(f"{what}: {reply.exchange.describe(600)}" if reply else what)

    def find_list_item(self) -> None:
        """A list of the current web with an item; the suite cannot create lists on a real server."""
        builder = RequestBuilder()
        current = web(builder)
        web_query = builder.query(current, QuerySpec.select("Id"))
        lists_query = builder.query(
            builder.property(current, "Lists"), QuerySpec.select(), QuerySpec.select("Id", "ItemCount")
        )
        reply = self.target.process_query(builder.build())
        web_value = result(reply, web_query)
        self.world.web_id = web_value.get("Id") if isinstance(web_value, dict) else None
        candidates = [lst["Id"] for lst in children(result(reply, lists_query)) if lst.get("ItemCount")]
        if not candidates:
            self._missing("the current web has no list with items", reply)
            return
        builder = RequestBuilder()
        found = builder.method(builder.property(web(builder), "Lists"), "GetById", candidates[0])
        probes = []
        for item_id in ITEM_IDS_TRIED:
            with builder.exception_scope() as scope_id:
                item = builder.method(found, "GetItemById", item_id)
                probes.append((scope_id, builder.query(item, QuerySpec.select("Id", "FieldValues"))))
        reply = self.target.process_query(builder.build())
        items = [v for v in (scoped_result(reply, s, q) for s, q in probes) if isinstance(v, dict)]
        if not items:
            self._missing(f"list {candidates[0]} has none of the items {list(ITEM_IDS_TRIED)}")
            return
        self.world.list_id, self.world.item_id = candidates[0], items[0].get("Id")
        self.values["listId"], self.values["itemId"] = self.world.list_id, self.world.item_id
        fields = items[0].get("FieldValues") or {}
        if isinstance(fields.get("GUID"), uuid.UUID):
            self.values["itemGuid"] = fields["GUID"]
        if isinstance(content_type := fields.get("ContentTypeId"), str):  # the item's, as SP.ContentTypeId
            self.values["parentContentTypeId"] = ValueObject(CONTENT_TYPE_ID, {"StringValue": content_type})

    def save_definitions(self) -> dict[str, uuid.UUID]:
        """The main definition (the arguments) and a spare one that DeprecateDefinition and
        DeleteDefinition may take (no subscription holds on to it)."""
        builder = RequestBuilder()
        deployment = self._service(builder, "Deployment")
        planned = {}
        for key in ("main", "spare"):
            with builder.exception_scope() as scope_id:
                definition = new_definition(
                    builder, self.catalogue, f"{self.run_id} conformance {key} workflow"
                )
                planned[key] = (scope_id, builder.call(deployment, "SaveDefinition", definition))
        reply = self.target.process_query(builder.build())
        saved = _ids(reply, planned)
        self.world.definitions += saved.values()
        if "main" not in saved:
            self._missing("SaveDefinition returned no definition id", reply)
        return saved

    def publish_and_subscribe(self, definitions: dict[str, uuid.UUID]) -> dict[str, uuid.UUID]:
        """PublishDefinition of both, a collateral file, then subscriptions of the main definition:
        to the list (the arguments), to the web (a site workflow) and a spare one for
        DeleteSubscription (no instance holds on to it); each call in its own scope."""
        main, values, names = definitions["main"], self.values, self._names("subscription")
        builder = RequestBuilder()
        deployment = self._service(builder, "Deployment")
        published = {}
        for key, definition_id in definitions.items():
            with builder.exception_scope() as scope_id:
                builder.call(deployment, "PublishDefinition", definition_id)
            published[key] = scope_id
        leaf = f"{self.run_id}-collateral.txt"
        with builder.exception_scope() as collateral:
            builder.call(deployment, "SaveCollateral", main, leaf, b"csom-conformance")
        subscriptions = self._service(builder, "Subscription")
        planned = {}
        for key, source in (
            ("list", self.world.list_id),
            ("site", self.world.web_id),
            ("spare", self.world.list_id),
        ):
            if source is not None:
                with builder.exception_scope() as scope_id:
                    subscription = new_subscription(builder, self.catalogue, names[key], main, source)
                    planned[key] = (
                        scope_id,
                        builder.call(subscriptions, "PublishSubscription", subscription),
                    )
        reply = self.target.process_query(builder.build())
        made = _ids(reply, planned)
        self.world.subscriptions += made.values()
        if "spare" in definitions and succeeded(reply, published["spare"]):
            values["DeprecateDefinition.definitionId"] = values["DeleteDefinition.definitionId"] = (
                definitions["spare"]
            )
        if succeeded(reply, collateral):
            values["leafFileName"] = leaf  # GetCollateralUri and DeleteCollateral find it
        if "spare" in made:
            values["DeleteSubscription.subscriptionId"] = made["spare"]
        if "list" not in made:
            self._missing("no list subscription was published", reply)
            return made
        values["subscriptionId"], values["eventSourceId"] = made["list"], self.world.list_id
        values["associationName"] = names["list"]  # InteropService names a subscription so
        values["subscription"] = values["parentSubscription"] = getter(
            self.catalogue, "Subscription", "GetSubscription", made["list"]
        )
        return made

    def _names(self, kind: str) -> dict[str, str]:
        return {key: f"{self.run_id} conformance {key} {kind}" for key in ("list", "site", "spare")}

    def start(self, subscriptions: dict[str, uuid.UUID]) -> None:
        """Instances on the item: the arguments' (``instanceId``) and one of its own for each call
        that changes an instance's state, and a site workflow instance (so that
        EnumerateInstancesForSite has an item on any target); then the one ResumeWorkflow takes
        is suspended."""
        builder = RequestBuilder()
        instances = self._service(builder, "Instance")
        planned = {}
        on_item = (subscriptions["list"], self.world.item_id, {})
        for key in ("instance", *OWN_INSTANCES):
            with builder.exception_scope() as scope_id:
                planned[key] = (
                    scope_id,
                    builder.call(instances, "StartWorkflowOnListItemBySubscriptionId", *on_item),
                )
        if "site" in subscriptions:
            with builder.exception_scope() as scope_id:
                site = builder.method(
                    self._service(builder, "Subscription"), "GetSubscription", subscriptions["site"]
                )
                planned["site"] = (scope_id, builder.call(instances, "StartWorkflow", site, {}))
        reply = self.target.process_query(builder.build())
        started = _ids(reply, planned)
        self.world.instances += started.values()
        if "site" not in started:
            self._missing("no site workflow instance was started (EnumerateInstancesForSite may be empty)")
        if "instance" not in started:
            self._missing("no workflow instance was started on the item", reply)
        for key, instance_id in started.items():
            if key == "instance":
                self.values["instanceId"] = instance_id
            if key != "site":
                by_id = key.endswith("Id")
                self.values[key] = (
                    instance_id if by_id else getter(self.catalogue, "Instance", "GetInstance", instance_id)
                )
        if RESUMED in started:
            self._suspend(started[RESUMED])

    def _suspend(self, instance_id: uuid.UUID) -> None:
        builder = RequestBuilder()
        instances = self._service(builder, "Instance")
        builder.call(instances, "SuspendWorkflow", builder.method(instances, "GetInstance", instance_id))
        reply = self.target.process_query(builder.build())
        if reply.response is None or reply.response.header.error_info is not None:
            self._missing("the instance for ResumeWorkflow was not suspended", reply)

    def find_existing(self) -> None:
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
                found = builder.method(self._service(builder, kind), method, *args)
                planned[key] = (scope_id, builder.query(found, QuerySpec.select(), QuerySpec.select(*fields)))
        reply = self.target.process_query(builder.build())
        first = {key: next(iter(children(scoped_result(reply, *ids))), None) for key, ids in planned.items()}
        values = self.values
        for key, found in first.items():
            if found is None:
                self._missing(f"read-only run: the target has no workflow {key} to read")
        if (definition := first["definition"]) is not None:
            values["definitionId"] = values["workflowDefinitionId"] = definition.get("Id")
        if (subscription := first["subscription"]) is not None:
            values["subscriptionId"] = subscription.get("Id")
            values["eventSourceId"] = subscription.get("EventSourceId")
            values["definitionId"] = values["workflowDefinitionId"] = subscription.get("DefinitionId")
            values["subscription"] = values["parentSubscription"] = getter(
                self.catalogue, "Subscription", "GetSubscription", subscription.get("Id")
            )
        if (instance := first["instance"]) is not None:
            values["instanceId"] = instance.get("Id")
            values["instance"] = getter(self.catalogue, "Instance", "GetInstance", instance.get("Id"))


def _ids(reply: CsomReply, planned: Mapping[str, tuple[int, int]]) -> dict[str, uuid.UUID]:
    """The GUIDs scoped calls returned (SaveDefinition, PublishSubscription, Start…), by key."""
    return {
        key: v for key, read in planned.items() if isinstance(v := scoped_result(reply, *read), uuid.UUID)
    }


def succeeded(reply: CsomReply, scope_id: int) -> bool:
    results = reply.response.results if reply.response else {}
    return scope_id in results and scope_error(results[scope_id]) is None


# ---------------------------------------------------------------------------------------- clean-up


def clean_up_workflow(
    target: Target, catalogue: Catalogue, world: WorkflowWorld, *, others: bool = True
) -> list[str]:
    """Terminate the instances, delete the subscriptions and definitions (each in its own scope, in
    that order), then read them back, in the same request: what is still there (or still running)
    is returned. ``others``: other cases may have started instances of the subscriptions, found
    first. Never raises."""
    if not (world.definitions or world.subscriptions or world.instances):
        return []
    try:
        # other cases may have started instances of the run's subscriptions too: they block deleting
        running = _running(target, catalogue, world.subscriptions) if others else []
        builder = RequestBuilder()
        left = write_clean_up(builder, catalogue, replace(world, instances=[*world.instances, *running]))
        return left(target.process_query(builder.build()))
    except Exception as exc:  # clean-up reports, it never fails the run
        return [f"workflow clean-up: {type(exc).__name__}: {exc}"]


def write_clean_up(
    builder: RequestBuilder, catalogue: Catalogue, world: WorkflowWorld
) -> Callable[[CsomReply], list[str]]:
    """:func:`clean_up_workflow`'s request, written into ``builder``; returns what, by the answer,
    is still there."""
    instances = list(dict.fromkeys(world.instances))
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
    reads = _read_back(builder, catalogue, replace(world, instances=instances))
    return lambda reply: _still_there(reply, catalogue, reads)


def named_workflow(
    target: Target, catalogue: Catalogue, pattern: re.Pattern[str]
) -> tuple[WorkflowWorld, dict[str, str]]:
    """The definitions (by DisplayName) and subscriptions (by Name) of the current web whose name
    matches, as a world for :func:`clean_up_workflow`, and their names by what
    :func:`clean_up_workflow` calls them (``definition <id>``)."""
    builder = RequestBuilder()
    reads = {}
    for what, kind, method, args, name in (
        ("definition", "Deployment", "EnumerateDefinitions", (False,), "DisplayName"),
        ("subscription", "Subscription", "EnumerateSubscriptions", (), "Name"),
    ):
        with builder.exception_scope() as scope_id:
            found = builder.method(service(builder, catalogue, kind), method, *args)
            reads[what] = (
                name,
                scope_id,
                builder.query(found, QuerySpec.select(), QuerySpec.select("Id", name)),
            )
    reply = target.process_query(builder.build())
    world, names = WorkflowWorld(), {}
    for what, (name, *read) in reads.items():
        for item in children(scoped_result(reply, *read)):
            if (
                isinstance(item.get(name), str)
                and pattern.search(item[name])
                and isinstance(item.get("Id"), uuid.UUID)
            ):
                getattr(world, f"{what}s").append(item["Id"])
                names[f"{what} {item['Id']}"] = item[name]
    return world, names


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


def _read_back(
    builder: RequestBuilder, catalogue: Catalogue, world: WorkflowWorld
) -> list[tuple[str, int, int]]:
    """Every object of ``world`` read back, each in its own scope: (what, scope id, query id)."""
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
    return reads


def _still_there(reply: CsomReply, catalogue: Catalogue, reads: list[tuple[str, int, int]]) -> list[str]:
    running = {statuses(catalogue)[name] for name in RUNNING}
    left = []
    for what, scope_id, query_id in reads:
        # still there: a definition or subscription that reads back, an instance still running
        value = scoped_result(reply, scope_id, query_id)
        if isinstance(value, dict) and (not what.startswith("instance") or value.get("Status") in running):
            left.append(what)
    return left
