"""Values a server answers under a condition ([MS-WMCSOM] 3.1.5.47 WriteFieldErrorType, 3.1.5.30
RefreshState, 3.1.5.51 ExchangeOptInResult): each case brings the condition a value's description
names about and checks the answer is that value, at the value's section.

The descriptions are the whole of what the spec says ("Specifies that the due date was not
valid"), with no RFC 2119 word, so every case here is a semantic expectation, never a MUST. Where
the spec leaves open whether a value is taken at all (a blank title, a description of 64,000
characters), only a refusal is judged: a target that takes the value skips the case, saying so,
and one that refuses it must name the field it refuses.

- WriteFieldErrorType: an unknown task id, a deleted task, a write naming no field, a malformed
  start or due date, a completion value that is no Boolean, an edit URL that is no URL, a location
  the user does not have, a read-only task (``Task.IsReadOnly``) written, a task that is not
  personal promoted; and NoValue for a write that succeeds. All in one request, each in its own
  exception scope; the writes to another's task (read-only, not personal) write back what the
  task holds, so a target that wrongly takes them changes nothing.
- RefreshState: a refresh job just begun is Pending, then Succeeded; RefreshSingleTask of a task
  that does not exist Failed; GetRefreshStatus of an id no job has NoValue.
- ExchangeOptInResult: opting in after opting out is Success, opting in again UserAlreadyOptedIn
  (the user's opt-in is put back afterwards); a target that cannot opt in (no Exchange server)
  skips both, naming the value it answered.

Values no request can bring about are listed, with the reason, in specs/traceability.toml.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.case import CaseMeta, RunOptions, case
from conformance.drive.target import CsomReply, Target
from conformance.drive.world import World, await_refresh, create_task_arguments
from conformance.judge import checks
from conformance.judge.checks import Site, verify
from conformance.model.catalogue import WM, catalogue
from conformance.spec.model import SpecType
from conformance.wire import SELECT_ALL, ObjectPathRef, QuerySpec, RequestBuilder, scope_error

CATALOGUE = catalogue()
UNKNOWN_ID = 2**31 - 1  # the largest Int32: no task or refresh job a run makes or finds has it
LONG_DESCRIPTION = 64_000  # characters: past SharePoint's 63,999 of a multi-line text field


def _type(name: str) -> SpecType:
    return CATALOGUE.types[WM + name]


def _number(enum: str, name: str) -> int:
    return next(v.value for v in _type(enum).values if v.name == name)


def _named(enum: str, number: Any) -> str:
    """A value as the cases quote it: its name and number (an unknown number as sent)."""
    names = {v.value: v.name for v in _type(enum).values}
    known = type(number) is int and number in names  # not a Boolean: True == 1
    return f"{names[number]} ({number})" if known else repr(number)


def _meta(enum: str, name: str, check: str) -> CaseMeta:
    spec_type = _type(enum)
    section = next(v.section for v in spec_type.values if v.name == name)
    return CaseMeta("ms-wmcsom", section, CATALOGUE.item_id(spec_type, name), check, "semantic", writes=True)


def _field(name: str) -> int:
    return _number("WritableTaskField", name)


@dataclass(frozen=True)
class Answer:
    """One call in its own exception scope, and the request's reply."""

    reply: CsomReply
    scope: int
    query: int

    def value(self) -> Any:
        return self.reply.response.results.get(self.query) if self.reply.response else None

    def member(self, name: str) -> Any:
        value = self.value()
        return value.get(name) if isinstance(value, dict) else None

    def ok(self, site: Site) -> None:
        verify(site, checks.scope_ok, self.reply, self.scope)

    def refused(self) -> bool:
        """The call ended in its scope's exception (a fault, not an answer)."""
        result = self.reply.response.results.get(self.scope) if self.reply.response else None
        return isinstance(result, dict) and scope_error(result) is not None


def _call(builder: RequestBuilder, path: ObjectPathRef) -> tuple[int, int]:
    with builder.exception_scope() as scope:
        query = builder.query(path, SELECT_ALL)
    return scope, query


def _session(builder: RequestBuilder) -> ObjectPathRef:
    return builder.method(builder.construct(_type("UserOrderedSessionManager").type_id), "CreateSession")


# --------------------------------------------------------------------------- WriteFieldErrorType


