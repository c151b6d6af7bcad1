"""The JSOM scenarios' calls (interop/jsom/*.js), written again with the wire codec's RequestBuilder.

Each entry rebuilds one step (one executeQuery) from the step's recorded ``vars``, statement by
statement as the JavaScript makes it, so that the request JSOM sent and the request the codec
builds can be compared (``canonical``). Keys are ``scenario/label``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conformance.spec.data import load_csom
from conformance.wire import (
    ExceptionHandlingScope,
    ExceptionHandlingScopeSimple,
    QueryProperty,
    QuerySpec,
    Request,
    RequestBuilder,
    Scope,
)
from tests.wire.test_captures import LOAD_COLLECTION, include

Builder = Callable[[RequestBuilder, dict[str, Any]], None]

WMCSOM = [t for t in load_csom("ms-wmcsom").types if t.short_name]
# MS-WMCSOM TypeIds by short class name ("UserSettingsManager"), braced as JSOM writes them
TYPE = {t.short_name.rsplit(".", 1)[-1]: f"{{{t.type_id}}}" for t in WMCSOM if t.type_id}
DATE_PROPERTIES = {
    (t.short_name.rsplit(".", 1)[-1], p.name)
    for t in WMCSOM
    for p in t.properties
    if p.type == "CSOM DateTime"
}
SESSIONS = {  # env.session(ctx, kind)
    "userOrdered": ("UserOrderedSessionManager", "CreateSession"),
    "locationUserOrdered": ("UserOrderedSessionManager", "CreateLocationOrientedSession"),
    "sortable": ("SortableSessionManager", "CreateSession"),
    "locationSortable": ("SortableSessionManager", "CreateLocationOrientedSession"),
}
SETTINGS = (
    "daysAfterCurrentDateTimelineEnds", "daysATaskIsConsideredNewTask", "daysBeforeCurrentDateTimelineStarts",
    "importantTasksLimit", "inactiveMonthsBeforeLocationExpiration", "lateTasksLimit", "oldTasksLimit",
    "upcomingTasksLimit", "importantLocationIds",
)  # fmt: skip
PERSISTED = (
    "filteredLocationIds", "groupByProjects", "hasShownMarkAsImportantCallout",
    "hasShownTaskListTooLongNotification", "quickLaunchLandingPage",
)  # fmt: skip
# enum values the scenarios use as constants (MS-WMCSOM section 3.1.5)
BOOLEAN_IS_TRUE, CONCAT_ALL, CONCAT_ANY, STRING_CONTAINS, STRING_BEGINS_WITH = 1, 1, 2, 2, 3
TASK_INCLUDE = include("Id", "Name", "PinAge", "CustomAttributes")


def pascal(js_name: str) -> str:
    return js_name[0].upper() + js_name[1:]


def when(iso: str) -> dt.datetime:
    """A JS Date as the driver reports it (ISO, UTC; the drivers run with TZ=UTC)."""
    return dt.datetime.fromisoformat(iso)


def session(b: RequestBuilder, kind: str = "userOrdered"):
    manager, create = SESSIONS[kind]
    return b.method(b.construct(TYPE[manager]), create)


def load_write(b: RequestBuilder, result) -> None:
    """env.loadWrite: ctx.load(result); ctx.load(result.get_result())"""
    b.query(result)
    b.query(b.property(result, "Result"))


# ------------------------------------------------------------------------------ shared helpers


def all_locations(b, v):
    b.query(b.method(b.construct(TYPE["UserSettingsManager"]), "GetAllLocations"), **LOAD_COLLECTION)


def create_task(b, v):
    s = session(b)
    args = [
        v[k] for k in ("name", "description", "start", "due", "completed", "pinned", "location", "editUrl")
    ]
    load_write(b, b.method(s, "CreateTask", *args))


def ids_query(b, ids):
    query = b.construct(TYPE["TaskQuery"])
    task_filter = b.construct(TYPE["TaskFilter"])
    b.set_property(task_filter, "IdsToFilterBy", ids)
    b.set_property(query, "FieldFilter", task_filter)
    return query


def read_by_ids(b, v):
    s = session(b)
    b.query(b.method(s, "ReadTasks", ids_query(b, v["ids"])), **LOAD_COLLECTION)


def delete_tasks(b, v):
    s = session(b)
    for task_id in v["ids"]:
        load_write(b, b.method(s, "DeleteTask", task_id))


def session_writes(method: str, *names: str) -> Builder:
    """One write per value of v[names[-1]] (a list) or a single write, each loaded with load_write."""

    def build(b, v):
        s = session(b)
        *fixed, last = names
        values = v[last] if isinstance(v[last], list) else [v[last]]
        for value in values:
            load_write(b, b.method(s, method, *(v[n] for n in fixed), *value_args(value)))

    return build


def value_args(value) -> tuple:
    return tuple(value) if isinstance(value, list) else (value,)


def tagged(
    configure: Callable[[RequestBuilder, Any, dict[str, Any]], None] = lambda b, q, v: None,
) -> Builder:
    """tasks.js tagged(): a TaskQuery on the run's tag, configured, read by a user-ordered session."""

    def build(b, v):
        query = b.construct(TYPE["TaskQuery"])
        b.set_property(query, "KeywordFilter", v["tag"])
        configure(b, query, v)
        b.query(b.method(session(b), "ReadTasks", query), **TASK_INCLUDE)

    return build


