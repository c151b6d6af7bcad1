"""The workflow lifecycle of [MS-SPWFCSOM] as a Hypothesis state machine against the target:
definitions (3.1.5.8: save a draft, save again with the current or a stale DraftVersion, publish),
subscriptions (3.1.5.10: subscribe to the run's list or to the web), instances (3.1.5.9: start,
suspend, resume, terminate, cancel, commands on finished instances) and their status (3.1.5.12).

The suite keeps a model of every object an example made and of the WorkflowStatus each instance
may report (a set, in the order the host may move through it: a new instance may still be
NotStarted, a canceled one Canceling). Steps are chained (conformance.drive.chain): each writes its
call in its own exception scope into the pending request and is judged on its answer; the request
goes out when a step needs an answer, at most one step per object in it, and ends reading
everything back (GetDefinition, GetSubscription, GetInstance, Enumerate, CountInstances,
CountInstancesWithStatus, EnumerateInstancesForListItem / ForSite), so the target is compared with
the model after each step's change at no extra round trip: the machine's invariant. A status that
disagrees is blamed on the step that set the expectation; the model then follows the target, so
one wrong answer is not blamed again on the steps after it.

SaveDefinition, PublishSubscription and the Start methods return the new object's GUID, a value the
server makes up that no object path can stand for (PublishDefinition, GetSubscription, GetInstance
take it as a parameter): the new object is drawn from only once the request's answer has come (it
counts toward the example's limits from its step on).

Every check is recorded at a *site* (a CaseMeta: section, item, level), one case each; the
DraftVersion rule (3.1.5.1.1.1.14) is a MUST, everything else semantic, since the spec states
the transitions in prose only. Objects are named with the run id and removed at the end of each
example (teardown), also when a step fails.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, ParamSpec

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from conformance.case import CaseMeta, Level, RunOptions, case
from conformance.drive.chain import Chain, Judge
from conformance.drive.lanes import run_lanes
from conformance.drive.target import CsomReply, Target
from conformance.drive.world import World
from conformance.drive.world_wf import (
    WorkflowWorld,
    children,
    clean_up_workflow,
    new_definition,
    new_subscription,
    scoped_result,
    section,
    service,
    statuses,
    write_clean_up,
)
from conformance.judge import checks
from conformance.judge.checks import Check
from conformance.judge.sites import MachineOutcome, Verdicts
from conformance.model.catalogue import WF, catalogue
from conformance.wire import ObjectPathRef, QuerySpec, RequestBuilder

P = ParamSpec("P")  # a check's own parameters, through the judging helper
CATALOGUE = catalogue()
PROTOCOL = "ms-spwfcsom"
WHAT = "the workflow lifecycle"
STATUS = statuses(CATALOGUE)  # WorkflowStatus number by name (3.1.5.12)
STATUS_NAME = {number: name for name, number in STATUS.items()}
# steps per example (the profile sets the examples): with ten, suspend-then-resume is rarely reached
STEPS = 20
MAX_DEFINITIONS, MAX_SUBSCRIPTIONS, MAX_INSTANCES = 3, 3, 6  # per example: each request reads them all
CHAINED = 8  # most steps in one request
GUID = CATALOGUE.schema_for("CSOM GUID")  # what SaveDefinition, PublishSubscription, Start… return

# ------------------------------------------------------------------------------------------ sites

SITES: list[CaseMeta] = []


def _site(owner: str, member: str, check: str, level: Level = "semantic") -> CaseMeta:
    meta = CaseMeta(
        PROTOCOL,
        section(CATALOGUE, owner, member),
        CATALOGUE.item_id(WF + owner, member),
        f"lifecycle-{check}",
        level,
        writes=True,
    )
    SITES.append(meta)
    return meta


DEPLOYMENT, SUBSCRIPTIONS, INSTANCES = (
    "WorkflowDeploymentService",
    "WorkflowSubscriptionService",
    "WorkflowInstanceService",
)
SAVED = _site(DEPLOYMENT, "SaveDefinition", "accepts")
SAVED_READBACK = _site(DEPLOYMENT, "SaveDefinition", "readback")
# "the DraftVersion of the WorkflowDefinition MUST match the DraftVersion of the WorkflowDefinition
# on the server" (3.1.5.1.1.1.14): a save with a stale one is refused and changes nothing
DRAFT_MATCHING = _site("WorkflowDefinition", "DraftVersion", "matching-save")
DRAFT_STALE = _site("WorkflowDefinition", "DraftVersion", "stale-save-refused", "must")
DRAFT_KEPT = _site("WorkflowDefinition", "DraftVersion", "stale-save-changes-nothing", "must")
PUBLISHED = _site(DEPLOYMENT, "PublishDefinition", "accepts")
PUBLISHED_FLAG = _site("WorkflowDefinition", "Published", "readback")
SUBSCRIBED = _site(SUBSCRIPTIONS, "PublishSubscription", "accepts")
SUBSCRIBED_READBACK = _site(SUBSCRIPTIONS, "PublishSubscription", "readback")
# start methods by event source: an item of the run's list, or the web (a site workflow)
START_METHODS = {
    "list": ("StartWorkflowOnListItemBySubscriptionId", "StartWorkflowOnListItem"),
    "site": ("StartWorkflow",),
}
STARTED = {
    method: (_site(INSTANCES, method, "accepts"), _site(INSTANCES, method, "status"))
    for methods in START_METHODS.values()
    for method in methods
}
READ_STATUS = _site("WorkflowInstance", "Status", "readback")
READ_SUBSCRIPTION_ID = _site("WorkflowInstance", "WorkflowSubscriptionId", "readback")
ENUMERATED = _site(INSTANCES, "Enumerate", "model")
COUNTED = _site(INSTANCES, "CountInstances", "model")
COUNTED_BY_STATUS = _site(INSTANCES, "CountInstancesWithStatus", "model")
FOR_ITEM = _site(INSTANCES, "EnumerateInstancesForListItem", "includes")
FOR_SITE = _site(INSTANCES, "EnumerateInstancesForSite", "includes")


@dataclass(frozen=True)
class Command:
    """A command of WorkflowInstanceService and the model's expectation of it: the statuses it
    applies to and those the instance may then report, in the order the host may move through
    them (3.1.5.12.1.4: Canceling is "responding to" a cancel, Canceled follows)."""

    name: str
    applies_to: frozenset[str]
    then: tuple[str, ...]
    accepts: CaseMeta = field(init=False)
    status: CaseMeta = field(init=False)
    finished: CaseMeta = field(init=False)  # sent to a finished instance: its status stays

    def __post_init__(self) -> None:
        for check, name in (("accepts", "accepts"), ("status", "status"), ("finished", "finished-unchanged")):
            object.__setattr__(self, check, _site(INSTANCES, self.name, name))


COMMANDS = {
    command.name: command
    for command in (
        Command("SuspendWorkflow", frozenset({"Started"}), ("Suspended",)),
        Command("ResumeWorkflow", frozenset({"Suspended"}), ("Started",)),
        Command("TerminateWorkflow", frozenset({"Started", "Suspended"}), ("Terminated",)),
        Command("CancelWorkflow", frozenset({"Started", "Suspended"}), ("Canceling", "Canceled")),
    )
}
NEW = ("NotStarted", "Started")  # a new instance: the host may not have picked it up yet
FINISHED = frozenset({"Completed", "Canceled", "Terminated"})


def _onwards(number: Any, otherwise: tuple[str, ...]) -> tuple[str, ...]:
    """The statuses an instance read with status ``number`` may report next (a host still moving it
    on: Canceling, then Canceled); ``otherwise`` for a number that is no status."""
    status = STATUS_NAME.get(number)
    if status is None:
        return otherwise
    moves = next((m for m in (NEW, *(c.then for c in COMMANDS.values())) if status in m), (status,))
    return moves[moves.index(status) :]


# ------------------------------------------------------------------------------------------ model


@dataclass
class Definition:
    id: uuid.UUID
    name: str
    published: bool = False
    version: str | None = None
    version_known: bool = False  # read back since the last save
    issued: set[str | None] = field(default_factory=set)  # every DraftVersion the target has shown
    site: CaseMeta = SAVED_READBACK  # blamed when the name or version read back disagrees
    published_site: CaseMeta | None = PUBLISHED_FLAG  # Published still to be judged here


@dataclass
class Subscription:
    id: uuid.UUID
    definition: uuid.UUID
    source: str  # "list" or "site"
    source_id: uuid.UUID
    name: str


@dataclass
class Instance:
    id: uuid.UUID
    subscription: uuid.UUID
    on_item: bool
    allowed: tuple[str, ...]  # the statuses the target may report, in the order it may move through them
    site: CaseMeta  # blamed for a status outside ``allowed``: the step that set it, until read once
    # a command on it was refused, or left another status than predicted, earlier in the request
    # being judged: the later steps on it ran on a status the model does not know, so they are not
    # judged, and the model takes the status read back at the request's end
    doubted: bool = False


@dataclass
class WorkflowLane:
    """One lane of the machine (conformance.drive.lanes): the target, where workflows run, the verdicts."""

    target: Target
    run_id: str
    lane: int
    sources: dict[str, uuid.UUID]  # event sources: "list" (the run's list), "site" (the web)
    item_id: int | None
    verdicts: Verdicts
    leftovers: list[str] = field(default_factory=list)
    numbers: Iterator[int] = field(default_factory=itertools.count)

    def name(self, kind: str) -> str:
        return f"{self.run_id} lifecycle {kind} {self.lane}.{next(self.numbers)}"


Read = tuple[int, int]  # (exception scope id, id of the query or call inside it)


@dataclass(frozen=True)
class Answer:
    """A step's reply, judged: a violation is recorded at its site (the first per site), not
    raised, so the machine goes on and every site gets its verdict."""

    run: WorkflowLane
    reply: CsomReply

    def judge(self, site: CaseMeta, check: Check[P], /, *args: P.args, **kwargs: P.kwargs) -> bool:
        return self.run.verdicts.judge(site, [self.reply.exchange], check, *args, **kwargs)

    def ok(self, site: CaseMeta, scope_id: int) -> bool:
        return self.judge(site, checks.scope_ok, self.reply, scope_id)

    def value(self, site: CaseMeta, read: Read) -> Any:
        """The result of a scoped read or call, None when the scope failed (judged at ``site``)."""
        return scoped_result(self.reply, *read) if self.ok(site, read[0]) else None

    def returned_id(self, site: CaseMeta, read: Read) -> uuid.UUID | None:
        """The GUID a SaveDefinition / PublishSubscription / Start… call returned."""
        if self.ok(site, read[0]) and self.judge(
            site, checks.json_schema, self.reply.raw_results.get(read[1]), GUID
        ):
            return scoped_result(self.reply, *read)
        return None


# --------------------------------------------------------------------------------------- reading


@dataclass
class Reads:
    """The read-back half of a step's request, by object."""

    definitions: dict[uuid.UUID, Read] = field(default_factory=dict)
    subscriptions: dict[uuid.UUID, Read] = field(default_factory=dict)
    enumerations: dict[uuid.UUID, Read] = field(default_factory=dict)
    counts: dict[tuple[uuid.UUID, str | None], Read] = field(default_factory=dict)
    instances: dict[uuid.UUID, Read] = field(default_factory=dict)
    places: dict[CaseMeta, Read] = field(default_factory=dict)  # EnumerateInstancesForListItem / ForSite


