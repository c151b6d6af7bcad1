"""The section-4 examples of [MS-WMCSOM] and [MS-SPWFCSOM], replayed against the target.

Each example's request (from specs/, with its errata patches applied) is sent, and the answer is
compared in *shape* with the example's response: every action id of the example is answered,
objects carry the same ``_ObjectType_`` and at least the same property names, values are of the
same kind (Date, Guid, text, number, Boolean, array, object). The values may differ, and a target
may add properties (section 1.8). The examples are informative, so every case is semantic; a
failure names the errata the example needed.

Requests go in JSOM's compact layout with their own versions and application names (the printed
indentation is page layout, erratum ex-wm-whitespace-and-version) and are adapted only where they
name what belongs to the server they were recorded on:

- MS-WMCSOM 4.1 is sent as printed; the run creates a task first, so the collection has items.
- 4.2 updates a task this run created instead of task 13; the new title carries the run id.
- 4.3 names its task with the run id. As printed, CreateTask gets 6 of its 8 parameters (erratum
  ex-wm-4.3-createtask-params): a target may refuse that or take it; the reading (no start date,
  no edit URL) must be taken.
- The MS-SPWFCSOM examples are one recorded session (erratum ex-wf-4-recorded-ids), replayed in its
  order 4.3, 4.2, 4.1, 4.4. Their Identity paths name the recording server's web, a new
  definition, a new subscription and the subscription 4.1 made: each becomes the identity the
  target issues for that object (ObjectIdentityQuery on RequestContext.Current.Web, on a new
  WorkflowDefinition and WorkflowSubscription, on the subscription the target's 4.1 answer names).
  The recorded site, web and list ids become the target's (the first list of its web), the
  definition id a fresh one; names carry the run id; 4.3 saves a well-formed definition (erratum
  ex-wf-4.3-xaml). 4.1 is sent as printed, with EventSource/EventType that the table lacks (a
  target may refuse them, erratum ex-wf-4.1-subscription-props), and as the table has it
  (EventTypes). An example whose objects the target cannot name is skipped, saying why.

Everything the replays create is removed at the end of the module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from conformance.case import CaseMeta, RunOptions, case
from conformance.drive.target import CsomReply, Target
from conformance.drive.world import World, clean_up, create_task
from conformance.judge import checks
from conformance.judge.checks import Site, Violation, verify
from conformance.model.catalogue import WF as WF_NAMESPACE
from conformance.model.catalogue import WM as WM_NAMESPACE
from conformance.model.catalogue import catalogue
from conformance.model.routes import REQUEST_CONTEXT_TYPE_ID, web, writes
from conformance.spec.data import load_csom, specs_dir
from conformance.spec.errata import load_errata
from conformance.spec.model import Example
from conformance.wire import (
    SELECT_ALL,
    Constructor,
    Dictionary,
    Identity,
    Method,
    MethodAction,
    ObjectPathRef,
    QuerySpec,
    Request,
    RequestBuilder,
    SetProperty,
    parse_request,
    to_xml,
)

CATALOGUE = catalogue()
ERRATA = {erratum.id for erratum in load_errata(specs_dir() / "errata.toml")}
WM, WF = "ms-wmcsom", "ms-spwfcsom"
TASK = CATALOGUE.types[WM_NAMESPACE + "Task"].short_name
# What the recorded session named on its server (erratum ex-wf-4-recorded-ids).
RECORDED_SITE = uuid.UUID("e3137044-d96b-4989-ad80-aed34f0cc10b")
RECORDED_WEB = uuid.UUID("375160a8-0ab6-46f2-9b3d-b987684b30e3")
RECORDED_LIST = uuid.UUID("96424cc8-dc44-409d-ad9e-87236ee608a2")
RECORDED_DEFINITION = uuid.UUID("3988dd69-2ffa-45b5-b3f0-5735d4150110")
RECORDED_SUBSCRIPTION = uuid.UUID("b72d25f3-8327-41d5-836d-ad956da3eb45")
RECORDED_IDS = {
    RECORDED_SITE: "site",
    RECORDED_WEB: "web",
    RECORDED_LIST: "list",
    RECORDED_DEFINITION: "definition",
    RECORDED_SUBSCRIPTION: "subscription",
}
RECORDED_IDENTITIES = {
    f"740c6a0b-85e2-48a0-a494-e0f1759d4aa7:web:{RECORDED_WEB}": "web",
    "98b53367-9eab-45ad-ae5a-6e041f4b3be8:8290b9e3-2772-45fb-8bee-e502ed37cef3": "new definition",
    f"50e607f0-ceab-4a8c-90c5-81e2f2ba78d9:{uuid.UUID(int=0)}": "new subscription",
    f"50e607f0-ceab-4a8c-90c5-81e2f2ba78d9:{RECORDED_SUBSCRIPTION}": "subscription",
}
# where a replay gets the target's identity for each object the examples name by identity
ORIGINS = {
    "web": "RequestContext.Current.Web",
    "new definition": "a new WorkflowDefinition",
    "new subscription": "a new WorkflowSubscription",
    "subscription": "the subscription the target's answer to example 4.1 names",
}
# A definition a workflow host can publish (the printed one is an abbreviation, ex-wf-4.3-xaml).
DEFINITION_XAML = (
    '<Activity xmlns="http://schemas.microsoft.com/netfx/2009/xaml/activities">'
    '<Sequence><WriteLine Text="csom-conformance example 4.3" /></Sequence></Activity>'
)
# Errata whose readings a replay applies, beyond the patches the example data already carries.
READINGS = {
    (WM, "4.1"): ("ex-wm-whitespace-and-version",),
    (WM, "4.2"): ("ex-wm-whitespace-and-version",),
    (WM, "4.3"): ("ex-wm-whitespace-and-version", "ex-wm-4.3-createtask-params"),
    (WF, "4.1"): ("ex-wf-4-recorded-ids", "ex-wf-4.1-subscription-props"),
    (WF, "4.2"): ("ex-wf-4-recorded-ids",),
    (WF, "4.3"): ("ex-wf-4-recorded-ids", "ex-wf-4.3-xaml"),
    (WF, "4.4"): ("ex-wf-4-recorded-ids",),
}
# Examples also sent as printed: their errata say a target may refuse the printed form or take it.
AS_PRINTED = {(WM, "4.3"), (WF, "4.1")}
assert {e for ids in READINGS.values() for e in ids} <= ERRATA, "an erratum named here is not in specs/"


def _writes(example: Example) -> bool:
    request = parse_request(example.request or "")
    methods = [p.name for p in request.object_paths if isinstance(p, Method)]
    methods += [a.name for a in request.actions if isinstance(a, MethodAction)]
    return any(writes(name) for name in methods)


@dataclass(frozen=True)
class Variant:
    """One example as one case; ``printed``: the printed form that an erratum's reading departs from."""

    protocol: str
    example: Example
    printed: bool = False

    @property
    def key(self) -> tuple[str, str, bool]:
        return (self.protocol, self.example.section, self.printed)

    @property
    def errata(self) -> tuple[str, ...]:
        return (*self.example.errata, *READINGS.get((self.protocol, self.example.section), ()))

    @property
    def meta(self) -> CaseMeta:
        check = "example-shape-as-printed" if self.printed else "example-shape"
        section = self.example.section
        return CaseMeta(
            self.protocol, section, f"example-{section}", check, "semantic", writes=_writes(self.example)
        )


