"""Task lifecycle through the session methods: create, update every writable field, pin, attributes,
delete, reorder, move, promote, refresh, callout - and the errors each reports."""

import datetime as dt

import pytest

from conformance.server.csom.objects import ARGUMENT, ARGUMENT_OUT_OF_RANGE, MAX_MESSAGE, CsomFault
from conformance.server.wm.common import (
    MIN_DATE,
    PinAge,
    RefreshState,
    WritableTaskField,
    WriteFieldErrorType,
    parse_localized_date,
)
from conformance.server.wm.queries import TaskQuery
from conformance.server.wm.settings import UserSettings

E = WriteFieldErrorType
F = WritableTaskField
SEEDED_READ_ONLY = 2  # "Write project charter", Project Server, read-only (user 1's seed)


def create(
    session, ctx, name="Task A", desc=None, start=None, due=None, done=False, pinned=False, loc=-1, url=None
):
    result = session.CreateTask(ctx, name, desc, start, due, done, pinned, loc, url)
    assert result.Error == E.NoValue and result.ErrorMessage is None, result.ErrorMessage
    return result.Result


def read_ids(session, ctx, query=None):
    return [t.Id for t in session.ReadTasks(ctx, query or TaskQuery(ctx)).items(ctx)]


def test_create_task_as_the_capture_sends_it(session, ctx):
    task = create(
        session, ctx, "Task A", "Desc <&>", "1/15/2026", "2/28/2026", False, True, 5, "http://edit/url"
    )
    assert (task.Name, task.Description, task.EditUrl) == ("Task A", "Desc <&>", "http://edit/url")
    assert task.StartDate == dt.datetime(2026, 1, 15) and task.DueDate == dt.datetime(2026, 2, 28)
    assert task.LocationId == 5 and task.IsPersonal and not task.IsCompleted and not task.IsReadOnly
    assert task.PinAge == PinAge.Fresh and task.CustomAttributes == [] and task.LastModified == ctx.now
    assert task.SerializedCustomDataForClient is None
    assert task.Id in read_ids(session, ctx)


def test_create_with_nulls_is_a_personal_task_without_dates_or_location(session, ctx):
    task = create(session, ctx, "Task B", None, None, None, False, False, None, None)
    assert task.StartDate == MIN_DATE and task.DueDate == MIN_DATE and task.LocationId == -1
    assert task.Description is None and task.PinAge == PinAge.NoValue
    assert task.EditUrl == f"EditTask.aspx?taskId={task.Id}"  # example 4.3


def test_empty_description_reads_as_null(session, ctx):
    assert create(session, ctx, "Go to concert", "", "", "11/23/2011").Description is None


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("", None, None, None), E.TitleInvalid),
        (("   ", None, None, None), E.TitleInvalid),
        ((None, None, None, None), E.TitleInvalid),
        (("x" * 256, None, None, None), E.TitleInvalid),
        (("T", "d" * 64000, None, None), E.DescriptionInvalid),
        (("T", None, "13/45/2026", None), E.StartDateInvalid),
        (("T", None, None, "tomorrow-ish"), E.DueDateInvalid),
        (("T", None, "3/1/2026", "2/1/2026"), E.DueDateInvalid),
    ],
)
def test_create_refuses_bad_fields_and_stores_nothing(session, ctx, args, error):
    before = read_ids(session, ctx)
    result = session.CreateTask(ctx, *args, False, False, -1, None)
    assert result.Error == error and result.ErrorMessage and result.Result is None
    assert read_ids(session, ctx) == before


def test_create_refuses_unknown_location_and_bad_edit_url(session, ctx):
    assert session.CreateTask(ctx, "T", None, None, None, False, False, 99, None).Error == E.LocationInvalid
    for url in (
        "javascript:alert(1)",
        "http://a b",
        "ftp://files/x",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil",
    ):
        assert session.CreateTask(ctx, "T", None, None, None, False, False, -1, url).Error == E.EditUrlInvalid
    assert create(session, ctx, url="/relative/Edit.aspx?ID=1").EditUrl == "/relative/Edit.aspx?ID=1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/15/2026", dt.datetime(2026, 1, 15)),
        ("01/05/26", dt.datetime(2026, 1, 5)),
        ("3/1/2026 2:30 PM", dt.datetime(2026, 3, 1, 14, 30)),
        ("2026-01-15", dt.datetime(2026, 1, 15)),
        ("2026-01-15T08:30:00", dt.datetime(2026, 1, 15, 8, 30)),
        ("2026-01-15T08:30:00+02:00", dt.datetime(2026, 1, 15, 6, 30)),
        ("2026-01-15T08:30:00Z", dt.datetime(2026, 1, 15, 8, 30)),
        ("15.01.2026", dt.datetime(2026, 1, 15)),
        ("2026/1/15", dt.datetime(2026, 1, 15)),
        ("January 15, 2026", dt.datetime(2026, 1, 15)),
        ("15 Jan 2026", dt.datetime(2026, 1, 15)),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_localized_dates(text, expected):
    assert parse_localized_date(text) == expected