@dataclass(frozen=True)
class Subjects:
    """What the conditions write to, made or found on the target first (None: the target has none)."""

    task: int | None  # a personal task of the run, made for these writes
    deleted: int | None  # a task of the run, deleted
    read_only: dict[str, Any] | None  # a task with IsReadOnly true
    shared: dict[str, Any] | None  # a task that is not personal (and not read-only)
    unknown_location: int  # past every location id of the user


Write = Callable[[RequestBuilder, ObjectPathRef, Subjects, str], ObjectPathRef | None]


def _update(subject: Callable[[Subjects], int | None], field: str, value: Callable[[Subjects], Any]) -> Write:
    def write(
        builder: RequestBuilder, session: ObjectPathRef, found: Subjects, run_id: str
    ) -> ObjectPathRef | None:
        key = subject(found)
        if key is None:
            return None
        return builder.method(session, "UpdateTaskWithLocalizedValue", key, _field(field), value(found))

    return write


def _own(found: Subjects) -> int | None:
    return found.task


def _read_only(found: Subjects) -> int | None:
    return found.read_only["Id"] if found.read_only else None


def _read_only_title(found: Subjects) -> Any:
    return found.read_only["Name"] if found.read_only else None


def _create_in_unknown_location(
    builder: RequestBuilder, session: ObjectPathRef, found: Subjects, run_id: str
) -> ObjectPathRef:
    arguments = create_task_arguments(
        CATALOGUE, taskName=f"{run_id} unknown location", locationKey=found.unknown_location
    )
    return builder.method(session, "CreateTask", *arguments)


def _promote_shared(
    builder: RequestBuilder, session: ObjectPathRef, found: Subjects, run_id: str
) -> ObjectPathRef | None:
    if found.shared is None:
        return None
    task = found.shared  # promoted into the location it is in: taken wrongly, nothing moves
    return builder.method(
        session, "PromotePersonalTaskToProviderTaskInLocation", task["Id"], task["LocationId"]
    )


@dataclass(frozen=True)
class Condition:
    value: str  # the WriteFieldErrorType value whose description the condition matches
    does: str  # what the case sends
    write: Write
    missing: str = ""  # why the subject may be absent (the case then skips)
    refused_as: bool = False  # the spec leaves open whether the value is taken: judge only a refusal


CONDITIONS = (
    Condition(
        "NoValue",
        "a valid description written to the run's task",
        _update(_own, "Description", lambda f: "ok"),
    ),
    Condition(
        "TaskNotFound",
        f"a title written to task {UNKNOWN_ID}, which does not exist",
        _update(lambda f: UNKNOWN_ID, "Title", lambda f: "x"),
    ),
    Condition(
        "TaskDeleted",
        "a title written to a task the run deleted",
        _update(lambda f: f.deleted, "Title", lambda f: "x"),
        missing="the run could not create and delete a task",
    ),
    Condition(
        "InvalidInput",
        "UpdateTaskWithLocalizedValue naming no field (WritableTaskField.NoValue)",
        _update(_own, "NoValue", lambda f: "x"),
        refused_as=True,
    ),
    Condition("DueDateInvalid", "due date '2/30/2021'", _update(_own, "DueDate", lambda f: "2/30/2021")),
    Condition(
        "StartDateInvalid", "start date '13/45/2021'", _update(_own, "StartDate", lambda f: "13/45/2021")
    ),
    Condition("IsCompletedInvalid", "IsCompleted 'maybe'", _update(_own, "IsCompleted", lambda f: "maybe")),
    Condition("TitleInvalid", "a blank title", _update(_own, "Title", lambda f: "   "), refused_as=True),
    Condition(
        "DescriptionInvalid",
        f"a description of {LONG_DESCRIPTION} characters",
        _update(_own, "Description", lambda f: "d" * LONG_DESCRIPTION),
        refused_as=True,
    ),
    Condition(
        "EditUrlInvalid",
        "edit URL 'http://[not a url'",
        _update(_own, "EditUrl", lambda f: "http://[not a url"),
    ),
    Condition(
        "LocationInvalid", "CreateTask in a location the user does not have", _create_in_unknown_location
    ),
    Condition(
        "AccessDenied",
        "a read-only task's (IsReadOnly) own title written back to it",
        _update(_read_only, "Title", _read_only_title),
        missing="the user has no read-only task (Task.IsReadOnly)",
    ),
    Condition(
        "PromoteTargetTaskNotPersonal",
        "a task that is not personal promoted into its own location",
        _promote_shared,
        missing="the user has no task that is not personal and not read-only",
    ),
)


