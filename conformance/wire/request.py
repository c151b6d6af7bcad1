"""The ProcessQuery request: model, builder, XML writer (JSOM layout) and hardened XML parser.

A request is a list of actions (run in document order) and a set of object paths (how to reach server
objects, resolved by Id, never by document order). Actions, object paths and scopes share one Id space.

The model does not validate itself, so that negative tests can build broken requests on purpose;
:func:`parse_request` (and :func:`validate_request`) reject duplicate Ids, dangling references and
object-path cycles.
"""

from __future__ import annotations

import collections
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from functools import cache, cached_property
from typing import Any, TypeAlias
from uuid import UUID

from lxml import etree

from .errors import MalformedRequest, snippet
from .values import (
    NS,
    CsomValue,
    Null,
    ObjectPathRef,
    Value,
    as_uuid,
    bool_attribute,
    child_elements,
    decode_value,
    encode_value,
    format_bool,
    format_guid,
    id_attribute,
    local_name,
    malformed,
    normalize,
    qname,
    require_attribute,
    sub_element,
    type_id_attribute,
)


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
        return (node for node in _walk_scoped(self.actions) if not isinstance(node, Scope))


# Field names holding ids, all in the one Id space: a node's own id and its references.
_REFERENCE_FIELDS = frozenset({"object_path_id", "parent_id", "path_id"})
_NESTED_FIELDS = frozenset({"actions", "try_scope", "catch_scope", "finally_scope", "if_true", "if_false"})


def _nested(node: Any) -> tuple[Any, ...]:
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


def _walk_scoped(actions: Sequence[Any]) -> Iterator[Any]:
    for action in actions:
        yield action
        yield from _walk_scoped(_nested(action))


# Values that hold no reference, skipped without looking inside.
_LEAVES = frozenset({str, int, bool, float, bytes, UUID, type(None), datetime, Null, CsomValue})


@cache
def _reference_fields(cls: type) -> tuple[tuple[str, bool], ...]:
    """The fields of a model class that may hold references: (name, is itself a reference)."""
    return tuple((f.name, f.name in _REFERENCE_FIELDS) for f in fields(cls) if f.name not in _NESTED_FIELDS)


def _references(node: Any) -> Iterator[int]:
    """Object path ids that ``node`` refers to itself (not through nested actions), in field order."""
    if isinstance(node, tuple | list):
        for item in node:
            if type(item) not in _LEAVES:
                yield from _references(item)
    elif is_dataclass(node):  # before Mapping: an isinstance check against an ABC is slow
        for name, is_reference in _reference_fields(type(node)):
            value = getattr(node, name)
            if is_reference:
                yield value
            elif type(value) not in _LEAVES:
                yield from _references(value)
    elif isinstance(node, Mapping):
        for item in node.values():
            if type(item) not in _LEAVES:
                yield from _references(item)


def _renumber(node: Any, new_ids: Mapping[int, int]) -> Any:
    """``node`` with every own id and reference mapped through ``new_ids``."""
    if isinstance(node, tuple):
        return tuple(_renumber(item, new_ids) for item in node)
    if isinstance(node, dict):
        return {key: _renumber(item, new_ids) for key, item in node.items()}
    if is_dataclass(node) and not isinstance(node, type):
        changes = {}
        for f in fields(node):
            value = getattr(node, f.name)
            if f.name == "id" or f.name in _REFERENCE_FIELDS:
                changes[f.name] = new_ids[value]
            else:
                changes[f.name] = _renumber(value, new_ids)
        return replace(node, **changes)
    return node


def _describe(node: Any) -> str:
    tag = _ACTION_TAGS.get(type(node)) or _PATH_TAGS.get(type(node)) or "scope body"
    return f'<{tag} Id="{node.id}">'


