"""The ProcessQuery request's nodes: object paths, query specs, actions, scopes and the ``<Request>``.

A request is a list of actions (run in document order) and a set of object paths (how to reach server
objects, resolved by Id, never by document order). Actions, object paths and scopes share one Id space.

The nodes do not validate themselves, so that negative tests can build broken requests on purpose;
:func:`~conformance.wire.parse_request` (and :func:`~conformance.wire.validate_request`) reject
duplicate Ids, dangling references and object-path cycles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache, cached_property
from typing import Any, TypeAlias
from uuid import UUID

from ._values import Value, as_uuid, normalize


def _normalize_all(values: Iterable[Any]) -> tuple[Value, ...]:
    return tuple(normalize(value) for value in values)


# How _Node normalises a field, by field name; fields not named here are kept as given.
_NORMALIZERS: Mapping[str, Any] = {
    "type_id": as_uuid,
    "parameters": _normalize_all,
    "value": normalize,
    "actions": tuple,
    "object_paths": tuple,
    "operands": tuple,
    "properties": tuple,
    "attributes": dict,
}


@cache
def _normalized_fields(cls: type) -> tuple[tuple[str, Any], ...]:
    # once per class, not per instance: dataclasses.fields() is slow next to a request's parse
    return tuple((f.name, _NORMALIZERS[f.name]) for f in fields(cls) if f.name in _NORMALIZERS)


class _Node:
    """Normalises a model dataclass's fields by name, so that every way of constructing one (builder,
    parser, hand-written) gives the same canonical form: GUID text → UUID, values → :func:`normalize`,
    sequences → tuples."""

    def __post_init__(self) -> None:
        for name, convert in _normalized_fields(type(self)):
            object.__setattr__(self, name, convert(getattr(self, name)))


# ------------------------------------------------------------------------------------ object paths


@dataclass(frozen=True)
class Constructor(_Node):
    """``<Constructor Id TypeId>``: a new server object, e.g. ``new UserSettingsManager(ctx)``."""

    id: int
    type_id: UUID
    parameters: tuple[Value, ...] = ()


@dataclass(frozen=True)
class StaticProperty(_Node):
    """``<StaticProperty Id TypeId Name>``, e.g. ``SP.ClientContext.Current``."""

    id: int
    type_id: UUID
    name: str


@dataclass(frozen=True)
class StaticMethod(_Node):
    """``<StaticMethod Id Name TypeId>``: the object returned by a static method."""

    id: int
    type_id: UUID
    name: str
    parameters: tuple[Value, ...] = ()


@dataclass(frozen=True)
class Property(_Node):
    """``<Property Id ParentId Name>``: an object-valued property of the parent path."""

    id: int
    parent_id: int
    name: str


@dataclass(frozen=True)
class Method(_Node):
    """``<Method Id ParentId Name>``: the object returned by calling a method on the parent path."""

    id: int
    parent_id: int
    name: str
    parameters: tuple[Value, ...] = ()


@dataclass(frozen=True)
class Identity(_Node):
    """``<Identity Id Name>``: an object re-found by a server-issued ``_ObjectIdentity_`` (opaque text)."""

    id: int
    name: str


ObjectPath: TypeAlias = Constructor | StaticProperty | StaticMethod | Property | Method | Identity


# ----------------------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class QueryProperty(_Node):
    """``<Property Name [SelectAll] [ScalarProperty]>`` in a query, optionally with nested queries."""

    name: str
    select_all: bool | None = None
    scalar_property: bool | None = None
    query: QuerySpec | None = None
    child_item_query: QuerySpec | None = None


@dataclass(frozen=True)
class QuerySpec(_Node):
    """``<Query SelectAllProperties>`` / ``<ChildItemQuery …>``: what to return about an object."""

    select_all_properties: bool = True
    properties: tuple[QueryProperty, ...] = ()

    @classmethod
    def select(cls, *names: str) -> QuerySpec:
        """JSOM's ``ctx.load(obj, 'A', 'B')`` (and the inside of ``'Include(A,B)'``)."""
        return cls(False, tuple(QueryProperty(name, select_all=True) for name in names))


SELECT_ALL = QuerySpec(select_all_properties=True)
"""JSOM's ``ctx.load(obj)``: the type's default scalar properties."""


# ----------------------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class ObjectPathAction(_Node):
    """``<ObjectPath Id ObjectPathId>``: instantiate a path; answered by ``{"IsNull": bool}``."""

    id: int
    object_path_id: int


@dataclass(frozen=True)
class Query(_Node):
    """``<Query Id ObjectPathId>``: read an object (``query``) and, for collections, its items."""

    id: int
    object_path_id: int
    query: QuerySpec | None = SELECT_ALL
    child_item_query: QuerySpec | None = None


@dataclass(frozen=True)
class MethodAction(_Node):
    """``<Method Name Id ObjectPathId [Version]>``: call a method for its (scalar) result or effect."""

    id: int
    object_path_id: int
    name: str
    parameters: tuple[Value, ...] = ()
    version: str | None = None


@dataclass(frozen=True)
class StaticMethodAction(_Node):
    """``<StaticMethod TypeId Name Id>``: call a static method."""

    id: int
    type_id: UUID
    name: str
    parameters: tuple[Value, ...] = ()


@dataclass(frozen=True)
class SetProperty(_Node):
    """``<SetProperty Id ObjectPathId Name>`` with one ``<Parameter>``; produces no response pair."""

    id: int
    object_path_id: int
    name: str
    value: Value


