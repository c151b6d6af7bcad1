"""Locations (ParentId -1), user settings and persisted properties round trips, bad inputs."""

import pytest

from conformance.server.csom.objects import ARGUMENT, ARGUMENT_NULL, ARGUMENT_OUT_OF_RANGE, CsomFault
from conformance.server.wm.common import MIN_DATE
from conformance.server.wm.locations import Location, LocationDisplaySetting
from conformance.server.wm.settings import PersistedProperties, UserSettings, UserSettingsManager


def locations(collection, ctx):
    return collection.items(ctx)


def test_all_locations_and_parent_id_minus_one(usm, ctx):
    locs = {loc.Id: loc for loc in locations(usm.GetAllLocations(ctx), ctx)}
    assert list(locs) == [1, 2, 3, 4, 5, 6]
    assert {i for i, loc in locs.items() if loc.ParentId == -1} == {1, 3, 4, 6}  # the spec's MUST
    assert locs[2].ParentId == 1 and locs[5].ParentId == 4
    assert locs[2].Url == "http://127.0.0.1:8080/sites/team/Lists/Tasks" and locs[2].Name == "Tasks"
    assert locs[3].RootProviderKey == "ProjectServer" and locs[6].RootProviderKey == "Exchange"
    assert all(loc.Color.startswith("#") for loc in locs.values())
    assert Location(ctx).ParentId == -1  # a client-constructed location has no parent either


def test_every_user_has_their_own_locations_numbered_from_one(world):
    for user in (1, 2, 3):
        ctx = world.ctx(user)
        assert [loc.Id for loc in locations(UserSettingsManager(ctx).GetAllLocations(ctx), ctx)] == [
            1,
            2,
            3,
            4,
            5,
            6,
        ]


def test_get_locations_by_id(usm, ctx):
    assert [loc.Id for loc in locations(usm.GetLocations(ctx, [3, 1, 99, 3, 2]), ctx)] == [3, 1, 2]
    assert locations(usm.GetLocations(ctx, []), ctx) == []
    with pytest.raises(CsomFault) as fault:
        usm.GetLocations(ctx, None)
    assert (fault.value.code, fault.value.type_name) == ARGUMENT_NULL


def test_user_settings_defaults(usm, ctx):
    s = usm.GetUserSettings(ctx)
    assert (s.DaysAfterCurrentDateTimelineEnds, s.DaysATaskIsConsideredNewTask) == (14, 3)
    assert s.DaysBeforeCurrentDateTimelineStarts == 7
    assert (s.ImportantTasksLimit, s.InactiveMonthsBeforeLocationExpiration, s.LateTasksLimit) == (7, 6, 30)
    assert (s.OldTasksLimit, s.UpcomingTasksLimit, s.ImportantLocationIds) == (6, 14, [2])
    assert [loc.Id for loc in locations(usm.GetImportantLocations(ctx), ctx)] == [2]


def test_set_user_settings_with_a_new_object_changes_only_what_was_set(usm, ctx):
    s = UserSettings(ctx)  # the capture: new UserSettings, two properties, empty colour array
    s.DaysAfterCurrentDateTimelineEnds = 21
    s.ImportantLocationIds = [4, 5]
    assert usm.SetUserSettings(ctx, s, []) is None
    back = usm.GetUserSettings(ctx)
    assert back.DaysAfterCurrentDateTimelineEnds == 21 and back.ImportantLocationIds == [4, 5]
    assert back.LateTasksLimit == 30 and back.UpcomingTasksLimit == 14
    assert [loc.Id for loc in locations(usm.GetImportantLocations(ctx), ctx)] == [4, 5]
    important = {loc.Id: loc.Important for loc in locations(usm.GetAllLocations(ctx), ctx)}
    assert important == {1: False, 2: False, 3: False, 4: True, 5: True, 6: False}


def test_round_trip_every_setting(usm, ctx):
    s = usm.GetUserSettings(ctx)
    values = {
        "DaysAfterCurrentDateTimelineEnds": 1, "DaysATaskIsConsideredNewTask": 2,
        "DaysBeforeCurrentDateTimelineStarts": 3, "ImportantTasksLimit": 4,
        "InactiveMonthsBeforeLocationExpiration": 5, "LateTasksLimit": 6, "OldTasksLimit": 7,
        "UpcomingTasksLimit": 0, "ImportantLocationIds": [],
    }  # fmt: skip
    for name, value in values.items():
        setattr(s, name, value)
    usm.SetUserSettings(ctx, s, None)  # the other capture: null colour array
    back = usm.GetUserSettings(ctx)
    assert {name: getattr(back, name) for name in values} == values
    usm.SetUserSettings(ctx, usm.GetUserSettings(ctx), None)  # read and written back unchanged
    assert {name: getattr(usm.GetUserSettings(ctx), name) for name in values} == values


def test_location_colour_updates(usm, ctx):
    usm.SetUserSettings(ctx, UserSettings(ctx), [LocationDisplaySetting(Id=3, Color="#123456"),
                                                  LocationDisplaySetting(Id=6, Color="abc")])  # fmt: skip
    colours = {loc.Id: loc.Color for loc in locations(usm.GetAllLocations(ctx), ctx)}
    assert colours[3] == "#123456" and colours[6] == "abc" and colours[1] == "#0072C6"
    assert (
        usm.GetUserSettings(ctx).DaysAfterCurrentDateTimelineEnds == 14
    )  # nothing assigned, nothing changed