def _unknown_location(reply: CsomReply, query: int) -> int:
    value = reply.response.results.get(query) if reply.response else None
    items = value.get("_Child_Items_") if isinstance(value, dict) else None
    ids = [i.get("Id") for i in items or [] if isinstance(i, dict) and isinstance(i.get("Id"), int)]
    return max(ids, default=0) + 1000


def _tasks(reply: CsomReply, query: int) -> list[dict[str, Any]]:
    """The tasks read whose members the writes send back (an odd answer's others are no subject)."""
    value = reply.response.results.get(query) if reply.response else None
    items = value.get("_Child_Items_") if isinstance(value, dict) else None
    return [
        i
        for i in items or []
        if isinstance(i, dict)
        and isinstance(i.get("Id"), int)
        and isinstance(i.get("LocationId"), int)
        and isinstance(i.get("Name"), str | None)
    ]


def _created(reply: CsomReply, query: int) -> int | None:
    task = reply.response.results.get(query) if reply.response else None
    key = task.get("Id") if isinstance(task, dict) else None
    return key if isinstance(key, int) else None


def _create(builder: RequestBuilder, session: ObjectPathRef, name: str) -> int:
    created = builder.method(session, "CreateTask", *create_task_arguments(CATALOGUE, taskName=name))
    return builder.query(builder.property(created, "Result"), QuerySpec.select("Id"))


def _delete(target: Target, task: int) -> None:
    builder = RequestBuilder()
    builder.call(_session(builder), "DeleteTask", task)
    target.process_query(builder.build())


def _subjects(target: Target, run_id: str) -> Subjects:
    builder = RequestBuilder()
    session = _session(builder)
    manager = builder.construct(_type("UserSettingsManager").type_id)
    locations = builder.query(builder.method(manager, "GetAllLocations"), SELECT_ALL, QuerySpec.select("Id"))
    every = builder.query(
        builder.method(session, "ReadTasks", builder.construct(_type("TaskQuery").type_id)),
        SELECT_ALL,
        QuerySpec.select("Id", "Name", "IsReadOnly", "IsPersonal", "LocationId"),
    )
    own, doomed = (
        _create(builder, session, f"{run_id} provoked"),
        _create(builder, session, f"{run_id} deleted"),
    )
    reply = target.process_query(builder.build())
    tasks, deleted = _tasks(reply, every), _created(reply, doomed)
    if deleted is not None:
        _delete(target, deleted)
    return Subjects(
        task=_created(reply, own),
        deleted=deleted,
        read_only=next((t for t in tasks if t.get("IsReadOnly") is True), None),
        shared=next(
            (t for t in tasks if t.get("IsPersonal") is False and t.get("IsReadOnly") is False), None
        ),
        unknown_location=_unknown_location(reply, locations),
    )


@pytest.fixture(scope="module")
def write_errors(target: Target, run_options: RunOptions) -> Iterator[dict[str, Answer | None]]:
    """Every condition's write, each in its own scope, in one request (None: no subject for it).
    The run's task is deleted by id afterwards: a blank title taken leaves no run id to sweep by."""
    found = _subjects(target, run_options.run_id)
    builder = RequestBuilder()
    session = _session(builder)
    planned = {}
    for condition in CONDITIONS:
        path = condition.write(builder, session, found, run_options.run_id)
        planned[condition.value] = None if path is None else _call(builder, path)
    reply = target.process_query(builder.build())
    yield {value: None if p is None else Answer(reply, *p) for value, p in planned.items()}
    if found.task is not None:
        _delete(target, found.task)


