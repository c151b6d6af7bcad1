"""Reads that do not show what was written: ReadTasks results in the wrong order, with a task
skipped or repeated, or with tasks the client deleted; workflow definitions whose name comes back
cut short.

The lists are the ``_Child_Items_`` of the results of ReadTasks calls (on any session type, also
the location-grouped ones), found by reading the request. MS-WMCSOM has no paging; "skips" and
"repeats" are what a server paging internally gets wrong at a page boundary (here after the first
task).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.faults.csom import (
    Typed,
    calls,
    integer,
    method_change,
    parse,
    property_change,
    result_ids,
    spec,
    wm_method_section,
)
from conformance.faults.jsontext import CsomAnswer, typed_objects
from conformance.faults.model import Change, ProxiedExchange, ResponseRewrite, register
from conformance.model.catalogue import WM
from conformance.spec.model import SpecType
from conformance.wire import Request, SetProperty

WMCSOM = "ms-wmcsom"
READ_SECTION = (WMCSOM, wm_method_section("SortableSession", "ReadTasks"))
DELETE_SECTION = (WMCSOM, wm_method_section("UserOrderedSession", "DeleteTask"))
TASK = spec().types[WM + "Task"].short_name


def task_lists(request: Request, answer: CsomAnswer) -> Iterator[tuple[SpecType | None, list[Any]]]:
    """(the session type, the task list) of every ReadTasks result in the answer."""
    typed = Typed(request)
    for call in calls(request, "ReadTasks"):
        owner, _ = typed.method(call)
        for action_id in result_ids(request, call):
            result = answer.result(action_id)
            items = result.get("_Child_Items_") if isinstance(result, dict) else result
            if isinstance(items, list):
                yield owner, items


def _ids(items: list[Any]) -> list[Any]:
    return [item.get("Id") if isinstance(item, dict) else None for item in items]


ListEdit = Callable[[list[Any]], str | None]  # edits a task list in place; says what it did, or None


def _on_task_lists(exchange: ProxiedExchange, edit: ListEdit) -> ResponseRewrite:
    request = parse(exchange.forwarded)
    answer = CsomAnswer.parse(exchange.response.body)
    if request is None or answer is None:
        return ResponseRewrite(exchange.response)
    changes = []
    for owner, items in task_lists(request, answer):
        detail = edit(items)
        if detail is not None:
            changes.append(method_change(owner, "ReadTasks", detail, READ_SECTION))
    if not changes:
        return ResponseRewrite(exchange.response)
    return ResponseRewrite(replace(exchange.response, body=answer.dumps()), tuple(changes))


@register(
    # the order a query asks for is the SortableTaskField's (3.1.5.33), whichever session reads it
    "wrong-sort-order", "behaviour", WMCSOM, "3.1.5.33",
    "ReadTasks returns its tasks in reverse order.",
)  # fmt: skip
def wrong_sort_order(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def reverse(items: list[Any]) -> str | None:
        if items == items[::-1]:
            return None
        before = _ids(items)
        items.reverse()
        return f"tasks {before} sent in the order {_ids(items)}"

    return _on_task_lists(exchange, reverse)


@register(
    "paging-skips", "behaviour", WMCSOM, READ_SECTION[1],
    "ReadTasks loses the task after the first (a page boundary skipped).",
)  # fmt: skip
def paging_skips(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def skip(items: list[Any]) -> str | None:
        if len(items) < 2:
            return None
        lost = items.pop(1)
        return f"left out task {_ids([lost])[0]} (position 2 of {len(items) + 1})"

    return _on_task_lists(exchange, skip)


@register(
    "paging-repeats", "behaviour", WMCSOM, READ_SECTION[1],
    "ReadTasks returns its first task twice (the next page starts with the last task again).",
)  # fmt: skip
def paging_repeats(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def repeat(items: list[Any]) -> str | None:
        if not items:
            return None
        items.insert(1, copy.deepcopy(items[0]))
        return f"task {_ids(items)[0]} sent twice"

    return _on_task_lists(exchange, repeat)


# ----------------------------------------------------------------------------- deleted tasks


@dataclass(frozen=True)
class Remembered:
    """What ``deleted-task-returned`` knows: every task seen (each member's latest value), and what
    was deleted."""

    seen: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    deleted: frozenset[int] = frozenset()


def _deleted(request: Request, answer: CsomAnswer) -> set[int]:
    """The tasks this request deleted: DeleteTask calls whose TaskWriteResult, when read, has no error
    (none when the request as a whole failed: which actions ran is not knowable)."""
    if answer.header.get("ErrorInfo") is not None:
        return set()
    deleted = set()
    for call in calls(request, "DeleteTask"):
        task_id = integer(call.parameters[0]) if call.parameters else None
        results = [answer.result(action_id) for action_id in result_ids(request, call)]
        failed = any(isinstance(r, dict) and r.get("Error") not in (None, 0) for r in results)
        if task_id is not None and not failed:
            deleted.add(task_id)
    return deleted


def _id_filter(request: Request) -> set[int] | None:
    """The ids the request's TaskFilter.IdsToFilterBy restricts reads to (None: no such filter)."""
    lists = [
        action.value
        for action in request.iter_actions()
        if isinstance(action, SetProperty)
        and action.name == "IdsToFilterBy"
        and isinstance(action.value, tuple)
    ]
    if not lists:
        return None
    return {task_id for values in lists for value in values if (task_id := integer(value)) is not None}


def _stale(task: Mapping[str, Any], items: list[Any]) -> dict[str, Any]:
    """The remembered task shaped like the list's other tasks (their members, in their order)."""
    stale = copy.deepcopy(dict(task))
    if items and isinstance(items[0], dict):
        return {key: stale[key] for key in items[0] if key in stale}
    return stale


@register(
    "deleted-task-returned", "behaviour", WMCSOM, DELETE_SECTION[1],
    "A task deleted through the proxy keeps coming back in ReadTasks (as last seen), within "
    "the read's TaskFilter.IdsToFilterBy when it sets one.",
    memory=Remembered(),
)  # fmt: skip
def deleted_task_returned(exchange: ProxiedExchange, memory: Remembered) -> ResponseRewrite:
    request = parse(exchange.forwarded)
    answer = CsomAnswer.parse(exchange.response.body)
    if request is None or answer is None:
        return ResponseRewrite(exchange.response)
    seen = dict(memory.seen)
    for obj in typed_objects(answer.results):
        if obj["_ObjectType_"] == TASK and (task_id := integer(obj.get("Id"))) is not None:
            seen[task_id] = {
                **seen.get(task_id, {}),
                **copy.deepcopy(obj),
            }  # every member ever seen, latest value
    deleted = memory.deleted | _deleted(request, answer)
    wanted = _id_filter(request)
    changes: list[Change] = []
    for owner, items in task_lists(request, answer):
        present = set(_ids(items))
        for task_id in sorted(deleted - present):
            if task_id in seen and (wanted is None or task_id in wanted):
                items.append(_stale(seen[task_id], items))
                changes.append(method_change(owner, "DeleteTask", f"deleted task {task_id} read again",
                                             DELETE_SECTION))  # fmt: skip
    remembered = Remembered(seen, deleted)
    if not changes:
        return ResponseRewrite(exchange.response, memory=remembered)
    return ResponseRewrite(replace(exchange.response, body=answer.dumps()), tuple(changes), remembered)


# ----------------------------------------------------------------------------- names cut short

DEFINITION = spec().types["Microsoft.SharePoint.Client.WorkflowServices.WorkflowDefinition"]
NAME_SECTION = next(p.section for p in DEFINITION.properties if p.name == "DisplayName")
NAME_LIMIT = 10


@register(
    "truncated-name-on-read", "behaviour", "ms-spwfcsom", NAME_SECTION,
    f"WorkflowDefinition.DisplayName comes back cut to {NAME_LIMIT} characters in answers to requests "
    "that save no definition (one that saves a definition, and reads it in the same request, sees the "
    "whole name: a server cutting names where it loads them from its store).",
)  # fmt: skip
def truncated_name_on_read(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    request = parse(exchange.forwarded)
    answer = CsomAnswer.parse(exchange.response.body)
    if request is None or answer is None or next(calls(request, "SaveDefinition"), None) is not None:
        return ResponseRewrite(exchange.response)
    changes = []
    for obj in typed_objects(answer.results):
        name = obj.get("DisplayName")
        if obj["_ObjectType_"] == DEFINITION.short_name and isinstance(name, str) and len(name) > NAME_LIMIT:
            obj["DisplayName"] = name[:NAME_LIMIT]
            detail = f"DisplayName {name!r} sent as {obj['DisplayName']!r}"
            changes.append(property_change(DEFINITION.short_name, "DisplayName", detail))
    if not changes:
        return ResponseRewrite(exchange.response)
    return ResponseRewrite(replace(exchange.response, body=answer.dumps()), tuple(changes))
