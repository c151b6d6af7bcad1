"""ReadTasks with each filter kind, the criteria combinations, ordering and location grouping."""

import datetime as dt

import pytest

from conformance.server.csom.objects import ARGUMENT, ARGUMENT_NULL, ARGUMENT_OUT_OF_RANGE, CsomFault
from conformance.server.wm.common import (
    BooleanCompareType,
    CriterionConcatType,
    PinnedState,
    SortableTaskField,
    StringCompareType,
)
from conformance.server.wm.queries import (
    BooleanCriterion,
    CustomAttributeFilter,
    DateRangeCriterion,
    LocationFilter,
    NameCriterion,
    OrderInfo,
    SortableTaskQuery,
    TaskFilter,
    TaskQuery,
)
from conformance.server.wm.sessions import SortableSessionManager, UserOrderedSessionManager
from conformance.server.wm.tasks import LocationGroupClientCollection, TaskClientCollection

UTC = dt.UTC
SEEDED = {1, 2, 3}


@pytest.fixture
def data(world, session):
    """Four personal tasks created a day apart (after the seed), plus the three seeded ones."""
    ids = {}
    rows = [
        # name, description, start, due, done, pinned, location
        ("Write report", "quarterly numbers", "1/5/2026", "1/20/2026", False, True, 2),
        ("Buy milk", None, None, "1/12/2026", True, False, -1),
        ("Report bug", "in the report tool", "1/8/2026", None, False, False, 5),
        ("Plan trip", "summer", None, None, False, True, 3),
    ]
    for day, (name, desc, start, due, done, pinned, loc) in enumerate(rows, 1):
        ctx = world.at(day * 86400)
        result = session.CreateTask(ctx, name, desc, start, due, done, pinned, loc, None)
        ids[name] = result.Result.Id
    return ids


def names(collection, ctx):
    return [t.Name for t in collection.items(ctx)]


def read(world, session, query):
    ctx = world.at(5 * 86400)
    return {t.Name for t in session.ReadTasks(ctx, query).items(ctx)}


def q(world, **props):
    query = TaskQuery(world.ctx())
    for name, value in props.items():
        setattr(query, name, value)
    return query


def field_filter(world, concat=None, **props):
    ctx = world.ctx()
    tf = TaskFilter(ctx)
    if concat is not None:
        tf.CriterionConcatType = int(concat)
    for name, value in props.items():
        setattr(tf, name, value)
    return q(world, FieldFilter=tf)


def boolean(world, compare):
    criterion = BooleanCriterion(world.ctx())
    criterion.CompareType = int(compare)
    return criterion


def date_range(world, start=None, end=None):
    criterion = DateRangeCriterion(world.ctx())
    if start:
        criterion.RangeStartValue = start
    if end:
        criterion.RangeEndValue = end
    return criterion


def name_criterion(world, compare, value):
    criterion = NameCriterion(world.ctx())
    criterion.CompareType, criterion.CompareValue = int(compare), value
    return criterion


ALL = {"Write report", "Buy milk", "Report bug", "Plan trip", "Review quarterly report",
       "Write project charter", "Draft campaign brief"}  # fmt: skip


def test_empty_query_reads_everything(world, session, data):
    assert read(world, session, TaskQuery(world.ctx())) == ALL


def test_null_or_wrong_query_is_a_fault(world, session, sortable, data):
    ctx = world.ctx()
    with pytest.raises(CsomFault) as fault:
        session.ReadTasks(ctx, None)
    assert (fault.value.code, fault.value.type_name) == ARGUMENT_NULL
    with pytest.raises(CsomFault) as fault:
        sortable.ReadTasks(ctx, TaskQuery(ctx))
    assert (fault.value.code, fault.value.type_name) == ARGUMENT


def test_keyword_filter(world, session, data):
    assert read(world, session, q(world, KeywordFilter="report")) == {
        "Write report",
        "Report bug",
        "Review quarterly report",
    }
    assert read(world, session, q(world, KeywordFilter="REPORT tool")) == {"Report bug"}
    assert read(world, session, q(world, KeywordFilter="quarterly")) == {
        "Write report",
        "Review quarterly report",
    }
    assert read(world, session, q(world, KeywordFilter="  ")) == ALL
    assert read(world, session, q(world, KeywordFilter=None)) == ALL