def _ask(
    builder: RequestBuilder, parent: ObjectPathRef, method: str, *args: Any, fields: tuple[str, ...]
) -> Read:
    """``parent.method(args)`` queried for ``fields`` (a collection: its items' fields) in its own scope."""
    many = method.startswith("Enumerate")
    with builder.exception_scope() as scope_id:
        path = builder.method(parent, method, *args)
        query = builder.query(
            path,
            QuerySpec.select() if many else QuerySpec.select(*fields),
            QuerySpec.select(*fields) if many else None,
        )
    return scope_id, query


def _count(
    builder: RequestBuilder, services: Services, subscription_id: uuid.UUID, status: str | None
) -> Read:
    """CountInstances (status None) or CountInstancesWithStatus of a subscription, in its own scope."""
    with builder.exception_scope() as scope_id:
        parent = builder.method(services[SUBSCRIPTIONS], "GetSubscription", subscription_id)
        if status is None:
            call = builder.call(services[INSTANCES], "CountInstances", parent)
        else:
            call = builder.call(services[INSTANCES], "CountInstancesWithStatus", parent, STATUS[status])
    return scope_id, call


Services = dict[str, ObjectPathRef]


def _services(builder: RequestBuilder) -> Services:
    kinds = {DEPLOYMENT: "Deployment", SUBSCRIPTIONS: "Subscription", INSTANCES: "Instance"}
    return {owner: service(builder, CATALOGUE, kind) for owner, kind in kinds.items()}


