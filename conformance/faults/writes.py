"""Writes answered as successful that do not happen: what a server with a broken save path does.

Each keeps the answer's shape exactly as the target produced it, by changing what is forwarded
rather than inventing results:

- ``write-ignored-update``: UpdateTaskWithLocalizedValue goes to the target with the field
  NoValue, so nothing is written; the target's "invalid input" in the TaskWriteResult is turned
  into success. The task in the answer is the unchanged one.
- ``write-ignored-create``: CreateTask runs, the proxy reads the new task's Id in the same request
  (a query it adds and removes from the answer) and deletes it right after: the client is told
  "created, Id 17", but task 17 is never there to read.
- ``write-ignored-set-property``: SetProperty on an object that the request then hands to a method
  returning nothing (SetUserSettings, SetPersistedProperties: a save) is not forwarded; the
  save saves nothing new. SetProperty produces no result, so the answer is the target's own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conformance.faults.csom import (
    Typed,
    calls,
    evaluated,
    integer,
    map_actions,
    map_paths,
    method_change,
    parse,
    result_ids,
    spec,
    taken_ids,
    with_request,
    wm_method_section,
)
from conformance.faults.jsontext import CsomAnswer
from conformance.faults.model import (
    Change,
    Context,
    HttpRequest,
    ProxiedExchange,
    RequestRewrite,
    ResponseRewrite,
    register,
)
from conformance.model.catalogue import WM
from conformance.wire import (
    Action,
    CsomValue,
    Method,
    MethodAction,
    ObjectPathRef,
    Property,
    Query,
    QuerySpec,
    Request,
    RequestBuilder,
    SetProperty,
    to_xml,
)

WMCSOM = "ms-wmcsom"
UPDATE, CREATE = "UpdateTaskWithLocalizedValue", "CreateTask"
UPDATE_SECTION = (WMCSOM, wm_method_section("BaseSession", UPDATE))
CREATE_SECTION = (WMCSOM, wm_method_section("BaseSession", CREATE))
SAVE_SECTION = (WMCSOM, wm_method_section("UserSettingsManager", "SetUserSettings"))


def _enum_value(name: str, value: str) -> int:
    enum = spec().types[WM + name]
    return next(v.value for v in enum.values if v.name == value)


NO_FIELD = _enum_value("WritableTaskField", "NoValue")
NO_ERROR = _enum_value("WriteFieldErrorType", "NoValue")
INVALID_INPUT = _enum_value("WriteFieldErrorType", "InvalidInput")


# ------------------------------------------------------------------------------------ update


def _updates(request: Request) -> list[Method | MethodAction]:
    """The UpdateTaskWithLocalizedValue calls that name a field (taskKey, field, value)."""
    return [
        call for call in calls(request, UPDATE)
        if len(call.parameters) == 3 and integer(call.parameters[1]) not in (None, NO_FIELD)
    ]  # fmt: skip


def _without_field(request: HttpRequest, context: Context) -> RequestRewrite:
    parsed = parse(request)
    targets = {call.id: call for call in _updates(parsed)} if parsed else {}
    if parsed is None or not targets:
        return RequestRewrite(request)
    typed = Typed(parsed)

    def blank(node: Any) -> Any:
        if node.id not in targets or not isinstance(node, Method | MethodAction):
            return node
        key, field, value = node.parameters
        empty = CsomValue(field.type, NO_FIELD) if isinstance(field, CsomValue) else NO_FIELD
        return replace(node, parameters=(key, empty, value))

    changes = []
    for call in targets.values():
        key, field = call.parameters[0], integer(call.parameters[1])
        detail = f"{UPDATE}(task {key!r}, field {field}) forwarded with field NoValue: nothing is written"
        changes.append(method_change(typed.method(call)[0], UPDATE, detail, UPDATE_SECTION))
    rewritten = map_paths(map_actions(parsed, blank), blank)
    return RequestRewrite(with_request(request, rewritten), tuple(changes))


@register(
    "write-ignored-update", "behaviour", WMCSOM, UPDATE_SECTION[1],
    "UpdateTaskWithLocalizedValue answers success (Error NoValue) but the task is not changed.",
    request=_without_field,
)  # fmt: skip
def update_answered_as_done(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    original = parse(exchange.original)
    answer = CsomAnswer.parse(exchange.response.body)
    if original is None or answer is None:
        return ResponseRewrite(exchange.response)
    typed = Typed(original)
    changes = []
    for call in _updates(original):
        for action_id in result_ids(original, call):
            result = answer.result(action_id)
            if isinstance(result, dict) and result.get("Error") == INVALID_INPUT:
                result["Error"] = NO_ERROR
                if "ErrorMessage" in result:
                    result["ErrorMessage"] = None
                detail = f"result {action_id}: InvalidInput reported as success"
                changes.append(method_change(typed.method(call)[0], UPDATE, detail, UPDATE_SECTION))
    if not changes:
        return ResponseRewrite(exchange.response)
    return ResponseRewrite(replace(exchange.response, body=answer.dumps()), tuple(changes))


# ------------------------------------------------------------------------------------ create


def _read_new_ids(request: HttpRequest, context: Context) -> RequestRewrite:
    """Add, for every CreateTask object path the request evaluates, a query of its Result's Id."""
    parsed = parse(request)
    creates = [
        call for call in (calls(parsed, CREATE) if parsed else ())
        if isinstance(call, Method) and evaluated(parsed, call.id)
    ]  # fmt: skip
    if parsed is None or not creates:
        return RequestRewrite(request)
    next_id = max(taken_ids(parsed)) + 1
    paths, queries = [], []
    for n, call in enumerate(creates):
        result = Property(next_id + 2 * n, call.id, "Result")
        paths.append(result)
        queries.append(Query(next_id + 2 * n + 1, result.id, QuerySpec.select("Id")))
    rewritten = replace(
        parsed, object_paths=(*parsed.object_paths, *paths), actions=(*parsed.actions, *queries)
    )
    return RequestRewrite(with_request(request, rewritten))