def field_filter(configure: Callable[[RequestBuilder, Any, dict[str, Any]], None]) -> Builder:
    """queries.js filtered(): tagged() with a TaskFilter."""

    def set_filter(b, query, v):
        task_filter = b.construct(TYPE["TaskFilter"])
        configure(b, task_filter, v)
        b.set_property(query, "FieldFilter", task_filter)

    return tagged(set_filter)


def criterion(b, type_name: str, **values):
    made = b.construct(TYPE[type_name])
    for name, value in values.items():
        b.set_property(made, name, value)
    return made


# ------------------------------------------------------------------------------ settings.js


def read_settings(b, v):
    usm = b.construct(TYPE["UserSettingsManager"])
    settings, persisted = b.method(usm, "GetUserSettings"), b.method(usm, "GetPersistedProperties")
    b.query(settings)
    b.query(persisted)


def write_settings(b, v):
    usm = b.construct(TYPE["UserSettingsManager"])
    settings = b.construct(TYPE["UserSettings"])
    for name in SETTINGS:
        b.set_property(settings, pascal(name), v["settings"][name])
    b.call(usm, "SetUserSettings", settings, [])
    persisted = b.construct(TYPE["PersistedProperties"])
    for name in PERSISTED:
        b.set_property(persisted, pascal(name), v["persisted"][name])
    b.call(usm, "SetPersistedProperties", persisted)


def important_and_by_id(b, v):
    usm = b.construct(TYPE["UserSettingsManager"])
    important, some = b.method(usm, "GetImportantLocations"), b.method(usm, "GetLocations", v["ids"])
    b.query(important, **include("Id", "Name", "Url", "Important"))
    b.query(some, **LOAD_COLLECTION)


def exchange_opt(method: str) -> Builder:
    def build(b, v):
        usm = b.construct(TYPE["UserSettingsManager"])
        b.call(usm, method)
        b.query(b.method(usm, "GetExchangeSyncInfo"))

    return build


def exchange_sync(b, v):
    s = session(b)
    b.call(s, "BeginExchangeSync")
    b.call(s, "IsExchangeJobPending")
    b.call(b.construct(TYPE["UserSettingsManager"]), "IsExchangeJobPending")


# ------------------------------------------------------------------------------ tasks.js


def create_and_promote(b, v):
    s = session(b)
    args = (v["name"], v["description"], v["start"], v["due"], False, False, v["location"])
    load_write(b, b.method(s, "CreatePersonalTaskAndPromoteToProviderTask", *args))


def delete_again(b, v):
    s = session(b)
    twice, unknown = b.method(s, "DeleteTask", v["id"]), b.method(s, "DeleteTask", v["missing"])
    b.query(twice)
    b.query(unknown)


def reorder(b, v):
    s = session(b)
    b.call(s, "ReorderTask", v["c"], v["a"])
    b.call(s, "ReorderTask", v["b"], 0)


def move(b, v):
    s = session(b, "locationUserOrdered")
    b.call(s, "MovePersonalTaskToLocation", v["a"], v["location"])
    query = b.construct(TYPE["TaskQuery"])
    b.set_property(query, "KeywordFilter", v["tag"])
    b.query(b.method(s, "ReadTasks", query), **LOAD_COLLECTION)


def attribute_filter(b, query, v):
    made = criterion(b, "CustomAttributeFilter", Attributes=v["attributes"], ConcatType=CONCAT_ALL)
    b.set_property(query, "CustomAttributeFilter", made)


# ------------------------------------------------------------------------------ queries.js