def validate_request(request: Request) -> None:
    """Raise :class:`MalformedRequest` for duplicate Ids, references to no object path, or path cycles."""
    owners: dict[int, Any] = {}
    for node in itertools.chain(request.object_paths, _walk_scoped(request.actions)):
        if node.id in owners:
            raise MalformedRequest(
                f"duplicate Id {node.id}: {_describe(owners[node.id])} and {_describe(node)}"
            )
        owners[node.id] = node
    paths = request.paths_by_id
    for node in itertools.chain(request.object_paths, _walk_scoped(request.actions)):
        for reference in _references(node):
            if reference not in paths:
                what = f"the {_describe(owners[reference])}" if reference in owners else "nothing"
                raise MalformedRequest(
                    f"{_describe(node)} refers to object path {reference}, but that Id is {what}"
                )
    _dependencies_first(paths, paths, set())


def _dependencies_first(paths: Mapping[int, ObjectPath], start: Iterable[int], done: set[int]) -> list[int]:
    """The paths reachable from ``start`` and not yet ``done``, each after the paths it refers to.

    Iterative, so that a long chain of Property/Method paths cannot exhaust the Python stack; adds what
    it returns to ``done``. Raises :class:`MalformedRequest` on a cycle.
    """
    order: list[int] = []
    for root in start:
        if root in done:
            continue
        stack = [(root, _references(paths[root]))]
        on_stack = {root}
        while stack:
            path_id, references = stack[-1]
            for reference in references:
                if reference in on_stack:
                    trail = [entry[0] for entry in stack]
                    cycle = " -> ".join(str(i) for i in (*trail[trail.index(reference) :], reference))
                    raise MalformedRequest(
                        f"object paths refer to each other in a cycle: {snippet(cycle, 120)}"
                    )
                if reference not in done:
                    stack.append((reference, _references(paths[reference])))
                    on_stack.add(reference)
                    break
            else:
                stack.pop()
                on_stack.remove(path_id)
                done.add(path_id)
                order.append(path_id)
    return order


def canonical(request: Request) -> Request:
    """``request`` renumbered in a deterministic traversal order, object paths sorted by new Id.

    Two requests that do the same thing compare equal after this, whatever their Ids (JSOM 2013/2016 use
    a process-wide counter) and however their ObjectPaths are ordered. Traversal: actions in document
    order; before each action, the paths it refers to (parents and parameter paths first); then the
    action; then its nested actions. Paths no action reaches come last, ordered by their structure.
    """
    validate_request(request)
    paths = request.paths_by_id
    new_ids: dict[int, int] = {}
    numbered: set[int] = set()
    counter = itertools.count()

    def number_paths(start: Iterable[int]) -> None:
        for path_id in _dependencies_first(paths, start, numbered):
            new_ids[path_id] = next(counter)

    def visit_action(node: Any) -> None:
        number_paths(_references(node))
        new_ids[node.id] = next(counter)
        for child in _nested(node):
            visit_action(child)

    for action in request.actions:
        visit_action(action)
    # Paths no action reaches: start from those no other path refers to either, in order of their
    # structure (content with ids blanked, then that of the paths referred to), not document order.
    unreached = [path.id for path in request.object_paths if path.id not in numbered]
    shapes: dict[int, str] = {}
    for path_id in _dependencies_first(paths, unreached, set()):
        blanked = repr(_renumber(paths[path_id], collections.defaultdict(int)))
        shapes[path_id] = repr((blanked, [shapes[ref] for ref in _references(paths[path_id])]))
    referenced = {reference for path_id in unreached for reference in _references(paths[path_id])}
    number_paths(sorted((p for p in unreached if p not in referenced), key=shapes.__getitem__))
    renumbered = _renumber(request, new_ids)
    return replace(renumbered, object_paths=tuple(sorted(renumbered.object_paths, key=lambda path: path.id)))


# ----------------------------------------------------------------------------------------- builder