@pytest.mark.parametrize("text", ["13/1/2026", "2/30/2026", "abc", "1/15", "13:00 PM 1/1/2026", "0/1/2026"])
def test_unreadable_localized_dates(text):
    with pytest.raises(ValueError):
        parse_localized_date(text)


@pytest.mark.parametrize(
    ("field", "value", "attribute", "expected"),
    [
        (F.Title, "New title", "Name", "New title"),
        (F.Description, "More words", "Description", "More words"),
        (F.Description, "", "Description", None),
        (F.StartDate, "1/2/2026", "StartDate", dt.datetime(2026, 1, 2)),
        (F.StartDate, "", "StartDate", MIN_DATE),
        (F.DueDate, "3/1/2026", "DueDate", dt.datetime(2026, 3, 1)),
        (F.IsCompleted, "true", "IsCompleted", True),
        (F.IsCompleted, "False", "IsCompleted", False),
        (F.EditUrl, "https://x/Edit.aspx", "EditUrl", "https://x/Edit.aspx"),
    ],
)
def test_update_each_writable_field(session, world, ctx, field, value, attribute, expected):
    task = create(session, ctx, "Old", "Old desc", "1/1/2026", "1/31/2026")
    later = world.at(30)
    result = session.UpdateTaskWithLocalizedValue(later, task.Id, int(field), value)
    assert result.Error == E.NoValue and result.ErrorMessage is None
    assert getattr(result.Result, attribute) == expected and result.Result.LastModified == later.now
    (again,) = [t for t in session.ReadTasks(later, TaskQuery(later)).items(later) if t.Id == task.Id]
    assert getattr(again, attribute) == expected


def test_clearing_the_edit_url_restores_the_default(session, ctx):
    task = create(session, ctx, url="http://edit/url")
    result = session.UpdateTaskWithLocalizedValue(ctx, task.Id, int(F.EditUrl), "")
    assert result.Result.EditUrl == f"EditTask.aspx?taskId={task.Id}"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        (F.Title, "", E.TitleInvalid),
        (F.Title, None, E.TitleInvalid),
        (F.Description, "x" * 64000, E.DescriptionInvalid),
        (F.StartDate, "not a date", E.StartDateInvalid),
        (F.StartDate, "2/15/2026", E.StartDateInvalid),  # after the due date
        (F.DueDate, "99/99/2026", E.DueDateInvalid),
        (F.DueDate, "12/1/2025", E.DueDateInvalid),  # before the start date
        (F.IsCompleted, "maybe", E.IsCompletedInvalid),
        (F.IsCompleted, "maybe" * 20_000, E.IsCompletedInvalid),  # quoted whole before
        (F.DueDate, "9" * 100_000, E.DueDateInvalid),
        (F.EditUrl, "javascript:void(0)", E.EditUrlInvalid),
        (F.NoValue, "x", E.InvalidInput),
    ],
)
def test_update_reports_invalid_values_in_the_result(session, ctx, field, value, error):
    task = create(session, ctx, "Keep", None, "1/1/2026", "1/31/2026")
    result = session.UpdateTaskWithLocalizedValue(ctx, task.Id, int(field), value)
    assert result.Error == error and 0 < len(result.ErrorMessage) <= MAX_MESSAGE
    assert (
        result.Result.Id == task.Id and result.Result.Name == "Keep" and result.Result.LastModified == ctx.now
    )


@pytest.mark.parametrize("field", [1, 7, 99, -1, True, None])
def test_update_with_a_value_outside_writabletaskfield_is_a_fault(session, ctx, field):
    task = create(session, ctx)
    with pytest.raises(CsomFault) as fault:
        session.UpdateTaskWithLocalizedValue(ctx, task.Id, field, "x")
    assert (fault.value.code, fault.value.type_name) == ARGUMENT_OUT_OF_RANGE


