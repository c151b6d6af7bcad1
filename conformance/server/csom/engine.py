"""Runs one ProcessQuery request against the server objects, as MS-CSOM describes.

Actions run in document order; each object path is evaluated at most once per request
(lazily, when an action or parameter first needs it). Every member and argument is
checked against the spec data before the object model is called.

Every action is all-or-nothing (a savepoint): when it faults, its own writes are undone.
On an unhandled fault the engine stops, and the response is the header with ErrorInfo and
no result pairs (as recorded SharePoint Online responses show). Writes made by the actions
that completed before it are kept, as in SharePoint (there is no request-wide transaction
in MS-CSOM); the HTTP layer commits them. Errors inside an ExceptionHandlingScope are
caught there (the failed action undone) and processing goes on.
"""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from conformance.server.csom import objects as om
from conformance.server.csom.objects import Context, CsomFault, ServerCollection, ServerObject
from conformance.server.csom.typesystem import TypeInfo, TypeSystem
from conformance.server.wf.identity import resolve_spec_identity
from conformance.spec.model import Parameter
from conformance.wire import (
    INTEGER_RANGES,
    Action,
    ConditionalScope,
    Constructor,
    CsomValue,
    Dictionary,
    ErrorInfo,
    ExceptionHandlingScope,
    ExceptionHandlingScopeSimple,
    Expression,
    ExpressionConstant,
    Identity,
    Method,
    MethodAction,
    Null,
    ObjectIdentityQuery,
    ObjectPath,
    ObjectPathAction,
    ObjectPathRef,
    Property,
    Query,
    QueryProperty,
    QuerySpec,
    Request,
    SetProperty,
    StaticMethod,
    StaticMethodAction,
    StaticProperty,
    ValueObject,
    referenced_paths,
)

# Scopes nest by recursion (each level is a few stack frames); SharePoint's own clients nest two or
# three. Deeper requests are refused before any action runs, with an InvalidClientQueryException.
MAX_SCOPE_DEPTH = 32


@dataclass
class RequestState:
    """The state of one request being processed."""

    request: Request
    ctx: Context
    types: TypeSystem
    cache: dict[int, Any] = field(default_factory=dict)
    results: list[tuple[int, Any]] = field(default_factory=list)
    # The connection's total_changes when each open savepoint was taken (or last rolled back to):
    # while the count is the same, the newest savepoint still marks the current state.
    marks: list[int] = field(default_factory=list)


def error_info(fault: CsomFault, correlation_id: str) -> ErrorInfo:
    return ErrorInfo(fault.code, fault.message, fault.value, fault.type_name, correlation_id)


def execute(request: Request, ctx: Context, types: TypeSystem) -> list[tuple[int, Any]]:
    """The result pairs of a request; raises CsomFault on the first unhandled error."""
    run = RequestState(request, ctx, types)
    depth = _scope_depth(request.actions)
    if depth > MAX_SCOPE_DEPTH:
        raise CsomFault(
            om.INVALID_QUERY, f"scopes nest {depth} deep; at most {MAX_SCOPE_DEPTH} are supported"
        )
    _savepoint(run)  # the request's own (COMMIT releases it), shared by actions until one writes
    for action in request.actions:
        _action(run, action)
    return run.results


def _scope_depth(actions: tuple[Action, ...]) -> int:
    """How deep the request's scopes nest (iterative: the depth is what is being bounded)."""
    deepest, pending = 0, [(action, 1) for action in actions]
    while pending:
        action, depth = pending.pop()
        if isinstance(action, ExceptionHandlingScopeSimple):
            bodies: tuple[tuple[Action, ...], ...] = (action.actions,)
        elif isinstance(action, ExceptionHandlingScope):
            scopes = (action.try_scope, action.catch_scope, action.finally_scope)
            bodies = tuple(scope.actions for scope in scopes if scope is not None)
        elif isinstance(action, ConditionalScope):
            bodies = tuple(scope.actions for scope in (action.if_true, action.if_false) if scope is not None)
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((inner, depth + 1) for body in bodies for inner in body)
    return deepest


