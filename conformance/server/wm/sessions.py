"""Sessions and their managers: the entry points clients construct (UserOrderedSessionManager,
SortableSessionManager) and the four session kinds sharing BaseSession's methods.

- Sessions and managers hold no state of their own (the state is the user's rows); a manager's
  constructor seeds the caller's data on first use (``seed``).
- ReadTasks evaluates the query when the method runs (a later write in the same batch does not
  change a collection already read). A null query is a fault (ARGUMENT_NULL). User-ordered
  sessions return the user's own order (``ReorderTask``); sortable sessions the query's
  ``Order``; location-oriented ones group that order by location (``queries``).
- ReadAllNonTaskData: all locations, the persisted properties, the whole refresh history, the
  providers' script extensions and the user settings.
"""

from __future__ import annotations

import datetime as dt

from conformance.server.csom.objects import ARGUMENT, Context, CsomFault, ServerObject, register
from conformance.server.wm import queries, refresh, settings, tasks
from conformance.server.wm.common import MIN_DATE, NS, require
from conformance.server.wm.locations import LocationClientCollection, all_locations
from conformance.server.wm.queries import SortableTaskQuery, TaskQuery
from conformance.server.wm.refresh import (
    CreateRefreshJobResult,
    RefreshHealthInfo,
    RefreshHistory,
    RefreshResult,
)
from conformance.server.wm.seed import ensure_user
from conformance.server.wm.settings import (
    DashboardScriptExtensionInfoClientCollection,
    PersistedProperties,
    UserSettings,
)
from conformance.server.wm.tasks import (
    CalloutInfo,
    LocationGroupClientCollection,
    TaskClientCollection,
    TaskRefreshResult,
    TaskWriteResult,
)


@register(NS + "NonTaskDataReadResult")
class NonTaskDataReadResult(ServerObject):
    def __init__(self, ctx: Context | None = None) -> None:
        self.AllLocatons = LocationClientCollection()  # sic: the spec's spelling
        self.PersistedProperties: PersistedProperties | None = None
        self.RefreshHistory = RefreshHistory()
        self.ScriptExtensions = DashboardScriptExtensionInfoClientCollection()
        self.UserSettings: UserSettings | None = None


@register(NS + "BaseSession")
class BaseSession(ServerObject):
    def __init__(self, ctx: Context | None = None) -> None:
        if ctx is not None:
            ensure_user(ctx)

    def BeginExchangeSync(self, ctx: Context) -> bool:
        return refresh.begin_exchange_sync(ctx)

    def IsExchangeJobPending(self, ctx: Context) -> bool:
        return refresh.is_exchange_job_pending(ctx)

    def AddAttributeToTask(self, ctx: Context, taskKey: int, attribute: str | None) -> TaskWriteResult:
        return tasks.change_attribute(ctx, taskKey, attribute, add=True)

    def BeginCacheRefresh(self, ctx: Context) -> CreateRefreshJobResult:
        return refresh.begin_cache_refresh(ctx)

    def CreateTask(
        self,
        ctx: Context,
        taskName: str | None,
        description: str | None,
        localizedStartDate: str | None,
        localizedDueDate: str | None,
        completed: bool | None,
        pinned: bool | None,
        locationKey: int | None,
        editUrl: str | None,
    ) -> TaskWriteResult:
        new = tasks.NewTask(taskName, description, localizedStartDate, localizedDueDate, completed, pinned)
        return tasks.create_task(ctx, new, locationKey, editUrl)

    def DeleteTask(self, ctx: Context, taskKey: int) -> TaskWriteResult:
        return tasks.delete_task(ctx, taskKey)

    def GetRefreshHistory(self, ctx: Context, since: dt.datetime | None) -> RefreshHistory:
        return refresh.refresh_history(ctx, since)

    def GetRefreshStatus(self, ctx: Context, refreshId: int) -> RefreshResult:
        return refresh.refresh_status(ctx, refreshId)

    def PinTask(self, ctx: Context, taskKey: int) -> TaskWriteResult:
        return tasks.set_pin(ctx, taskKey, True)

    def RemoveAttributeFromTask(self, ctx: Context, taskKey: int, attribute: str | None) -> TaskWriteResult:
        return tasks.change_attribute(ctx, taskKey, attribute, add=False)

    def RemovePinOnTask(self, ctx: Context, taskKey: int) -> TaskWriteResult:
        return tasks.set_pin(ctx, taskKey, False)

    def UpdateTaskWithLocalizedValue(
        self, ctx: Context, taskKey: int, field: int, value: str | None
    ) -> TaskWriteResult:
        return tasks.update_task(ctx, taskKey, field, value)

    def GetCalloutInfo(self, ctx: Context, taskKey: int) -> CalloutInfo:
        return tasks.callout_info(ctx, taskKey)

    def ReadAllNonTaskData(self, ctx: Context) -> NonTaskDataReadResult:
        result = NonTaskDataReadResult()
        result.AllLocatons = all_locations(ctx)
        result.PersistedProperties = settings.load_persisted_properties(ctx)
        result.RefreshHistory = refresh.refresh_history(ctx, MIN_DATE)
        result.ScriptExtensions = settings.script_extensions(ctx)
        result.UserSettings = settings.load_user_settings(ctx)
        return result

    def RefreshSingleTask(self, ctx: Context, taskKey: int) -> TaskRefreshResult:
        return tasks.refresh_task(ctx, taskKey)

    def GetRefreshHealthInfo(self, ctx: Context) -> RefreshHealthInfo:
        return refresh.refresh_health(ctx)

    def CreatePersonalTaskAndPromoteToProviderTask(
        self,
        ctx: Context,
        taskName: str | None,
        description: str | None,
        localizedStartDate: str | None,
        localizedDueDate: str | None,
        completed: bool | None,
        pinned: bool | None,
        locationKey: int | None,
    ) -> TaskWriteResult:
        new = tasks.NewTask(taskName, description, localizedStartDate, localizedDueDate, completed, pinned)
        return tasks.create_and_promote(ctx, new, locationKey)

    def PromotePersonalTaskToProviderTaskInLocation(
        self, ctx: Context, taskKey: int, locationId: int
    ) -> TaskWriteResult:
        return tasks.promote_task(ctx, taskKey, locationId)


