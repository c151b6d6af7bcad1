"""User settings, persisted UI properties, locations access and Exchange opt-in (UserSettingsManager).

Choices where [MS-WMCSOM] is silent:

- Defaults of a user's settings (SharePoint's are not documented): timeline from 7 days before
  to 14 days after today, a task is new for 3 days, a pin is fresh for 7 days
  (``ImportantTasksLimit``, which also decides ``Task.PinAge``), locations expire after 6
  inactive months, late tasks shown 30 days, tasks old after 6 months, upcoming list 14 days.
- ``SetUserSettings``/``SetPersistedProperties`` apply only the properties that were *assigned* on
  the object passed (client-constructed objects carry only what the client set, as in the
  capture usm_setUserSettings_new_object_empty_array); an object read with GetUserSettings and
  passed back unchanged changes nothing. A fresh ``UserSettings``/``PersistedProperties`` reads
  the defaults above, not the caller's stored values.
- Validation (all before anything is written, so a fault changes nothing): integer settings must
  be >= 0 (else ARGUMENT_OUT_OF_RANGE), null settings/persistedProperties is ARGUMENT_NULL,
  location ids (ImportantLocationIds, FilteredLocationIds, LocationDisplaySetting.Id) must be
  the caller's (else ARGUMENT), a colour must be hexadecimal ``#RGB``/``#RRGGBB``/``#AARRGGBB``
  (``#`` optional; else ARGUMENT). A null ImportantLocationIds/FilteredLocationIds is empty; a
  null ``locationColorUpdates`` is no update.
- ``GetLocations(ids)`` returns the caller's locations in the order asked, skipping unknown ids
  and repeats; a null array is ARGUMENT_NULL. ``GetAllLocations`` is ordered by id.
- ``ScriptExtensions``: the Project Server provider contributes one DashboardScriptExtensionInfo
  (invented script names); other providers none.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any, ClassVar

from conformance.server.csom.objects import (
    ARGUMENT,
    ARGUMENT_OUT_OF_RANGE,
    Context,
    CsomFault,
    ItemCollection,
    ServerObject,
    register,
)
from conformance.server.wm import refresh
from conformance.server.wm.common import MIN_DATE, NS, EnumProperty, ExchangeSyncResult, require
from conformance.server.wm.locations import (
    Location,
    LocationClientCollection,
    LocationDisplaySetting,
    all_locations,
    location_rows,
)
from conformance.server.wm.seed import ensure_user


class _Assignable(ServerObject):
    """Remembers which spec properties were assigned after construction."""

    _columns: ClassVar[dict[str, str]] = {}  # spec property -> column

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name[0] != "_":
            assigned = self.__dict__.get("_assigned")
            if assigned is None:
                self.__dict__["_assigned"] = assigned = set()
            assigned.add(name)

    def _reset(self) -> None:
        self.__dict__["_assigned"] = set()

    def _assigned_values(self) -> dict[str, Any]:
        assigned = self.__dict__.get("_assigned", set())
        return {name: getattr(self, name) for name in self._columns if name in assigned}


SETTING_COLUMNS = {
    "DaysAfterCurrentDateTimelineEnds": "days_after_timeline_ends",
    "DaysATaskIsConsideredNewTask": "days_task_is_new",
    "DaysBeforeCurrentDateTimelineStarts": "days_before_timeline_starts",
    "ImportantTasksLimit": "important_tasks_limit",
    "InactiveMonthsBeforeLocationExpiration": "inactive_months_before_location_expiration",
    "LateTasksLimit": "late_tasks_limit",
    "OldTasksLimit": "old_tasks_limit",
    "UpcomingTasksLimit": "upcoming_tasks_limit",
}
SETTING_DEFAULTS = {
    "DaysAfterCurrentDateTimelineEnds": 14,
    "DaysATaskIsConsideredNewTask": 3,
    "DaysBeforeCurrentDateTimelineStarts": 7,
    "ImportantTasksLimit": 7,
    "InactiveMonthsBeforeLocationExpiration": 6,
    "LateTasksLimit": 30,
    "OldTasksLimit": 6,
    "UpcomingTasksLimit": 14,
}


@register(NS + "UserSettings")
class UserSettings(_Assignable):
    _columns: ClassVar[dict[str, str]] = {**SETTING_COLUMNS, "ImportantLocationIds": ""}

    def __init__(self, ctx: Context) -> None:
        self.DaysAfterCurrentDateTimelineEnds = SETTING_DEFAULTS["DaysAfterCurrentDateTimelineEnds"]
        self.DaysATaskIsConsideredNewTask = SETTING_DEFAULTS["DaysATaskIsConsideredNewTask"]
        self.DaysBeforeCurrentDateTimelineStarts = SETTING_DEFAULTS["DaysBeforeCurrentDateTimelineStarts"]
        self.ImportantTasksLimit = SETTING_DEFAULTS["ImportantTasksLimit"]
        self.InactiveMonthsBeforeLocationExpiration = SETTING_DEFAULTS[
            "InactiveMonthsBeforeLocationExpiration"
        ]
        self.LateTasksLimit = SETTING_DEFAULTS["LateTasksLimit"]
        self.OldTasksLimit = SETTING_DEFAULTS["OldTasksLimit"]
        self.UpcomingTasksLimit = SETTING_DEFAULTS["UpcomingTasksLimit"]
        self.ImportantLocationIds: list[int] = []
        self._reset()


@register(NS + "PersistedProperties")
class PersistedProperties(_Assignable):
    _columns: ClassVar[dict[str, str]] = {
        "FilteredLocationIds": "filtered_location_ids",
        "GroupByProjects": "group_by_projects",
        "HasShownMarkAsImportantCallout": "has_shown_mark_as_important_callout",
        "HasShownTaskListTooLongNotification": "has_shown_task_list_too_long_notification",
        "QuickLaunchLandingPage": "quick_launch_landing_page",
    }

    def __init__(self, ctx: Context) -> None:
        self.FilteredLocationIds: list[int] = []
        self.GroupByProjects = False
        self.HasShownMarkAsImportantCallout = False
        self.HasShownTaskListTooLongNotification = False
        self.QuickLaunchLandingPage: str | None = None
        self._reset()


@register(NS + "ExchangeUserSyncState")
class ExchangeUserSyncState(ServerObject):
    LastSyncResult = EnumProperty(ExchangeSyncResult)

    def __init__(self, ctx: Context | None = None) -> None:
        self.IsOptedIn = False
        self.LastEndTime = MIN_DATE


@register(NS + "ViewSelectionInfo")
class ViewSelectionInfo(ServerObject):
    """A view choice of the user experience; no method of the spec produces or takes one."""

    def __init__(self, ctx: Context) -> None:
        self.Id = 0
        self.Image: str | None = None
        self.Name: str | None = None


@register(NS + "DashboardScriptExtensionInfo")
class DashboardScriptExtensionInfo(ServerObject):
    def __init__(self, ctx: Context | None = None) -> None:
        self.ProviderKey: str | None = None
        self.ScriptClass: str | None = None
        self.ScriptData: str | None = None
        self.ScriptFiles: list[str] = []


@register(NS + "DashboardScriptExtensionInfoClientCollection")
class DashboardScriptExtensionInfoClientCollection(ItemCollection):
    pass


SCRIPT_EXTENSIONS = {
    "ProjectServer": (
        "SP.WorkManagement.ProjectServerDashboardExtension",
        ["/_layouts/15/workmanagement.projectserver.js"],
    ),
}


# ---- store ------------------------------------------------------------------------------------


def settings_row(ctx: Context) -> sqlite3.Row:
    row = _stored_settings(ctx)
    if row is None:  # the row is also ensure_user's marker: no row, a user not seeded yet
        ensure_user(ctx)
        row = _stored_settings(ctx)
    return row


def _stored_settings(ctx: Context) -> sqlite3.Row | None:
    return ctx.db.execute("SELECT * FROM wm_user_settings WHERE user_id = ?", (ctx.user_id,)).fetchone()


def load_user_settings(ctx: Context) -> UserSettings:
    row = settings_row(ctx)
    settings = UserSettings(ctx)
    for name, column in SETTING_COLUMNS.items():
        setattr(settings, name, row[column])
    settings.ImportantLocationIds = [
        row[0]
        for row in ctx.db.execute(
            "SELECT id FROM wm_locations WHERE user_id = ? AND important ORDER BY id", (ctx.user_id,)
        )
    ]
    settings._reset()
    return settings


def load_persisted_properties(ctx: Context) -> PersistedProperties:
    ensure_user(ctx)
    row = ctx.db.execute("SELECT * FROM wm_persisted_properties WHERE user_id = ?", (ctx.user_id,)).fetchone()
    props = PersistedProperties(ctx)
    props.FilteredLocationIds = json.loads(row["filtered_location_ids"])
    props.GroupByProjects = bool(row["group_by_projects"])
    props.HasShownMarkAsImportantCallout = bool(row["has_shown_mark_as_important_callout"])
    props.HasShownTaskListTooLongNotification = bool(row["has_shown_task_list_too_long_notification"])
    props.QuickLaunchLandingPage = row["quick_launch_landing_page"]
    props._reset()
    return props


def script_extensions(ctx: Context) -> DashboardScriptExtensionInfoClientCollection:
    items: list[ServerObject] = []
    for key in dict.fromkeys(r["provider_key"] for r in location_rows(ctx) if r["parent_id"] is None):
        if key in SCRIPT_EXTENSIONS:
            ext = DashboardScriptExtensionInfo()
            ext.ProviderKey, (ext.ScriptClass, files) = key, SCRIPT_EXTENSIONS[key]
            ext.ScriptFiles, ext.ScriptData = list(files), json.dumps({"providerKey": key})
            items.append(ext)
    return DashboardScriptExtensionInfoClientCollection.of(items)


def _location_ids(ctx: Context, ids: Any, what: str) -> list[int]:
    if ids is None:
        return []
    known = {r["id"] for r in location_rows(ctx)}
    result = []
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, int) or value not in known:
            raise CsomFault(ARGUMENT, f"{what}: {value!r} is not one of the user's locations", what)
        if value not in result:
            result.append(value)
    return result


def _flag(value: Any, what: str) -> int:
    if not isinstance(value, bool):
        raise CsomFault(ARGUMENT, f"{what}: {value!r} is not a Boolean", what)
    return int(value)


_COLOR = re.compile(r"#?(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})")


@register(NS + "UserSettingsManager")
class UserSettingsManager(ServerObject):
    def __init__(self, ctx: Context) -> None:
        ensure_user(ctx)

    def SetUserSettings(
        self,
        ctx: Context,
        settings: UserSettings | None,
        locationColorUpdates: list[LocationDisplaySetting] | None,
    ) -> None:
        require(settings, "settings")
        assert settings is not None
        values = settings._assigned_values()
        updates: dict[str, int] = {}
        for name, value in values.items():
            if name == "ImportantLocationIds":
                continue
            require(value, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**31 - 1:
                raise CsomFault(
                    ARGUMENT_OUT_OF_RANGE, f"{name}: {value!r} is not a number of days/months >= 0"
                )
            updates[SETTING_COLUMNS[name]] = value
        important = (
            _location_ids(ctx, values["ImportantLocationIds"], "ImportantLocationIds")
            if "ImportantLocationIds" in values
            else None
        )
        colors: list[tuple[str, int]] = []
        known = {r["id"] for r in location_rows(ctx)}
        for setting in locationColorUpdates or []:
            require(setting, "locationColorUpdates")
            if setting.Id not in known:
                raise CsomFault(
                    ARGUMENT, f"LocationDisplaySetting.Id {setting.Id!r} is not one of the user's locations"
                )
            if not isinstance(setting.Color, str) or not _COLOR.fullmatch(setting.Color):
                raise CsomFault(
                    ARGUMENT, f"LocationDisplaySetting.Color {setting.Color!r} is not a hexadecimal colour"
                )
            colors.append((setting.Color, setting.Id))
        for column, value in updates.items():
            ctx.db.execute(
                f"UPDATE wm_user_settings SET {column} = ? WHERE user_id = ?", (value, ctx.user_id)
            )
        if important is not None:
            ctx.db.execute("UPDATE wm_locations SET important = 0 WHERE user_id = ?", (ctx.user_id,))
            ctx.db.executemany(
                "UPDATE wm_locations SET important = 1 WHERE user_id = ? AND id = ?",
                [(ctx.user_id, i) for i in important],
            )
        ctx.db.executemany(
            "UPDATE wm_locations SET color = ? WHERE user_id = ? AND id = ?",
            [(color, ctx.user_id, i) for color, i in colors],
        )

    def IsExchangeJobPending(self, ctx: Context) -> bool:
        return refresh.is_exchange_job_pending(ctx)

    def OptIntoExchangeSync(self, ctx: Context) -> int:
        return refresh.opt_into_exchange_sync(ctx)

    def OptOutOfExchangeSync(self, ctx: Context) -> bool:
        return refresh.opt_out_of_exchange_sync(ctx)

    def SetPersistedProperties(self, ctx: Context, persistedProperties: PersistedProperties | None) -> None:
        require(persistedProperties, "persistedProperties")
        assert persistedProperties is not None
        updates: dict[str, Any] = {}
        for name, value in persistedProperties._assigned_values().items():
            column = PersistedProperties._columns[name]
            if name == "FilteredLocationIds":
                updates[column] = json.dumps(_location_ids(ctx, value, name))
            elif name == "QuickLaunchLandingPage":
                if value is not None and not isinstance(value, str):
                    raise CsomFault(ARGUMENT, f"{name}: {value!r} is not a string")
                updates[column] = value
            else:
                updates[column] = _flag(value, name)
        for column, value in updates.items():
            ctx.db.execute(
                f"UPDATE wm_persisted_properties SET {column} = ? WHERE user_id = ?", (value, ctx.user_id)
            )

    def GetAllLocations(self, ctx: Context) -> LocationClientCollection:
        return all_locations(ctx)

    def GetImportantLocations(self, ctx: Context) -> LocationClientCollection:
        return LocationClientCollection.of(loc for loc in all_locations(ctx).items(ctx) if loc.Important)

    def GetUserSettings(self, ctx: Context) -> UserSettings:
        return load_user_settings(ctx)

    def GetLocations(self, ctx: Context, locationsId: list[int] | None) -> LocationClientCollection:
        require(locationsId, "locationsId")
        by_id = {loc.Id: loc for loc in all_locations(ctx).items(ctx)}
        chosen: list[Location] = []
        for value in locationsId or []:
            loc = by_id.get(value) if isinstance(value, int) and not isinstance(value, bool) else None
            if loc is not None and loc not in chosen:
                chosen.append(loc)
        return LocationClientCollection.of(chosen)

    def GetExchangeSyncInfo(self, ctx: Context) -> ExchangeUserSyncState:
        state = ExchangeUserSyncState()
        state.IsOptedIn, state.LastEndTime, state.LastSyncResult = refresh.exchange_state(ctx)
        return state

    def GetPersistedProperties(self, ctx: Context) -> PersistedProperties:
        return load_persisted_properties(ctx)