def test_writes_to_unknown_deleted_and_read_only_tasks(session, ctx):
    task = create(session, ctx)
    assert session.DeleteTask(ctx, task.Id).Error == E.NoValue
    calls = [
        lambda key: session.UpdateTaskWithLocalizedValue(ctx, key, int(F.Title), "x"),
        lambda key: session.DeleteTask(ctx, key),
        lambda key: session.PinTask(ctx, key),
        lambda key: session.RemovePinOnTask(ctx, key),
        lambda key: session.AddAttributeToTask(ctx, key, "a"),
        lambda key: session.RemoveAttributeFromTask(ctx, key, "a"),
        lambda key: session.PromotePersonalTaskToProviderTaskInLocation(ctx, key, 2),
    ]
    for call in calls:
        missing = call(424242)
        assert missing.Error == E.TaskNotFound and missing.Result is None and missing.ErrorMessage
        assert call(task.Id).Error == E.TaskDeleted
    for call in calls[:2] + calls[-1:]:
        denied = call(SEEDED_READ_ONLY)
        assert denied.Error == E.AccessDenied and denied.Result.IsReadOnly
    assert session.PinTask(ctx, SEEDED_READ_ONLY).Error == E.NoValue  # the user's own mark


def test_other_users_tasks_are_not_found(world, session, ctx):
    from conformance.server.wm.sessions import UserOrderedSessionManager

    task = create(session, ctx)
    bob = world.ctx(2)
    bobs = UserOrderedSessionManager(bob).CreateSession(bob)
    assert bobs.UpdateTaskWithLocalizedValue(bob, task.Id, int(F.Title), "mine").Error == E.TaskNotFound
    assert task.Id not in read_ids(bobs, bob)
    assert len(read_ids(bobs, bob)) == 3  # bob's own seeded tasks


def test_delete_returns_the_task_and_removes_it_from_reads(session, ctx):
    task = create(session, ctx, "Doomed")
    result = session.DeleteTask(ctx, task.Id)
    assert result.Error == E.NoValue and result.Result.Name == "Doomed"
    assert task.Id not in read_ids(session, ctx)
    assert session.DeleteTask(ctx, task.Id).Error == E.TaskDeleted


def test_pin_age_follows_important_tasks_limit(usm, session, world, ctx):
    task = create(session, ctx)
    pinned = session.PinTask(ctx, task.Id).Result
    assert pinned.PinAge == PinAge.Fresh
    week = world.at(7 * 86400 + 1)
    assert session.PinTask(week, task.Id).Result.PinAge == PinAge.Stale  # re-pinning keeps the pin's age
    settings = UserSettings(week)
    settings.ImportantTasksLimit = 30
    usm.SetUserSettings(week, settings, None)
    assert session.PinTask(week, task.Id).Result.PinAge == PinAge.Fresh
    unpinned = session.RemovePinOnTask(week, task.Id).Result
    assert unpinned.PinAge == PinAge.NoValue and unpinned.LastModified == week.now
    assert session.RemovePinOnTask(week, task.Id).Error == E.NoValue


def test_custom_attributes(session, ctx):
    task = create(session, ctx)
    assert session.AddAttributeToTask(ctx, task.Id, "urgent").Result.CustomAttributes == ["urgent"]
    assert session.AddAttributeToTask(ctx, task.Id, "home").Result.CustomAttributes == ["urgent", "home"]
    assert session.AddAttributeToTask(ctx, task.Id, "urgent").Result.CustomAttributes == ["urgent", "home"]
    assert session.RemoveAttributeFromTask(ctx, task.Id, "urgent").Result.CustomAttributes == ["home"]
    assert session.RemoveAttributeFromTask(ctx, task.Id, "never").Result.CustomAttributes == ["home"]
    for bad in ("", "  ", None, "a" * 256):
        assert session.AddAttributeToTask(ctx, task.Id, bad).Error == E.InvalidInput


def test_reorder_in_user_ordered_sessions(session, loc_session, ctx):
    a, b, c = (create(session, ctx, n).Id for n in "abc")
    mine = [i for i in read_ids(session, ctx) if i in (a, b, c)]
    assert mine == [a, b, c]  # new tasks go to the end of the user's order
    assert session.ReorderTask(ctx, c, a) is None
    assert [i for i in read_ids(session, ctx) if i in (a, b, c)] == [a, c, b]
    loc_session.ReorderTask(ctx, b, 0)  # JSOM sends 0: to the top
    assert read_ids(session, ctx)[0] == b
    session.ReorderTask(ctx, b, b)
    assert read_ids(session, ctx)[0] == b
    for args in ((424242, a), (a, 424242)):
        with pytest.raises(CsomFault) as fault:
            session.ReorderTask(ctx, *args)
        assert (fault.value.code, fault.value.type_name) == ARGUMENT