@pytest.mark.parametrize(
    ("change", "colours", "kind"),
    [
        ({"LateTasksLimit": -1}, None, ARGUMENT_OUT_OF_RANGE),
        ({"LateTasksLimit": None}, None, ARGUMENT_NULL),
        ({"LateTasksLimit": True}, None, ARGUMENT_OUT_OF_RANGE),
        ({"ImportantLocationIds": [1, 99]}, None, ARGUMENT),
        ({}, [(99, "#FFFFFF")], ARGUMENT),
        ({}, [(3, "red")], ARGUMENT),
        ({}, [(3, None)], ARGUMENT),
        ({}, [(3, "#12345")], ARGUMENT),
    ],
)
def test_bad_settings_are_faults_and_change_nothing(usm, ctx, change, colours, kind):
    s = UserSettings(ctx)
    s.DaysAfterCurrentDateTimelineEnds = 99  # valid, but must not be written when something else fails
    for name, value in change.items():
        setattr(s, name, value)
    updates = [LocationDisplaySetting(Id=i, Color=c) for i, c in colours] if colours else None
    with pytest.raises(CsomFault) as fault:
        usm.SetUserSettings(ctx, s, updates)
    assert (fault.value.code, fault.value.type_name) == kind and fault.value.message
    assert usm.GetUserSettings(ctx).DaysAfterCurrentDateTimelineEnds == 14
    assert {loc.Color for loc in locations(usm.GetAllLocations(ctx), ctx)} == {
        "#0072C6", "#00A300", "#DC4FAD", "#FF8F32", "#AC193D", "#4617B4"
    }  # fmt: skip


def test_null_settings_is_a_fault(usm, ctx):
    with pytest.raises(CsomFault) as fault:
        usm.SetUserSettings(ctx, None, None)
    assert (fault.value.code, fault.value.type_name) == ARGUMENT_NULL


def test_persisted_properties_round_trip(usm, ctx):
    fresh = usm.GetPersistedProperties(ctx)
    assert fresh.FilteredLocationIds == [] and fresh.GroupByProjects is False
    assert fresh.HasShownMarkAsImportantCallout is False and fresh.QuickLaunchLandingPage is None
    pp = PersistedProperties(ctx)  # the capture: three properties set
    pp.GroupByProjects, pp.QuickLaunchLandingPage, pp.FilteredLocationIds = True, "Important", [1]
    assert usm.SetPersistedProperties(ctx, pp) is None
    back = usm.GetPersistedProperties(ctx)
    assert (back.GroupByProjects, back.QuickLaunchLandingPage, back.FilteredLocationIds) == (
        True,
        "Important",
        [1],
    )
    assert back.HasShownTaskListTooLongNotification is False
    back.HasShownMarkAsImportantCallout = back.HasShownTaskListTooLongNotification = True
    usm.SetPersistedProperties(ctx, back)
    again = usm.GetPersistedProperties(ctx)
    assert again.HasShownMarkAsImportantCallout and again.HasShownTaskListTooLongNotification
    assert again.QuickLaunchLandingPage == "Important"


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("FilteredLocationIds", [42], ARGUMENT),
        ("GroupByProjects", None, ARGUMENT),
        ("QuickLaunchLandingPage", 5, ARGUMENT),
    ],
)
def test_bad_persisted_properties(usm, ctx, name, value, kind):
    pp = PersistedProperties(ctx)
    setattr(pp, name, value)
    with pytest.raises(CsomFault) as fault:
        usm.SetPersistedProperties(ctx, pp)
    assert (fault.value.code, fault.value.type_name) == kind
    with pytest.raises(CsomFault) as fault:
        usm.SetPersistedProperties(ctx, None)
    assert (fault.value.code, fault.value.type_name) == ARGUMENT_NULL


def test_read_all_non_task_data(session, usm, ctx):
    s = UserSettings(ctx)
    s.LateTasksLimit = 9
    usm.SetUserSettings(ctx, s, None)
    data = session.ReadAllNonTaskData(ctx)
    assert [loc.Id for loc in data.AllLocatons.items(ctx)] == [1, 2, 3, 4, 5, 6]
    assert data.UserSettings.LateTasksLimit == 9 and data.PersistedProperties.GroupByProjects is False
    assert data.RefreshHistory.Refreshes.items(ctx) == []
    (ext,) = data.ScriptExtensions.items(ctx)
    assert ext.ProviderKey == "ProjectServer" and ext.ScriptClass and ext.ScriptFiles


def test_exchange_sync(world, usm, session, ctx):
    info = usm.GetExchangeSyncInfo(ctx)
    assert (info.IsOptedIn, info.LastEndTime, info.LastSyncResult) == (False, MIN_DATE, 0)
    assert session.BeginExchangeSync(ctx) is False  # not opted in
    assert usm.OptIntoExchangeSync(ctx) == 1  # Success
    assert usm.OptIntoExchangeSync(ctx) == 5  # UserAlreadyOptedIn
    assert usm.IsExchangeJobPending(ctx) is False
    assert session.BeginExchangeSync(ctx) is True
    assert session.IsExchangeJobPending(ctx) is True and usm.IsExchangeJobPending(ctx) is True
    assert session.BeginExchangeSync(world.at(1)) is False  # one at a time
    later = world.at(2)
    assert usm.IsExchangeJobPending(later) is False
    info = usm.GetExchangeSyncInfo(later)
    assert (info.IsOptedIn, info.LastEndTime, info.LastSyncResult) == (True, later.now, 1)
    assert usm.OptOutOfExchangeSync(later) is True
    assert usm.OptOutOfExchangeSync(later) is False
    assert usm.GetExchangeSyncInfo(later).IsOptedIn is False


def test_opting_out_cancels_a_pending_sync(usm, session, ctx):
    usm.OptIntoExchangeSync(ctx)
    session.BeginExchangeSync(ctx)
    usm.OptOutOfExchangeSync(ctx)
    assert session.IsExchangeJobPending(ctx) is False
