"""What the CSOM faults need to know about a request: its parsed form, the spec type of each object
path, the methods it calls, and how to send a changed version.

Types are inferred from the spec tables alone (a constructor's TypeId, then each property's type
and each method's return type), so this works for any target and names the exact spec section
a fault hits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from functools import cache
from typing import Any
from uuid import UUID

from conformance.faults.model import Change, HttpRequest
from conformance.model.catalogue import WM, Catalogue, catalogue
from conformance.spec.model import Method as SpecMethod
from conformance.spec.model import Property as SpecProperty
from conformance.spec.model import SpecType
from conformance.wire import (
    Action,
    Constructor,
    CsomValue,
    ExceptionHandlingScopeSimple,
    Method,
    MethodAction,
    ObjectPath,
    Property,
    Query,
    Request,
    Scope,
    StaticProperty,
    WireError,
    parse_request,
    to_xml,
)

# MS-CSOM sections, as /work/shared/notes/csom-wire.md quotes them (we have no MS-CSOM text)
MS_CSOM = "ms-csom"
HEADER = "3.1.4.1.8.1.5"  # Response Header JSON Value
ERROR_VALUE = "3.1.4.1.8.1.2"  # CSOM Error JSON Value
STRUCTURE = "3.1.4.1.8.2"  # JSON Response Structure
# the CSOM value types' JSON values, whose special strings are "\/Date(…)\/", "\/Guid(…)\/" and
# "\/Base64Binary(…)\/" (the notes quote 2.2.5.1.2, CSOM Binary JSON Value, which spells the escaped solidus)
SPECIAL_VALUE = "2.2.5"
DIGEST = "MS-CSOMSPT 2.2.1"  # the form-digest errors
PROCESSING = "3.1.4.1.1.1"  # ProcessQueryIn: the closest section the notes give for request processing


@cache
def spec() -> Catalogue:
    return catalogue()


@cache
def _by_short_name() -> Mapping[str, SpecType]:
    return {t.short_name: t for t in spec().types.values() if t.short_name}


@cache
def _by_type_id() -> Mapping[UUID, SpecType]:
    return {UUID(t.type_id): t for t in spec().types.values() if t.type_id}


def integer(value: Any) -> int | None:
    """The integer a request value or JSON value holds (a plain int or a typed ``CsomValue``; not a
    Boolean), else None."""
    if isinstance(value, CsomValue):
        value = value.value
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def type_named(short_name: Any) -> SpecType | None:
    """The spec type an ``_ObjectType_`` names, if either spec defines it."""
    return _by_short_name().get(short_name) if isinstance(short_name, str) else None


def protocol_of(spec_type: SpecType) -> str:
    return spec().protocol_of[spec_type.name]


def member(spec_type: SpecType | None, name: str) -> SpecProperty | None:
    return next((p for p in spec_type.properties if p.name == name), None) if spec_type else None


def method_of(spec_type: SpecType | None, name: str) -> SpecMethod | None:
    return next((m for m in spec_type.methods if m.name == name), None) if spec_type else None


def wm_method_section(type_name: str, method: str) -> str:
    """A Work Management method's section, for the catalogue (fails loudly if the spec changes)."""
    found = method_of(spec().types[WM + type_name], method)
    if found is None:
        raise KeyError(f"{type_name}.{method} is not in the MS-WMCSOM data")
    return found.section


def property_change(short_name: Any, name: str, detail: str) -> Change:
    """A change to a property of an object: named by the property's own section when a spec defines
    it, else by MS-CSOM's response structure."""
    spec_type = type_named(short_name)
    prop = member(spec_type, name)
    if spec_type is not None and prop is not None:
        return Change(protocol_of(spec_type), prop.section, detail)
    if spec_type is not None:
        return Change(protocol_of(spec_type), spec_type.section, detail)
    return Change(MS_CSOM, STRUCTURE, detail)


def method_change(spec_type: SpecType | None, name: str, detail: str, fallback: tuple[str, str]) -> Change:
    """A change to a call: the method's section on the type it is called on, else ``fallback``."""
    method = method_of(spec_type, name)
    if spec_type is None or method is None:
        return Change(*fallback, detail)
    return Change(protocol_of(spec_type), method.section, detail)


# ------------------------------------------------------------------------------------------ requests


def parse(request: HttpRequest) -> Request | None:
    """The ProcessQuery request, or None when it is not one the codec accepts."""
    if request.method != "POST" or request.endpoint != "csom":
        return None
    try:
        return parse_request(request.body)
    except (WireError, ValueError):
        return None


def with_request(http: HttpRequest, request: Request) -> HttpRequest:
    """``http`` carrying ``request`` as its body instead."""
    return replace(http, body=to_xml(request))