def test_move_personal_task_to_location(loc_session, ctx):
    task = create(loc_session, ctx, loc=-1)
    assert loc_session.MovePersonalTaskToLocation(ctx, task.Id, 3) is True
    assert loc_session.RefreshSingleTask(ctx, task.Id).Result.LocationId == 3
    assert loc_session.MovePersonalTaskToLocation(ctx, task.Id, -1) is True
    assert loc_session.MovePersonalTaskToLocation(ctx, task.Id, 99) is False
    assert loc_session.MovePersonalTaskToLocation(ctx, 424242, 3) is False
    assert loc_session.MovePersonalTaskToLocation(ctx, 1, 3) is False  # seeded, aggregated from list 2


def test_promote_personal_task(session, ctx):
    task = create(session, ctx, loc=-1)
    assert session.PromotePersonalTaskToProviderTaskInLocation(ctx, task.Id, 99).Error == E.LocationInvalid
    failed = session.PromotePersonalTaskToProviderTaskInLocation(ctx, task.Id, 1)  # a site, not a list
    assert failed.Error == E.PromotionFailedInProvider and failed.Result.IsPersonal
    done = session.PromotePersonalTaskToProviderTaskInLocation(ctx, task.Id, 2)
    assert done.Error == E.NoValue and not done.Result.IsPersonal and done.Result.LocationId == 2
    assert done.Result.EditUrl.endswith(f"/sites/team/Lists/Tasks/EditForm.aspx?ID={task.Id}")
    again = session.PromotePersonalTaskToProviderTaskInLocation(ctx, task.Id, 2)
    assert again.Error == E.PromoteTargetTaskNotPersonal


def test_create_personal_task_and_promote(session, ctx):
    promoted = session.CreatePersonalTaskAndPromoteToProviderTask(ctx, "T", "D", "", "", False, False, 3)
    assert promoted.Error == E.NoValue and not promoted.Result.IsPersonal and promoted.Result.LocationId == 3
    personal = session.CreatePersonalTaskAndPromoteToProviderTask(
        ctx, "P", None, None, None, False, False, -1
    )
    assert personal.Error == E.NoValue and personal.Result.IsPersonal and personal.Result.LocationId == -1
    failed = session.CreatePersonalTaskAndPromoteToProviderTask(ctx, "F", None, None, None, False, False, 99)
    assert failed.Error == E.LocationInvalid and failed.Result.IsPersonal
    assert failed.Result.Id in read_ids(session, ctx)  # "will not be cleaned up"
    assert session.CreatePersonalTaskAndPromoteToProviderTask(
        ctx, "", None, None, None, False, False, 3
    ).Error == (E.TitleInvalid)


def test_refresh_single_task(session, ctx):
    personal = create(session, ctx)
    assert session.RefreshSingleTask(ctx, personal.Id).RefreshState == RefreshState.Ignored
    seeded = session.RefreshSingleTask(ctx, 1)
    assert seeded.RefreshState == RefreshState.Succeeded and seeded.Result.Name == "Review quarterly report"
    missing = session.RefreshSingleTask(ctx, 424242)
    assert missing.RefreshState == RefreshState.Failed and missing.Result is None
    assert missing.ErrorCorrelationId == ctx.correlation_id


def test_callout_info(session, ctx):
    info = session.GetCalloutInfo(ctx, 1)
    assert info.Contacts == ["Bob Example"] and info.Title == info.DirectLinkTitle == "Tasks"
    assert info.DirectLinkUrl.endswith("/sites/team/Lists/Tasks") and info.Url.endswith("EditForm.aspx?ID=1")
    assert info.Hierarchy == info.Predecessors == info.Successors == []
    personal = session.GetCalloutInfo(ctx, create(session, ctx).Id)
    assert personal.Contacts == [] and personal.DirectLinkUrl is None
    with pytest.raises(CsomFault) as fault:
        session.GetCalloutInfo(ctx, 424242)
    assert (fault.value.code, fault.value.type_name) == ARGUMENT


def test_seeded_tasks_look_aggregated(session, ctx):
    tasks = {t.Id: t for t in session.ReadTasks(ctx, TaskQuery(ctx)).items(ctx)}
    assert [t.Name for t in tasks.values()] == [
        "Review quarterly report",
        "Write project charter",
        "Draft campaign brief",
    ]
    assert not any(t.IsPersonal for t in tasks.values()) and tasks[2].IsReadOnly and tasks[3].IsCompleted
    assert '"isProjectServerTask":true' in tasks[2].SerializedCustomDataForClient
