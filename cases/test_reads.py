"""Reads that must show what the target holds, judged against what the run itself did ([MS-WMCSOM]).

- ReadTasks "returns a collection of tasks (3), filtered by the given query" (3.1.5.31.2.2.8,
  3.1.5.41.2.2.8: the sessions whose ReadTasks returns a collection of Task). The spec has no
  paging, but a server that pages internally can lose or repeat a task at a page boundary. In
  each such session: no read lists a task twice (the caller's tasks, an empty query: no writes
  needed), and the tasks the run created, read together (TaskFilter.IdsToFilterBy), are all there —
  every one that a read of its id alone finds, so a task the target never created is not blamed
  on ReadTasks.
- SetUserSettings "saves the user settings" (3.1.5.44.2.1.1): every integer setting is changed the
  way JSOM does it (SetProperty on the object GetUserSettings returns, then SetUserSettings; capture
  usm_setUserSettings_null_array), read back in a later request, and restored.

Neither text says MUST: the cases are semantic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.case import CaseMeta, RunOptions, case
from conformance.drive.snapshots import Probe, ProbeOutcome, send_batched
from conformance.drive.target import CsomReply, Target
from conformance.drive.world import create_task
from conformance.judge import checks
from conformance.judge.checks import Site, verify
from conformance.model.catalogue import WM, Catalogue, catalogue
from conformance.model.routes import Arguments, Route, follow
from conformance.spec.model import SpecType
from conformance.wire import ObjectPathRef, QuerySpec, RequestBuilder

CATALOGUE = catalogue()
PROTOCOL = "ms-wmcsom"
OWN_TASKS = 3  # the run's own tasks: a page boundary after the first or the second one shows
INT32_MAX = 2**31 - 1


def _type(name: str) -> SpecType:
    return CATALOGUE.types[WM + name]


# ------------------------------------------------------------------------------------- ReadTasks

TASK = _type("Task")
SESSIONS = [
    spec_type for spec_type in CATALOGUE.types.values()
    if any(m.name == "ReadTasks" for m in spec_type.methods)
    and CATALOGUE.item_type(CATALOGUE.types[spec_type.method("ReadTasks").return_type]) == TASK
]  # fmt: skip
assert SESSIONS, "no session's ReadTasks returns a collection of Task: spec data changed"
ORDER_BY_ID = next(v.value for v in _type("SortableTaskField").values if v.name == "Id")
NO_ERROR = next(v.value for v in _type("WriteFieldErrorType").values if v.name == "NoValue")


@dataclass(frozen=True)
class Read:
    """One ReadTasks call: the session type it runs in and the task ids it asks for (None: all)."""

    session: str
    ids: tuple[int, ...] | None


@dataclass(frozen=True)
class TaskReads:
    created: tuple[int, ...]  # the run's own tasks (none in a read-only run)
    outcomes: dict[Read, ProbeOutcome]

    def of(self, session: SpecType) -> dict[Read, ProbeOutcome]:
        return {read: outcome for read, outcome in self.outcomes.items() if read.session == session.name}


def _constructed(builder: RequestBuilder, type_name: str, **properties: Any) -> ObjectPathRef:
    path = builder.construct(_type(type_name).type_id)
    for name, value in properties.items():
        builder.set_property(path, name, value)
    return path


def _query(builder: RequestBuilder, parameter_type: str, ids: tuple[int, ...] | None) -> ObjectPathRef:
    """The query ReadTasks takes: a TaskQuery (with IdsToFilterBy when ``ids``), wrapped in a
    SortableTaskQuery ordered by Id where the session sorts."""
    fields = (
        {} if ids is None else {"FieldFilter": _constructed(builder, "TaskFilter", IdsToFilterBy=list(ids))}
    )
    core = _constructed(builder, "TaskQuery", **fields)
    if parameter_type == WM + "TaskQuery":
        return core
    order = _constructed(builder, "OrderInfo", Field=ORDER_BY_ID, IsDescending=False)
    return _constructed(builder, "SortableTaskQuery", CoreQuery=core, Order=order)


def _reader(read: Read, route: Route, arguments: Arguments) -> Callable[[RequestBuilder], int]:
    def write(builder: RequestBuilder) -> int:
        session, _ = follow(builder, route, arguments)
        parameter = CATALOGUE.types[read.session].method("ReadTasks").parameters[0]
        tasks = builder.method(session, "ReadTasks", _query(builder, parameter.type, read.ids))
        # JSOM's load(tasks, 'Include(Id)'): the Id of each task
        return builder.query(tasks, QuerySpec(select_all_properties=False), QuerySpec.select("Id"))

    return write


@pytest.fixture(scope="module")
def task_reads(
    target: Target,
    catalogue: Catalogue,
    routes: dict[str, Route],
    arguments: Arguments,
    run_options: RunOptions,
) -> Iterator[TaskReads]:
    """Every read in one batch: all tasks per session and, unless read-only, the run's own tasks
    together and each alone. The own tasks are deleted afterwards."""
    created: tuple[int, ...] = ()
    if not run_options.read_only:
        made = (create_task(target, catalogue, f"{run_options.run_id} read {n}")[1] for n in range(OWN_TASKS))
        created = tuple(task_id for task_id in made if task_id is not None)
    reads = [Read(s.name, None) for s in SESSIONS]
    if created:
        reads += [Read(s.name, ids) for s in SESSIONS for ids in (created, *((i,) for i in created))]
    probes = [Probe(read, _reader(read, routes[read.session], arguments)) for read in reads]
    outcomes = send_batched(target, probes, run_options.batch_size)
    yield TaskReads(created, {read: found[0] for read, found in outcomes.items()})
    if created:  # any session deletes (DeleteTask is BaseSession's)
        _delete(target, routes[SESSIONS[0].name], arguments, created)


def _delete(target: Target, route: Route, arguments: Arguments, task_ids: tuple[int, ...]) -> None:
    """DeleteTask for each of the run's own tasks, in one request; what stays is reported, not judged."""
    builder = RequestBuilder()
    session, _ = follow(builder, route, arguments)
    error = QuerySpec.select("Error")
    results = {i: builder.query(builder.method(session, "DeleteTask", i), error) for i in task_ids}
    reply = target.process_query(builder.build())
    answered = reply.response.results if reply.response and reply.response.header.error_info is None else {}
    left = [i for i, query in results.items() if (answered.get(query) or {}).get("Error") != NO_ERROR]
    if left:
        print(
            f"\nconformance: could not remove tasks {left} this run created: {reply.exchange.describe(600)}"
        )