# ------------------------------------------------------------------------------------ object paths
def _path(run: RequestState, path_id: int) -> Any:
    if path_id in run.cache:
        return run.cache[path_id]
    paths = run.request.paths_by_id
    if path_id not in paths:
        raise CsomFault(om.INVALID_QUERY, f"object path {path_id} is not in the request")
    # The paths it refers to first, depth first on a list: evaluating each inside its child's
    # evaluation recursed once per link, and a chain of a few hundred links exhausted the stack.
    stack, on_stack = [path_id], {path_id}
    while stack:
        top = stack[-1]
        pending = next((ref for ref in referenced_paths(paths[top]) if ref not in run.cache), None)
        if pending is None:
            run.cache[top] = _evaluate(run, paths[top])
            on_stack.discard(stack.pop())
        elif pending in on_stack or pending not in paths:  # validate_request refuses both; in case
            raise CsomFault(
                om.INVALID_QUERY, f"object path {top} refers to {pending}, which cannot be evaluated"
            )
        else:
            stack.append(pending)
            on_stack.add(pending)
    return run.cache[path_id]


def _type_by_id(run: RequestState, type_id: UUID) -> TypeInfo:
    info = run.types.by_type_id.get(type_id)
    if info is None:
        raise CsomFault(om.INVALID_QUERY, f"unknown type {{{type_id}}}")
    return info


def _evaluate(run: RequestState, path: ObjectPath) -> Any:
    if isinstance(path, Constructor):
        info = _type_by_id(run, path.type_id)
        spec_params = info.constructor.parameters if info.constructor else None
        if info.spec is not None and info.constructor is None:
            raise CsomFault(om.INVALID_QUERY, f"type {info.short_name} has no constructor")
        args = _arguments(run, spec_params, path.parameters, info.short_name)
        return (
            _invoke(info.cls, run.ctx, args, info.short_name)
            if info.spec is None
            else info.cls(run.ctx, *args)
        )
    if isinstance(path, (StaticProperty, StaticMethod)):
        info = _type_by_id(run, path.type_id)
        static = getattr(info.cls, f"static_{path.name}", None)
        if static is None:
            raise CsomFault(om.INVALID_QUERY, f"type {info.short_name} has no static member {path.name!r}")
        args = _arguments(run, None, getattr(path, "parameters", ()), path.name)
        return _invoke(static, run.ctx, args, path.name)
    if isinstance(path, Property):
        return _get_property(run, _object(run, path.parent_id), path.name)
    if isinstance(path, Method):
        return _call(run, _object(run, path.parent_id), path.name, path.parameters)
    if isinstance(path, Identity):
        return _identity(run, path.name)
    raise CsomFault(om.INVALID_QUERY, f"unsupported object path {type(path).__name__}")


def _identity(run: RequestState, name: str) -> ServerObject | None:
    # the workflow spec's examples name objects "<type prefix>:<guid>" (MS-SPWFCSOM section 4)
    matched, found = resolve_spec_identity(run.ctx, name)
    if matched:
        return found
    prefix, _, rest = name.partition(":")
    kind, _, key = rest.partition(":")
    if prefix == om.IDENTITY_PREFIX:
        for info in run.types.by_name.values():
            if info.cls.identity_kind == kind:
                return info.cls.from_identity(run.ctx, key)
    raise CsomFault(om.NOT_FOUND, f"no object has the identity {name[:120]!r}")


def _object(run: RequestState, path_id: int) -> ServerObject:
    obj = _path(run, path_id)
    if obj is None:
        raise CsomFault(om.ARGUMENT_NULL, f"object path {path_id} evaluated to null")
    if not isinstance(obj, ServerObject):
        raise CsomFault(om.INVALID_QUERY, f"object path {path_id} is not an object")
    return obj


# ------------------------------------------------------------------------------------------ members
def _get_property(run: RequestState, obj: ServerObject, name: str) -> Any:
    info = run.types.of(obj)
    if info.spec is not None and name not in info.properties:
        raise CsomFault(om.INVALID_QUERY, f'Field or property "{name}" does not exist on {info.short_name}.')
    if info.spec is None and (not name[:1].isupper() or not hasattr(obj, name)):
        raise CsomFault(om.INVALID_QUERY, f'Field or property "{name}" does not exist on {info.short_name}.')
    value = getattr(obj, name)
    return value(run.ctx) if callable(value) and info.spec is None else value


def _call(run: RequestState, obj: ServerObject, name: str, raw_args: tuple[Any, ...]) -> Any:
    info = run.types.of(obj)
    method = info.methods.get(name)
    if info.spec is not None and method is None:
        raise CsomFault(om.INVALID_QUERY, f'Method "{name}" does not exist on {info.short_name}.')
    target = getattr(obj, name, None) if name[:1].isupper() else None
    if target is None or not callable(target):
        raise CsomFault(om.INVALID_QUERY, f'Method "{name}" does not exist on {info.short_name}.')
    args = _arguments(run, method.parameters if method else None, raw_args, name)
    return target(run.ctx, *args) if method else _invoke(target, run.ctx, args, name)


