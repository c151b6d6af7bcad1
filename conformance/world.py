"""The world a run sets up on the target: objects the cases' arguments refer to (a task to pin,
a refresh job to ask about …), named with the run id and removed again at the end.

:func:`provision` returns the provisioned values by parameter name (``taskKey``, ``refreshId``)
for :class:`~conformance.probe.Arguments`, plus what it created, for :func:`clean_up`. In a
read-only run nothing is created: existing objects are looked up instead, where there are any.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.checks import Violation, verify
from conformance.shapes import Catalogue
from conformance.target import CsomReply, Target
from conformance.wire import SELECT_ALL, QuerySpec, RequestBuilder
from conformance.world_wf import WorkflowWorld, clean_up_workflow, provision_workflow

WM = "Microsoft.SharePoint.WorkManagement.Client."
CREATE_TASK_SECTION = "3.1.5.41.2.2.3"  # UserOrderedSession.CreateTask


@dataclass
class World:
    values: dict[str, Any] = field(default_factory=dict)
    created_tasks: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why a value could not be provisioned
    workflow: WorkflowWorld = field(default_factory=WorkflowWorld)  # what world_wf created


def _session(builder: RequestBuilder, catalogue: Catalogue) -> Any:
    manager = builder.construct(catalogue.types[WM + "UserOrderedSessionManager"].type_id)
    return builder.method(manager, "CreateSession")


def _method(catalogue: Catalogue, owner: str, name: str):
    return next(m for m in catalogue.types[WM + owner].methods if m.name == name)


def create_task(
    target: Target, catalogue: Catalogue, name: str, **fields: Any
) -> tuple[CsomReply, int | None]:
    """CreateTask in a user-ordered session with the spec's parameters in order (unnamed ones null)."""
    builder = RequestBuilder()
    session = _session(builder, catalogue)
    arguments = {"taskName": name, "completed": False, "pinned": False, "locationKey": -1, **fields}
    method = _method(catalogue, "UserOrderedSession", "CreateTask")
    result = builder.method(session, "CreateTask", *(arguments.get(p.name) for p in method.parameters))
    query = builder.query(builder.property(result, "Result"), QuerySpec.select("Id"))
    reply = target.process_query(builder.build())
    task = reply.response.results.get(query) if reply.response else None
    return reply, task.get("Id") if isinstance(task, dict) else None


def provision(target: Target, catalogue: Catalogue, run_id: str, *, read_only: bool) -> World:
    world = World()
    if read_only:
        _find_existing(target, catalogue, world)
    else:
        reply, task_id = create_task(
            target, catalogue, f"{run_id} probe task", description="csom-conformance"
        )
        if task_id is None:
            world.problems.append(f"CreateTask did not return a task: {reply.exchange.describe(600)}")
        else:
            world.values["taskKey"] = task_id
            world.created_tasks.append(task_id)
        builder = RequestBuilder()
        job = builder.method(_session(builder, catalogue), "BeginCacheRefresh")
        query = builder.query(job, SELECT_ALL)
        reply = target.process_query(builder.build())
        job_value = reply.response.results.get(query) if reply.response else None
        if isinstance(job_value, dict) and isinstance(job_value.get("CurrentJobId"), int):
            world.values["refreshId"] = job_value["CurrentJobId"]
        else:
            world.problems.append("BeginCacheRefresh returned no CurrentJobId")
    world.workflow = provision_workflow(
        target, catalogue, run_id, world.values, world.problems, read_only=read_only
    )
    return world


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
    """Delete what the run created; returns what could not be deleted (never raises)."""
    leftovers = []
    for task_id in world.created_tasks:
        builder = RequestBuilder()
        builder.method(_session(builder, catalogue), "DeleteTask", task_id)
        try:
            verify("no-error", target.process_query(builder.build()), section=CREATE_TASK_SECTION)
        except (Violation, Exception) as exc:
            leftovers.append(f"task {task_id}: {exc}")
    return leftovers + clean_up_workflow(target, catalogue, world.workflow)
