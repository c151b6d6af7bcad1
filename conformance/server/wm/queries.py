"""Task queries: the client-constructed query objects and how ReadTasks evaluates them.

A TaskQuery keeps a task when every part that is set keeps it (parts not set keep everything):

- ``KeywordFilter``: every white-space separated word occurs in the name or the description
  (case-insensitive). Null or blank: no filter.
- ``PinnedFilter``: Pinned / NotPinned; NoValue: no filter.
- ``CustomAttributeFilter``: the task has all (ConcatType All or NoValue) or at least one (Any)
  of ``Attributes`` (exact strings); null/empty Attributes: no filter.
- ``LastModifiedDateRangeFilter``: ``LastModified`` within the range (below).
- ``LocationFilter``: a task with a location passes when ``LocationKeys`` is null/empty (every
  location: example 4.1 sends an empty array and gets tasks of locations 2 and 4) or lists its
  location or an ancestor of it (a site includes its lists); a task without a location passes
  only with ``IncludeUncategorizedTasks``.
- ``FieldFilter`` (TaskFilter): the *active* clauses are combined by ``CriterionConcatType``
  (All or NoValue: AND; Any: OR); no active clause: no filter. Clauses: ``IdsToFilterBy``
  (non-empty: the id is listed), ``CompletedCriterion`` / ``IsNewCriterion`` (BooleanCriterion
  IsTrue/IsFalse; NoValue inactive), ``NameCriterion`` (CompareType not NoValue and CompareValue
  not null: the name equals / contains / begins with CompareValue, case-insensitive),
  ``DueDateRangeCriterion`` / ``StartDateRangeCriterion``.
- A DateRangeCriterion is active when either end is not MinValue (the spec: MinValue = "no
  start/end date"); both ends are inclusive; a task without that date fails an active range.
- "New" (IsNewCriterion): discovered after ``LastQueryTime`` when the query sets it, else
  within ``UserSettings.DaysATaskIsConsideredNewTask`` days of now.

Ordering (``OrderInfo``): by the SortableTaskField (Title/Description case-insensitive, Location
by location name with no location first, PinAge by its enum value, DiscoveredDate by discovery
time, dates with "no date" first), ties by Id ascending; ``IsDescending`` reverses the field
order only. No OrderInfo or Field NoValue: by Id. Deleted tasks are never read. The spec has no
paging, so every matching task is returned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from conformance.server.csom.objects import Context, ServerObject, register
from conformance.server.wm.common import (
    MIN_DATE,
    NS,
    BooleanCompareType,
    CriterionConcatType,
    EnumProperty,
    PinnedState,
    SortableTaskField,
    StringCompareType,
    is_unset,
    to_utc,
)
from conformance.server.wm.locations import with_descendants
from conformance.server.wm.tasks import Task


@register(NS + "BooleanCriterion")
class BooleanCriterion(ServerObject):
    CompareType = EnumProperty(BooleanCompareType)

    def __init__(self, ctx: Context) -> None:
        pass


@register(NS + "NameCriterion")
class NameCriterion(ServerObject):
    CompareType = EnumProperty(StringCompareType)

    def __init__(self, ctx: Context) -> None:
        self.CompareValue: str | None = None


@register(NS + "DateRangeCriterion")
class DateRangeCriterion(ServerObject):
    def __init__(self, ctx: Context) -> None:
        self.RangeEndValue = MIN_DATE
        self.RangeStartValue = MIN_DATE


@register(NS + "CustomAttributeFilter")
class CustomAttributeFilter(ServerObject):
    ConcatType = EnumProperty(CriterionConcatType)

    def __init__(self, ctx: Context) -> None:
        self.Attributes: list[str] | None = None


@register(NS + "LocationFilter")
class LocationFilter(ServerObject):
    def __init__(self, ctx: Context) -> None:
        self.LocationKeys: list[int] | None = None
        self.IncludeUncategorizedTasks = False


@register(NS + "TaskFilter")
class TaskFilter(ServerObject):
    CriterionConcatType = EnumProperty(CriterionConcatType)

    def __init__(self, ctx: Context) -> None:
        self.IdsToFilterBy: list[int] | None = None
        self.CompletedCriterion: BooleanCriterion | None = None
        self.DueDateRangeCriterion: DateRangeCriterion | None = None
        self.IsNewCriterion: BooleanCriterion | None = None
        self.NameCriterion: NameCriterion | None = None
        self.StartDateRangeCriterion: DateRangeCriterion | None = None


@register(NS + "TaskQuery")
class TaskQuery(ServerObject):
    PinnedFilter = EnumProperty(PinnedState)

    def __init__(self, ctx: Context) -> None:
        self.KeywordFilter: str | None = None
        self.LastQueryTime = MIN_DATE
        self.CustomAttributeFilter: CustomAttributeFilter | None = None
        self.FieldFilter: TaskFilter | None = None
        self.LastModifiedDateRangeFilter: DateRangeCriterion | None = None
        self.LocationFilter: LocationFilter | None = None


@register(NS + "OrderInfo")
class OrderInfo(ServerObject):
    Field = EnumProperty(SortableTaskField)

    def __init__(self, ctx: Context) -> None:
        self.IsDescending = False


@register(NS + "SortableTaskQuery")
class SortableTaskQuery(ServerObject):
    def __init__(self, ctx: Context) -> None:
        self.CoreQuery: TaskQuery | None = None
        self.Order: OrderInfo | None = None


# ---- evaluation -------------------------------------------------------------------------------

Predicate = Callable[[Task], bool]


def _range(criterion: DateRangeCriterion | None, value: Callable[[Task], dt.datetime]) -> Predicate | None:
    if criterion is None:
        return None
    start, end = criterion.RangeStartValue, criterion.RangeEndValue
    if is_unset(start) and is_unset(end):
        return None

    def keep(task: Task) -> bool:
        moment = value(task)
        if is_unset(moment):
            return False
        moment = to_utc(moment)
        return (is_unset(start) or to_utc(start) <= moment) and (is_unset(end) or moment <= to_utc(end))

    return keep


def _boolean(criterion: BooleanCriterion | None, value: Predicate) -> Predicate | None:
    if criterion is None or criterion.CompareType == BooleanCompareType.NoValue:
        return None
    wanted = criterion.CompareType == BooleanCompareType.IsTrue
    return lambda task: value(task) == wanted


def _name(criterion: NameCriterion | None) -> Predicate | None:
    if (
        criterion is None
        or criterion.CompareType == StringCompareType.NoValue
        or criterion.CompareValue is None
    ):
        return None
    wanted, kind = criterion.CompareValue.casefold(), criterion.CompareType

    def keep(task: Task) -> bool:
        name = (task.Name or "").casefold()
        if kind == StringCompareType.Equals:
            return name == wanted
        if kind == StringCompareType.Contains:
            return wanted in name
        return name.startswith(wanted)

    return keep


def _field_filter(ctx: Context, query: TaskQuery, field_filter: TaskFilter | None) -> Predicate | None:
    if field_filter is None:
        return None
    new_days = ctx.db.execute(
        "SELECT days_task_is_new FROM wm_user_settings WHERE user_id = ?", (ctx.user_id,)
    ).fetchone()
    if is_unset(query.LastQueryTime):
        since = ctx.now - dt.timedelta(days=new_days[0] if new_days else 3)
        is_new: Predicate = lambda task: to_utc(task._discovered) >= since  # noqa: E731
    else:
        last = to_utc(query.LastQueryTime)
        is_new = lambda task: to_utc(task._discovered) > last  # noqa: E731
    clauses = [
        _boolean(field_filter.CompletedCriterion, lambda task: task.IsCompleted),
        _boolean(field_filter.IsNewCriterion, is_new),
        _name(field_filter.NameCriterion),
        _range(field_filter.DueDateRangeCriterion, lambda task: task.DueDate),
        _range(field_filter.StartDateRangeCriterion, lambda task: task.StartDate),
    ]
    if field_filter.IdsToFilterBy:
        ids = set(field_filter.IdsToFilterBy)
        clauses.append(lambda task: task.Id in ids)
    active = [clause for clause in clauses if clause is not None]
    if not active:
        return None
    if field_filter.CriterionConcatType == CriterionConcatType.Any:
        return lambda task: any(clause(task) for clause in active)
    return lambda task: all(clause(task) for clause in active)


def _location_filter(ctx: Context, location_filter: LocationFilter | None) -> Predicate | None:
    if location_filter is None:
        return None
    keys = location_filter.LocationKeys
    allowed = with_descendants(ctx, {k for k in keys if isinstance(k, int)}) if keys else None
    uncategorized = bool(location_filter.IncludeUncategorizedTasks)

    def keep(task: Task) -> bool:
        if task.LocationId == -1:
            return uncategorized
        return allowed is None or task.LocationId in allowed

    return keep


def _attribute_filter(attribute_filter: CustomAttributeFilter | None) -> Predicate | None:
    if attribute_filter is None or not attribute_filter.Attributes:
        return None
    wanted = set(attribute_filter.Attributes)
    if attribute_filter.ConcatType == CriterionConcatType.Any:
        return lambda task: bool(wanted & set(task.CustomAttributes))
    return lambda task: wanted <= set(task.CustomAttributes)


def _keywords(text: str | None) -> Predicate | None:
    words = (text or "").casefold().split()
    if not words:
        return None
    return lambda task: all(w in f"{task.Name or ''}\n{task.Description or ''}".casefold() for w in words)


def _pinned(state: int) -> Predicate | None:
    if state == PinnedState.NoValue:
        return None
    wanted = state == PinnedState.Pinned
    return lambda task: (task._pinned_at is not None) == wanted


def select(ctx: Context, tasks: list[Task], query: TaskQuery | None) -> list[Task]:
    """The tasks the query keeps, in the order given."""
    if query is None:
        return list(tasks)
    predicates = [
        _keywords(query.KeywordFilter),
        _pinned(query.PinnedFilter),
        _attribute_filter(query.CustomAttributeFilter),
        _range(query.LastModifiedDateRangeFilter, lambda task: task.LastModified),
        _location_filter(ctx, query.LocationFilter),
        _field_filter(ctx, query, query.FieldFilter),
    ]
    active = [p for p in predicates if p is not None]
    return [task for task in tasks if all(p(task) for p in active)]


def _date_key(moment: dt.datetime) -> dt.datetime:
    return to_utc(MIN_DATE if is_unset(moment) else moment)


SORT_KEYS: dict[int, Callable[[Task], Any]] = {
    SortableTaskField.Id: lambda t: t.Id,
    SortableTaskField.IsCompleted: lambda t: t.IsCompleted,
    SortableTaskField.DueDate: lambda t: _date_key(t.DueDate),
    SortableTaskField.Description: lambda t: (t.Description or "").casefold(),
    SortableTaskField.PinAge: lambda t: t.PinAge,
    SortableTaskField.Location: lambda t: (t.LocationId != -1, t._location_name.casefold(), t.LocationId),
    SortableTaskField.LastModified: lambda t: _date_key(t.LastModified),
    SortableTaskField.DiscoveredDate: lambda t: _date_key(t._discovered),
    SortableTaskField.Title: lambda t: (t.Name or "").casefold(),
}


def sort(tasks: list[Task], order: OrderInfo | None) -> list[Task]:
    result = sorted(tasks, key=lambda t: t.Id)
    if order is None or order.Field == SortableTaskField.NoValue:
        return result
    return sorted(result, key=SORT_KEYS[order.Field], reverse=bool(order.IsDescending))


def user_order(tasks: list[Task]) -> list[Task]:
    return sorted(tasks, key=lambda t: (t._sort_order, t.Id))


def group_by_location(tasks: list[Task]) -> list[Task]:
    """Stable: keeps the order inside each location; no location first, then by location id."""
    return sorted(tasks, key=lambda t: t.LocationId)