# ---------------------------------------------------------------------------------------- machine


class WorkflowLifecycle(RuleBasedStateMachine):
    run: ClassVar[WorkflowLane]

    def __init__(self) -> None:
        super().__init__()
        self.definitions: dict[uuid.UUID, Definition] = {}
        self.subscriptions: dict[uuid.UUID, Subscription] = {}
        self.instances: dict[uuid.UUID, Instance] = {}
        self.created = WorkflowWorld()  # what teardown removes
        self.coming: Counter[str] = Counter()  # objects of pending steps, by kind: not in the model yet
        self.chain = Chain(self.run.target, CHAINED, closing=self._read_all)

    # ---- a request: its steps' calls, then everything read back

    def _counted(self, subscription_id: uuid.UUID, rotation: str) -> list[str | None]:
        """The counts a step asks for: all (CountInstances, and WithStatus NotSpecified), each status
        the subscription's instances may have, and one more status in turn (so every value is sent
        and counts of none are judged too, without ten calls per subscription and step)."""
        held = {s for i in self.instances.values() if i.subscription == subscription_id for s in i.allowed}
        return [None, *(s for s in STATUS if s in held or s in ("NotSpecified", rotation))]

    def _read_all(self, builder: RequestBuilder) -> Judge:
        services = _services(builder)
        reads = Reads()
        rotation = list(STATUS)[next(self.run.numbers) % len(STATUS)]
        deployment, subscriptions, instances = (services[k] for k in (DEPLOYMENT, SUBSCRIPTIONS, INSTANCES))
        for definition_id in self.definitions:
            fields = ("DisplayName", "DraftVersion", "Published")
            reads.definitions[definition_id] = _ask(
                builder, deployment, "GetDefinition", definition_id, fields=fields
            )
        for subscription_id in self.subscriptions:
            fields = ("DefinitionId", "EventSourceId", "Name")
            reads.subscriptions[subscription_id] = _ask(
                builder, subscriptions, "GetSubscription", subscription_id, fields=fields
            )
            parent = builder.method(subscriptions, "GetSubscription", subscription_id)
            reads.enumerations[subscription_id] = _ask(
                builder, instances, "Enumerate", parent, fields=("Id", "Status")
            )
            for status in self._counted(subscription_id, rotation):
                reads.counts[(subscription_id, status)] = _count(builder, services, subscription_id, status)
        for instance_id in self.instances:
            fields = ("Status", "WorkflowSubscriptionId")
            reads.instances[instance_id] = _ask(builder, instances, "GetInstance", instance_id, fields=fields)
        # an instance this request starts is judged here too, once its start's answer gave its id
        coming = self.coming["instance"] > 0
        if "list" in self.run.sources and (coming or any(i.on_item for i in self.instances.values())):
            list_id, item_id = self.run.sources["list"], self.run.item_id
            reads.places[FOR_ITEM] = _ask(
                builder, instances, "EnumerateInstancesForListItem", list_id, item_id, fields=("Id",)
            )
        if coming or any(not i.on_item for i in self.instances.values()):
            reads.places[FOR_SITE] = _ask(builder, instances, "EnumerateInstancesForSite", fields=("Id",))
        return lambda reply: self._compare(Answer(self.run, reply), reads)

    # ---- comparing the target with the model (the machine's invariant, after every step)

    def _compare(self, answer: Answer, reads: Reads) -> None:
        for definition_id, read in reads.definitions.items():
            self._compare_definition(answer, self.definitions[definition_id], read)
        for subscription_id, read in reads.subscriptions.items():
            mine = self.subscriptions[subscription_id]
            if (value := answer.value(SUBSCRIBED_READBACK, read)) is not None:
                fields = ("DefinitionId", "EventSourceId", "Name")
                answer.judge(
                    SUBSCRIBED_READBACK,
                    checks.equals,
                    tuple(value.get(f) for f in fields),
                    (mine.definition, mine.source_id, mine.name),
                    what=f"{fields} of subscription {mine.id}",
                )
        for instance_id, read in reads.instances.items():
            self._compare_instance(answer, self.instances[instance_id], read)
        for subscription_id, read in reads.enumerations.items():
            self._compare_enumeration(answer, subscription_id, read, reads.instances.keys())
        for (subscription_id, status), read in reads.counts.items():
            self._compare_count(answer, subscription_id, status, read)
        for site, read in reads.places.items():
            if (value := answer.value(site, read)) is not None:
                found = sorted(str(item.get("Id")) for item in children(value))
                for instance in self.instances.values():
                    if instance.on_item == (site is FOR_ITEM):
                        answer.judge(site, checks.contains, found, str(instance.id), what="instances")
        for instance in self.instances.values():
            instance.doubted = False

    def _compare_definition(self, answer: Answer, definition: Definition, read: Read) -> None:
        value = answer.value(definition.site, read)
        if value is None:
            return
        name, version = value.get("DisplayName"), value.get("DraftVersion")
        answer.judge(
            definition.site, checks.equals, name, definition.name, what=f"DisplayName of {definition.id}"
        )
        if definition.version_known:
            what = f"DraftVersion of {definition.id}"
            answer.judge(definition.site, checks.equals, version, definition.version, what=what)
        if definition.published_site is not None:
            what = f"Published of {definition.id}"
            answer.judge(
                definition.published_site,
                checks.equals,
                value.get("Published"),
                definition.published,
                what=what,
            )
        # from here on the model follows the target, so one wrong answer is blamed once
        definition.name, definition.version, definition.version_known = name, version, True
        definition.issued.add(version)
        definition.site, definition.published_site = SAVED_READBACK, None

    def _compare_instance(self, answer: Answer, instance: Instance, read: Read) -> None:
        value = answer.value(READ_STATUS, read)
        if value is None:
            return
        if instance.doubted:  # where the steps the target refused left it is not the model's to say
            instance.allowed = _onwards(value.get("Status"), instance.allowed)
        else:
            self._judge_status(answer, instance, instance.site, value.get("Status"))
        instance.site = READ_STATUS
        answer.judge(
            READ_SUBSCRIPTION_ID,
            checks.equals,
            value.get("WorkflowSubscriptionId"),
            instance.subscription,
            what=f"WorkflowSubscriptionId of {instance.id}",
        )

    @staticmethod
    def _judge_status(answer: Answer, instance: Instance, site: CaseMeta, number: Any) -> bool:
        """The status read is one the model allows; the model then narrows to it, or (a violation)
        follows the target."""
        status = STATUS_NAME.get(number, number)
        if answer.judge(site, checks.one_of, status, instance.allowed, what=f"Status of {instance.id}"):
            instance.allowed = instance.allowed[instance.allowed.index(status) :]
            return True
        if status in STATUS:
            instance.allowed = (status,)
        return False

    def _compare_enumeration(
        self, answer: Answer, subscription_id: uuid.UUID, read: Read, read_alone: Iterable[uuid.UUID]
    ) -> None:
        """The subscription's instances and their statuses; an instance started in this request (so
        not read alone in it) is first read here, and its status settles as a read of it alone would."""
        value = answer.value(ENUMERATED, read)
        if value is None:
            return
        found = {item.get("Id"): item.get("Status") for item in children(value)}
        mine = {i.id: i for i in self.instances.values() if i.subscription == subscription_id}
        answer.judge(
            ENUMERATED,
            checks.equals,
            sorted(map(str, found)),
            sorted(map(str, mine)),
            what=f"instances of subscription {subscription_id}",
        )
        for instance_id in found.keys() & mine.keys():
            instance = mine[instance_id]
            if instance_id not in read_alone and not instance.doubted:
                self._judge_status(answer, instance, instance.site, found[instance_id])
                instance.site = READ_STATUS
            status = STATUS_NAME.get(found[instance_id], found[instance_id])
            answer.judge(ENUMERATED, checks.one_of, status, instance.allowed, what=f"Status of {instance_id}")

    def _compare_count(
        self, answer: Answer, subscription_id: uuid.UUID, status: str | None, read: Read
    ) -> None:
        """CountInstances and CountInstancesWithStatus (NotSpecified: every status, 3.1.5.9.2.1.6)
        within what the model allows (an instance whose status is not settled may count either way)."""
        site = COUNTED if status is None else COUNTED_BY_STATUS
        counted = answer.value(site, read)
        if counted is None:
            return
        mine = [i for i in self.instances.values() if i.subscription == subscription_id]
        low = len(mine) if status in (None, "NotSpecified") else sum(i.allowed == (status,) for i in mine)
        high = len(mine) if status in (None, "NotSpecified") else sum(status in i.allowed for i in mine)
        what = f"count of {status or 'all'} instances of {subscription_id}"
        answer.judge(site, checks.one_of, counted, list(range(low, high + 1)), what=what)

    # ---- steps: each writes its calls (the builder last, for Chain) and returns how to judge them;
    # a step the model predicts takes effect in the model as it is written (so the steps drawn after
    # it see it), and its judge undoes that when the target refused it

    def _save_new(self, builder: RequestBuilder) -> Judge:
        name = self.run.name("definition")
        with builder.exception_scope() as scope_id:
            definition = new_definition(builder, CATALOGUE, name)
            call = builder.call(_services(builder)[DEPLOYMENT], "SaveDefinition", definition)
        self.coming["definition"] += 1

        def judge(reply: CsomReply) -> None:
            self.coming["definition"] -= 1
            if (definition_id := Answer(self.run, reply).returned_id(SAVED, (scope_id, call))) is not None:
                self.definitions[definition_id] = Definition(definition_id, name)
                self.created.definitions.append(definition_id)

        return judge

    def _save_again(
        self, definition: Definition, version: str | None, stale: bool, builder: RequestBuilder
    ) -> Judge:
        name = f"{definition.name} (stale)" if stale else self.run.name("definition")
        with builder.exception_scope() as scope_id:
            submitted = new_definition(builder, CATALOGUE, name, Id=definition.id, DraftVersion=version)
            builder.call(_services(builder)[DEPLOYMENT], "SaveDefinition", submitted)

        before = (definition.name, definition.version_known, definition.site)
        if stale:
            definition.site = DRAFT_KEPT  # the read-back must show the definition as it was
        else:  # the model predicts the save taken
            definition.name, definition.version_known, definition.site = name, False, DRAFT_MATCHING

        def judge(reply: CsomReply) -> None:
            answer = Answer(self.run, reply)
            if stale:
                answer.judge(DRAFT_STALE, checks.scope_refused, answer.reply, scope_id)
            elif not answer.ok(DRAFT_MATCHING, scope_id):
                definition.name, definition.version_known, definition.site = before

        return judge

    def _publish(self, definition: Definition, builder: RequestBuilder) -> Judge:
        with builder.exception_scope() as scope_id:
            builder.call(_services(builder)[DEPLOYMENT], "PublishDefinition", definition.id)

        before = (definition.published, definition.published_site)
        definition.published, definition.published_site = True, PUBLISHED_FLAG  # predicted

        def judge(reply: CsomReply) -> None:
            if not Answer(self.run, reply).ok(PUBLISHED, scope_id):
                definition.published, definition.published_site = before

        return judge

    def _subscribe(self, definition: Definition, source: str, builder: RequestBuilder) -> Judge:
        name, source_id = self.run.name("subscription"), self.run.sources[source]
        with builder.exception_scope() as scope_id:
            subscription = new_subscription(builder, CATALOGUE, name, definition.id, source_id)
            call = builder.call(_services(builder)[SUBSCRIPTIONS], "PublishSubscription", subscription)
        self.coming["subscription"] += 1

        def judge(reply: CsomReply) -> None:
            self.coming["subscription"] -= 1
            if (
                subscription_id := Answer(self.run, reply).returned_id(SUBSCRIBED, (scope_id, call))
            ) is not None:
                self.subscriptions[subscription_id] = Subscription(
                    subscription_id, definition.id, source, source_id, name
                )
                self.created.subscriptions.append(subscription_id)

        return judge

    def _start(self, subscription: Subscription, method: str, builder: RequestBuilder) -> Judge:
        services = _services(builder)
        on_item = subscription.source == "list"
        with builder.exception_scope() as scope_id:
            if method == "StartWorkflowOnListItemBySubscriptionId":
                call = builder.call(services[INSTANCES], method, subscription.id, self.run.item_id, {})
            else:
                parent = builder.method(services[SUBSCRIPTIONS], "GetSubscription", subscription.id)
                item = (self.run.item_id,) if on_item else ()
                call = builder.call(services[INSTANCES], method, parent, *item, {})
        self.coming["instance"] += 1

        def judge(reply: CsomReply) -> None:
            self.coming["instance"] -= 1
            accepts, status = STARTED[method]
            if (instance_id := Answer(self.run, reply).returned_id(accepts, (scope_id, call))) is not None:
                self.instances[instance_id] = Instance(instance_id, subscription.id, on_item, NEW, status)
                self.created.instances.append(instance_id)

        return judge

    @staticmethod
    def _call(builder: RequestBuilder, services: Services, instance: Instance, command: Command) -> int:
        """``command(GetInstance(id))`` in its own scope; returns the scope id."""
        with builder.exception_scope() as scope_id:
            path = builder.method(services[INSTANCES], "GetInstance", instance.id)
            builder.call(services[INSTANCES], command.name, path)
        return scope_id

    def _command(self, instance: Instance, command: Command, builder: RequestBuilder) -> Judge:
        """The command, then the status it left: several commands on one instance share a request."""
        services = _services(builder)
        scope_id = self._call(builder, services, instance, command)
        read = _ask(builder, services[INSTANCES], "GetInstance", instance.id, fields=("Status",))
        before = (instance.allowed, instance.site)
        instance.allowed, instance.site = command.then, command.status  # predicted

        def judge(reply: CsomReply) -> None:
            answer = Answer(self.run, reply)
            if instance.doubted:
                instance.allowed = tuple(STATUS)  # until read back
                return
            if not answer.ok(command.accepts, scope_id):
                instance.allowed, instance.site, instance.doubted = (*before, True)
            elif (value := answer.value(command.status, read)) is not None:
                # against this step's own prediction: a later step of the request may have moved the model on
                status = STATUS_NAME.get(value.get("Status"), value.get("Status"))
                what = f"Status of {instance.id}"
                if not answer.judge(command.status, checks.one_of, status, command.then, what=what):
                    # the model follows the target, and the later steps on it are not blamed
                    instance.allowed = _onwards(value.get("Status"), before[0])
                    instance.site, instance.doubted = READ_STATUS, True

        return judge

    def _commands_on_finished(self, instance: Instance, builder: RequestBuilder) -> Judge:
        """Every command, each followed by a read of the status: accepted or refused, none changes
        the status of a finished instance."""
        services = _services(builder)
        reads = []
        for command in COMMANDS.values():
            self._call(builder, services, instance, command)
            read = _ask(builder, services[INSTANCES], "GetInstance", instance.id, fields=("Status",))
            reads.append((command, read))

        def judge(reply: CsomReply) -> None:
            answer = Answer(self.run, reply)
            if instance.doubted:
                instance.allowed = tuple(STATUS)  # until read back
                return
            for command, read in reads:
                value = answer.value(command.finished, read)
                if value is None or not self._judge_status(
                    answer, instance, command.finished, value.get("Status")
                ):
                    break  # no longer finished: the commands after it are not judged here

        return judge

    # ---- choosing

    def _settled(self, *names: str) -> list[Instance]:
        """Instances whose status the model knows to be one of ``names``."""
        return [i for i in self.instances.values() if len(i.allowed) == 1 and i.allowed[0] in names]

    def _known(self) -> list[Definition]:
        return [d for d in self.definitions.values() if d.version_known]

    def _published(self, published: bool) -> list[Definition]:
        return [d for d in self.definitions.values() if d.published == published]

    # ---- rules: an object drawn is settled (the pending steps on it judged) before its step is
    # written, and the step left out when a refusal undid what the model predicted

    @initialize()
    def prepare(self) -> None:
        """Two definitions saved, the first published and subscribed to, two instances started and
        the first terminated, in three requests (each names an id the one before returned): every
        rule then applies, so that no example stops short for want of one (Hypothesis turns some
        rules off in each example; an example none of whose rules applies is thrown away, with the
        requests it made)."""
        self.chain.add(self._save_new)
        self.chain.send(self._save_new)
        for definition in list(self.definitions.values())[:1]:
            self.chain.add(partial(self._publish, definition))
            source = "list" if "list" in self.run.sources else "site"
            self.chain.send(partial(self._subscribe, definition, source))
        for subscription in list(self.subscriptions.values()):
            method = START_METHODS[subscription.source][0]
            self.chain.add(partial(self._start, subscription, method))
            self.chain.send(partial(self._start, subscription, method))
        for instance in self._settled("Started")[:1]:
            self.chain.add(partial(self._command, instance, COMMANDS["TerminateWorkflow"]))

    def _saves(self) -> list[str]:
        kinds = ["new"] if len(self.definitions) + self.coming["definition"] < MAX_DEFINITIONS else []
        return kinds + (["current", "stale"] if self._known() else [])

    @precondition(lambda self: self._saves())
    @rule(data=st.data())
    def save(self, data: st.DataObject) -> None:
        """A new draft, or a saved definition again with its current DraftVersion or a stale one
        (one rule, so that the instance commands get most of the steps)."""
        kind = data.draw(st.sampled_from(self._saves()), label="save")
        if kind == "new":
            self.chain.add(self._save_new)
            return
        definition = data.draw(st.sampled_from(self._known()), label="definition")
        self.chain.settle([definition.id])
        if not definition.version_known:
            return  # a save pending on it was taken: its DraftVersion is not known until read back
        # stale: a DraftVersion the target issued before (the real conflict), else one it never issued
        stale = sorted(v for v in definition.issued if v is not None and v != definition.version)
        versions = {"current": [definition.version], "stale": [*stale, f"{self.run.run_id}-never-issued"]}
        version = data.draw(st.sampled_from(versions[kind]), label="DraftVersion")
        self.chain.add(partial(self._save_again, definition, version, kind == "stale"), [definition.id])

    @precondition(lambda self: self._published(False))
    @rule(data=st.data())
    def publish(self, data: st.DataObject) -> None:
        definition = data.draw(st.sampled_from(self._published(False)), label="definition")
        self.chain.settle([definition.id])
        if not definition.published:
            self.chain.add(partial(self._publish, definition), [definition.id])

    @precondition(
        lambda self: (
            len(self.subscriptions) + self.coming["subscription"] < MAX_SUBSCRIPTIONS
            and self._published(True)
        )
    )
    @rule(data=st.data())
    def subscribe(self, data: st.DataObject) -> None:
        definition = data.draw(st.sampled_from(self._published(True)), label="definition")
        source = data.draw(st.sampled_from(sorted(self.run.sources)), label="event source")
        # sent at once: a subscription to the web is the only way to StartWorkflow, a rare draw
        self.chain.send(partial(self._subscribe, definition, source), [definition.id])

    @precondition(
        lambda self: self.subscriptions and len(self.instances) + self.coming["instance"] < MAX_INSTANCES
    )
    @rule(data=st.data())
    def start(self, data: st.DataObject) -> None:
        subscription = data.draw(st.sampled_from(list(self.subscriptions.values())), label="subscription")
        method = data.draw(st.sampled_from(START_METHODS[subscription.source]), label="method")
        self.chain.add(partial(self._start, subscription, method))

    def _commands(self) -> dict[Command, list[Instance]]:
        """The instances each command applies to, by the model: suspend a Started instance, resume a
        Suspended one, terminate or cancel either."""
        applies = {c: self._settled(*c.applies_to) for c in COMMANDS.values()}
        return {command: instances for command, instances in applies.items() if instances}

    @precondition(lambda self: self._commands())
    @rule(data=st.data())
    def command(self, data: st.DataObject) -> None:
        """SuspendWorkflow, ResumeWorkflow, TerminateWorkflow or CancelWorkflow (one rule; the
        command drawn first, so a resume is as likely as a suspend however many instances run)."""
        applicable = self._commands()
        command = data.draw(st.sampled_from(list(applicable)), label="command")
        instance = data.draw(st.sampled_from(applicable[command]), label="instance")
        self.chain.add(partial(self._command, instance, command))

    @precondition(lambda self: self._settled(*FINISHED))
    @rule(data=st.data())
    def commands_on_finished(self, data: st.DataObject) -> None:
        instance = data.draw(st.sampled_from(self._settled(*FINISHED)), label="instance")
        self.chain.add(partial(self._commands_on_finished, instance))

    def teardown(self) -> None:
        """The pending steps, the read-back and the clean-up in one request (again on its own when
        that failed); no other case starts instances of the lane's subscriptions: it knows them all."""
        cleaned = False

        def clean_up(builder: RequestBuilder) -> Judge:
            left = write_clean_up(builder, CATALOGUE, self.created)

            def judge(reply: CsomReply) -> None:
                nonlocal cleaned
                self.run.leftovers += left(reply)
                cleaned = True

            return judge

        try:
            self.chain.flush(then=clean_up)
        finally:
            if not cleaned:
                self.run.leftovers += clean_up_workflow(
                    self.run.target, CATALOGUE, self.created, others=False
                )