class Typed:
    """The spec types of a request's object paths (None where the spec tables cannot tell)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self._types: dict[int, SpecType | None] = {}

    def of(self, path_id: int) -> SpecType | None:
        pending = [path_id]
        while pending:  # parents first, without recursion (validate_request refused cycles)
            current = pending[-1]
            path = self.request.paths_by_id.get(current)
            parent = getattr(path, "parent_id", None)
            if parent is not None and parent not in self._types:
                pending.append(parent)
                continue
            pending.pop()
            if current not in self._types:
                self._types[current] = self._evaluate(
                    path, self._types.get(parent) if parent is not None else None
                )
        return self._types[path_id]

    @staticmethod
    def _evaluate(path: ObjectPath | None, parent: SpecType | None) -> SpecType | None:
        if isinstance(path, Constructor) or (isinstance(path, StaticProperty) and path.name == "Current"):
            return _by_type_id().get(path.type_id)  # a new object, or the type's current one
        if isinstance(path, Property):
            prop = member(parent, path.name)
            return spec().types.get(prop.type) if prop else None
        if isinstance(path, Method):
            method = method_of(parent, path.name)
            return spec().types.get(method.return_type or "") if method else None
        return None

    def method(self, node: Method | MethodAction) -> tuple[SpecType | None, SpecMethod | None]:
        """The type a call is made on and the spec method it calls."""
        owner = self.of(node.parent_id if isinstance(node, Method) else node.object_path_id)
        return owner, method_of(owner, node.name)


def calls(request: Request, name: str) -> Iterator[Method | MethodAction]:
    """Every call of method ``name``: Method object paths and Method actions (also inside scopes)."""
    for path in request.object_paths:
        if isinstance(path, Method) and path.name == name:
            yield path
    for action in request.iter_actions():
        if isinstance(action, MethodAction) and action.name == name:
            yield action


def queries_on(request: Request, path_ids: set[int]) -> Iterator[Query]:
    """The Query actions that read one of ``path_ids``."""
    for action in request.iter_actions():
        if isinstance(action, Query) and action.object_path_id in path_ids:
            yield action


def result_ids(request: Request, call: Method | MethodAction) -> set[int]:
    """The action ids whose results hold what ``call`` returned: its own (a Method action) or the
    Query actions on its path (a Method object path)."""
    if isinstance(call, MethodAction):
        return {call.id}
    return {query.id for query in queries_on(request, {call.id})}


_BODIES = (
    "try_scope",
    "catch_scope",
    "finally_scope",
    "if_true",
    "if_false",
)  # scope bodies of scope actions


def map_actions(request: Request, change: Callable[[Action], Action | None]) -> Request:
    """``request`` with every action (also inside scopes) replaced by ``change(action)``; None drops it."""

    def each(actions: tuple[Any, ...]) -> tuple[Any, ...]:
        kept = []
        for action in actions:
            action = change(action)
            if action is not None:
                kept.append(_inside(action, each))
        return tuple(kept)

    return replace(request, actions=each(request.actions))


def _inside(node: Any, each: Callable[[tuple[Any, ...]], tuple[Any, ...]]) -> Any:
    """A scope-like node with ``each`` applied to the action lists it holds."""
    if isinstance(node, ExceptionHandlingScopeSimple | Scope):
        return replace(node, actions=each(node.actions))
    scopes = {name: _inside(getattr(node, name), each) for name in _BODIES if getattr(node, name, None)}
    return replace(node, **scopes) if scopes else node


def map_paths(request: Request, change: Callable[[ObjectPath], ObjectPath]) -> Request:
    return replace(request, object_paths=tuple(change(path) for path in request.object_paths))


def _scoped(node: Any) -> tuple[Any, ...]:
    """The action lists and scope bodies directly inside a scope-like node."""
    if isinstance(node, ExceptionHandlingScopeSimple | Scope):
        return node.actions
    return tuple(getattr(node, name) for name in _BODIES if getattr(node, name, None))


def taken_ids(request: Request) -> set[int]:
    """Every id the request uses: object paths, actions, scope bodies."""
    taken = {path.id for path in request.object_paths}
    pending = list(request.actions)
    while pending:
        node = pending.pop()
        taken.add(node.id)
        pending.extend(_scoped(node))
    return taken


def evaluated(request: Request, path_id: int) -> bool:
    """Whether some action reaches object path ``path_id`` (its own path or one below it), so that
    the server evaluates it."""
    for action in request.iter_actions():
        current = getattr(action, "object_path_id", None)
        while current is not None:
            if current == path_id:
                return True
            current = getattr(request.paths_by_id.get(current), "parent_id", None)
    return False