class RequestBuilder:
    """Builds a :class:`Request` the way JSOM does: one id counter for actions and object paths.

    Path methods return an :class:`ObjectPathRef` (usable as a parameter); action methods return the
    action id. With ``jsom_style`` (default) every new path gets an ``<ObjectPath>`` action right after
    it, and a query with a child-item query uses up one extra id (JSOM numbers the ChildItemQuery but
    never writes its id), so JSOM captures are reproduced byte for byte. ::

        b = RequestBuilder()
        mgr = b.construct(USER_SETTINGS_MANAGER)
        settings = b.method(mgr, "GetUserSettings")
        b.query(settings, QuerySpec.select("DaysAfterCurrentDateTimelineEnds"))
        body = to_xml(b.build())
    """

    def __init__(
        self,
        *,
        schema_version: str = "15.0.0.0",
        library_version: str = "16.0.0.0",
        application_name: str | None = "Javascript Library",
        first_id: int = 0,
        jsom_style: bool = True,
        add_expando_field_type_suffix: bool = False,
    ) -> None:
        self._header = {
            "schema_version": schema_version,
            "library_version": library_version,
            "application_name": application_name,
            "add_expando_field_type_suffix": add_expando_field_type_suffix,
        }
        self._ids = itertools.count(first_id)
        self._jsom_style = jsom_style
        self._paths: list[ObjectPath] = []
        self._open: list[list[Action]] = [[]]  # action lists: the request's, then each open scope's

    def _path(self, path: ObjectPath) -> ObjectPathRef:
        self._paths.append(path)
        if self._jsom_style:
            self.instantiate(ObjectPathRef(path.id))
        return ObjectPathRef(path.id)

    def _action(self, action: Action) -> int:
        self._open[-1].append(action)
        return action.id

    def construct(self, type_id: UUID | str, *parameters: Any) -> ObjectPathRef:
        return self._path(Constructor(next(self._ids), type_id, parameters))

    def static_property(self, type_id: UUID | str, name: str) -> ObjectPathRef:
        return self._path(StaticProperty(next(self._ids), type_id, name))

    def static_method(self, type_id: UUID | str, name: str, *parameters: Any) -> ObjectPathRef:
        return self._path(StaticMethod(next(self._ids), type_id, name, parameters))

    def property(self, parent: ObjectPathRef, name: str) -> ObjectPathRef:
        return self._path(Property(next(self._ids), parent.path_id, name))

    def method(self, parent: ObjectPathRef, name: str, *parameters: Any) -> ObjectPathRef:
        return self._path(Method(next(self._ids), parent.path_id, name, parameters))

    def identity(self, name: str) -> ObjectPathRef:
        return self._path(Identity(next(self._ids), name))

    def instantiate(self, target: ObjectPathRef) -> int:
        return self._action(ObjectPathAction(next(self._ids), target.path_id))

    def query(
        self,
        target: ObjectPathRef,
        query: QuerySpec | None = SELECT_ALL,
        child_items: QuerySpec | None = None,
    ) -> int:
        action_id = self._action(Query(next(self._ids), target.path_id, query, child_items))
        if child_items is not None and self._jsom_style:
            next(self._ids)
        return action_id

    def call(self, target: ObjectPathRef, name: str, *parameters: Any, version: str | None = None) -> int:
        return self._action(MethodAction(next(self._ids), target.path_id, name, parameters, version))

    def call_static(self, type_id: UUID | str, name: str, *parameters: Any) -> int:
        return self._action(StaticMethodAction(next(self._ids), type_id, name, parameters))

    def set_property(self, target: ObjectPathRef, name: str, value: Any) -> int:
        return self._action(SetProperty(next(self._ids), target.path_id, name, value))

    def set_static_property(self, type_id: UUID | str, name: str, value: Any) -> int:
        return self._action(SetStaticProperty(next(self._ids), type_id, name, value))

    def object_identity_query(self, target: ObjectPathRef) -> int:
        return self._action(ObjectIdentityQuery(next(self._ids), target.path_id))

    @contextmanager
    def exception_scope(self) -> Iterator[int]:
        """``with b.exception_scope() as scope_id:`` — actions added inside go into an
        ``ExceptionHandlingScopeSimple`` (numbered before its body, as JSOM does)."""
        scope_id = next(self._ids)
        body: list[Action] = []
        self._open.append(body)
        try:
            yield scope_id
        finally:
            self._open.pop()
        self._action(ExceptionHandlingScopeSimple(scope_id, tuple(body)))

    def build(self) -> Request:
        if len(self._open) != 1:
            raise RuntimeError("build() inside an open exception_scope()")
        return Request(actions=tuple(self._open[0]), object_paths=tuple(self._paths), **self._header)


