"""The in-suite model of the Work Management tasks a run creates: what a target should hold after
each write, and which of them each query should return ([MS-WMCSOM] 3.1.5.36 Task, 3.1.5.38
TaskFilter, 3.1.5.39 TaskQuery, 3.1.5.41 UserOrderedSession).

Pure: no wire, no target. The lifecycle cases (``cases/test_task_lifecycle.py``) send every write
to the target and to this model, then judge what the target reads back against it. Enum values are
the spec's names (``"Pinned"``, ``"Contains"``); the cases map them to numbers from ``specs/``.

Where the spec leaves a detail open the model admits every reasonable reading instead of picking
one server's: name and keyword matching may or may not ignore case, and a keyword may be matched as
a word or as a substring. So a query yields an :class:`Expectation`, the tasks that must be
returned and the tasks that may be. Dates of tasks are calendar days (the client sends localized
day strings, 3.1.5.1.2.2.3), read back from a CSOM DateTime by :func:`as_day`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

# What a client in the en-US locale sends for a Boolean field (JSOM's captures send "true").
LOCALIZED_BOOLEANS = {
    "true": True,
    "false": False,
    "True": True,
    "False": False,
    "TRUE": True,
    "1": True,
    "0": False,
}
# SortableTaskField name -> the Task property whose returned values show the order; None where the
# returned tasks cannot show it (Location sorts by location name, DiscoveredDate is not a property).
SORTED_BY: dict[str, str | None] = {
    "Id": "Id",
    "IsCompleted": "IsCompleted",
    "DueDate": "DueDate",
    "Description": "Description",
    "PinAge": "PinAge",
    "Location": None,
    "LastModified": "LastModified",
    "DiscoveredDate": None,
    "Title": "Name",
}


def en_us(day: dt.date, padded: bool = False) -> str:
    """The day as an en-US client localizes it (M/D/YYYY, what JSOM's captures send)."""
    if padded:
        return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"
    return f"{day.month}/{day.day}/{day.year}"


def as_day(moment: Any) -> dt.date | None:
    """A task date read back: None for "no date" (any day of year 1, DateTime.MinValue, 3.1.5.8),
    else the nearest calendar day (a server may send local midnight converted to UTC)."""
    if not isinstance(moment, dt.datetime) or moment.year == 1:
        return None
    return (moment.replace(tzinfo=None) + dt.timedelta(hours=12)).date()


def order_key(value: Any) -> tuple[int, Any]:
    """How a returned value of a sort property compares: text ignoring case (no collation is
    specified; null is empty text), DateTimes on one UTC time line with MinValue first. Values of
    different kinds (a server's mistake) still compare, by kind, so the order check can judge them."""
    if value is None or isinstance(value, str):
        return (0, (value or "").casefold())
    if isinstance(value, bool | int | float):
        return (1, value)
    if isinstance(value, dt.datetime):
        if value.year == 1:
            return (2, dt.datetime.min)
        return (2, value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value)
    return (3, repr(value))


def moved_after(order: Sequence[int], task: int, after: int) -> list[int]:
    """The order with ``task`` moved right after ``after`` (ReorderTask, 3.1.5.41.2.1.1)."""
    rest = [other for other in order if other != task]
    position = rest.index(after) + 1
    return [*rest[:position], task, *rest[position:]]


@dataclass(frozen=True)
class ModelTask:
    id: int
    token: str  # a word unique to the task; its name holds it while the name is one the run chose
    name: str | None
    description: str | None
    start: dt.date | None
    due: dt.date | None
    completed: bool
    pinned: bool
    attributes: frozenset[str] = frozenset()

    def text(self) -> str:
        return f"{self.name or ''}\n{self.description or ''}"


@dataclass(frozen=True)
class DateRange:
    """A DateRangeCriterion by days; None is an open end (the spec's DateTime.MinValue)."""

    start: dt.date | None
    end: dt.date | None

    def admits(self, day: dt.date | None) -> bool:
        return (
            day is not None
            and (self.start is None or self.start <= day)
            and (self.end is None or day <= self.end)
        )


@dataclass(frozen=True)
class NameMatch:
    compare: str  # StringCompareType: Equals | Contains | BeginsWith
    value: str


@dataclass(frozen=True)
class Query:
    """A TaskQuery as the cases send it: always restricted to the run's task ids."""

    ids: tuple[int, ...]
    concat: str = "All"  # TaskFilter.CriterionConcatType
    keyword: str | None = None
    pinned: str = "NoValue"  # PinnedState
    attributes: tuple[str, ...] = ()
    attribute_concat: str = "All"  # CustomAttributeFilter.ConcatType
    completed: str = "NoValue"  # BooleanCompareType
    name: NameMatch | None = None
    due: DateRange | None = None
    start: DateRange | None = None


@dataclass(frozen=True)
class Expectation:
    required: frozenset[int]  # returned by every reading of the spec
    allowed: frozenset[int]  # returned by some reading of it


def _name_matches(name: str | None, match: NameMatch, lenient: bool) -> bool:
    text, value = name or "", match.value
    if lenient:
        text, value = text.casefold(), value.casefold()
    if match.compare == "Equals":
        return text == value
    if match.compare == "Contains":
        return value in text
    return text.startswith(value)


def _keyword_matches(task: ModelTask, keyword: str, lenient: bool) -> bool:
    if lenient:
        return keyword.casefold() in task.text().casefold()
    return keyword in task.text().split()


def _field_filter(task: ModelTask, query: Query, lenient: bool) -> bool:
    clauses = []
    if query.ids:
        clauses.append(task.id in query.ids)
    if query.completed != "NoValue":
        clauses.append(task.completed == (query.completed == "IsTrue"))
    if query.name is not None:
        clauses.append(_name_matches(task.name, query.name, lenient))
    if query.due is not None:
        clauses.append(query.due.admits(task.due))
    if query.start is not None:
        clauses.append(query.start.admits(task.start))
    if not clauses:
        return True
    return any(clauses) if query.concat == "Any" else all(clauses)


def admits(task: ModelTask, query: Query, *, lenient: bool = False) -> bool:
    """Whether the query keeps the task: every part that is set keeps it."""
    if query.keyword and not _keyword_matches(task, query.keyword, lenient):
        return False
    if query.pinned != "NoValue" and task.pinned != (query.pinned == "Pinned"):
        return False
    wanted = set(query.attributes)
    if wanted:
        held = wanted & task.attributes
        if (query.attribute_concat == "Any" and not held) or (
            query.attribute_concat != "Any" and held != wanted
        ):
            return False
    return _field_filter(task, query, lenient)


@dataclass
class TaskModel:
    """The run's tasks as the target should hold them."""

    tasks: dict[int, ModelTask] = field(default_factory=dict)  # live tasks by id
    deleted: set[int] = field(default_factory=set)

    def all_ids(self) -> tuple[int, ...]:
        """Every id the run created, deleted ones included (reads ask for all of them)."""
        return tuple(sorted({*self.tasks, *self.deleted}))

    def add(self, task: ModelTask) -> None:
        self.tasks[task.id] = task

    def change(self, task_id: int, **changes: Any) -> None:
        self.tasks[task_id] = replace(self.tasks[task_id], **changes)

    def delete(self, task_id: int) -> None:
        self.tasks.pop(task_id, None)
        self.deleted.add(task_id)

    def expect(self, query: Query) -> Expectation:
        live = self.tasks.values()
        return Expectation(
            frozenset(t.id for t in live if admits(t, query)),
            frozenset(t.id for t in live if admits(t, query, lenient=True)),
        )

    def named(self) -> list[ModelTask]:
        """Live tasks whose name still holds their token (names the run chose)."""
        return [t for t in self.tasks.values() if t.name and t.token in t.name.split()]

    def days(self) -> list[dt.date]:
        return sorted({d for t in self.tasks.values() for d in (t.start, t.due) if d is not None})

    def attributes(self, extra: Iterable[str] = ()) -> list[str]:
        return sorted({*extra, *(a for t in self.tasks.values() for a in t.attributes)})
