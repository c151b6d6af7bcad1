"""Tasks: the user's task cache, its result types, and every write a session can make.

Choices where [MS-WMCSOM] is silent:

- Write results. Every TaskWriteResult-returning method reports a problem in ``Error``
  (WriteFieldErrorType) with an ``ErrorMessage``, never as a fault: an id the user has no task
  with is ``TaskNotFound``; a deleted task (ids are never reused) is ``TaskDeleted``; a
  read-only task (``IsReadOnly``, e.g. the seeded Project Server assignment) refuses field
  updates, deletion and promotion with ``AccessDenied`` (pins and custom attributes are the
  user's own marks and stay allowed). On success ``Error`` is NoValue, ``ErrorMessage`` null and
  ``Result`` the task after the write (for DeleteTask: as it was just before); on error
  ``Result`` is the task unchanged, or null when there is none.
- Field rules (CreateTask and UpdateTaskWithLocalizedValue alike): a title must not be empty or
  blank and is at most 255 characters (``TitleInvalid``); a description is at most 63999
  characters (``DescriptionInvalid``; empty is null, as example 4.3 shows); dates follow
  ``common.parse_localized_date`` (unreadable: ``StartDateInvalid``/``DueDateInvalid``) and a
  start date after the due date is refused on the field being written (on CreateTask:
  ``DueDateInvalid``); IsCompleted reads true/false/1/0/yes/no (``IsCompletedInvalid``); an
  edit URL must be http(s) or relative and contain no white space (``EditUrlInvalid``); an
  empty edit URL becomes ``EditTask.aspx?taskId=<id>`` (example 4.3). ``field`` NoValue is
  ``InvalidInput``; a value outside WritableTaskField is a fault (ARGUMENT_OUT_OF_RANGE).
- CreateTask: ``locationKey`` -1 or null is no location; another id the user has not is
  ``LocationInvalid``. New tasks are personal, go to the end of the user's order, are
  discovered now.
- Pins: PinTask keeps the time of an existing pin; ``PinAge`` is Fresh while the pin is younger
  than ``UserSettings.ImportantTasksLimit`` days, then Stale; NoValue when not pinned.
- Custom attributes: non-empty, at most 255 characters (else ``InvalidInput``), kept in the
  order added; adding one already there or removing one not there succeeds and changes
  nothing. Every successful write (pins and attributes included) sets ``LastModified``;
  reordering does not.
- Promotion: only a personal task (``PromoteTargetTaskNotPersonal``) into one of the user's
  locations (``LocationInvalid``); a location that cannot hold tasks (a site rather than a
  list, see ``seed``) is ``PromotionFailedInProvider``. A promoted task is no longer personal,
  lives in that location and gets the provider's edit URL.
  CreatePersonalTaskAndPromoteToProviderTask with locationKey -1/null only creates; when the
  promotion fails the created personal task stays (the spec says so) and is the ``Result``.
- MovePersonalTaskToLocation answers false (changing nothing) for a missing, deleted,
  read-only or non-personal task or an unknown location; -1 moves to "no location".
- ReorderTask returns nothing, so an unknown task or after-task is a fault (ARGUMENT);
  ``newAfterTaskKey`` 0 or -1 (JSOM sends 0) moves the task to the top.
- RefreshSingleTask: a personal task has no source, so ``RefreshState.Ignored``; an aggregated
  task ``Succeeded`` (the reference server's copy is always current); a missing or deleted
  task ``Failed`` with the request's correlation id and a null Result.
- GetCalloutInfo returns an object without an error field, so a missing or deleted task is a
  fault (ARGUMENT). Contacts are the other assignees stored with the task; DirectLinkTitle /
  DirectLinkUrl / Title name the task's location; Url is the task's edit URL; the reference
  server has no task hierarchy or dependencies (empty arrays).
- Setting a property of a Task object (all are read/write in the spec) changes only that
  object; the way to change a stored task is UpdateTaskWithLocalizedValue.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any, ClassVar

from conformance.server.csom.objects import (
    ARGUMENT,
    MAX_MESSAGE,
    Context,
    CsomFault,
    ItemCollection,
    ServerObject,
    decimal_int,
    register,
)
from conformance.server.wm.common import (
    MIN_DATE,
    NS,
    EnumProperty,
    RefreshState,
    TaskQueryErrorType,
    WritableTaskField,
    WriteFieldErrorType,
    check_enum,
    from_iso,
    iso_utc,
    naive_date,
    parse_localized_bool,
    parse_localized_date,
    personal_edit_url,
)
from conformance.server.wm.common import PinAge as PinAgeType
from conformance.server.wm.locations import location_row, location_rows
from conformance.server.wm.seed import ensure_user

E = WriteFieldErrorType
TITLE_MAX, DESCRIPTION_MAX, ATTRIBUTE_MAX = 255, 63999, 255


@register(NS + "Task")
class Task(ServerObject):
    identity_kind = "wmtask"
    PinAge = EnumProperty(PinAgeType)

    def __init__(self, ctx: Context) -> None:
        self.CustomAttributes: list[str] = []
        self.Description: str | None = None
        self.DueDate = MIN_DATE
        self.EditUrl: str | None = None
        self.Id = 0
        self.IsCompleted = False
        self.IsPersonal = True
        self.LastModified = MIN_DATE
        self.Name: str | None = None
        self.SerializedCustomDataForClient: str | None = None
        self.StartDate = MIN_DATE
        self.LocationId = -1
        self.IsReadOnly = False
        # not on the wire: what queries filter and sort by
        self._discovered = MIN_DATE
        self._pinned_at: dt.datetime | None = None
        self._sort_order = 0
        self._location_name = ""

    def identity_key(self) -> str:
        return str(self.Id)

    @classmethod
    def from_identity(cls, ctx: Context, key: str) -> Task | None:
        task_id = decimal_int(key)
        if task_id is None:
            return None
        ensure_user(ctx)
        row = task_row(ctx, task_id)
        return None if row is None or row["deleted_at"] is not None else load_task(ctx, row)


@register(NS + "TaskClientCollection")
class TaskClientCollection(ItemCollection):
    pass


@register(NS + "LocationGroupClientCollection")
class LocationGroupClientCollection(ItemCollection):
    """Tasks ordered by location (3.1.5.14 "a collection of tasks, ordered by location"; example 4.1
    shows Task child items: tasks without a location first, then by location id). Microsoft's JSOM
    agrees (LocationGroupClientCollection.get_childItemType returns SP.WorkManagement.OM.Task), so
    the capture sortable_locationSession_readTasks_include, which loads it with
    Include(Location,Tasks), asks for properties a Task does not have and is refused."""


@register(NS + "TaskWriteResult")
class TaskWriteResult(ServerObject):
    Error = EnumProperty(WriteFieldErrorType)

    def __init__(self, ctx: Context | None = None) -> None:
        self.ErrorMessage: str | None = None
        self.Result: Task | None = None

    @classmethod
    def _ok(cls, task: Task | None) -> TaskWriteResult:
        result = cls()
        result.Result = task
        return result

    @classmethod
    def _fail(cls, error: WriteFieldErrorType, message: str, task: Task | None = None) -> TaskWriteResult:
        result = cls._ok(task)
        # the message may quote the value sent (a date, a Boolean): cut as an ErrorInfo's is
        result.Error, result.ErrorMessage = int(error), message[:MAX_MESSAGE]
        return result


@register(NS + "TaskRefreshResult")
class TaskRefreshResult(ServerObject):
    RefreshState = EnumProperty(RefreshState)

    def __init__(self, ctx: Context | None = None) -> None:
        self.ErrorCorrelationId: str | None = None
        self.Result: Task | None = None


@register(NS + "CalloutInfo")
class CalloutInfo(ServerObject):
    def __init__(self, ctx: Context | None = None) -> None:
        self.Contacts: list[str] = []
        self.DirectLinkTitle: str | None = None
        self.DirectLinkUrl: str | None = None
        self.Hierarchy: list[str] = []
        self.Predecessors: list[str] = []
        self.Successors: list[str] = []
        self.Title: str | None = None
        self.Url: str | None = None


class _QueryResult(ServerObject):
    """No method of this spec version returns one; kept for the type list."""

    Error = EnumProperty(TaskQueryErrorType)
    results_type: ClassVar[type[ItemCollection]]

    def __init__(self, ctx: Context | None = None) -> None:
        self.ErrorMessage: str | None = None
        self.Results = self.results_type()


@register(NS + "TaskQueryResult")
class TaskQueryResult(_QueryResult):
    results_type = TaskClientCollection


@register(NS + "TaskQueryByLocationResult")
class TaskQueryByLocationResult(_QueryResult):
    results_type = LocationGroupClientCollection


# ---- reading ----------------------------------------------------------------------------------


def task_row(ctx: Context, task_id: Any) -> sqlite3.Row | None:
    if isinstance(task_id, bool) or not isinstance(task_id, int):
        return None
    return ctx.db.execute(
        "SELECT * FROM wm_tasks WHERE id = ? AND user_id = ?", (task_id, ctx.user_id)
    ).fetchone()


def _pin_days(ctx: Context) -> int:
    row = ctx.db.execute(
        "SELECT important_tasks_limit FROM wm_user_settings WHERE user_id = ?", (ctx.user_id,)
    ).fetchone()
    return row[0] if row else 7


def load_task(
    ctx: Context, row: sqlite3.Row, pin_days: int | None = None, locations: dict[int, str] | None = None
) -> Task:
    task = Task(ctx)
    task.Id, task.Name, task.Description = row["id"], row["name"], row["description"]
    task.StartDate, task.DueDate = from_iso(row["start_date"]), from_iso(row["due_date"])
    task.EditUrl, task.SerializedCustomDataForClient = row["edit_url"], row["custom_data"]
    task.IsCompleted, task.IsPersonal = bool(row["is_completed"]), bool(row["is_personal"])
    task.IsReadOnly = bool(row["is_read_only"])
    task.LocationId = -1 if row["location_id"] is None else row["location_id"]
    task.LastModified, task._discovered = from_iso(row["last_modified"]), from_iso(row["discovered"])
    task._sort_order = row["sort_order"]
    task.CustomAttributes = [
        r[0]
        for r in ctx.db.execute(
            "SELECT attribute FROM wm_task_attributes WHERE task_id = ? ORDER BY id", (task.Id,)
        )
    ]
    if row["pinned_at"] is not None:
        task._pinned_at = from_iso(row["pinned_at"])
        days = _pin_days(ctx) if pin_days is None else pin_days
        fresh = ctx.now - task._pinned_at < dt.timedelta(days=days)
        task.PinAge = int(PinAgeType.Fresh if fresh else PinAgeType.Stale)
    if locations is None:
        locations = {r["id"]: r["name"] for r in location_rows(ctx)}
    task._location_name = locations.get(task.LocationId, "")
    return task


def live_tasks(ctx: Context) -> list[Task]:
    """Every task of the user that is not deleted, by id."""
    pin_days = _pin_days(ctx)
    locations = {r["id"]: r["name"] for r in location_rows(ctx)}
    rows = ctx.db.execute(
        "SELECT * FROM wm_tasks WHERE user_id = ? AND deleted_at IS NULL ORDER BY id", (ctx.user_id,)
    ).fetchall()
    return [load_task(ctx, row, pin_days, locations) for row in rows]


def _reload(ctx: Context, task_id: int) -> Task:
    row = task_row(ctx, task_id)
    assert row is not None
    return load_task(ctx, row)


# ---- validation -------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, error: WriteFieldErrorType, message: str) -> None:
        super().__init__(message)
        self.error, self.message = error, message


def _title(value: str | None) -> str:
    if value is None or not value.strip():
        raise _Invalid(E.TitleInvalid, "The task title must not be empty.")
    if len(value) > TITLE_MAX:
        raise _Invalid(E.TitleInvalid, f"The task title is longer than {TITLE_MAX} characters.")
    return value


def _description(value: str | None) -> str | None:
    if value is not None and len(value) > DESCRIPTION_MAX:
        raise _Invalid(E.DescriptionInvalid, f"The description is longer than {DESCRIPTION_MAX} characters.")
    return value or None


def _date(value: str | None, error: WriteFieldErrorType, what: str) -> str | None:
    try:
        return naive_date(parse_localized_date(value))
    except ValueError:
        raise _Invalid(error, f"{value!r} is not a valid {what}.") from None


def _order(start: str | None, due: str | None, error: WriteFieldErrorType) -> None:
    if start is not None and due is not None and start > due:
        raise _Invalid(error, "The start date is after the due date.")


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _edit_url(value: str | None) -> str | None:
    if not value:
        return None
    scheme = _SCHEME.match(value)
    # a scheme-relative URL ("//evil.example", or with a backslash, which browsers read as "/")
    # leaves the site as surely as another scheme does
    other_origin = value[:2].replace("\\", "/") == "//"
    if (
        re.search(r"\s", value)
        or other_origin
        or (scheme and scheme.group().lower() not in ("http:", "https:"))
    ):
        raise _Invalid(E.EditUrlInvalid, f"{value[:100]!r} is not a valid edit URL.")
    return value


def _completed(value: str | None) -> bool:
    try:
        return parse_localized_bool(value)
    except ValueError:
        raise _Invalid(E.IsCompletedInvalid, f"{value!r} is not true or false.") from None


def _writable(
    ctx: Context, task_key: Any, *, owner_write: bool = True
) -> tuple[sqlite3.Row | None, TaskWriteResult | None]:
    """The task row, or the write result explaining why it cannot be written."""
    row = task_row(ctx, task_key)
    if row is None:
        return None, TaskWriteResult._fail(E.TaskNotFound, f"Task {task_key} was not found.")
    if row["deleted_at"] is not None:
        return None, TaskWriteResult._fail(E.TaskDeleted, f"Task {task_key} was deleted.")
    if owner_write and row["is_read_only"]:
        return None, TaskWriteResult._fail(
            E.AccessDenied, f"Task {task_key} is read-only.", load_task(ctx, row)
        )
    return row, None


def _touch(ctx: Context, task_id: int, **columns: Any) -> None:
    columns["last_modified"] = iso_utc(ctx.now)
    assignments = ", ".join(f"{name} = ?" for name in columns)
    ctx.db.execute(f"UPDATE wm_tasks SET {assignments} WHERE id = ?", (*columns.values(), task_id))


# ---- writes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewTask:
    """What CreateTask and CreatePersonalTaskAndPromoteToProviderTask take, as the client sent it."""

    name: str | None
    description: str | None
    start: str | None  # localized date strings
    due: str | None
    completed: bool | None
    pinned: bool | None


def create_task(
    ctx: Context, new: NewTask, location_key: int | None, edit_url: str | None
) -> TaskWriteResult:
    try:
        name = _title(new.name)
        description = _description(new.description)
        start_date = _date(new.start, E.StartDateInvalid, "start date")
        due_date = _date(new.due, E.DueDateInvalid, "due date")
        _order(start_date, due_date, E.DueDateInvalid)
        location = None if location_key in (None, -1) else location_key
        if location is not None and location_row(ctx, location) is None:
            raise _Invalid(E.LocationInvalid, f"Location {location_key} does not exist.")
        url = _edit_url(edit_url)
    except _Invalid as problem:
        return TaskWriteResult._fail(problem.error, problem.message)
    now = iso_utc(ctx.now)
    order = ctx.db.execute(
        "SELECT COALESCE(MAX(sort_order), 0) + 1 FROM wm_tasks WHERE user_id = ?", (ctx.user_id,)
    ).fetchone()[0]
    cursor = ctx.db.execute(
        "INSERT INTO wm_tasks (user_id, name, description, start_date, due_date, is_completed, location_id,"
        " edit_url, pinned_at, discovered, last_modified, sort_order) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (ctx.user_id, name, description, start_date, due_date, int(bool(new.completed)), location, url,
         now if new.pinned else None, now, now, order),
    )  # fmt: skip
    task_id = int(cursor.lastrowid or 0)
    if url is None:
        ctx.db.execute("UPDATE wm_tasks SET edit_url = ? WHERE id = ?", (personal_edit_url(task_id), task_id))
    return TaskWriteResult._ok(_reload(ctx, task_id))


def update_task(ctx: Context, task_key: Any, field: Any, value: str | None) -> TaskWriteResult:
    field = check_enum(WritableTaskField, field, "field")
    row, failure = _writable(ctx, task_key)
    if failure:
        return failure
    assert row is not None
    try:
        if field == WritableTaskField.Title:
            changes: dict[str, Any] = {"name": _title(value)}
        elif field == WritableTaskField.Description:
            changes = {"description": _description(value)}
        elif field == WritableTaskField.StartDate:
            start = _date(value, E.StartDateInvalid, "start date")
            _order(start, row["due_date"], E.StartDateInvalid)
            changes = {"start_date": start}
        elif field == WritableTaskField.DueDate:
            due = _date(value, E.DueDateInvalid, "due date")
            _order(row["start_date"], due, E.DueDateInvalid)
            changes = {"due_date": due}
        elif field == WritableTaskField.IsCompleted:
            changes = {"is_completed": int(_completed(value))}
        elif field == WritableTaskField.EditUrl:
            changes = {"edit_url": _edit_url(value) or personal_edit_url(row["id"])}
        else:
            raise _Invalid(E.InvalidInput, "No field to update (WritableTaskField.NoValue).")
    except _Invalid as problem:
        return TaskWriteResult._fail(problem.error, problem.message, load_task(ctx, row))
    _touch(ctx, row["id"], **changes)
    return TaskWriteResult._ok(_reload(ctx, row["id"]))


def delete_task(ctx: Context, task_key: Any) -> TaskWriteResult:
    row, failure = _writable(ctx, task_key)
    if failure:
        return failure
    assert row is not None
    before = load_task(ctx, row)
    ctx.db.execute("UPDATE wm_tasks SET deleted_at = ? WHERE id = ?", (iso_utc(ctx.now), row["id"]))
    return TaskWriteResult._ok(before)


def set_pin(ctx: Context, task_key: Any, pinned: bool) -> TaskWriteResult:
    row, failure = _writable(ctx, task_key, owner_write=False)
    if failure:
        return failure
    assert row is not None
    stamp = (row["pinned_at"] or iso_utc(ctx.now)) if pinned else None
    _touch(ctx, row["id"], pinned_at=stamp)
    return TaskWriteResult._ok(_reload(ctx, row["id"]))


def change_attribute(ctx: Context, task_key: Any, attribute: str | None, add: bool) -> TaskWriteResult:
    row, failure = _writable(ctx, task_key, owner_write=False)
    if failure:
        return failure
    assert row is not None
    if attribute is None or not attribute.strip() or len(attribute) > ATTRIBUTE_MAX:
        return TaskWriteResult._fail(
            E.InvalidInput,
            f"An attribute is 1 to {ATTRIBUTE_MAX} characters, not blank.",
            load_task(ctx, row),
        )
    if add:
        ctx.db.execute(
            "INSERT OR IGNORE INTO wm_task_attributes (task_id, attribute) VALUES (?, ?)",
            (row["id"], attribute),
        )
    else:
        ctx.db.execute(
            "DELETE FROM wm_task_attributes WHERE task_id = ? AND attribute = ?", (row["id"], attribute)
        )
    _touch(ctx, row["id"])
    return TaskWriteResult._ok(_reload(ctx, row["id"]))


def promote_task(ctx: Context, task_key: Any, location_id: Any) -> TaskWriteResult:
    row, failure = _writable(ctx, task_key)
    if failure:
        return failure
    assert row is not None
    task = load_task(ctx, row)
    if not row["is_personal"]:
        return TaskWriteResult._fail(
            E.PromoteTargetTaskNotPersonal, f"Task {task_key} is not a personal task.", task
        )
    location = location_row(ctx, location_id) if isinstance(location_id, int) else None
    if location is None:
        return TaskWriteResult._fail(E.LocationInvalid, f"Location {location_id} does not exist.", task)
    if not location["accepts_tasks"]:
        return TaskWriteResult._fail(
            E.PromotionFailedInProvider,
            f"{location['provider_name']} cannot store tasks in {location['name']}.",
            task,
        )
    _touch(
        ctx,
        row["id"],
        is_personal=0,
        location_id=location_id,
        edit_url=f"{location['url']}/EditForm.aspx?ID={row['id']}",
    )
    return TaskWriteResult._ok(_reload(ctx, row["id"]))


def create_and_promote(ctx: Context, new: NewTask, location_key: int | None) -> TaskWriteResult:
    created = create_task(ctx, new, -1, None)
    if created.Error or location_key in (None, -1) or created.Result is None:
        return created
    return promote_task(ctx, created.Result.Id, location_key)


def move_personal_task(ctx: Context, task_key: Any, location_key: Any) -> bool:
    row = task_row(ctx, task_key)
    if row is None or row["deleted_at"] is not None or not row["is_personal"] or row["is_read_only"]:
        return False
    if location_key in (None, -1):
        location = None
    elif isinstance(location_key, int) and location_row(ctx, location_key) is not None:
        location = location_key
    else:
        return False
    _touch(ctx, row["id"], location_id=location)
    return True


def reorder_task(ctx: Context, task_key: Any, after_key: Any) -> None:
    ids = [
        r[0]
        for r in ctx.db.execute(
            "SELECT id FROM wm_tasks WHERE user_id = ? AND deleted_at IS NULL ORDER BY sort_order, id",
            (ctx.user_id,),
        )
    ]
    if task_key not in ids or isinstance(task_key, bool):
        raise CsomFault(ARGUMENT, f"Task {task_key} was not found.", "taskKey")
    if after_key not in (None, 0, -1) and (after_key not in ids or isinstance(after_key, bool)):
        raise CsomFault(ARGUMENT, f"Task {after_key} was not found.", "newAfterTaskKey")
    if after_key == task_key:
        return
    ids.remove(task_key)
    ids.insert(0 if after_key in (None, 0, -1) else ids.index(after_key) + 1, task_key)
    ctx.db.executemany("UPDATE wm_tasks SET sort_order = ? WHERE id = ?", list(enumerate(ids, 1)))


def refresh_task(ctx: Context, task_key: Any) -> TaskRefreshResult:
    result = TaskRefreshResult()
    row = task_row(ctx, task_key)
    if row is None or row["deleted_at"] is not None:
        result.RefreshState, result.ErrorCorrelationId = int(RefreshState.Failed), ctx.correlation_id
        return result
    result.Result = load_task(ctx, row)
    result.RefreshState = int(RefreshState.Ignored if row["is_personal"] else RefreshState.Succeeded)
    return result


def callout_info(ctx: Context, task_key: Any) -> CalloutInfo:
    row = task_row(ctx, task_key)
    if row is None or row["deleted_at"] is not None:
        raise CsomFault(ARGUMENT, f"Task {task_key} was not found.", "taskKey")
    info = CalloutInfo()
    info.Contacts, info.Url = list(json.loads(row["contacts"])), row["edit_url"]
    location = location_row(ctx, row["location_id"])
    if location is not None:
        info.DirectLinkTitle = info.Title = location["name"]
        info.DirectLinkUrl = location["url"]
    return info