def _ids(outcome: ProbeOutcome) -> list[Any]:
    value = outcome.raw()
    children = value.get("_Child_Items_") if isinstance(value, dict) else None
    return [c.get("Id") if isinstance(c, dict) else c for c in children] if isinstance(children, list) else []


def _read_meta(session: SpecType, check: str, writes: bool) -> CaseMeta:
    section = session.method("ReadTasks").section
    return CaseMeta(PROTOCOL, section, CATALOGUE.item_id(session, "ReadTasks"), check, "semantic", writes)


def _judged(session: SpecType, reads: dict[Read, ProbeOutcome]) -> dict[Read, list[Any]]:
    """The task ids of every read, each read verified to have succeeded."""
    section = session.method("ReadTasks").section
    for outcome in reads.values():
        at = Site(section, "semantic", (outcome.exchange,))
        verify(at, checks.scope_ok, outcome.reply, outcome.scope_id)
    return {read: _ids(outcome) for read, outcome in reads.items()}


@pytest.mark.parametrize("session", [case(_read_meta(s, "each-once", False), s) for s in SESSIONS])
def test_read_tasks_lists_each_task_once(session: SpecType, task_reads: TaskReads) -> None:
    """No ReadTasks answer lists a task twice: not all the caller's tasks, not the run's own."""
    reads = task_reads.of(session)
    for read, ids in _judged(session, reads).items():
        repeated = sorted({i for i in ids if ids.count(i) > 1}, key=str)
        asked = "all tasks" if read.ids is None else f"tasks {list(read.ids)}"
        at = Site(session.method("ReadTasks").section, "semantic", (reads[read].exchange,))
        verify(at, checks.equals, repeated, [], what=f"tasks listed more than once by ReadTasks of {asked}")