# ------------------------------------------------------------------------------------------ writer

_PATH_TAGS: Mapping[type, str] = {
    Constructor: "Constructor",
    StaticProperty: "StaticProperty",
    StaticMethod: "StaticMethod",
    Property: "Property",
    Method: "Method",
    Identity: "Identity",
}
_ACTION_TAGS: Mapping[type, str] = {
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


def to_xml(request: Request) -> bytes:
    """The request body in JSOM's layout: default namespace, no XML declaration, no whitespace,
    ``Actions`` then ``ObjectPaths``, JSOM's attribute order, braced lower-case GUIDs, ``<X />``."""
    root = etree.Element(qname("Request"), nsmap={None: NS})
    if request.add_expando_field_type_suffix:
        root.set("AddExpandoFieldTypeSuffix", "true")
    root.set("SchemaVersion", request.schema_version)
    root.set("LibraryVersion", request.library_version)
    if request.application_name is not None:
        root.set("ApplicationName", request.application_name)
    _write_actions(sub_element(root, "Actions"), request.actions)
    paths = sub_element(root, "ObjectPaths")
    for path in request.object_paths:
        _write_path(paths, path)
    # lxml writes "<X/>"; JSOM writes "<X />". ">" is escaped in text and attributes, so "/>" only
    # ever closes an empty element.
    return etree.tostring(root, encoding="utf-8").replace(b"/>", b" />")


def _write_parameters(element: etree._Element, parameters: tuple[Value, ...]) -> None:
    if parameters:  # JSOM writes <Parameters> only when there are some
        container = sub_element(element, "Parameters")
        for parameter in parameters:
            container.append(encode_value(parameter))


def _write_path(parent: etree._Element, path: ObjectPath) -> None:
    match path:
        case Constructor(id=id_, type_id=type_id, parameters=parameters):
            element = sub_element(parent, "Constructor", ("Id", str(id_)), ("TypeId", format_guid(type_id)))
            _write_parameters(element, parameters)
        case StaticProperty(id=id_, type_id=type_id, name=name):
            sub_element(
                parent, "StaticProperty", ("Id", str(id_)), ("TypeId", format_guid(type_id)), ("Name", name)
            )
        case StaticMethod(id=id_, type_id=type_id, name=name, parameters=parameters):
            attributes = (("Id", str(id_)), ("Name", name), ("TypeId", format_guid(type_id)))
            _write_parameters(sub_element(parent, "StaticMethod", *attributes), parameters)
        case Property(id=id_, parent_id=parent_id, name=name):
            sub_element(parent, "Property", ("Id", str(id_)), ("ParentId", str(parent_id)), ("Name", name))
        case Method(id=id_, parent_id=parent_id, name=name, parameters=parameters):
            attributes = (("Id", str(id_)), ("ParentId", str(parent_id)), ("Name", name))
            _write_parameters(sub_element(parent, "Method", *attributes), parameters)
        case Identity(id=id_, name=name):
            sub_element(parent, "Identity", ("Id", str(id_)), ("Name", name))


def _write_query_spec(parent: etree._Element, tag: str, spec: QuerySpec | None) -> None:
    if spec is None:
        return
    element = sub_element(parent, tag, ("SelectAllProperties", format_bool(spec.select_all_properties)))
    properties = sub_element(element, "Properties")
    for prop in spec.properties:
        attributes = [("Name", prop.name)]
        if prop.select_all is not None:
            attributes.append(("SelectAll", format_bool(prop.select_all)))
        if prop.scalar_property is not None:
            attributes.append(("ScalarProperty", format_bool(prop.scalar_property)))
        item = sub_element(properties, "Property", *attributes)
        _write_query_spec(item, "Query", prop.query)
        _write_query_spec(item, "ChildItemQuery", prop.child_item_query)


def _write_actions(parent: etree._Element, actions: Sequence[Action]) -> None:
    for action in actions:
        _write_action(parent, action)


def _write_scope(parent: etree._Element, tag: str, scope: Scope | None) -> None:
    if scope is not None:
        _write_actions(sub_element(parent, tag, ("Id", str(scope.id))), scope.actions)


def _write_expression(parent: etree._Element, expression: Expression | ExpressionConstant) -> None:
    if isinstance(expression, ExpressionConstant):
        parent.append(encode_value(expression.value, "ExpressionConstant"))
        return
    element = sub_element(parent, expression.tag, *expression.attributes.items())
    for operand in expression.operands:
        _write_expression(element, operand)


def _write_action(parent: etree._Element, action: Action) -> None:
    ids = (("Id", str(action.id)),)
    match action:
        case ObjectPathAction(object_path_id=path_id) | ObjectIdentityQuery(object_path_id=path_id):
            sub_element(parent, _ACTION_TAGS[type(action)], *ids, ("ObjectPathId", str(path_id)))
        case Query(object_path_id=path_id, query=query, child_item_query=child_item_query):
            element = sub_element(parent, "Query", *ids, ("ObjectPathId", str(path_id)))
            _write_query_spec(element, "Query", query)
            _write_query_spec(element, "ChildItemQuery", child_item_query)
        case MethodAction(object_path_id=path_id, name=name, parameters=parameters, version=version):
            attributes = [("Name", name), *ids, ("ObjectPathId", str(path_id))]
            if version is not None:
                attributes.append(("Version", version))
            _write_parameters(sub_element(parent, "Method", *attributes), parameters)
        case StaticMethodAction(type_id=type_id, name=name, parameters=parameters):
            element = sub_element(
                parent, "StaticMethod", ("TypeId", format_guid(type_id)), ("Name", name), *ids
            )
            _write_parameters(element, parameters)
        case SetProperty(object_path_id=path_id, name=name, value=value):
            element = sub_element(parent, "SetProperty", *ids, ("ObjectPathId", str(path_id)), ("Name", name))
            element.append(encode_value(value))
        case SetStaticProperty(type_id=type_id, name=name, value=value):
            attributes = (*ids, ("TypeId", format_guid(type_id)), ("Name", name))
            sub_element(parent, "SetStaticProperty", *attributes).append(encode_value(value))
        case ExceptionHandlingScopeSimple(actions=actions):
            _write_actions(sub_element(parent, "ExceptionHandlingScopeSimple", *ids), actions)
        case ExceptionHandlingScope(
            try_scope=try_scope, catch_scope=catch_scope, finally_scope=finally_scope
        ):
            element = sub_element(parent, "ExceptionHandlingScope", *ids)
            _write_scope(element, "TryScope", try_scope)
            _write_scope(element, "CatchScope", catch_scope)
            _write_scope(element, "FinallyScope", finally_scope)
        case ConditionalScope(test=test, if_true=if_true, if_false=if_false):
            element = sub_element(parent, "ConditionalScope", *ids)
            _write_expression(sub_element(sub_element(element, "Test"), "Body"), test)
            _write_scope(element, "IfTrueScope", if_true)
            _write_scope(element, "IfFalseScope", if_false)


# ------------------------------------------------------------------------------------------ parser

_PROLOG_END = re.compile(rb"<[^?!]")


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers must not be shared between threads (the reference server
    # may parse concurrently). No DTD loading, no entity resolution, no network, no huge trees.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


_DTD_REJECTED = "DOCTYPE/entity declarations are not allowed in a request"


def parse_request(body: bytes | str) -> Request:
    """Parse and validate a ProcessQuery request body; raise :class:`MalformedRequest` if unacceptable."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    # Reject a DTD before libxml2 reads it (billion laughs, external entities); the docinfo check
    # below catches one in encodings this byte scan cannot see (UTF-16/32).
    prolog_end = _PROLOG_END.search(data)
    if b"<!DOCTYPE" in data[: prolog_end.start() if prolog_end else len(data)]:
        raise MalformedRequest(_DTD_REJECTED)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise MalformedRequest(f"not well-formed XML: {snippet(str(error), 200)}") from None
    if root.getroottree().docinfo.doctype:
        raise MalformedRequest(_DTD_REJECTED)
    if root.tag != qname("Request"):
        raise MalformedRequest(f"root element is {snippet(root.tag, 120)}, expected {{{NS}}}Request")
    parts = _children_by_name(root, "Actions", "ObjectPaths")
    request = Request(
        schema_version=require_attribute(root, "SchemaVersion"),
        library_version=require_attribute(root, "LibraryVersion"),
        application_name=root.get("ApplicationName"),
        actions=_parse_actions(parts["Actions"]) if "Actions" in parts else (),
        object_paths=tuple(_parse_path(child) for child in child_elements(parts["ObjectPaths"]))
        if "ObjectPaths" in parts
        else (),
        add_expando_field_type_suffix=bool(bool_attribute(root, "AddExpandoFieldTypeSuffix")),
    )
    validate_request(request)
    return request


def _children_by_name(element: etree._Element, *allowed: str) -> dict[str, etree._Element]:
    """The element children of ``element``, each of a distinct allowed name."""
    found: dict[str, etree._Element] = {}
    for child in child_elements(element):
        name = local_name(child)
        if name not in allowed:
            expected = ", ".join(f"<{n}>" for n in allowed) or "no elements"
            raise malformed(child, f"unexpected element in <{local_name(element)}> (expected {expected})")
        if name in found:
            raise malformed(child, f"more than one <{name}> in <{local_name(element)}>")
        found[name] = child
    return found


def _parse_parameters(element: etree._Element) -> tuple[Value, ...]:
    container = _children_by_name(element, "Parameters").get("Parameters")
    if container is None:
        return ()
    parameters = child_elements(container)
    for parameter in parameters:
        if local_name(parameter) != "Parameter":
            raise malformed(parameter, "expected <Parameter> in <Parameters>")
    return tuple(decode_value(parameter) for parameter in parameters)


def _parse_path(element: etree._Element) -> ObjectPath:
    tag = local_name(element)
    path_id = id_attribute(element, "Id")
    if tag == "Constructor":
        return Constructor(path_id, type_id_attribute(element), _parse_parameters(element))
    if tag == "StaticMethod":
        name = require_attribute(element, "Name")
        return StaticMethod(path_id, type_id_attribute(element), name, _parse_parameters(element))
    if tag == "Method":
        parent_id = id_attribute(element, "ParentId")
        return Method(path_id, parent_id, require_attribute(element, "Name"), _parse_parameters(element))
    if tag not in ("StaticProperty", "Property", "Identity"):
        raise malformed(element, "unknown object path element")
    _children_by_name(element)
    if tag == "StaticProperty":
        return StaticProperty(path_id, type_id_attribute(element), require_attribute(element, "Name"))
    if tag == "Property":
        return Property(path_id, id_attribute(element, "ParentId"), require_attribute(element, "Name"))
    return Identity(path_id, require_attribute(element, "Name"))


def _parse_query_spec(element: etree._Element | None) -> QuerySpec | None:
    if element is None:
        return None
    select_all = bool_attribute(element, "SelectAllProperties")
    if select_all is None:
        raise malformed(element, "missing attribute SelectAllProperties")
    container = _children_by_name(element, "Properties").get("Properties")
    properties = []
    for item in child_elements(container) if container is not None else ():
        if local_name(item) != "Property":
            raise malformed(item, "expected <Property> in <Properties>")
        nested = _children_by_name(item, "Query", "ChildItemQuery")
        properties.append(
            QueryProperty(
                require_attribute(item, "Name"),
                select_all=bool_attribute(item, "SelectAll"),
                scalar_property=bool_attribute(item, "ScalarProperty"),
                query=_parse_query_spec(nested.get("Query")),
                child_item_query=_parse_query_spec(nested.get("ChildItemQuery")),
            )
        )
    return QuerySpec(select_all, tuple(properties))


def _parse_actions(element: etree._Element) -> tuple[Action, ...]:
    return tuple(_parse_action(child) for child in child_elements(element))


def _single_parameter(element: etree._Element) -> Value:
    children = child_elements(element)
    if len(children) != 1 or local_name(children[0]) != "Parameter":
        raise malformed(element, "needs exactly one <Parameter>")
    return decode_value(children[0])


def _parse_scope(element: etree._Element | None) -> Scope | None:
    return None if element is None else Scope(id_attribute(element, "Id"), _parse_actions(element))


def _parse_expression(element: etree._Element) -> Expression | ExpressionConstant:
    tag = local_name(element)
    if tag == "ExpressionConstant":
        return ExpressionConstant(decode_value(element))
    if tag not in EXPRESSION_TAGS:
        raise malformed(element, "unknown expression element")
    operands = tuple(_parse_expression(child) for child in child_elements(element))
    return Expression(tag, dict(element.attrib), operands)


def _parse_test(scope: etree._Element, element: etree._Element | None) -> Expression | ExpressionConstant:
    if element is None:
        raise malformed(scope, "needs a <Test>")
    body = _children_by_name(element, "Body").get("Body")
    expressions = child_elements(body) if body is not None else []
    if len(expressions) != 1:
        raise malformed(element, "needs <Body> with exactly one expression")
    return _parse_expression(expressions[0])


def _parse_action(element: etree._Element) -> Action:
    tag = local_name(element)
    action_id = id_attribute(element, "Id")
    if tag == "ExceptionHandlingScopeSimple":
        return ExceptionHandlingScopeSimple(action_id, _parse_actions(element))
    if tag == "ExceptionHandlingScope":
        scopes = _children_by_name(element, "TryScope", "CatchScope", "FinallyScope")
        if "TryScope" not in scopes:
            raise malformed(element, "needs a <TryScope>")
        return ExceptionHandlingScope(
            action_id,
            *(_parse_scope(scopes.get(name)) for name in ("TryScope", "CatchScope", "FinallyScope")),
        )
    if tag == "ConditionalScope":
        parts = _children_by_name(element, "Test", "IfTrueScope", "IfFalseScope")
        return ConditionalScope(
            action_id, _parse_test(element, parts.get("Test")), _parse_scope(parts.get("IfTrueScope")),
            _parse_scope(parts.get("IfFalseScope")),
        )  # fmt: skip
    if tag in ("StaticMethod", "SetStaticProperty"):
        type_id, name = type_id_attribute(element), require_attribute(element, "Name")
        if tag == "StaticMethod":
            return StaticMethodAction(action_id, type_id, name, _parse_parameters(element))
        return SetStaticProperty(action_id, type_id, name, _single_parameter(element))
    if tag not in ("ObjectPath", "ObjectIdentityQuery", "Query", "Method", "SetProperty"):
        raise malformed(element, "unknown action element")
    path_id = id_attribute(element, "ObjectPathId")
    if tag == "Query":
        specs = _children_by_name(element, "Query", "ChildItemQuery")
        return Query(
            action_id,
            path_id,
            _parse_query_spec(specs.get("Query")),
            _parse_query_spec(specs.get("ChildItemQuery")),
        )
    if tag == "Method":
        name = require_attribute(element, "Name")
        return MethodAction(action_id, path_id, name, _parse_parameters(element), element.get("Version"))
    if tag == "SetProperty":
        return SetProperty(action_id, path_id, require_attribute(element, "Name"), _single_parameter(element))
    _children_by_name(element)
    return (
        ObjectPathAction(action_id, path_id)
        if tag == "ObjectPath"
        else ObjectIdentityQuery(action_id, path_id)
    )