def test_pinned_filter(world, session, data):
    assert read(world, session, q(world, PinnedFilter=int(PinnedState.Pinned))) == {
        "Write report",
        "Plan trip",
    }
    assert read(world, session, q(world, PinnedFilter=int(PinnedState.NotPinned))) == ALL - {
        "Write report",
        "Plan trip",
    }
    with pytest.raises(CsomFault) as fault:
        q(world, PinnedFilter=3)
    assert (fault.value.code, fault.value.type_name) == ARGUMENT_OUT_OF_RANGE


def test_custom_attribute_filter(world, session, data):
    ctx = world.at(5 * 86400)
    session.AddAttributeToTask(ctx, data["Buy milk"], "home")
    session.AddAttributeToTask(ctx, data["Plan trip"], "home")
    session.AddAttributeToTask(ctx, data["Plan trip"], "fun")
    caf = CustomAttributeFilter(ctx)
    caf.Attributes = ["home", "fun"]
    assert read(world, session, q(world, CustomAttributeFilter=caf)) == {"Plan trip"}  # NoValue: all
    caf.ConcatType = int(CriterionConcatType.Any)
    assert read(world, session, q(world, CustomAttributeFilter=caf)) == {"Plan trip", "Buy milk"}
    caf.ConcatType = int(CriterionConcatType.All)
    assert read(world, session, q(world, CustomAttributeFilter=caf)) == {"Plan trip"}
    caf.Attributes = []
    assert read(world, session, q(world, CustomAttributeFilter=caf)) == ALL


def test_location_filter(world, session, data):
    ctx = world.ctx()
    lf = LocationFilter(ctx)
    assert read(world, session, q(world, LocationFilter=lf)) == ALL - {"Buy milk"}
    lf.IncludeUncategorizedTasks = True
    lf.LocationKeys = []  # example 4.1: every location plus the uncategorized tasks
    assert read(world, session, q(world, LocationFilter=lf)) == ALL
    lf.LocationKeys = [1]  # a site includes its lists
    assert read(world, session, q(world, LocationFilter=lf)) == {
        "Write report",
        "Review quarterly report",
        "Buy milk",
    }
    lf.IncludeUncategorizedTasks = False
    lf.LocationKeys = [3, 5]
    expected = {"Plan trip", "Write project charter", "Report bug", "Draft campaign brief"}
    assert read(world, session, q(world, LocationFilter=lf)) == expected


def test_last_modified_range(world, session, data):
    rng = date_range(world, dt.datetime(2026, 1, 12, tzinfo=UTC), dt.datetime(2026, 1, 13, 12, tzinfo=UTC))
    # created (and last modified) on Jan 11, 12, 13, 14 at 09:00; the seed on Jan 8
    assert read(world, session, q(world, LastModifiedDateRangeFilter=rng)) == {"Buy milk", "Report bug"}
    open_end = date_range(world, dt.datetime(2026, 1, 13, tzinfo=UTC))
    assert read(world, session, q(world, LastModifiedDateRangeFilter=open_end)) == {"Report bug", "Plan trip"}
    open_start = date_range(world, end=dt.datetime(2026, 1, 11, 9, tzinfo=UTC))  # inclusive
    assert read(world, session, q(world, LastModifiedDateRangeFilter=open_start)) == {
        "Write report", "Review quarterly report", "Write project charter", "Draft campaign brief"
    }  # fmt: skip
    assert read(world, session, q(world, LastModifiedDateRangeFilter=date_range(world))) == ALL


def test_completed_criterion(world, session, data):
    done = read(
        world, session, field_filter(world, CompletedCriterion=boolean(world, BooleanCompareType.IsTrue))
    )
    assert done == {"Buy milk", "Draft campaign brief"}
    not_done = read(
        world, session, field_filter(world, CompletedCriterion=boolean(world, BooleanCompareType.IsFalse))
    )
    assert not_done == ALL - done
    assert read(world, session, field_filter(world, CompletedCriterion=boolean(world, 0))) == ALL
    with pytest.raises(CsomFault):
        boolean(world, 3)