VARIANTS = [
    Variant(protocol, example, printed)
    for protocol in (WM, WF)
    for example in load_csom(protocol).examples
    if example.request is not None
    for printed in (False, True)
    if not printed or (protocol, example.section) in AS_PRINTED
]


# ----------------------------------------------------------------------------------- adaptation


@dataclass(frozen=True)
class Adaptation:
    """What in a recorded request becomes the target's own."""

    identities: Mapping[str, str] = field(default_factory=dict)  # Identity path name -> the target's
    ids: Mapping[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # in Guid values and in text
    properties: Mapping[str, Any] = field(default_factory=dict)  # SetProperty name -> new value
    arguments: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)  # method name -> parameters


def _value(value: Any, ids: Mapping[uuid.UUID, uuid.UUID]) -> Any:
    if isinstance(value, uuid.UUID):
        return ids.get(value, value)
    if isinstance(value, str):
        for recorded, ours in ids.items():
            value = value.replace(str(recorded), str(ours))
        return value
    if isinstance(value, tuple):
        return tuple(_value(item, ids) for item in value)
    if isinstance(value, Dictionary):
        return Dictionary({name: _value(item, ids) for name, item in value.entries.items()})
    return value


def adapt(request: Request, adaptation: Adaptation) -> Request:
    def parameters(name: str, given: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(_value(p, adaptation.ids) for p in adaptation.arguments.get(name, given))

    paths = []
    for path in request.object_paths:
        if isinstance(path, Identity):
            path = replace(path, name=adaptation.identities.get(path.name, path.name))
        elif isinstance(path, Method):
            path = replace(path, parameters=parameters(path.name, path.parameters))
        elif isinstance(path, Constructor):
            path = replace(path, parameters=tuple(_value(p, adaptation.ids) for p in path.parameters))
        paths.append(path)
    actions = []
    for action in request.actions:
        if isinstance(action, SetProperty):
            value = adaptation.properties.get(action.name, action.value)
            action = replace(action, value=_value(value, adaptation.ids))
        elif isinstance(action, MethodAction):
            action = replace(action, parameters=parameters(action.name, action.parameters))
        actions.append(action)
    return replace(request, actions=tuple(actions), object_paths=tuple(paths))


def _arguments(request: Request, method: str) -> tuple[Any, ...]:
    return next(p.parameters for p in request.object_paths if isinstance(p, Method) and p.name == method)


def _unknown(request: Request) -> list[str]:
    """What of the recording server an adapted request still names."""
    names = [path.name for path in request.object_paths if isinstance(path, Identity)]
    found = [
        f"the identity of {ORIGINS[RECORDED_IDENTITIES[name]]}"
        for name in names
        if name in RECORDED_IDENTITIES
    ]
    text = to_xml(request).decode()
    return found + [
        f"the {what} {recorded}" for recorded, what in RECORDED_IDS.items() if str(recorded) in text
    ]


def event_types(request: Request) -> Request:
    """4.1 as the table has it: EventTypes instead of EventSource and EventType (3.1.5.5.1.1)."""
    actions = []
    for action in request.actions:
        if isinstance(action, SetProperty) and action.name == "EventSource":
            continue
        if isinstance(action, SetProperty) and action.name == "EventType":
            action = replace(action, name="EventTypes", value=(action.value,))
        actions.append(action)
    return replace(request, actions=tuple(actions))


# -------------------------------------------------------------------------------------- replays


@dataclass(frozen=True)
class Replay:
    reply: CsomReply | None
    reason: str = ""  # why the example was not sent
    items: bool = False  # collections must have items (the run made one)


def _guid(raw: Any) -> uuid.UUID | None:
    """A ``/Guid(…)/`` result as a UUID."""
    text = raw[6:-2] if isinstance(raw, str) and raw.startswith("/Guid(") and raw.endswith(")/") else ""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _manager(builder: RequestBuilder) -> ObjectPathRef:
    manager = CATALOGUE.types[WF_NAMESPACE + "WorkflowServicesManager"]
    return builder.construct(manager.type_id, web(builder))


class Replayer:
    """Sends the examples in order, keeping what they create for clean-up."""

    def __init__(self, target: Target, run_options: RunOptions) -> None:
        self.target, self.run_id, self.read_only = target, run_options.run_id, run_options.read_only
        self.tasks = World()
        self.definitions: list[uuid.UUID] = []
        self.subscriptions: list[uuid.UUID] = []
        self.instances: list[uuid.UUID] = []
        self.replays: dict[tuple[str, str, bool], Replay] = {}

    def example(self, protocol: str, section: str) -> tuple[Variant, Request]:
        variant = next(v for v in VARIANTS if v.key == (protocol, section, False))
        return variant, parse_request(variant.example.request or "")

    def send(self, key: tuple[str, str, bool], request: Request, items: bool = False) -> CsomReply:
        reply = self.target.process_query(request)
        self.replays[key] = Replay(reply, items=items)
        return reply

    def skip(self, reason: str, *keys: tuple[str, str, bool]) -> None:
        for key in keys:
            self.replays.setdefault(key, Replay(None, reason))

    def run(self) -> dict[tuple[str, str, bool], Replay]:
        for variant in VARIANTS:
            if self.read_only and variant.meta.writes:
                self.skip("--read-only: the example writes to the target", variant.key)
        protocols = [self.task_examples, *([] if self.read_only else [self.workflow_examples])]
        # the two protocols' examples name objects of their own: in parallel, as the target allows
        with ThreadPoolExecutor(min(len(protocols), self.target.connection.max_concurrency)) as pool:
            for replayed in [pool.submit(examples) for examples in protocols]:
                replayed.result()
        return self.replays

    # ---- MS-WMCSOM

    def task_examples(self) -> None:
        task_id = None
        if not self.read_only:
            _, task_id = create_task(self.target, CATALOGUE, f"{self.run_id} example task")
            if task_id is not None:
                self.tasks.created_tasks.append(task_id)
        _, reading = self.example(WM, "4.1")
        self.send((WM, "4.1", False), reading, items=task_id is not None)
        if self.read_only:
            return
        _, update = self.example(WM, "4.2")
        if task_id is None:
            self.skip("CreateTask gave no task for example 4.2 to update", (WM, "4.2", False))
        else:
            _, field_number, title = _arguments(update, "UpdateTaskWithLocalizedValue")
            arguments = {"UpdateTaskWithLocalizedValue": (task_id, field_number, f"{self.run_id} {title}")}
            self.send((WM, "4.2", False), adapt(update, Adaptation(arguments=arguments)))
        _, create = self.example(WM, "4.3")
        printed = _arguments(create, "CreateTask")
        name = f"{self.run_id} {printed[0]}"
        # the response shows what was left out: StartDate is MinValue, DueDate the printed date
        eight = (name, printed[1], None, *printed[2:], None)
        for key, arguments in (((WM, "4.3", True), (name, *printed[1:])), ((WM, "4.3", False), eight)):
            reply = self.send(key, adapt(create, Adaptation(arguments={"CreateTask": arguments})))
            for shown, ours in _answers(self.example(WM, "4.3")[0].example, reply):
                if (
                    _member(shown, "_ObjectType_") == TASK
                    and isinstance(ours, dict)
                    and isinstance(ours.get("Id"), int)
                ):
                    self.tasks.created_tasks.append(ours["Id"])

    # ---- MS-SPWFCSOM

    def discover(self) -> Adaptation:
        """The target's own identities for the objects the examples name, and its site, web and list
        ids, from one request (each probe in its own scope)."""
        builder = RequestBuilder()
        current = builder.static_property(REQUEST_CONTEXT_TYPE_ID, "Current")
        site_web = builder.property(current, "Web")
        definition, subscription = (
            CATALOGUE.types[WF_NAMESPACE + n] for n in ("WorkflowDefinition", "WorkflowSubscription")
        )
        objects = {
            "web": site_web,
            "new definition": builder.construct(definition.type_id),
            "new subscription": builder.construct(subscription.type_id),
        }
        probes = {}
        for role, path in objects.items():
            with builder.exception_scope():
                probes[role] = builder.object_identity_query(path)
        reads = {}
        for recorded, path in (
            (RECORDED_WEB, site_web),
            (RECORDED_SITE, builder.property(current, "Site")),
            (RECORDED_LIST, builder.property(site_web, "Lists")),
        ):
            collection = recorded == RECORDED_LIST
            with builder.exception_scope():
                query = SELECT_ALL if collection else QuerySpec.select("Id")
                reads[recorded] = builder.query(path, query, QuerySpec.select("Id") if collection else None)
        raw = self.target.process_query(builder.build()).raw_results
        issued = {role: _member(raw.get(probe), "_ObjectIdentity_") for role, probe in probes.items()}
        identities = {
            recorded: issued[role]
            for recorded, role in RECORDED_IDENTITIES.items()
            if isinstance(issued.get(role), str)
        }
        ids = {recorded: _guid(_first_id(raw.get(read))) for recorded, read in reads.items()}
        return Adaptation(identities, {recorded: found for recorded, found in ids.items() if found})

    def subscription(self, adaptation: Adaptation) -> Adaptation:
        """The adaptation naming the subscription the target's 4.1 answer made, as 4.4 needs."""
        subscription = self.subscriptions[-1]
        builder = RequestBuilder()
        service = builder.method(_manager(builder), "GetWorkflowSubscriptionService")
        probe = builder.object_identity_query(builder.method(service, "GetSubscription", subscription))
        identity = _member(
            self.target.process_query(builder.build()).raw_results.get(probe), "_ObjectIdentity_"
        )
        recorded = next(name for name, role in RECORDED_IDENTITIES.items() if role == "subscription")
        identities = {**adaptation.identities, **({recorded: identity} if isinstance(identity, str) else {})}
        return replace(
            adaptation, identities=identities, ids={**adaptation.ids, RECORDED_SUBSCRIPTION: subscription}
        )

    def workflow_examples(self) -> None:
        definition = uuid.uuid4()
        found = self.discover()
        adaptation = replace(
            found,
            ids={**found.ids, RECORDED_DEFINITION: definition},
            properties={
                "DisplayName": f"{self.run_id} csomTest2",
                "Name": f"{self.run_id} testWorkflowAssociation1",
            },
        )
        for section, printed in SESSION:
            key = (WF, section, printed)
            _, request = self.example(WF, section)
            failed = [s for s in PREREQUISITES.get(section, ()) if not self.answered((WF, s, False))]
            if failed:
                self.skip(f"example {section} needs example {failed[0]} to succeed first (see its case)", key)
                continue
            if section == "4.4":
                if not self.subscriptions:  # 4.1 answered, but under no id this replay could read
                    self.skip("example 4.4 needs the subscription id example 4.1 gave (see its case)", key)
                    continue
                adaptation = self.subscription(adaptation)
            change = CHANGES.get((section, printed))
            adapted = adapt(change(request) if change else request, adaptation)
            unknown = _unknown(adapted)
            if unknown:
                self.skip(
                    f"example {section} names what the target gave no counterpart of: {'; '.join(unknown)}",
                    key,
                )
                continue
            self.keep(section, self.send(key, adapted))

    def answered(self, key: tuple[str, str, bool]) -> bool:
        replay = self.replays.get(key)
        return bool(
            replay and replay.reply and replay.reply.response and not replay.reply.response.header.error_info
        )

    def keep(self, section: str, reply: CsomReply) -> None:
        """Note what a workflow example created (the Guid it answers), for clean-up."""
        kept = {"4.3": self.definitions, "4.1": self.subscriptions, "4.4": self.instances}.get(section, [])
        for printed, ours in _answers(self.example(WF, section)[0].example, reply):
            if _guid(printed) and (found := _guid(ours)):
                kept.append(found)

    def clean_up(self) -> list[str]:
        """Remove what the replays created; returns what could not be removed."""
        leftovers = clean_up(self.target, CATALOGUE, self.tasks)
        if not (self.definitions or self.subscriptions or self.instances):
            return leftovers
        builder = RequestBuilder()
        manager = _manager(builder)
        instances = builder.method(manager, "GetWorkflowInstanceService")
        subscriptions = builder.method(manager, "GetWorkflowSubscriptionService")
        deployment = builder.method(manager, "GetWorkflowDeploymentService")
        for instance in self.instances:  # finished instances refuse; running ones block deletion
            with builder.exception_scope():
                builder.call(
                    instances, "TerminateWorkflow", builder.method(instances, "GetInstance", instance)
                )
        planned = []
        for service, method, object_id in [
            (subscriptions, "DeleteSubscription", s) for s in self.subscriptions
        ] + [(deployment, "DeleteDefinition", d) for d in self.definitions]:
            with builder.exception_scope() as scope:
                builder.call(service, method, object_id)
            planned.append((scope, f"{method} {object_id}"))
        reply = self.target.process_query(builder.build())
        results = reply.response.results if reply.response else {}
        failed = [
            what for scope, what in planned if (results.get(scope) or {}).get("HasException") is not False
        ]
        return leftovers + failed


def _saved_definition(request: Request) -> Request:
    return adapt(request, Adaptation(properties={"Xaml": DEFINITION_XAML}))


# The recorded session's order (erratum ex-wf-4-recorded-ids), 4.1 as printed before its reading:
# 4.2 publishes what 4.3 saved, 4.1 subscribes to what 4.2 published, 4.4 starts what 4.1 made.
SESSION = (("4.3", False), ("4.2", False), ("4.1", True), ("4.1", False), ("4.4", False))
PREREQUISITES = {"4.2": ("4.3",), "4.1": ("4.2",), "4.4": ("4.1",)}
CHANGES = {("4.3", False): _saved_definition, ("4.1", False): event_types}


def _member(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None


def _answers(example: Example, reply: CsomReply) -> list[tuple[Any, Any]]:
    """(the example's value, the target's) for each action the example's response answers."""
    results = reply.raw_results
    response = example.response or []
    pairs = zip(response[1::2], response[2::2], strict=True)
    return [(value, results.get(action_id)) for action_id, value in pairs]


def _first_id(value: Any) -> Any:
    """The Id of a queried object, or of the first item of a queried collection."""
    items = _member(value, "_Child_Items_")
    if isinstance(items, list):
        value = (items or [None])[0]
    return _member(value, "Id")


# ---------------------------------------------------------------------------------------- shapes


def shape_of(value: Any, items: bool) -> dict[str, Any]:
    """The JSON Schema of an example value's shape: its kind of value, an object's _ObjectType_ and
    property names, the shape of a collection's first item (and, with ``items``, that it has one)."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int | float):
        return {"type": "number"}
    if isinstance(value, str):
        kind = {"/Date(": "csom-datetime", "/Guid(": "csom-guid"}.get(value[:6])
        return {"type": ["string", "null"], **({"format": kind} if kind else {})}
    if isinstance(value, list):
        schema: dict[str, Any] = {"type": ["array", "null"]}
        if value:
            schema.update(items=shape_of(value[0], items), minItems=1 if items else 0)
        return schema
    properties = {name: shape_of(item, items) for name, item in value.items()}
    if "_ObjectType_" in value:
        properties["_ObjectType_"] = {"const": value["_ObjectType_"]}
    return {"type": "object", "required": sorted(value), "properties": properties}


@pytest.fixture(scope="module")
def replays(target: Target, run_options: RunOptions) -> Iterator[dict[tuple[str, str, bool], Replay]]:
    replayer = Replayer(target, run_options)
    try:
        replayer.run()
    finally:
        leftovers = replayer.clean_up()
        if leftovers:
            print(f"\nconformance: could not remove what the example replays created: {leftovers}")
    yield replayer.replays


def _judge(variant: Variant, replay: Replay, reply: CsomReply) -> None:
    at = Site(variant.example.section, "semantic", (reply.exchange,))
    header = reply.response.header if reply.response else None
    if variant.printed and header is not None and header.error_info is not None:
        # the erratum lets a target refuse the printed form
        verify(at, checks.error_info, reply)
        return
    verify(at, checks.no_error, reply)
    results = reply.raw_results
    expected = variant.example.response or []
    for action_id, value in zip(expected[1::2], expected[2::2], strict=True):
        verify(at, checks.result_present, reply, action_id)
        schema = shape_of(value, replay.items)
        verify(at, checks.json_schema, results[action_id], schema)


@pytest.mark.parametrize("variant", [case(v.meta, v) for v in VARIANTS])
def test_example(variant: Variant, replays: dict[tuple[str, str, bool], Replay]) -> None:
    replay = replays.get(variant.key, Replay(None, "not replayed"))
    if replay.reply is None:
        pytest.skip(replay.reason)
    try:
        _judge(variant, replay, replay.reply)
    except Violation as found:
        errata = ", ".join(variant.errata) or "none"
        raise Violation(
            f"{found.expected} (as example {variant.example.section} has it; errata applied: {errata})",
            found.actual, check=found.check, section=found.section, level=found.level,
            evidence=found.evidence,
        ) from None  # fmt: skip