def _set_property(run: RequestState, obj: ServerObject, name: str, raw: Any) -> None:
    info = run.types.of(obj)
    prop = info.properties.get(name)
    if prop is None:
        raise CsomFault(om.INVALID_QUERY, f'Field or property "{name}" does not exist on {info.short_name}.')
    if prop.access != "read-write":
        raise CsomFault(om.INVALID_OPERATION, f"property {name} of {info.short_name} is read-only")
    setattr(obj, name, _decode(run, prop.type, raw, name))


# ---------------------------------------------------------------------------------------- arguments
def _invoke(member: Any, ctx: Context, args: list[Any], where: str) -> Any:
    """Call a member of a core type (no spec table checks its arity first): a wrong number of
    arguments is the client's error, not a TypeError for the catch-all."""
    try:
        inspect.signature(member).bind(ctx, *args)
    except TypeError:
        raise CsomFault(om.INVALID_QUERY, f"{where} does not take {len(args)} parameter(s)") from None
    return member(ctx, *args)


def _arguments(
    run: RequestState, spec: tuple[Parameter, ...] | None, raw: tuple[Any, ...], where: str
) -> list[Any]:
    if spec is None:  # core types: arguments as sent
        return [_plain(run, v) for v in raw]
    if len(raw) != len(spec):
        raise CsomFault(
            om.INVALID_QUERY,
            f"{where} takes {len(spec)} parameter(s) ({', '.join(p.name for p in spec)}), got {len(raw)}",
        )
    return [_decode(run, p.type, v, f"{where}.{p.name}") for p, v in zip(spec, raw, strict=True)]


def _plain(run: RequestState, value: Any) -> Any:
    """A request value as plain Python, without a declared type."""
    if isinstance(value, Null):
        return None
    if isinstance(value, ObjectPathRef):
        return _path(run, value.path_id)
    if isinstance(value, CsomValue):
        return value.value
    if isinstance(value, tuple):
        return [_plain(run, v) for v in value]
    if isinstance(value, Dictionary):
        return {k: _plain(run, v) for k, v in value.entries.items()}
    if isinstance(value, ValueObject):
        return {k: _plain(run, v) for k, v in value.members.items()}
    return value


def _bad(where: str, expected: str, value: Any) -> CsomFault:
    shown = type(value).__name__ if not isinstance(value, (int, str)) else repr(value)[:60]
    return CsomFault(om.ARGUMENT, f"{where}: expected {expected}, got {shown}")


def _decode(run: RequestState, spec_type: str, raw: Any, where: str) -> Any:
    if isinstance(raw, ValueObject) and spec_type in run.types.by_name:
        return _value_object(run, spec_type, raw, where)
    value = _plain(run, raw)
    if value is None:
        # JSOM sends Type="Null" even for Int32 parameters (capture session_createTask_nulls):
        # null passes for every type, and the object model decides what it means.
        return None
    if spec_type.startswith("CSOM array of "):
        if not isinstance(value, list):
            raise _bad(where, spec_type, value)
        item_type = spec_type.removeprefix("CSOM array of ")
        items = raw if isinstance(raw, tuple) else ()
        return [_decode(run, item_type, item, f"{where}[{i}]") for i, item in enumerate(items)]
    if spec_type == "CSOM String":
        if not isinstance(value, str):
            raise _bad(where, "a String", value)
        return value
    # the spec tables' "CSOM Int32" is MS-CSOM's Int32
    bounds = INTEGER_RANGES.get(spec_type.removeprefix("CSOM ")) if spec_type.startswith("CSOM ") else None
    if bounds is not None or spec_type in run.types.enums:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(where, spec_type, value)
        if bounds is not None:
            low, high = bounds
            if not low <= value <= high:
                raise CsomFault(om.ARGUMENT_OUT_OF_RANGE, f"{where}: {value} is outside {spec_type}")
        else:
            _check_enum(run, spec_type, value, where)
        return value
    if spec_type == "CSOM Boolean":
        if not isinstance(value, bool):
            raise _bad(where, "a Boolean", value)
        return value
    if spec_type == "CSOM DateTime":
        if not isinstance(value, dt.datetime):
            raise _bad(where, "a DateTime", value)
        if not value.tzinfo:
            return value.replace(tzinfo=dt.UTC)
        try:  # the object model compares and stores instants in UTC: a year 0 or 10000 there fails
            value.astimezone(dt.UTC)
        except OverflowError:
            raise CsomFault(
                om.ARGUMENT_OUT_OF_RANGE, f"{where}: {value.isoformat()} is outside DateTime in UTC"
            ) from None
        return value
    if spec_type == "CSOM GUID":
        try:
            return value if isinstance(value, UUID) else UUID(str(value))
        except ValueError:
            raise _bad(where, "a GUID", value) from None
    if spec_type == "CSOM Stream":
        if not isinstance(value, (bytes, str)):
            raise _bad(where, "a Stream", value)
        return value
    if spec_type == "CSOM dictionary":
        if not isinstance(value, dict):
            raise _bad(where, "a Dictionary", value)
        return value
    info = run.types.by_name.get(spec_type)
    if info is not None:
        if not isinstance(value, info.cls):
            raise _bad(where, spec_type, value)
        return value
    return value  # a type neither spec defines (ContentTypeId, ...): as sent