def read_everything(b, v):
    for kind in SESSIONS:
        s = session(b, kind)
        query = b.construct(TYPE["SortableTaskQuery" if kind.endswith("ortable") else "TaskQuery"])
        b.query(b.method(s, "ReadTasks", query), **LOAD_COLLECTION)
    non_task = b.method(session(b), "ReadAllNonTaskData")
    b.query(non_task)
    parts = ["AllLocatons", "PersistedProperties", "RefreshHistory", "ScriptExtensions", "UserSettings"]
    paths = {name: b.property(non_task, name) for name in parts}
    for name, path in paths.items():
        b.query(path, **(LOAD_COLLECTION if name in ("AllLocatons", "ScriptExtensions") else {}))
    b.query(b.property(paths["RefreshHistory"], "Refreshes"), **LOAD_COLLECTION)


def sorted_read(b, v):
    query = b.construct(TYPE["SortableTaskQuery"])
    order = b.construct(TYPE["OrderInfo"])
    b.set_property(order, "Field", v["field"])
    b.set_property(order, "IsDescending", v["descending"])
    b.set_property(query, "Order", order)
    core = b.construct(TYPE["TaskQuery"])
    b.set_property(core, "KeywordFilter", v["tag"])
    b.set_property(query, "CoreQuery", core)
    b.query(b.method(session(b, "sortable"), "ReadTasks", query), **include("Id", "Name", "DueDate"))


def completed(b, f, v):
    b.set_property(f, "CompletedCriterion", criterion(b, "BooleanCriterion", CompareType=BOOLEAN_IS_TRUE))


def name_begins_with(b, f, v):
    made = criterion(b, "NameCriterion", CompareType=STRING_BEGINS_WITH, CompareValue=v["value"])
    b.set_property(f, "NameCriterion", made)


def due_between(b, f, v):
    made = criterion(b, "DateRangeCriterion", RangeStartValue=when(v["start"]), RangeEndValue=when(v["end"]))
    b.set_property(f, "DueDateRangeCriterion", made)


def ids_or_name(b, f, v):
    b.set_property(f, "CriterionConcatType", CONCAT_ANY)
    b.set_property(f, "IdsToFilterBy", v["ids"])
    made = criterion(b, "NameCriterion", CompareType=STRING_CONTAINS, CompareValue=v["value"])
    b.set_property(f, "NameCriterion", made)


def no_location(b, query, v):
    made = criterion(b, "LocationFilter", LocationKeys=[], IncludeUncategorizedTasks=True)
    b.set_property(query, "LocationFilter", made)


# ------------------------------------------------------------------------------ refresh.js


def refresh_status(b, v):
    result = b.method(session(b), "GetRefreshStatus", v["id"])
    b.query(result)
    b.query(b.property(result, "TaskChangesByLocation"), **LOAD_COLLECTION)
    b.query(b.property(result, "ProviderStatuses"), **LOAD_COLLECTION)


def begin_refresh(b, v):
    b.query(b.method(session(b), "BeginCacheRefresh"))


def history_and_health(b, v):
    s = session(b)
    history, health = b.method(s, "GetRefreshHistory", when(v["since"])), b.method(s, "GetRefreshHealthInfo")
    b.query(history)
    b.query(b.property(history, "Refreshes"), **LOAD_COLLECTION)
    b.query(health)
    b.query(b.property(health, "ProviderErrors"), **LOAD_COLLECTION)


def refresh_and_callout(b, v):
    s = session(b)
    refreshed, info = b.method(s, "RefreshSingleTask", v["id"]), b.method(s, "GetCalloutInfo", v["id"])
    b.query(refreshed)
    b.query(b.property(refreshed, "Result"))
    b.query(info)


# ------------------------------------------------------------------------------ objects.js


def load_constructed(b, v):
    sessions = [session(b, kind) for kind in SESSIONS]
    for type_name, sets in v["plan"]:
        made = b.construct(TYPE[type_name])
        for js_name, value in sets:
            name = pascal(js_name)
            b.set_property(made, name, when(value) if (type_name, name) in DATE_PROPERTIES else value)
        # JSOM lists the scalar properties set client-side in the query of the object
        scalars = tuple(QueryProperty(pascal(js_name), scalar_property=True) for js_name, _ in sets)
        children = QuerySpec() if type_name.endswith("Collection") else None
        b.query(made, QuerySpec(True, scalars), children)
    for each in sessions:
        b.query(each)


# ------------------------------------------------------------------------------ errors.js


def reorder_unknown(b, v):
    b.call(session(b), "ReorderTask", v["missing"], 0)


def field_out_of_range(b, v):
    load_write(b, b.method(session(b), "UpdateTaskWithLocalizedValue", 1, 99, "x"))


def callout_unknown(b, v):
    b.query(b.method(session(b), "GetCalloutInfo", v["missing"]))