def _query(ctx: Context, query: object, kind: type) -> list[tasks.Task]:
    require(query, "query")
    if not isinstance(query, kind):
        raise CsomFault(ARGUMENT, f"query must be a {kind.type_name}", "query")  # type: ignore[attr-defined]
    core = query.CoreQuery if isinstance(query, SortableTaskQuery) else query
    return queries.select(ctx, tasks.live_tasks(ctx), core)


class _UserOrdered:
    def ReorderTask(self, ctx: Context, taskKey: int, newAfterTaskKey: int) -> None:
        tasks.reorder_task(ctx, taskKey, newAfterTaskKey)


class _LocationOriented:
    def MovePersonalTaskToLocation(self, ctx: Context, taskKey: int, newLocationKey: int) -> bool:
        return tasks.move_personal_task(ctx, taskKey, newLocationKey)


@register(NS + "UserOrderedSession")
class UserOrderedSession(_UserOrdered, BaseSession):
    def ReadTasks(self, ctx: Context, query: TaskQuery) -> TaskClientCollection:
        return TaskClientCollection.of(queries.user_order(_query(ctx, query, TaskQuery)))


@register(NS + "LocationOrientedUserOrderedSession")
class LocationOrientedUserOrderedSession(_LocationOriented, _UserOrdered, BaseSession):
    def ReadTasks(self, ctx: Context, query: TaskQuery) -> LocationGroupClientCollection:
        found = queries.user_order(_query(ctx, query, TaskQuery))
        return LocationGroupClientCollection.of(queries.group_by_location(found))


@register(NS + "SortableSession")
class SortableSession(BaseSession):
    def ReadTasks(self, ctx: Context, query: SortableTaskQuery) -> TaskClientCollection:
        return TaskClientCollection.of(queries.sort(_query(ctx, query, SortableTaskQuery), query.Order))


@register(NS + "LocationOrientedSortableSession")
class LocationOrientedSortableSession(_LocationOriented, BaseSession):
    def ReadTasks(self, ctx: Context, query: SortableTaskQuery) -> LocationGroupClientCollection:
        found = queries.sort(_query(ctx, query, SortableTaskQuery), query.Order)
        return LocationGroupClientCollection.of(queries.group_by_location(found))


@register(NS + "UserOrderedSessionManager")
class UserOrderedSessionManager(ServerObject):
    def __init__(self, ctx: Context) -> None:
        ensure_user(ctx)

    def CreateLocationOrientedSession(self, ctx: Context) -> LocationOrientedUserOrderedSession:
        return LocationOrientedUserOrderedSession(ctx)

    def CreateSession(self, ctx: Context) -> UserOrderedSession:
        return UserOrderedSession(ctx)


@register(NS + "SortableSessionManager")
class SortableSessionManager(ServerObject):
    def __init__(self, ctx: Context) -> None:
        ensure_user(ctx)

    def CreateLocationOrientedSession(self, ctx: Context) -> LocationOrientedSortableSession:
        return LocationOrientedSortableSession(ctx)

    def CreateSession(self, ctx: Context) -> SortableSession:
        return SortableSession(ctx)