def _value_object(run: RequestState, spec_type: str, raw: ValueObject, where: str) -> ServerObject:
    """A client value object (sent by value, e.g. SetUserSettings' LocationDisplaySetting array):
    a new instance of its type with each member set as SetProperty would set it."""
    info = _type_by_id(run, raw.type_id)
    if info.name != spec_type:
        raise _bad(where, spec_type, info.short_name)
    obj = info.cls(run.ctx)
    for name, member in raw.members.items():
        _set_property(run, obj, name, member)
    return obj


def _check_enum(run: RequestState, enum_name: str, value: int, where: str) -> None:
    enum = run.types.enums[enum_name]
    allowed = {v.value for v in enum.values}
    if enum.flag:
        combined = 0
        for v in allowed:
            combined |= v
        if value & ~combined:
            raise CsomFault(
                om.ARGUMENT_OUT_OF_RANGE, f"{where}: {value} is not a combination of {enum.short_name}"
            )
    elif value not in allowed:
        raise CsomFault(om.ARGUMENT_OUT_OF_RANGE, f"{where}: {value} is not a value of {enum.short_name}")


# ------------------------------------------------------------------------------------------ results
def serialize(
    run: RequestState, value: Any, query: QuerySpec | None = None, child: QuerySpec | None = None
) -> Any:
    """A result value as JSON-ready Python (dates, GUIDs and bytes left for the encoder)."""
    if isinstance(value, ServerObject):
        return _serialize_object(run, value, query, child)
    if isinstance(value, (list, tuple)):
        return [serialize(run, v) for v in value]
    if isinstance(value, dict):
        return {k: serialize(run, v) for k, v in value.items()}
    return value


def _serialize_object(
    run: RequestState, obj: ServerObject, query: QuerySpec | None, child: QuerySpec | None
) -> dict:
    info = run.types.of(obj)
    out: dict[str, Any] = {"_ObjectType_": info.short_name}
    identity = obj.identity()
    if identity is not None:
        out["_ObjectIdentity_"] = identity
    query = query or QuerySpec(True)
    names = list(info.default_properties) if query.select_all_properties else []
    nested: dict[str, QueryProperty] = {}
    for prop in query.properties:
        if prop.name not in names:
            names.append(prop.name)
        nested[prop.name] = prop
    for name in names:
        sub = nested.get(name)
        value = _get_property(run, obj, name)
        out[name] = serialize(run, value, sub.query if sub else None, sub.child_item_query if sub else None)
    if isinstance(obj, ServerCollection):
        item_query = child or QuerySpec(True)
        out["_Child_Items_"] = [_serialize_object(run, item, item_query, None) for item in obj.items(run.ctx)]
    return out


# ------------------------------------------------------------------------------------------ actions
def _savepoint(run: RequestState) -> None:
    run.ctx.db.execute("SAVEPOINT csom_action")
    run.marks.append(run.ctx.db.total_changes)


def _release(run: RequestState) -> None:
    run.ctx.db.execute("RELEASE csom_action")
    run.marks.pop()


def _action(run: RequestState, action: Action) -> None:
    """Run one action all-or-nothing: a fault undoes the action's own writes (a savepoint) and
    forgets the object paths it evaluated, so nothing of a failed action outlives it. When nothing
    was written since the newest savepoint, rolling back to it undoes exactly this action's writes,
    so the action takes no savepoint of its own (most actions only read: two statements saved)."""
    evaluated = set(run.cache)
    db = run.ctx.db
    own = run.marks[-1] != db.total_changes
    if own:
        _savepoint(run)
    try:
        _dispatch(run, action)
    except CsomFault:
        db.execute("ROLLBACK TO csom_action")
        run.marks[-1] = db.total_changes  # the state is the savepoint's again
        if own:
            _release(run)
        for path_id in set(run.cache) - evaluated:
            del run.cache[path_id]
        raise
    if own:
        _release(run)


