"""Ground truth for requests: ProcessQuery bodies written by Microsoft's JSOM (shared/captures/jsom).

(a) every capture parses and is written back byte for byte; (b) every scenario rebuilt with
RequestBuilder from the JS call in the captures' README gives the same request (canonical form), and
with JSOM's numbering even the same bytes; (c) the four JSOM builds send the same request apart from
LibraryVersion.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance.wire import NULL, QueryProperty, QuerySpec, RequestBuilder, canonical, parse_request, to_xml

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CAPTURES = SHARED / "captures" / "jsom"
BUILDS = {"2013": "15.0.0.0", "2016": "16.0.0.0", "2019": "16.0.0.0", "spo": "16.0.0.0"}

pytestmark = pytest.mark.skipif(not CAPTURES.is_dir(), reason=f"JSOM captures not found at {CAPTURES}")

# TypeIds from MS-WMCSOM section 3.1.5 (JSOM writes them braced and lower-case)
USER_SETTINGS_MANAGER = "{73B6F1D6-C69C-4787-8413-2BB14D336410}"
USER_ORDERED_SESSION_MANAGER = "{D82117FB-E4AA-4AB8-B590-CB2BE4B2F078}"
SORTABLE_SESSION_MANAGER = "{924B1779-998E-4C60-A291-78EDEBC3C202}"
TASK_QUERY = "{70C9591D-9A78-404A-9FE8-B50B1E02CD93}"
SORTABLE_TASK_QUERY = "{F43AB2F6-B0E1-46F7-8FF6-A96540F7F595}"
ORDER_INFO = "{8C385903-1E43-4256-8037-F7FF442154EC}"
USER_SETTINGS = "{BEA67FB5-FB82-4388-B0E7-174BAA0EB51A}"
PERSISTED_PROPERTIES = "{C05EBF4C-F2C5-4167-9043-F21C4E1B682D}"
CUSTOM_ATTRIBUTE_FILTER = "{0E21BB74-7473-48B1-9F7B-D1185BA1CA71}"
TASK_FILTER = "{3188516D-D569-40F8-8C01-1D48FBF5243C}"
BOOLEAN_CRITERION = "{16D379B2-E752-405E-A05F-A8FE05AA0D07}"
NAME_CRITERION = "{1C2A7A53-2CDD-4C21-8DD6-1673656ECA45}"
DATE_RANGE_CRITERION = "{C9C79001-8E9D-4F24-860B-55BD22C13EAE}"
LOCATION_FILTER = "{D9CE752E-01ED-4872-B4DA-FC362038FBF0}"

# enum values from MS-WMCSOM (JSOM sends them as Type="Number")
WRITABLE_TASK_FIELD = {"title": 21, "dueDate": 5, "isCompleted": 13}
SORTABLE_TASK_FIELD_DUE_DATE = 5
CRITERION_CONCAT_ALL, CRITERION_CONCAT_ANY = 1, 2
BOOLEAN_COMPARE_IS_FALSE = 2
STRING_COMPARE_CONTAINS = 2
PINNED, NOT_PINNED = 1, 2

# JS Dates built with TZ=UTC: JSOM writes local time with the +00:00 offset
JAN_15_0830 = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)
FEB_28_1700 = datetime(2026, 2, 28, 17, 0, tzinfo=UTC)

LOAD_COLLECTION = {"query": QuerySpec(), "child_items": QuerySpec()}  # ctx.load(collection)


def include(*names: str) -> dict:
    """ctx.load(collection, 'Include(A,B)')"""
    return {"query": QuerySpec(False), "child_items": QuerySpec.select(*names)}


def new_session(b):
    return b.method(b.construct(USER_ORDERED_SESSION_MANAGER), "CreateSession")


def session_loads(*calls):
    """s = new UserOrderedSessionManager(ctx).createSession(); ctx.load(s.call(args)) for each call."""

    def scenario(b):
        session = new_session(b)
        for name, *args in calls:
            b.query(b.method(session, name, *args))

    return scenario


def usm_ctor_getAllLocations_load(b):
    b.query(b.method(b.construct(USER_SETTINGS_MANAGER), "GetAllLocations"), **LOAD_COLLECTION)


def usm_getImportantLocations_load_include(b):
    locations = b.method(b.construct(USER_SETTINGS_MANAGER), "GetImportantLocations")
    b.query(locations, **include("Id", "Name", "Url", "Important"))


def usm_getLocations_int_array(b):
    b.query(b.method(b.construct(USER_SETTINGS_MANAGER), "GetLocations", [1, 2, 3]), **LOAD_COLLECTION)


def usm_isExchangeJobPending(b):
    b.call(b.construct(USER_SETTINGS_MANAGER), "IsExchangeJobPending")


def usm_optIntoExchangeSync_optOut(b):
    usm = b.construct(USER_SETTINGS_MANAGER)
    b.call(usm, "OptIntoExchangeSync")
    b.call(usm, "OptOutOfExchangeSync")


def usm_getExchangeSyncInfo_load(b):
    b.query(b.method(b.construct(USER_SETTINGS_MANAGER), "GetExchangeSyncInfo"))


def usm_getUserSettings_load_props(b):
    settings = b.method(b.construct(USER_SETTINGS_MANAGER), "GetUserSettings")
    b.query(settings, QuerySpec.select("DaysAfterCurrentDateTimelineEnds", "ImportantLocationIds"))


def usm_setUserSettings_new_object_empty_array(b):
    usm = b.construct(USER_SETTINGS_MANAGER)
    settings = b.construct(USER_SETTINGS)
    b.set_property(settings, "DaysAfterCurrentDateTimelineEnds", 14)
    b.set_property(settings, "ImportantLocationIds", [4, 5])
    b.call(usm, "SetUserSettings", settings, [])


def usm_setUserSettings_null_array(b):
    usm = b.construct(USER_SETTINGS_MANAGER)
    b.call(usm, "SetUserSettings", b.method(usm, "GetUserSettings"), None)


def usm_getPersistedProperties_load(b):
    b.query(b.method(b.construct(USER_SETTINGS_MANAGER), "GetPersistedProperties"))


def usm_setPersistedProperties(b):
    usm = b.construct(USER_SETTINGS_MANAGER)
    properties = b.construct(PERSISTED_PROPERTIES)
    b.set_property(properties, "GroupByProjects", True)
    b.set_property(properties, "QuickLaunchLandingPage", "Important")
    b.set_property(properties, "FilteredLocationIds", [1])
    b.call(usm, "SetPersistedProperties", properties)


def uosm_createSession_readTasks_empty_query(b):
    session = new_session(b)
    b.query(b.method(session, "ReadTasks", b.construct(TASK_QUERY)), **LOAD_COLLECTION)


def uosm_locationSession_readTasks_full_query(b):
    session = b.method(b.construct(USER_ORDERED_SESSION_MANAGER), "CreateLocationOrientedSession")
    query = b.construct(TASK_QUERY)
    b.set_property(query, "KeywordFilter", "report")
    field_filter = b.construct(TASK_FILTER)
    b.set_property(field_filter, "CriterionConcatType", CRITERION_CONCAT_ALL)
    completed = b.construct(BOOLEAN_CRITERION)
    b.set_property(completed, "CompareType", BOOLEAN_COMPARE_IS_FALSE)
    b.set_property(field_filter, "CompletedCriterion", completed)
    name = b.construct(NAME_CRITERION)
    b.set_property(name, "CompareType", STRING_COMPARE_CONTAINS)
    b.set_property(name, "CompareValue", "x")
    b.set_property(field_filter, "NameCriterion", name)
    due = b.construct(DATE_RANGE_CRITERION)
    b.set_property(due, "RangeStartValue", JAN_15_0830)
    b.set_property(due, "RangeEndValue", FEB_28_1700)
    b.set_property(field_filter, "DueDateRangeCriterion", due)
    b.set_property(field_filter, "IdsToFilterBy", [10, 11])
    b.set_property(query, "FieldFilter", field_filter)
    location_filter = b.construct(LOCATION_FILTER)
    b.set_property(location_filter, "LocationKeys", [1, 2])
    b.set_property(location_filter, "IncludeUncategorizedTasks", True)
    b.set_property(query, "LocationFilter", location_filter)
    b.set_property(query, "PinnedFilter", PINNED)
    modified = b.construct(DATE_RANGE_CRITERION)
    b.set_property(modified, "RangeStartValue", JAN_15_0830)
    b.set_property(query, "LastModifiedDateRangeFilter", modified)
    b.set_property(query, "LastQueryTime", FEB_28_1700)
    b.query(b.method(session, "ReadTasks", query), **include("Id", "Name", "DueDate"))


def taskquery_property_sets_only(b):
    query = b.construct(TASK_QUERY)
    b.set_property(query, "KeywordFilter", "abc")
    b.set_property(query, "PinnedFilter", NOT_PINNED)
    attributes = b.construct(CUSTOM_ATTRIBUTE_FILTER)
    b.set_property(attributes, "Attributes", ["a", "b"])
    b.set_property(attributes, "ConcatType", CRITERION_CONCAT_ANY)
    b.set_property(query, "CustomAttributeFilter", attributes)
    # loading an object whose scalar properties were set client-side lists them as ScalarProperty
    scalars = (
        QueryProperty("KeywordFilter", scalar_property=True),
        QueryProperty("PinnedFilter", scalar_property=True),
    )
    b.query(query, QuerySpec(True, scalars))


session_createTask = session_loads(
    ("CreateTask", "Task A", "Desc <&>", "1/15/2026", "2/28/2026", False, True, 5, "http://edit/url")
)
session_createTask_nulls = session_loads(("CreateTask", "Task B", None, None, None, False, False, None, None))
session_updateTaskWithLocalizedValue_enum = session_loads(
    ("UpdateTaskWithLocalizedValue", 42, WRITABLE_TASK_FIELD["title"], "New title")
)
session_updateTask_dueDate_isCompleted = session_loads(
    ("UpdateTaskWithLocalizedValue", 42, WRITABLE_TASK_FIELD["dueDate"], "3/1/2026"),
    ("UpdateTaskWithLocalizedValue", 42, WRITABLE_TASK_FIELD["isCompleted"], "true"),
)
session_deleteTask = session_loads(("DeleteTask", 42))
session_pinTask_removePinOnTask = session_loads(("PinTask", 42), ("RemovePinOnTask", 43))
session_addAttributeToTask_removeAttribute = session_loads(
    ("AddAttributeToTask", 42, "urgent"), ("RemoveAttributeFromTask", 42, "urgent")
)
session_getRefreshHistory_datetime = session_loads(("GetRefreshHistory", JAN_15_0830))
session_beginCacheRefresh_getRefreshStatus = session_loads(("BeginCacheRefresh",), ("GetRefreshStatus", 7))
session_refreshSingleTask_getCalloutInfo = session_loads(("RefreshSingleTask", 42), ("GetCalloutInfo", 42))
session_readAllNonTaskData_getRefreshHealthInfo = session_loads(
    ("ReadAllNonTaskData",), ("GetRefreshHealthInfo",)
)
session_promote_tasks = session_loads(
    ("CreatePersonalTaskAndPromoteToProviderTask", "T", "D", "", "", False, False, 3),
    ("PromotePersonalTaskToProviderTaskInLocation", 42, 3),
)


def session_beginExchangeSync_isExchangeJobPending(b):
    session = new_session(b)
    b.call(session, "BeginExchangeSync")
    b.call(session, "IsExchangeJobPending")


def userordered_reorderTask(b):
    b.call(new_session(b), "ReorderTask", 42, 41)


def locationuserordered_reorder_movePersonalTask(b):
    session = b.method(b.construct(USER_ORDERED_SESSION_MANAGER), "CreateLocationOrientedSession")
    b.call(session, "ReorderTask", 42, 0)
    b.call(session, "MovePersonalTaskToLocation", 42, 3)


def sortable_createSession_readTasks_order(b):
    session = b.method(b.construct(SORTABLE_SESSION_MANAGER), "CreateSession")
    sortable_query = b.construct(SORTABLE_TASK_QUERY)
    order = b.construct(ORDER_INFO)
    b.set_property(order, "Field", SORTABLE_TASK_FIELD_DUE_DATE)
    b.set_property(order, "IsDescending", True)
    b.set_property(sortable_query, "Order", order)
    core_query = b.construct(TASK_QUERY)
    b.set_property(core_query, "KeywordFilter", "k")
    b.set_property(sortable_query, "CoreQuery", core_query)
    b.query(b.method(session, "ReadTasks", sortable_query), **LOAD_COLLECTION)


def sortable_locationSession_readTasks_include(b):
    session = b.method(b.construct(SORTABLE_SESSION_MANAGER), "CreateLocationOrientedSession")
    b.query(b.method(session, "ReadTasks", b.construct(SORTABLE_TASK_QUERY)), **include("Location", "Tasks"))


def two_managers_one_batch(b):
    usm_ctor_getAllLocations_load(b)
    uosm_createSession_readTasks_empty_query(b)


def collection_load_retrieve_items_and_props(b):
    tasks = b.method(new_session(b), "ReadTasks", b.construct(TASK_QUERY))
    b.query(tasks, **include("Id", "Name", "IsCompleted", "LocationId", "DueDate"))
    b.query(b.method(b.construct(USER_SETTINGS_MANAGER), "GetUserSettings"))


# capture file name -> the JS call from the captures' README, as RequestBuilder calls
SCENARIOS = {
    "usm_ctor_getAllLocations_load": usm_ctor_getAllLocations_load,
    "usm_getImportantLocations_load_include": usm_getImportantLocations_load_include,
    "usm_getLocations_int_array": usm_getLocations_int_array,
    "usm_isExchangeJobPending": usm_isExchangeJobPending,
    "usm_optIntoExchangeSync_optOut": usm_optIntoExchangeSync_optOut,
    "usm_getExchangeSyncInfo_load": usm_getExchangeSyncInfo_load,
    "usm_getUserSettings_load_props": usm_getUserSettings_load_props,
    "usm_setUserSettings_new_object_empty_array": usm_setUserSettings_new_object_empty_array,
    "usm_setUserSettings_null_array": usm_setUserSettings_null_array,
    "usm_getPersistedProperties_load": usm_getPersistedProperties_load,
    "usm_setPersistedProperties": usm_setPersistedProperties,
    "uosm_createSession_readTasks_empty_query": uosm_createSession_readTasks_empty_query,
    "uosm_locationSession_readTasks_full_query": uosm_locationSession_readTasks_full_query,
    "taskquery_property_sets_only": taskquery_property_sets_only,
    "session_createTask": session_createTask,
    "session_createTask_nulls": session_createTask_nulls,
    "session_updateTaskWithLocalizedValue_enum": session_updateTaskWithLocalizedValue_enum,
    "session_updateTask_dueDate_isCompleted": session_updateTask_dueDate_isCompleted,
    "session_deleteTask": session_deleteTask,
    "session_pinTask_removePinOnTask": session_pinTask_removePinOnTask,
    "session_addAttributeToTask_removeAttribute": session_addAttributeToTask_removeAttribute,
    "session_getRefreshHistory_datetime": session_getRefreshHistory_datetime,
    "session_beginCacheRefresh_getRefreshStatus": session_beginCacheRefresh_getRefreshStatus,
    "session_refreshSingleTask_getCalloutInfo": session_refreshSingleTask_getCalloutInfo,
    "session_beginExchangeSync_isExchangeJobPending": session_beginExchangeSync_isExchangeJobPending,
    "session_readAllNonTaskData_getRefreshHealthInfo": session_readAllNonTaskData_getRefreshHealthInfo,
    "userordered_reorderTask": userordered_reorderTask,
    "locationuserordered_reorder_movePersonalTask": locationuserordered_reorder_movePersonalTask,
    "session_promote_tasks": session_promote_tasks,
    "sortable_createSession_readTasks_order": sortable_createSession_readTasks_order,
    "sortable_locationSession_readTasks_include": sortable_locationSession_readTasks_include,
    "two_managers_one_batch": two_managers_one_batch,
    "collection_load_retrieve_items_and_props": collection_load_retrieve_items_and_props,
}


def capture(build: str, name: str) -> bytes:
    return (CAPTURES / build / f"{name}.xml").read_bytes()


def test_every_capture_has_a_scenario():
    names = {path.stem for build in BUILDS for path in (CAPTURES / build).glob("*.xml")}
    assert len(SCENARIOS) == 33
    assert names == set(SCENARIOS)


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_capture_parses_and_is_rewritten_byte_for_byte(build, name):
    data = capture(build, name)
    request = parse_request(data)
    assert request.library_version == BUILDS[build]
    assert (request.schema_version, request.application_name) == ("15.0.0.0", "Javascript Library")
    assert to_xml(request) == data


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_builder_reproduces_capture(build, name):
    data = capture(build, name)
    captured = parse_request(data)
    first_id = min(path.id for path in captured.object_paths)  # 2013/2016 share one counter per process
    b = RequestBuilder(library_version=BUILDS[build], first_id=first_id)
    SCENARIOS[name](b)
    built = b.build()
    assert canonical(built) == canonical(captured)
    assert to_xml(built) == data


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_builds_differ_only_in_library_version(name):
    requests = [replace(parse_request(capture(build, name)), library_version="") for build in BUILDS]
    first, *others = [canonical(request) for request in requests]
    for other in others:
        assert other == first


def test_id_numbering_differs_between_builds():
    starts = {
        build: min(p.id for p in parse_request(capture(build, "two_managers_one_batch")).object_paths)
        for build in BUILDS
    }
    assert starts["2019"] == starts["spo"] == 0
    assert starts["2013"] > 0 and starts["2016"] > 0


def test_jsom_null_and_empty_string_parameters():
    create_task = parse_request(capture("spo", "session_createTask_nulls")).paths_by_id[4]
    assert create_task.parameters == ("Task B", NULL, NULL, NULL, False, False, NULL, NULL)
    promote = parse_request(capture("spo", "session_promote_tasks")).paths_by_id[4]
    assert promote.parameters[2:4] == ("", "")
