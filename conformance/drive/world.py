"""The world a run sets up on the target: objects the cases' arguments refer to (a task to pin,
a refresh job to ask about …), named with the run id and removed again at the end.

:func:`provision` returns the provisioned values by parameter name (``taskKey``, ``refreshId``)
for :class:`~conformance.model.routes.Arguments`, plus what it created, for :func:`clean_up`. In a
read-only run nothing is created: existing objects are looked up instead, where there are any.

:func:`sweep` removes whatever carries a run id in its name: the cases create tasks and workflows of
their own, and a run interrupted (Ctrl-C, SIGTERM) mid-case or mid-provisioning leaves objects no
list holds. The pytest plugin sweeps when the session ends; ``conformance cleanup --run-id`` runs the
same sweep after a run that could not (killed, crashed).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from conformance.drive.at_once import at_once
from conformance.drive.target import CsomReply, Target
from conformance.drive.world_wf import (
    WorkflowWorld,
    children,
    clean_up_workflow,
    named_workflow,
    provision_workflow,
    succeeded,
)
from conformance.model.catalogue import WM, Catalogue
from conformance.wire import SELECT_ALL, QuerySpec, RequestBuilder

REFRESH_WAIT_S, REFRESH_POLL_S = 10.0, 0.25


@dataclass
class World:
    values: dict[str, Any] = field(default_factory=dict)
    created_tasks: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why a value could not be provisioned
    workflow: WorkflowWorld = field(default_factory=WorkflowWorld)  # what world_wf created


def _session(builder: RequestBuilder, catalogue: Catalogue) -> Any:
    manager = builder.construct(catalogue.types[WM + "UserOrderedSessionManager"].type_id)
    return builder.method(manager, "CreateSession")


def create_task_arguments(catalogue: Catalogue, **fields: Any) -> list[Any]:
    """UserOrderedSession.CreateTask's arguments in the spec's parameter order: ``fields`` by
    parameter name over the defaults (not completed, not pinned, in no location), the rest null."""
    arguments = {"completed": False, "pinned": False, "locationKey": -1, **fields}
    method = catalogue.types[WM + "UserOrderedSession"].method("CreateTask")
    return [arguments.get(p.name) for p in method.parameters]


def create_task(
    target: Target, catalogue: Catalogue, name: str, **fields: Any
) -> tuple[CsomReply, int | None]:
    """CreateTask in a user-ordered session (:func:`create_task_arguments`); the reply and the new id."""
    builder = RequestBuilder()
    session = _session(builder, catalogue)
    result = builder.method(session, "CreateTask", *create_task_arguments(catalogue, taskName=name, **fields))
    query = builder.query(builder.property(result, "Result"), QuerySpec.select("Id"))
    reply = target.process_query(builder.build())
    task = reply.response.results.get(query) if reply.response else None
    return reply, task.get("Id") if isinstance(task, dict) else None


@dataclass
class Sweep:
    """What a sweep removed and what it could not (each a line naming the object)."""

    removed: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


def run_pattern(run_id: str) -> re.Pattern[str]:
    """Names of the run's objects: the run id as a word of its own, not the start of another run's
    (``ccrun1`` is not in ``ccrun12 …``, nor ``ccrun1`` in shard ``ccrun1s2``'s names)."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(run_id)}(?![0-9]|s[0-9])")


def seed_pattern(seed: int) -> re.Pattern[str]:
    """Names of every run with ``seed``: ``ccrun<seed>`` and its shards' ``ccrun<seed>s<i>``."""
    return re.compile(rf"(?<![A-Za-z0-9])ccrun{seed}(?![0-9])")


def provision(target: Target, catalogue: Catalogue, run_id: str, *, read_only: bool) -> World:
    """The task, the refresh job and the workflow objects: three independent parts sent at once, up
    to ``max_concurrency`` (the workflow's requests depend on one another: its part is the longest)."""
    tasks, refresh, workflow = World(), World(), World()

    def workflow_part() -> None:
        workflow.workflow = provision_workflow(
            target, catalogue, run_id, workflow.values, workflow.problems, read_only=read_only
        )

    if read_only:
        parts = [lambda: _find_existing(target, catalogue, tasks)]
    else:
        parts = [
            lambda: _create_task(target, catalogue, run_id, tasks),
            lambda: _begin_refresh(target, catalogue, refresh),
        ]
    at_once(target, [*parts, workflow_part])
    # merged in the parts' order, whichever answered first
    world = World(created_tasks=tasks.created_tasks, workflow=workflow.workflow)
    for part in (tasks, refresh, workflow):
        world.values |= part.values
        world.problems += part.problems
    return world


def _create_task(target: Target, catalogue: Catalogue, run_id: str, world: World) -> None:
    reply, task_id = create_task(target, catalogue, f"{run_id} probe task", description="csom-conformance")
    if task_id is None:
        world.problems.append(f"CreateTask did not return a task: {reply.exchange.describe(600)}")
    else:
        world.values["taskKey"] = task_id
        world.created_tasks.append(task_id)


def _begin_refresh(target: Target, catalogue: Catalogue, world: World) -> None:
    builder = RequestBuilder()
    job = builder.method(_session(builder, catalogue), "BeginCacheRefresh")
    query = builder.query(job, SELECT_ALL)
    reply = target.process_query(builder.build())
    job_value = reply.response.results.get(query) if reply.response else None
    if isinstance(job_value, dict) and isinstance(job_value.get("CurrentJobId"), int):
        world.values["refreshId"] = job_value["CurrentJobId"]
    else:
        world.problems.append("BeginCacheRefresh returned no CurrentJobId")


def await_refresh(
    target: Target, catalogue: Catalogue, world: World, timeout_s: float = REFRESH_WAIT_S
) -> None:
    """Wait, at most ``timeout_s``, until the run's cache refresh is no longer Pending: what only a
    finished refresh has (its LocationUpdateResult items) is then there to read, whichever case
    function runs first (``--shard``, ``--workers``). Any other answer ends the wait; the cases judge it."""
    refresh_id = world.values.get("refreshId")
    pending = next(v.value for v in catalogue.types[WM + "RefreshState"].values if v.name == "Pending")
    deadline = time.monotonic() + timeout_s
    while refresh_id is not None and time.monotonic() < deadline:
        builder = RequestBuilder()
        query = builder.query(
            builder.method(_session(builder, catalogue), "GetRefreshStatus", refresh_id), SELECT_ALL
        )
        reply = target.process_query(builder.build())
        value = reply.response.results.get(query) if reply.response else None
        if not isinstance(value, dict) or value.get("AggregatorRefreshState") != pending:
            return
        time.sleep(REFRESH_POLL_S)


def _find_existing(target: Target, catalogue: Catalogue, world: World) -> None:
    builder = RequestBuilder()
    query = builder.construct(catalogue.types[WM + "TaskQuery"].type_id)
    tasks = builder.method(_session(builder, catalogue), "ReadTasks", query)
    # JSOM's load(tasks, 'Include(Id)'): nothing of the collection itself, the Id of each task
    read = builder.query(tasks, QuerySpec(select_all_properties=False), QuerySpec.select("Id"))
    reply = target.process_query(builder.build())
    value = reply.response.results.get(read) if reply.response else None
    children = value.get("_Child_Items_") if isinstance(value, dict) else None
    if children:
        world.values["taskKey"] = children[0].get("Id")
    else:
        world.problems.append("read-only run: the target has no task to read")


def clean_up(target: Target, catalogue: Catalogue, world: World) -> list[str]:
    """Delete what the run created, its tasks and its workflow objects at once (independent); returns
    what could not be deleted (never raises)."""
    tasks, workflow = at_once(target, [
        lambda: _delete_tasks(target, catalogue, world.created_tasks),
        lambda: clean_up_workflow(target, catalogue, world.workflow),
    ])  # fmt: skip
    return tasks + workflow


def _delete_tasks(target: Target, catalogue: Catalogue, task_ids: list[int]) -> list[str]:
    leftovers = []
    for task_id in task_ids:
        builder = RequestBuilder()
        builder.method(_session(builder, catalogue), "DeleteTask", task_id)
        try:
            refused = _refused(target.process_query(builder.build()))
        except Exception as exc:
            refused = str(exc)
        if refused is not None:
            leftovers.append(f"task {task_id}: {refused}")
    return leftovers


def _refused(reply: CsomReply) -> str | None:
    """Why a clean-up request failed, None when it succeeded (read here, not judged by a check: the
    clean-up is no verdict on the target, and counts in no ``checks_run``)."""
    if reply.exchange.status != 200 or reply.response is None:
        return f"HTTP {reply.exchange.status}: {reply.parse_error or 'no CSOM answer'}"
    error = reply.response.header.error_info
    if error is None:
        return None
    return f"ErrorInfo {error.error_code} {error.error_type_name}: {error.error_message}"


def sweep(target: Target, catalogue: Catalogue, pattern: re.Pattern[str]) -> Sweep:
    """Delete every task, workflow subscription and definition whose name ``pattern`` finds (a run's:
    :func:`run_pattern`; a seed's, its shards' too: :func:`seed_pattern`), and stop the running
    instances of those subscriptions; the tasks and the workflow objects at once (independent).
    Never raises."""
    tasks, workflows = Sweep(), Sweep()
    at_once(target, [
        lambda: _sweep_tasks(target, catalogue, pattern, tasks),
        lambda: _sweep_workflows(target, catalogue, pattern, workflows),
    ])  # fmt: skip
    return Sweep(tasks.removed + workflows.removed, tasks.left + workflows.left)


def named(target: Target, catalogue: Catalogue, pattern: re.Pattern[str]) -> list[str]:
    """What is on the target with a name ``pattern`` finds in it: tasks, workflow definitions and
    subscriptions, a line each (``task 12 'ccrun0 probe task'``). Deletes nothing."""
    tasks = [f"task {task_id} {name!r}" for task_id, name in _named_tasks(target, catalogue, pattern)]
    return tasks + [
        f"{what} {name!r}" for what, name in named_workflow(target, catalogue, pattern)[1].items()
    ]


def _named_tasks(target: Target, catalogue: Catalogue, pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    builder = RequestBuilder()
    query = builder.construct(catalogue.types[WM + "TaskQuery"].type_id)
    tasks = builder.method(_session(builder, catalogue), "ReadTasks", query)
    read = builder.query(tasks, QuerySpec(select_all_properties=False), QuerySpec.select("Id", "Name"))
    reply = target.process_query(builder.build())
    return [
        (task["Id"], task["Name"])
        for task in children(reply.response.results.get(read) if reply.response else None)
        if isinstance(task.get("Name"), str)
        and pattern.search(task["Name"])
        and isinstance(task.get("Id"), int)
    ]


def _sweep_tasks(target: Target, catalogue: Catalogue, pattern: re.Pattern[str], done: Sweep) -> None:
    try:
        found = _named_tasks(target, catalogue, pattern)
        if not found:
            return
        builder = RequestBuilder()
        scopes = []
        for task_id, _ in found:
            with builder.exception_scope() as scope_id:
                builder.method(_session(builder, catalogue), "DeleteTask", task_id)
            scopes.append(scope_id)
        reply = target.process_query(builder.build())
    except Exception as exc:  # clean-up reports, it never fails the run
        done.left.append(f"tasks: {type(exc).__name__}: {exc}")
        return
    for (task_id, name), scope_id in zip(found, scopes, strict=True):
        (done.removed if succeeded(reply, scope_id) else done.left).append(f"task {task_id} {name!r}")


def _sweep_workflows(target: Target, catalogue: Catalogue, pattern: re.Pattern[str], done: Sweep) -> None:
    try:
        found, names = named_workflow(target, catalogue, pattern)
        left = clean_up_workflow(target, catalogue, found)
    except Exception as exc:
        done.left.append(f"workflows: {type(exc).__name__}: {exc}")
        return
    for what, name in names.items():
        (done.left if what in left else done.removed).append(f"{what} {name!r}")
    done.left += [what for what in left if what not in names]