def _dispatch(run: RequestState, action: Action) -> None:
    if isinstance(action, ObjectPathAction):
        run.results.append((action.id, {"IsNull": _path(run, action.object_path_id) is None}))
    elif isinstance(action, Query):
        if _path(run, action.object_path_id) is None:
            # a null object reads as null (JSOM loads a TaskWriteResult's Result even when no task
            # came back, example 4.3's pattern, and expects null, not a fault that loses the request)
            run.results.append((action.id, None))
            return
        obj = _object(run, action.object_path_id)
        run.results.append((action.id, serialize(run, obj, action.query, action.child_item_query)))
    elif isinstance(action, MethodAction):
        obj = _object(run, action.object_path_id)
        result = _call(run, obj, action.name, action.parameters)
        method = run.types.of(obj).methods.get(action.name)
        if method is None or method.return_type is not None:
            run.results.append((action.id, serialize(run, result)))
    elif isinstance(action, StaticMethodAction):
        info = _type_by_id(run, action.type_id)
        static = getattr(info.cls, f"static_{action.name}", None)
        if static is None:
            raise CsomFault(om.INVALID_QUERY, f"type {info.short_name} has no static method {action.name!r}")
        result = _invoke(static, run.ctx, _arguments(run, None, action.parameters, action.name), action.name)
        run.results.append((action.id, serialize(run, result)))
    elif isinstance(action, SetProperty):
        _set_property(run, _object(run, action.object_path_id), action.name, action.value)
    elif isinstance(action, ObjectIdentityQuery):
        run.results.append((action.id, {"_ObjectIdentity_": _object(run, action.object_path_id).identity()}))
    elif isinstance(action, ExceptionHandlingScopeSimple):
        fault = _guarded(run, action.actions)
        run.results.append((action.id, _scope_result(run, fault)))
    elif isinstance(action, ExceptionHandlingScope):
        fault = _guarded(run, action.try_scope.actions)
        if fault is not None and action.catch_scope is not None:
            _run_all(run, action.catch_scope.actions)
        if action.finally_scope is not None:
            _run_all(run, action.finally_scope.actions)
        run.results.append((action.id, _scope_result(run, fault)))
    elif isinstance(action, ConditionalScope):
        outcome = _test(run, action.test)
        run.results.append((action.id, {"Test": outcome}))
        branch = action.if_true if outcome else action.if_false
        if branch is not None:
            _run_all(run, branch.actions)
    else:
        raise CsomFault(om.INVALID_QUERY, f"unsupported action {type(action).__name__}")


def _run_all(run: RequestState, actions: tuple[Action, ...]) -> None:
    for nested in actions:
        _action(run, nested)


def _guarded(run: RequestState, actions: tuple[Action, ...]) -> CsomFault | None:
    try:
        _run_all(run, actions)
    except CsomFault as fault:
        return fault
    return None


def _scope_result(run: RequestState, fault: CsomFault | None) -> dict[str, Any]:
    return {
        "HasException": fault is not None,
        "ErrorInfo": error_info(fault, run.ctx.correlation_id).to_json() if fault else None,
    }


_COMPARE = {
    "EQ": lambda a, b: a == b,
    "NE": lambda a, b: a != b,
    "GT": lambda a, b: a > b,
    "GE": lambda a, b: a >= b,
    "LT": lambda a, b: a < b,
    "LE": lambda a, b: a <= b,
}


def _test(run: RequestState, node: Expression | ExpressionConstant) -> Any:
    """Evaluate a ConditionalScope test: comparisons and logic over properties and constants."""
    if isinstance(node, ExpressionConstant):
        return _plain(run, node.value)
    operands = [_test(run, o) for o in node.operands]
    try:
        if node.tag in _COMPARE and len(operands) == 2:
            return bool(_COMPARE[node.tag](*operands))
        if node.tag == "AND":
            return all(operands)
        if node.tag == "OR":
            return any(operands)
        if node.tag == "NOT" and len(operands) == 1:
            return not operands[0]
        if node.tag == "ExpressionProperty" and len(operands) == 1 and isinstance(operands[0], ServerObject):
            return _get_property(run, operands[0], node.attributes.get("Name", ""))
    except TypeError:
        raise CsomFault(om.INVALID_QUERY, f"cannot compare the operands of {node.tag}") from None
    raise CsomFault(om.INVALID_QUERY, f"unsupported expression {node.tag} in a ConditionalScope test")
