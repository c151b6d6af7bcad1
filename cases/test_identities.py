"""Authorization between two users of one target ([MS-WMCSOM] 3.1.5.41 UserOrderedSession, the
REST calendar). A task is in "a user's task list" (3.1.5.41.2.2.2), so one user's task is neither
read nor written by another. The first identity (the run's) creates a task; the second (the
``second_*`` settings, or the embedded server's second user) reads it by id and in its whole list,
writes its title and deletes it; the first then reads it back unchanged. Workflow objects are the
web's, whoever reads them ([MS-SPWFCSOM] 3.1.5.4.2.2.5: a WorkflowServicesManager is "scoped to the
specified Web"): the second identity finds on the web the definitions and subscriptions the run
provisioned as the first. The calendar answers 403
to a member whose calendar the caller may not view (Status Codes): the second identity asks for
one (on the embedded server the first's, which its directory hides from the second; on another
target the member CONFORMANCE_CALENDAR_SECOND_FORBIDDEN_MEMBER names, the case skipping without it).

The spec says which WriteFieldErrorType a refused write answers only for a user without
"sufficient privileges to write to the field" (AccessDenied, 3.1.5.47.1.15); a task of another
user's list may as well not be found (TaskNotFound, 3.1.5.47.1.2), so either is taken. Every
task case is semantic: the spec states the per-user list, not a MUST; the calendar's 403 is its
contract's (MUST). Without a second identity the cases skip, saying how to give one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.case import CaseMeta, RunOptions, case
from conformance.drive.target import CsomReply, Target
from conformance.drive.world import World, create_task, run_pattern
from conformance.drive.world_wf import named_workflow
from conformance.judge import checks
from conformance.judge.checks import Site, verify
from conformance.model.calendar_schema import endpoint
from conformance.model.catalogue import WF, WM, catalogue
from conformance.server.seed import SECOND_FORBIDDEN_ENV, second_forbidden_member
from conformance.wire import SELECT_ALL, QuerySpec, RequestBuilder

CATALOGUE = catalogue()
SESSION = CATALOGUE.types[WM + "UserOrderedSession"]
ERRORS = CATALOGUE.types[WM + "WriteFieldErrorType"]
NAMES = {v.value: v.name for v in ERRORS.values}
REFUSALS = tuple(v.value for v in ERRORS.values if v.name in ("TaskNotFound", "AccessDenied"))
NO_SECOND = (
    "no second identity: give another user's credentials in the run's mode (second_token_env or "
    "second_token_file, second_user with second_password_env or _file, second_cookie_env or _file)"
)


def _meta(method: str, check: str) -> CaseMeta:
    section = SESSION.method(method).section
    return CaseMeta("ms-wmcsom", section, CATALOGUE.item_id(SESSION, method), check, "semantic", writes=True)


@dataclass(frozen=True)
class Trespass:
    """What the second identity did to the first's task, and what the first read afterwards."""

    task: int
    by_id: CsomReply  # the second's ReadTasks filtered to the task, and of its whole list
    reads: tuple[int, int]  # their queries
    writes: CsomReply  # the second's UpdateTaskWithLocalizedValue and DeleteTask of it
    results: dict[str, int]  # method -> its TaskWriteResult query
    after: CsomReply  # the first's read of the task
    after_query: int
    name: str  # the task's title as created

    def result(self, reply: CsomReply, query: int) -> Any:
        return reply.response.results.get(query) if reply.response else None


def _items(value: Any, member: str) -> list[Any]:
    """``member`` of every item of a queried collection."""
    items = value.get("_Child_Items_") if isinstance(value, dict) else None
    return [i.get(member) for i in items or [] if isinstance(i, dict)]


def _session(builder: RequestBuilder) -> Any:
    return builder.method(
        builder.construct(CATALOGUE.types[WM + "UserOrderedSessionManager"].type_id), "CreateSession"
    )


def _read(builder: RequestBuilder, ids: list[int] | None) -> int:
    query = builder.construct(CATALOGUE.types[WM + "TaskQuery"].type_id)
    if ids is not None:
        task_filter = builder.construct(CATALOGUE.types[WM + "TaskFilter"].type_id)
        builder.set_property(task_filter, "IdsToFilterBy", ids)
        builder.set_property(query, "FieldFilter", task_filter)
    tasks = builder.method(_session(builder), "ReadTasks", query)
    return builder.query(tasks, SELECT_ALL, QuerySpec.select("Id", "Name"))


@pytest.fixture(scope="module")
def trespass(target: Target, second_target: Target | None, run_options: RunOptions) -> Iterator[Trespass]:
    if second_target is None:
        pytest.skip(NO_SECOND)
    name = f"{run_options.run_id} private"
    reply, task = create_task(target, CATALOGUE, name)
    if task is None:
        pytest.skip(f"the first identity could not create a task: {reply.exchange.describe(300)}")
    builder = RequestBuilder()
    reads = (_read(builder, [task]), _read(builder, None))
    by_id = second_target.process_query(builder.build())
    builder = RequestBuilder()
    session = _session(builder)
    results = {
        "UpdateTaskWithLocalizedValue": builder.query(
            builder.method(
                session, "UpdateTaskWithLocalizedValue", task, _title_field(), f"{run_options.run_id} taken"
            ),
            SELECT_ALL,
        ),
        "DeleteTask": builder.query(builder.method(session, "DeleteTask", task), SELECT_ALL),
    }
    writes = second_target.process_query(builder.build())
    builder = RequestBuilder()
    after_query = _read(builder, [task])
    after = target.process_query(builder.build())
    yield Trespass(task, by_id, reads, writes, results, after, after_query, name)
    cleanup = RequestBuilder()
    cleanup.call(_session(cleanup), "DeleteTask", task)
    target.process_query(cleanup.build())


