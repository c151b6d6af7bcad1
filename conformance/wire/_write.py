"""Writing a request as XML in JSOM's layout, and the encoded-value XML of its parameters.

The encoded-value XML is shared by ``<Parameter>``, ``<Object>`` (array items), ``<Property>``
(dictionary entries and value-object members) and ``<ExpressionConstant>``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from lxml import etree

from ._nodes import (
    ACTION_TAGS,
    Action,
    ConditionalScope,
    Constructor,
    ExceptionHandlingScope,
    ExceptionHandlingScopeSimple,
    Expression,
    ExpressionConstant,
    Identity,
    Method,
    MethodAction,
    ObjectIdentityQuery,
    ObjectPath,
    ObjectPathAction,
    Property,
    Query,
    QuerySpec,
    Request,
    Scope,
    SetProperty,
    SetStaticProperty,
    StaticMethod,
    StaticMethodAction,
    StaticProperty,
)
from ._scalars import format_bool, format_iso_datetime, format_number, format_typed
from ._values import CsomValue, Dictionary, Null, ObjectPathRef, Value, ValueObject, format_guid, normalize
from ._xml import NS, qname, sub_element


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
            sub_element(parent, ACTION_TAGS[type(action)], *ids, ("ObjectPathId", str(path_id)))
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


# ------------------------------------------------------------------------------------------ values


def encode_value(value: Any, tag: str = "Parameter", name: str | None = None) -> etree._Element:
    """``value`` as a ``<tag [Name=name]>`` element (``Parameter``, ``Object``, ``Property``…)."""
    element = etree.Element(qname(tag), nsmap={None: NS})  # dropped again when appended into a request
    if name is not None:
        element.set("Name", name)
    _write_value(element, normalize(value))
    return element


def _write_members(element: etree._Element, members: Mapping[str, Value]) -> None:
    for name, member in members.items():
        element.append(encode_value(member, "Property", name))


def _write_value(element: etree._Element, value: Value) -> None:
    match value:
        case Null():
            element.set("Type", "Null")
        case ObjectPathRef(path_id=path_id):
            element.set("ObjectPathId", str(path_id))
        case ValueObject(type_id=type_id, members=members):
            element.set("TypeId", format_guid(type_id))
            _write_members(element, members)
        case Dictionary(entries=entries):
            element.set("Type", "Dictionary")
            _write_members(element, entries)
        case tuple():
            element.set("Type", "Array")
            for item in value:
                element.append(encode_value(item, "Object"))
        case _:
            type_name, text = _scalar_text(value)
            element.set("Type", type_name)
            element.text = text


def _scalar_text(value: Value) -> tuple[str, str]:
    match value:
        case CsomValue(type=type_name):
            return type_name, format_typed(value)
        case bool():  # before int: bool is an int subclass
            return "Boolean", format_bool(value)
        case int() | float():
            return "Number", format_number(value)
        case str():
            return "String", value
        case datetime():
            return "DateTime", format_iso_datetime(value)
        case UUID():
            return "Guid", format_guid(value)
        case _:  # bytes: normalize() admits nothing else
            return "Base64Binary", base64.b64encode(value).decode("ascii")