@pytest.mark.parametrize(
    "condition", [case(_meta("WriteFieldErrorType", c.value, "provoked"), c) for c in CONDITIONS]
)
def test_write_error_names_the_condition(
    condition: Condition, write_errors: dict[str, Answer | None]
) -> None:
    answer = write_errors[condition.value]
    if answer is None:
        pytest.skip(condition.missing)
    meta = _meta("WriteFieldErrorType", condition.value, "provoked")
    at = Site.of(meta, answer.reply.exchange)
    answer.ok(at)
    error = answer.member("Error")
    if condition.refused_as and error == _number("WriteFieldErrorType", "NoValue"):
        pytest.skip(f"the target took {condition.does} (the spec leaves open whether it must refuse it)")
    verify(
        at,
        checks.equals,
        _named("WriteFieldErrorType", error),
        _named("WriteFieldErrorType", _number("WriteFieldErrorType", condition.value)),
        what=f"TaskWriteResult.Error for {condition.does}",
    )


# ---------------------------------------------------------------------------------- RefreshState


@dataclass(frozen=True)
class Refreshes:
    begun: Answer | None  # GetRefreshStatus of the job BeginCacheRefresh just began (None: no job id)
    done: Answer | None  # GetRefreshStatus of it once it is no longer Pending
    missing_task: Answer  # RefreshSingleTask of a task that does not exist
    unknown_job: Answer  # GetRefreshStatus of an id no job has


def _status(target: Target, refresh_id: int) -> Answer:
    builder = RequestBuilder()
    planned = _call(builder, builder.method(_session(builder), "GetRefreshStatus", refresh_id))
    return Answer(target.process_query(builder.build()), *planned)


@pytest.fixture(scope="module")
def refreshes(target: Target) -> Refreshes:
    """The job is waited for here, so no later case finds it Pending."""
    builder = RequestBuilder()
    session = _session(builder)
    job = builder.query(builder.method(session, "BeginCacheRefresh"), SELECT_ALL)
    missing = _call(builder, builder.method(session, "RefreshSingleTask", UNKNOWN_ID))
    unknown = _call(builder, builder.method(session, "GetRefreshStatus", UNKNOWN_ID))
    reply = target.process_query(builder.build())
    value = reply.response.results.get(job) if reply.response else None
    refresh_id = value.get("CurrentJobId") if isinstance(value, dict) else None
    begun = done = None
    if isinstance(refresh_id, int):
        begun = _status(target, refresh_id)
        await_refresh(target, CATALOGUE, World(values={"refreshId": refresh_id}))
        done = _status(target, refresh_id)
    return Refreshes(begun, done, Answer(reply, *missing), Answer(reply, *unknown))


def _judge_state(meta: CaseMeta, answer: Answer, member: str, what: str) -> None:
    at = Site.of(meta, answer.reply.exchange)
    answer.ok(at)
    expected = _named("RefreshState", _number("RefreshState", meta.item.rpartition(".")[2]))
    verify(at, checks.equals, _named("RefreshState", answer.member(member)), expected, what=what)


PENDING = _meta("RefreshState", "Pending", "provoked")
SUCCEEDED = _meta("RefreshState", "Succeeded", "provoked")
FAILED = _meta("RefreshState", "Failed", "provoked")
NO_STATE = _meta("RefreshState", "NoValue", "provoked")


@dataclass(frozen=True)
class JobState:
    """A state the refresh job must be in when its status is read at one moment."""

    meta: CaseMeta
    moment: str  # Refreshes.begun or .done
    excused: str  # a state in which the moment's state cannot be judged ...
    why: str  # ... and why
    what: str


JOB_STATES = (
    JobState(PENDING, "begun", "Succeeded", "the refresh had already succeeded when its status was "
             "first read", "AggregatorRefreshState of a job just begun"),
    JobState(SUCCEEDED, "done", "Failed", "the target's refresh failed (a provider of its own failed: no "
             "request causes that)", "AggregatorRefreshState once no longer Pending"),
)  # fmt: skip


@pytest.mark.parametrize("state", [case(s.meta, s) for s in JOB_STATES])
def test_refresh_job_state(state: JobState, refreshes: Refreshes) -> None:
    answer: Answer | None = getattr(refreshes, state.moment)
    if answer is None:
        pytest.skip("BeginCacheRefresh returned no CurrentJobId (its own cases judge that)")
    if answer.member("AggregatorRefreshState") == _number("RefreshState", state.excused):
        pytest.skip(state.why)
    _judge_state(state.meta, answer, "AggregatorRefreshState", state.what)