def _deletion(original: HttpRequest, task_ids: list[int]) -> HttpRequest:
    """A ProcessQuery deleting ``task_ids``, sent with the client's own headers (credentials, digest)."""
    builder = RequestBuilder()
    manager = spec().types[WM + "UserOrderedSessionManager"].type_id
    session = builder.method(builder.construct(manager), "CreateSession")
    for task_id in task_ids:
        builder.method(session, "DeleteTask", task_id)
    return replace(original, body=to_xml(builder.build()))


@register(
    "write-ignored-create", "behaviour", WMCSOM, CREATE_SECTION[1],
    "CreateTask answers success with the new task, which the proxy then deletes: it is never read back.",
    request=_read_new_ids,
)  # fmt: skip
def create_undone(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    original, forwarded = parse(exchange.original), parse(exchange.forwarded)
    answer = CsomAnswer.parse(exchange.response.body)
    if original is None or forwarded is None or answer is None:
        return ResponseRewrite(exchange.response)
    added = taken_ids(forwarded) - taken_ids(original)
    ours = [pair for pair in answer.pairs if pair[0] in added]
    if not ours:
        return ResponseRewrite(exchange.response)
    typed = Typed(forwarded)
    created: list[int] = []
    changes = []
    for action_id, result in ours:
        answer.pairs.remove([action_id, result])
        task_id = integer(result.get("Id") if isinstance(result, dict) else None)
        if task_id is None:
            continue
        created.append(task_id)
        query = next(q for q in forwarded.iter_actions() if q.id == action_id)
        create = forwarded.paths_by_id[forwarded.paths_by_id[query.object_path_id].parent_id]
        detail = f"task {task_id} answered as created, then deleted"
        changes.append(method_change(typed.method(create)[0], CREATE, detail, CREATE_SECTION))
    follow_ups = (_deletion(exchange.original, created),) if created else ()
    body = answer.dumps()
    return ResponseRewrite(replace(exchange.response, body=body), tuple(changes), follow_ups=follow_ups)


# ------------------------------------------------------------------------------ set property


@register(
    "write-ignored-set-property", "behaviour", WMCSOM, SAVE_SECTION[1],
    "SetProperty on an object the request then saves (passes to a method returning nothing, such as "
    "SetUserSettings) is not forwarded: the save succeeds and changes nothing.",
    side="request",
)  # fmt: skip
def set_property_dropped(request: HttpRequest, context: Context) -> RequestRewrite:
    parsed = parse(request)
    if parsed is None:
        return RequestRewrite(request)
    typed = Typed(parsed)
    saved: dict[int, tuple[Any, str]] = {}  # object path -> (the type saving it, the saving method)
    for action in parsed.iter_actions():
        if isinstance(action, MethodAction):
            owner, method = typed.method(action)
            if method is not None and method.return_type is None:
                for parameter in action.parameters:
                    if isinstance(parameter, ObjectPathRef):
                        saved[parameter.path_id] = (owner, action.name)
    dropped: list[Change] = []

    def drop(action: Action) -> Action | None:
        if isinstance(action, SetProperty) and action.object_path_id in saved:
            owner, method = saved[action.object_path_id]
            detail = f"SetProperty {action.name} = {action.value!r} before {method} not forwarded"
            dropped.append(method_change(owner, method, detail, SAVE_SECTION))
            return None
        return action

    rewritten = map_actions(parsed, drop)
    if not dropped:
        return RequestRewrite(request)
    return RequestRewrite(with_request(request, rewritten), tuple(dropped))