def test_is_new_criterion(world, session, data):
    # read at day 5; a task is new for 3 days: created on days 2, 3, 4 (not day 1, nor the seed)
    new = read(world, session, field_filter(world, IsNewCriterion=boolean(world, BooleanCompareType.IsTrue)))
    assert new == {"Buy milk", "Report bug", "Plan trip"}
    query = field_filter(world, IsNewCriterion=boolean(world, BooleanCompareType.IsTrue))
    query.LastQueryTime = dt.datetime(2026, 1, 13, tzinfo=UTC)  # only what was found since the last query
    assert read(world, session, query) == {"Report bug", "Plan trip"}


@pytest.mark.parametrize(
    ("compare", "value", "expected"),
    [
        (StringCompareType.Equals, "buy MILK", {"Buy milk"}),
        (StringCompareType.Contains, "rep", {"Write report", "Report bug", "Review quarterly report"}),
        (StringCompareType.BeginsWith, "re", {"Report bug", "Review quarterly report"}),
        (StringCompareType.NoValue, "re", ALL),
        (StringCompareType.Contains, None, ALL),
    ],
)
def test_name_criterion(world, session, data, compare, value, expected):
    assert (
        read(world, session, field_filter(world, NameCriterion=name_criterion(world, compare, value)))
        == expected
    )


def test_date_range_criteria(world, session, data):
    due = date_range(world, dt.datetime(2026, 1, 12, tzinfo=UTC), dt.datetime(2026, 1, 20, tzinfo=UTC))
    # seed due dates: Jan 13 (review), Jan 20 (charter), Jan 9 (brief); inclusive ends
    assert read(world, session, field_filter(world, DueDateRangeCriterion=due)) == {
        "Write report", "Buy milk", "Review quarterly report", "Write project charter"
    }  # fmt: skip
    start = date_range(world, dt.datetime(2026, 1, 6, tzinfo=UTC))
    expected = {"Report bug", "Write project charter", "Review quarterly report"}
    assert read(world, session, field_filter(world, StartDateRangeCriterion=start)) == expected


def test_ids_and_concat_types(world, session, data):
    ids = [data["Buy milk"], data["Plan trip"]]
    assert read(world, session, field_filter(world, IdsToFilterBy=ids)) == {"Buy milk", "Plan trip"}
    done = boolean(world, BooleanCompareType.IsTrue)
    both = field_filter(world, CriterionConcatType.All, IdsToFilterBy=ids, CompletedCriterion=done)
    assert read(world, session, both) == {"Buy milk"}
    either = field_filter(world, CriterionConcatType.Any, IdsToFilterBy=ids, CompletedCriterion=done)
    assert read(world, session, either) == {"Buy milk", "Plan trip", "Draft campaign brief"}
    default = field_filter(world, IdsToFilterBy=ids, CompletedCriterion=done)  # NoValue reads as All
    assert read(world, session, default) == {"Buy milk"}
    assert read(world, session, field_filter(world, CriterionConcatType.Any)) == ALL
    with pytest.raises(CsomFault):
        field_filter(world, 5)


def test_all_filters_together_as_in_the_capture(world, session, data):
    ctx = world.ctx()
    tf = TaskFilter(ctx)
    tf.CriterionConcatType = int(CriterionConcatType.All)
    tf.CompletedCriterion = boolean(world, BooleanCompareType.IsFalse)
    tf.NameCriterion = name_criterion(world, StringCompareType.Contains, "report")
    lf = LocationFilter(ctx)
    lf.LocationKeys, lf.IncludeUncategorizedTasks = [1, 2], True
    query = q(
        world, KeywordFilter="report", FieldFilter=tf, LocationFilter=lf, PinnedFilter=int(PinnedState.Pinned)
    )
    query.LastModifiedDateRangeFilter = date_range(world, dt.datetime(2026, 1, 1, tzinfo=UTC))
    assert read(world, session, query) == {"Write report"}


