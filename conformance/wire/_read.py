"""Reading a request: the hardened XML parser, and the encoded-value XML of its parameters."""

from __future__ import annotations

import re

from lxml import etree

from ._errors import MalformedRequest, snippet
from ._nodes import (
    EXPRESSION_TAGS,
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
    QueryProperty,
    QuerySpec,
    Request,
    Scope,
    SetProperty,
    SetStaticProperty,
    StaticMethod,
    StaticMethodAction,
    StaticProperty,
)
from ._scalars import SCALAR_PARSERS, parse_typed
from ._validate import validate_request
from ._values import NULL, TYPED_SCALAR_TYPES, Dictionary, ObjectPathRef, Value, ValueObject
from ._xml import (
    NS,
    bool_attribute,
    child_elements,
    id_attribute,
    local_name,
    malformed,
    qname,
    require_attribute,
    type_id_attribute,
)

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


# ------------------------------------------------------------------------------------------ values


def decode_value(element: etree._Element) -> Value:
    """The value encoded by a ``<Parameter>``/``<Object>``/``<Property>``/``<ExpressionConstant>`` element.

    Raises :class:`MalformedRequest` naming the element when the encoding is invalid.
    """
    type_name = element.get("Type")
    if element.get("ObjectPathId") is not None:
        if type_name is not None or element.get("TypeId") is not None:
            raise malformed(element, "ObjectPathId cannot be combined with Type or TypeId")
        child_elements(element)
        if len(element):
            raise malformed(element, "an object path reference has no content")
        return ObjectPathRef(id_attribute(element, "ObjectPathId"))
    if element.get("TypeId") is not None:
        if type_name is not None:
            raise malformed(element, "a value object (TypeId) has no Type")
        return ValueObject(type_id_attribute(element), _read_members(element))
    if type_name is None:
        raise malformed(element, "missing Type (or ObjectPathId/TypeId)")
    if type_name == "Null":
        if len(child_elements(element)):
            raise malformed(element, "Type=Null has no content")
        return NULL
    if type_name == "Array":
        items = child_elements(element)
        for item in items:
            if local_name(item) != "Object":
                raise malformed(item, "an Array holds only <Object> items")
        return tuple(decode_value(item) for item in items)
    if type_name == "Dictionary":
        return Dictionary(_read_members(element))
    return _decode_scalar(element, type_name)


def _decode_scalar(element: etree._Element, type_name: str) -> Value:
    if type_name not in SCALAR_PARSERS and type_name not in TYPED_SCALAR_TYPES:
        raise malformed(element, f"unknown Type {snippet(type_name)}")
    if any(isinstance(child.tag, str) for child in element):
        raise malformed(element, f"Type={type_name} has text content, not elements")
    text = element.text or ""
    try:
        if type_name in SCALAR_PARSERS:
            return SCALAR_PARSERS[type_name](text)
        return parse_typed(type_name, text)
    except ValueError as error:
        raise malformed(element, f"bad {type_name} text {snippet(text)}: {error}") from None


def _read_members(element: etree._Element) -> dict[str, Value]:
    members: dict[str, Value] = {}
    for child in child_elements(element):
        if local_name(child) != "Property":
            raise malformed(child, "expected <Property Name=…> members")
        name = require_attribute(child, "Name")
        if name in members:
            raise malformed(child, f"duplicate member {snippet(name)}")
        members[name] = decode_value(child)
    return members