@pytest.mark.parametrize("session", [case(_read_meta(s, "every-task", True), s) for s in SESSIONS])
def test_read_tasks_returns_every_task(session: SpecType, task_reads: TaskReads) -> None:
    """The run's own tasks read together come back complete: each one a read of its id alone finds."""
    if not task_reads.created:
        pytest.skip("CreateTask returned no task: the run has no tasks of its own to read back")
    reads = task_reads.of(session)
    ids = _judged(session, reads)
    together = Read(session.name, task_reads.created)
    found_alone = [i for i in task_reads.created if i in ids[Read(session.name, (i,))]]
    missing = [i for i in found_alone if i not in ids[together]]
    at = Site(session.method("ReadTasks").section, "semantic", (reads[together].exchange,))
    what = f"tasks found alone but missing from ReadTasks of {list(together.ids)}"
    verify(at, checks.equals, missing, [], what=what)


# ------------------------------------------------------------------------------------- settings

MANAGER, SETTINGS = _type("UserSettingsManager"), _type("UserSettings")
SAVE, LOAD = MANAGER.method("SetUserSettings"), MANAGER.method("GetUserSettings")
INTEGERS = tuple(p.name for p in SETTINGS.properties if p.type == "CSOM Int32" and p.access == "read-write")
assert INTEGERS, "UserSettings has no writable Int32 property: spec data changed"


@dataclass(frozen=True)
class Loaded:
    reply: CsomReply  # GetUserSettings
    values: dict[str, Any]  # the integer settings it returned


@dataclass(frozen=True)
class SettingsRoundTrip:
    before: Loaded
    written: dict[str, int]  # what was saved: each integer setting changed by one
    save: CsomReply | None  # None: there was nothing to change
    after: Loaded | None  # read in a later request


def _settings(builder: RequestBuilder) -> tuple[ObjectPathRef, ObjectPathRef]:
    manager = builder.construct(MANAGER.type_id)
    return manager, builder.method(manager, LOAD.name)


def _load(target: Target) -> Loaded:
    builder = RequestBuilder()
    _, settings = _settings(builder)
    query = builder.query(settings, QuerySpec.select(*INTEGERS))
    reply = target.process_query(builder.build())
    value = reply.response.results.get(query) if reply.response else None
    values = value if isinstance(value, dict) else {}
    return Loaded(reply, {n: v for n, v in values.items() if isinstance(v, int) and not isinstance(v, bool)})


def _save(target: Target, values: dict[str, int]) -> CsomReply:
    builder = RequestBuilder()
    manager, settings = _settings(builder)
    for name, value in values.items():
        builder.set_property(settings, name, value)
    builder.call(manager, SAVE.name, settings, [])  # no location colour updates
    return target.process_query(builder.build())


@pytest.fixture(scope="module")
def settings_round_trip(target: Target) -> SettingsRoundTrip:
    """Change every integer setting, read them back, and put the originals back at once."""
    before = _load(target)
    original = {name: value for name, value in before.values.items() if name in INTEGERS}
    if not original:
        return SettingsRoundTrip(before, {}, None, None)
    written = {name: value + 1 if value < INT32_MAX else value - 1 for name, value in original.items()}
    try:
        save = _save(target, written)
        after = _load(target)
    finally:
        restored = _save(target, original)
        if restored.response is None or restored.response.header.error_info is not None:
            print(f"\nconformance: could not restore the user settings: {restored.exchange.describe(600)}")
    return SettingsRoundTrip(before, written, save, after)


def _setting_meta(name: str) -> CaseMeta:
    item = CATALOGUE.item_id(MANAGER, f"{SAVE.name}[{name}]")
    return CaseMeta(PROTOCOL, SAVE.section, item, "readback", "semantic", writes=True)


@pytest.mark.parametrize("name", [case(_setting_meta(name), name) for name in INTEGERS])
def test_saved_setting_reads_back(name: str, settings_round_trip: SettingsRoundTrip) -> None:
    """A setting saved with SetUserSettings is what GetUserSettings returns afterwards."""
    trip = settings_round_trip
    verify(Site(LOAD.section, "semantic", (trip.before.reply.exchange,)), checks.no_error, trip.before.reply)
    if name not in trip.written or trip.save is None or trip.after is None:
        pytest.skip(f"GetUserSettings returned no integer {name}: there is no value to change")
    saved = Site(SAVE.section, "semantic", (trip.save.exchange, trip.after.reply.exchange))
    verify(saved, checks.no_error, trip.save)
    verify(Site(LOAD.section, "semantic", (trip.after.reply.exchange,)), checks.no_error, trip.after.reply)
    verify(
        saved,
        checks.equals,
        trip.after.values.get(name),
        trip.written[name],
        what=f"{name} read back after {SAVE.name}",
    )