def caught(b, v):
    """ExceptionHandlingScope with startTry/startCatch. RequestBuilder makes only the simple scope,
    so the built one becomes a try scope with an empty catch scope afterwards (see try_catch)."""
    with b.exception_scope():
        reorder_unknown(b, v)
    b.query(b.method(b.construct(TYPE["UserSettingsManager"]), "GetUserSettings"))


def try_catch(request: Request) -> Request:
    """Every ExceptionHandlingScopeSimple of `request` as an ExceptionHandlingScope(Try, empty Catch)."""
    top = max(
        [p.id for p in request.object_paths] + [a.id for a in request.actions if hasattr(a, "id")], default=0
    )

    def convert(action):
        if not isinstance(action, ExceptionHandlingScopeSimple):
            return action
        return ExceptionHandlingScope(action.id, Scope(top + 1, action.actions), Scope(top + 2))

    return replace(request, actions=tuple(map(convert, request.actions)))


BUILDERS: dict[str, Builder] = {
    "user_settings/read": read_settings,
    "user_settings/locations": all_locations,
    "user_settings/write": write_settings,
    "user_settings/read again": read_settings,
    "user_settings/restore": write_settings,
    "user_settings/read restored": read_settings,
    "locations/all": all_locations,
    "locations/important and by id": important_and_by_id,
    "exchange_sync/opt in": exchange_opt("OptIntoExchangeSync"),
    "exchange_sync/sync": exchange_sync,
    "exchange_sync/opt out": exchange_opt("OptOutOfExchangeSync"),
    "create/locations": all_locations,
    "create/create full": create_task,
    "create/create nulls": create_task,
    "create/read back": read_by_ids,
    "create/create and promote": create_and_promote,
    "create/clean up": delete_tasks,
    "update/create": create_task,
    "update/update fields": session_writes("UpdateTaskWithLocalizedValue", "id", "changes"),
    "update/read back": read_by_ids,
    "update/invalid values": session_writes("UpdateTaskWithLocalizedValue", "id", "changes"),
    "update/clean up": delete_tasks,
    "delete/create": create_task,
    "delete/delete": session_writes("DeleteTask", "id"),
    "delete/read back": read_by_ids,
    "delete/delete again": delete_again,
    "pin/create": create_task,
    "pin/pin": session_writes("PinTask", "id"),
    "pin/read pinned": tagged(lambda b, q, v: b.set_property(q, "PinnedFilter", v["state"])),
    "pin/unpin": session_writes("RemovePinOnTask", "id"),
    "pin/read not pinned": tagged(lambda b, q, v: b.set_property(q, "PinnedFilter", v["state"])),
    "pin/clean up": delete_tasks,
    "attributes/create": create_task,
    "attributes/add": session_writes("AddAttributeToTask", "id", "names"),
    "attributes/filter": tagged(attribute_filter),
    "attributes/remove": session_writes("RemoveAttributeFromTask", "id", "name"),
    "attributes/clean up": delete_tasks,
    "order/locations": all_locations,
    "order/create 1": create_task,
    "order/create 2": create_task,
    "order/create 3": create_task,
    "order/read order": tagged(),
    "order/reorder": reorder,
    "order/read new order": tagged(),
    "order/move": move,
    "order/clean up": delete_tasks,
    "sessions/read everything": read_everything,
    "query/create bravo": create_task,
    "query/create alpha": create_task,
    "query/create charlie": create_task,
    "query/by title": sorted_read,
    "query/by due date descending": sorted_read,
    "query/by id": sorted_read,
    "query/completed": field_filter(completed),
    "query/name begins with": field_filter(name_begins_with),
    "query/due between": field_filter(due_between),
    "query/ids or name": field_filter(ids_or_name),
    "query/no location": tagged(no_location),
    "query/clean up": delete_tasks,
    "refresh_jobs/begin": begin_refresh,
    "refresh_jobs/status": refresh_status,
    "refresh_jobs/history and health": history_and_health,
    "refresh_jobs/status of an unknown job": refresh_status,
    "callout/create": create_task,
    "callout/refresh and callout": refresh_and_callout,
    "callout/clean up": delete_tasks,
    "client_objects/load constructed": load_constructed,
    "faults/reorder an unknown task": reorder_unknown,
    "faults/a field outside WritableTaskField": field_out_of_range,
    "faults/a callout for an unknown task": callout_unknown,
    "exception_scope/caught": caught,
}


def rebuild(key: str, variables: dict[str, Any], *, library_version: str) -> Request:
    """The request the codec builds for step `key` with the step's recorded arguments."""
    b = RequestBuilder(library_version=library_version)
    BUILDERS[key](b, variables)
    built = b.build()
    return try_catch(built) if key == "exception_scope/caught" else built