def sorted_query(world, field, descending=False, core=None):
    ctx = world.ctx()
    sq, order = SortableTaskQuery(ctx), OrderInfo(ctx)
    order.Field, order.IsDescending = int(field), descending
    sq.Order, sq.CoreQuery = order, core
    return sq


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (SortableTaskField.Title, ["Buy milk", "Draft campaign brief", "Plan trip", "Report bug",
                                   "Review quarterly report", "Write project charter", "Write report"]),
        (SortableTaskField.DueDate, ["Report bug", "Plan trip", "Draft campaign brief", "Buy milk",
                                     "Review quarterly report", "Write project charter", "Write report"]),
        (SortableTaskField.IsCompleted, ["Review quarterly report", "Write project charter", "Write report",
                                         "Report bug", "Plan trip", "Draft campaign brief", "Buy milk"]),
        (SortableTaskField.PinAge, ["Review quarterly report", "Write project charter",
                                    "Draft campaign brief", "Buy milk", "Report bug", "Write report",
                                    "Plan trip"]),
        (SortableTaskField.Location, ["Buy milk", "Draft campaign brief", "Report bug",
                                      "Write project charter", "Plan trip", "Review quarterly report",
                                      "Write report"]),
        (SortableTaskField.Description, ["Write project charter", "Buy milk", "Review quarterly report",
                                         "Draft campaign brief", "Report bug", "Write report", "Plan trip"]),
    ],
)  # fmt: skip
def test_sorting(world, sortable, data, field, expected):
    ctx = world.at(5 * 86400)
    assert names(sortable.ReadTasks(ctx, sorted_query(world, field)), ctx) == expected
    reverse = names(sortable.ReadTasks(ctx, sorted_query(world, field, True)), ctx)
    assert sorted(reverse) == sorted(expected)


def test_sorting_by_times_ids_and_descending(world, sortable, data):
    ctx = world.at(5 * 86400)
    by_id = [
        t.Id for t in sortable.ReadTasks(ctx, sorted_query(world, SortableTaskField.Id, True)).items(ctx)
    ]
    assert by_id == sorted(by_id, reverse=True)
    for field in (SortableTaskField.LastModified, SortableTaskField.DiscoveredDate):
        newest = names(sortable.ReadTasks(ctx, sorted_query(world, field, True)), ctx)
        assert newest[:4] == ["Plan trip", "Report bug", "Buy milk", "Write report"]
    default = [t.Id for t in sortable.ReadTasks(ctx, SortableTaskQuery(ctx)).items(ctx)]
    assert default == sorted(default)
    with pytest.raises(CsomFault):
        sorted_query(world, 3)


def test_sortable_core_query_filters(world, sortable, data):
    ctx = world.ctx()
    sq = sorted_query(world, SortableTaskField.DueDate, True, q(world, KeywordFilter="zzz"))
    assert isinstance(sortable.ReadTasks(ctx, sq), TaskClientCollection)
    assert names(sortable.ReadTasks(ctx, sq), ctx) == []
    sq.CoreQuery = q(world, KeywordFilter="report")
    assert names(sortable.ReadTasks(ctx, sq), ctx) == [
        "Write report",
        "Review quarterly report",
        "Report bug",
    ]


def test_location_oriented_sessions_group_by_location(world, data):
    ctx = world.ctx()
    located = SortableSessionManager(ctx).CreateLocationOrientedSession(ctx)
    result = located.ReadTasks(ctx, sorted_query(world, SortableTaskField.Title, True))
    assert isinstance(result, LocationGroupClientCollection)
    assert [(t.LocationId, t.Name) for t in result.items(ctx)] == [
        (-1, "Buy milk"), (2, "Write report"), (2, "Review quarterly report"), (3, "Write project charter"),
        (3, "Plan trip"), (5, "Report bug"), (5, "Draft campaign brief"),
    ]  # fmt: skip
    user_located = UserOrderedSessionManager(ctx).CreateLocationOrientedSession(ctx)
    user_located.ReorderTask(ctx, data["Write report"], 0)
    grouped = user_located.ReadTasks(ctx, TaskQuery(ctx))
    assert isinstance(grouped, LocationGroupClientCollection)
    assert [t.Name for t in grouped.items(ctx) if t.LocationId == 2] == [
        "Write report",
        "Review quarterly report",
    ]


def test_read_is_a_snapshot(world, session, data):
    ctx = world.ctx()
    result = session.ReadTasks(ctx, TaskQuery(ctx))
    session.CreateTask(ctx, "Later", None, None, None, False, False, -1, None)
    assert "Later" not in names(result, ctx)