@pytest.mark.parametrize("meta", [case(FAILED, FAILED)])
def test_refresh_of_a_missing_task_failed(meta: CaseMeta, refreshes: Refreshes) -> None:
    _judge_state(
        meta, refreshes.missing_task, "RefreshState", f"RefreshSingleTask({UNKNOWN_ID}).RefreshState"
    )


@pytest.mark.parametrize("meta", [case(NO_STATE, NO_STATE)])
def test_status_of_no_refresh_has_no_state(meta: CaseMeta, refreshes: Refreshes) -> None:
    if refreshes.unknown_job.refused():
        pytest.skip(f"the target refused GetRefreshStatus({UNKNOWN_ID}) (the spec leaves open how)")
    what = f"GetRefreshStatus({UNKNOWN_ID}).AggregatorRefreshState (no job has that id)"
    _judge_state(meta, refreshes.unknown_job, "AggregatorRefreshState", what)


# --------------------------------------------------------------------------- ExchangeOptInResult


@dataclass(frozen=True)
class OptIns:
    first: Answer  # OptIntoExchangeSync after OptOutOfExchangeSync
    again: Answer  # OptIntoExchangeSync once more


def _opted_in(target: Target) -> bool | None:
    builder = RequestBuilder()
    manager = builder.construct(_type("UserSettingsManager").type_id)
    query = builder.query(builder.method(manager, "GetExchangeSyncInfo"), SELECT_ALL)
    reply = target.process_query(builder.build())
    value = reply.response.results.get(query) if reply.response else None
    opted = value.get("IsOptedIn") if isinstance(value, dict) else None
    return opted if isinstance(opted, bool) else None


def _opt(builder: RequestBuilder, method: str) -> tuple[int, int]:
    manager = builder.construct(_type("UserSettingsManager").type_id)
    with builder.exception_scope() as scope:
        call = builder.call(manager, method)
    return scope, call


@pytest.fixture(scope="module")
def opt_ins(target: Target) -> Iterator[OptIns]:
    before = _opted_in(target)
    builder = RequestBuilder()
    _opt(builder, "OptOutOfExchangeSync")
    first, again = _opt(builder, "OptIntoExchangeSync"), _opt(builder, "OptIntoExchangeSync")
    reply = target.process_query(builder.build())
    yield OptIns(Answer(reply, *first), Answer(reply, *again))
    if before is False:  # put the user's choice back
        restore = RequestBuilder()
        _opt(restore, "OptOutOfExchangeSync")
        target.process_query(restore.build())


OPTED_IN = _meta("ExchangeOptInResult", "Success", "provoked")
ALREADY = _meta("ExchangeOptInResult", "UserAlreadyOptedIn", "provoked")
# what only the target's surroundings cause (no Exchange server, no personal site, no e-mail
# address ...): a target answering one of these cannot be opted in, which the spec allows
UNABLE = {v.value for v in _type("ExchangeOptInResult").values} - {
    _number("ExchangeOptInResult", name) for name in ("NoValue", "Success", "UserAlreadyOptedIn")
}


# one case function, so that --shard keeps both with the one fixture that opts the user out and in
OPT_INS = (
    (OPTED_IN, "first", "OptIntoExchangeSync after OptOutOfExchangeSync"),
    (ALREADY, "again", "OptIntoExchangeSync of a user just opted in"),
)


@pytest.mark.parametrize(
    ("meta", "moment", "what"), [case(m, m, moment, what) for m, moment, what in OPT_INS]
)
def test_opt_in_result(meta: CaseMeta, moment: str, what: str, opt_ins: OptIns) -> None:
    first = opt_ins.first.value()
    if type(first) is int and first in UNABLE:
        named = _named("ExchangeOptInResult", first)
        pytest.skip(f"the target cannot opt the user in ({named}): that needs what it lacks")
    if moment == "again" and first != _number("ExchangeOptInResult", "Success"):
        pytest.skip("the first OptIntoExchangeSync did not succeed (its own case judges it)")
    answer: Answer = getattr(opt_ins, moment)
    at = Site.of(meta, answer.reply.exchange)
    answer.ok(at)
    expected = _named("ExchangeOptInResult", _number("ExchangeOptInResult", meta.item.rpartition(".")[2]))
    verify(at, checks.equals, _named("ExchangeOptInResult", answer.value()), expected, what=what)