def _title_field() -> int:
    return next(v.value for v in CATALOGUE.types[WM + "WritableTaskField"].values if v.name == "Title")


HIDDEN = _meta("ReadTasks", "other-user-hidden")
UPDATE = _meta("UpdateTaskWithLocalizedValue", "other-user-refused")
DELETE = _meta("DeleteTask", "other-user-refused")


@pytest.mark.parametrize("meta", [case(HIDDEN, HIDDEN)])
def test_another_users_task_is_not_read(meta: CaseMeta, trespass: Trespass) -> None:
    at = Site.of(meta, trespass.by_id.exchange)
    verify(at, checks.no_error, trespass.by_id)
    for query, what in zip(trespass.reads, ("filtered to its id", "of the whole list"), strict=True):
        found = _items(trespass.result(trespass.by_id, query), "Id")
        verify(
            at,
            checks.contains,
            found,
            trespass.task,
            present=False,
            what=f"the second identity's ReadTasks {what} (the first identity's task {trespass.task})",
        )


@pytest.mark.parametrize(
    ("meta", "method"),
    [case(UPDATE, UPDATE, "UpdateTaskWithLocalizedValue"), case(DELETE, DELETE, "DeleteTask")],
)
def test_another_users_task_is_not_written(meta: CaseMeta, method: str, trespass: Trespass) -> None:
    at = Site.of(meta, trespass.writes.exchange, trespass.after.exchange)
    verify(at, checks.no_error, trespass.writes)
    error = trespass.result(trespass.writes, trespass.results[method])
    error = error.get("Error") if isinstance(error, dict) else None
    verify(
        at,
        checks.one_of,
        f"{NAMES[error]} ({error})" if type(error) is int and error in NAMES else repr(error),
        [f"{NAMES[n]} ({n})" for n in REFUSALS],
        what=f"TaskWriteResult.Error of the second identity's {method} of the first's task",
    )
    verify(at, checks.no_error, trespass.after)
    names = _items(trespass.result(trespass.after, trespass.after_query), "Name")
    verify(at, checks.equals, names, [trespass.name], what="the first identity's task, read back by it")


CALENDAR = endpoint()
# the period asked for: any will do, a member's calendar is refused before its entries are read
PERIOD = {"from": "2000-01-01", "to": "2000-01-31"}
FORBIDDEN = CaseMeta("contactslaw-calendar", "Status Codes", "Calendar.403[second-identity]", "forbidden")


@pytest.mark.parametrize("meta", [case(FORBIDDEN, FORBIDDEN)])
def test_second_identity_may_not_view_a_forbidden_calendar(
    meta: CaseMeta, second_target: Target | None, run_options: RunOptions
) -> None:
    if second_target is None:
        pytest.skip(NO_SECOND)
    member = second_forbidden_member() if run_options.embedded else os.environ.get(SECOND_FORBIDDEN_ENV)
    if not member:
        pytest.skip(
            f"no member the second identity may not view is known on this target: set {SECOND_FORBIDDEN_ENV}"
        )
    exchange = second_target.rest(CALENDAR.path, {**PERIOD, "member": member}, "application/json")
    verify(Site.of(meta, exchange), checks.http_status, exchange, 403)


MANAGER = CATALOGUE.types[WF + "WorkflowServicesManager"]
assert MANAGER.constructor is not None
WEB_SCOPED = CaseMeta(
    "ms-spwfcsom", MANAGER.constructor.section, CATALOGUE.item_id(MANAGER, "ctor"), "other-user-same-web",
    "semantic",
)  # fmt: skip


@pytest.mark.parametrize("meta", [case(WEB_SCOPED, WEB_SCOPED)])
def test_workflow_objects_are_the_webs_whoever_reads(
    meta: CaseMeta, target: Target, second_target: Target | None, world: World, run_options: RunOptions
) -> None:
    if second_target is None:
        pytest.skip(NO_SECOND)
    pattern = run_pattern(run_options.run_id)
    mine, _ = named_workflow(target, CATALOGUE, pattern)
    if not (mine.definitions or mine.subscriptions):
        pytest.skip("the run has no workflow objects on this web (read-only, or none could be provisioned)")
    theirs, _ = named_workflow(second_target, CATALOGUE, pattern)
    for kind in ("definitions", "subscriptions"):
        verify(
            Site.of(meta),
            checks.equals,
            sorted(map(str, getattr(theirs, kind))),
            sorted(map(str, getattr(mine, kind))),
            what=f"the run's workflow {kind} on the web, read by the second identity (a second identity "
            "that may not read the web's workflows fails here too)",
        )