# ------------------------------------------------------------------------------------------ cases


@pytest.fixture(scope="module")
def lifecycle(target: Target, world: World, run_options: RunOptions) -> Iterator[MachineOutcome]:
    place, verdicts, runs = world.workflow, Verdicts(), []
    sources = {k: v for k, v in (("list", place.list_id), ("site", place.web_id)) if v is not None}
    if not sources:
        yield MachineOutcome(WHAT, verdicts, f"no list or web to run workflows on: {world.problems}")
        return

    def machine(lane: int) -> type[WorkflowLifecycle]:
        runs.append(WorkflowLane(target, run_options.run_id, lane, sources, place.item_id, verdicts))
        return type("WorkflowLifecycleRun", (WorkflowLifecycle,), {"run": runs[-1]})

    error = run_lanes(
        machine, concurrency=target.connection.max_concurrency, run_seed=run_options.seed,
        profile=settings.get_profile(f"conformance-{run_options.profile}"), steps=STEPS,
    )  # fmt: skip
    if leftovers := [name for run in runs for name in run.leftovers]:
        print(f"\nconformance: could not remove workflow object(s) this run created: {leftovers}")
    yield MachineOutcome(WHAT, verdicts, error)


# its lanes make the most round trips of a run: a worker without the task lifecycle or the method
# calls (conformance.pytest.shard)
@pytest.mark.shard_weight(1500)
@pytest.mark.parametrize("site", [case(site, site) for site in SITES])
def test_workflow_lifecycle(site: CaseMeta, lifecycle: MachineOutcome) -> None:
    lifecycle.settle(site)