@dataclass(frozen=True)
class SetStaticProperty(_Node):
    """``<SetStaticProperty Id TypeId Name>`` with one ``<Parameter>``."""

    id: int
    type_id: UUID
    name: str
    value: Value


@dataclass(frozen=True)
class ObjectIdentityQuery(_Node):
    """``<ObjectIdentityQuery Id ObjectPathId>``: answered by ``{"_ObjectIdentity_": "…"}``."""

    id: int
    object_path_id: int


@dataclass(frozen=True)
class ExceptionHandlingScopeSimple(_Node):
    """Nested actions; the first unhandled error stops them and is reported in the scope's result."""

    id: int
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Scope(_Node):
    """The body of a ``TryScope``/``CatchScope``/``FinallyScope``/``IfTrueScope``/``IfFalseScope``."""

    id: int
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class ExceptionHandlingScope(_Node):
    """``<ExceptionHandlingScope Id>`` with ``TryScope`` and optional ``CatchScope``/``FinallyScope``."""

    id: int
    try_scope: Scope
    catch_scope: Scope | None = None
    finally_scope: Scope | None = None


# Expression elements of a ConditionalScope test (names from JSOM's constants). Only their shape is
# modelled: attributes and operands are kept as written, constants are decoded like parameters.
EXPRESSION_TAGS = frozenset(
    {
        "EQ", "NE", "GT", "GE", "LT", "LE", "AND", "OR", "NOT",
        "ExpressionParameter", "ExpressionProperty", "ExpressionStaticProperty", "ExpressionMethod",
        "ExpressionStaticMethod", "ExpressionConvert", "ExpressionTypeIs",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ExpressionConstant(_Node):
    """``<ExpressionConstant …>``: a value encoded like a ``<Parameter>``."""

    value: Value


@dataclass(frozen=True)
class Expression(_Node):
    """Any other expression element, e.g. ``<EQ>`` or ``<ExpressionProperty Name="Title">``."""

    tag: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    operands: tuple[Expression | ExpressionConstant, ...] = ()

    def __post_init__(self) -> None:
        if self.tag not in EXPRESSION_TAGS:
            raise ValueError(f"unknown expression element {self.tag!r}")
        super().__post_init__()


@dataclass(frozen=True)
class ConditionalScope(_Node):
    """``<ConditionalScope Id>``: ``<Test><Body>expr</Body></Test>`` then ``IfTrueScope``/``IfFalseScope``."""

    id: int
    test: Expression | ExpressionConstant
    if_true: Scope | None = None
    if_false: Scope | None = None


Action: TypeAlias = (
    ObjectPathAction | Query | MethodAction | StaticMethodAction | SetProperty | SetStaticProperty
    | ObjectIdentityQuery | ExceptionHandlingScopeSimple | ExceptionHandlingScope | ConditionalScope
)  # fmt: skip


# ----------------------------------------------------------------------------------------- request


@dataclass(frozen=True)
class Request(_Node):
    """A whole ``<Request>``: ``object_paths`` are kept in document order (to re-emit bodies as written)."""

    schema_version: str = "15.0.0.0"
    library_version: str = "16.0.0.0"
    application_name: str | None = "Javascript Library"
    actions: tuple[Action, ...] = ()
    object_paths: tuple[ObjectPath, ...] = ()
    add_expando_field_type_suffix: bool = False

    @cached_property
    def paths_by_id(self) -> Mapping[int, ObjectPath]:
        return {path.id: path for path in self.object_paths}

    def iter_actions(self) -> Iterator[Action]:
        """Every action in document order, descending into scopes (scope bodies themselves excluded)."""
        return (node for node in walk_scoped(self.actions) if not isinstance(node, Scope))


def nested(node: Any) -> tuple[Any, ...]:
    """Actions and scope bodies directly inside a scope-like node, in document order."""
    match node:
        case ExceptionHandlingScopeSimple(actions=actions) | Scope(actions=actions):
            return actions
        case ExceptionHandlingScope(
            try_scope=try_scope, catch_scope=catch_scope, finally_scope=finally_scope
        ):
            return tuple(scope for scope in (try_scope, catch_scope, finally_scope) if scope is not None)
        case ConditionalScope(if_true=if_true, if_false=if_false):
            return tuple(scope for scope in (if_true, if_false) if scope is not None)
    return ()


def walk_scoped(actions: Sequence[Any]) -> Iterator[Any]:
    for action in actions:
        yield action
        yield from walk_scoped(nested(action))


# Each node class's element name, in a path or an action.
PATH_TAGS: Mapping[type, str] = {
    Constructor: "Constructor",
    StaticProperty: "StaticProperty",
    StaticMethod: "StaticMethod",
    Property: "Property",
    Method: "Method",
    Identity: "Identity",
}
ACTION_TAGS: Mapping[type, str] = {
    ObjectPathAction: "ObjectPath",
    Query: "Query",
    MethodAction: "Method",
    StaticMethodAction: "StaticMethod",
    SetProperty: "SetProperty",
    SetStaticProperty: "SetStaticProperty",
    ObjectIdentityQuery: "ObjectIdentityQuery",
    ExceptionHandlingScopeSimple: "ExceptionHandlingScopeSimple",
    ExceptionHandlingScope: "ExceptionHandlingScope",
    ConditionalScope: "ConditionalScope",
}
