"""Schemas of `GET api/Tasks/Calendar` answers, built by code from the spec data
(specs/contactslaw-calendar.json): its field list (``Result.Tasks[].Priority`` …), types and
allowed values.

- :func:`json_schema` is the JSON Schema (Draft 2020-12) of a successful JSON answer, and
  :func:`field_schema` the schema of one field's value (its type, or its allowed values);
- :func:`xml_schema` is the XML Schema (XSD, for lxml) of a successful XML answer (checked after
  :func:`known_only` drops what the spec does not list), and
  :func:`xml_to_json` decodes an XML answer into the JSON shape by the spec types, so one field
  schema judges a field in both representations.

Readings (the spec shows only example shapes): every field of an entry is present; ``Message``
(outside ``Result``) carries the error message, so a success may leave it out or null; a
``string`` may be null (``xsi:nil`` in XML), as .NET serialises a null string; fields the spec
does not list are allowed (vendor extensions), and XML child order is free (``xs:all``), since
serializers differ (DataContractSerializer orders members alphabetically).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from lxml import etree

from conformance.spec.data import load_json
from conformance.spec.model import RestEndpoint, RestField, RestParameter, RestStatus

PROTOCOL = "contactslaw-calendar"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
INT32, INT64 = 2**31, 2**63
# ISO 8601 date-time (Json.NET, xs:dateTime) or the older "\/Date(ms)\/" form (DataContractJsonSerializer)
ISO_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?"
DATETIME_PATTERN = rf"^{ISO_DATETIME}$|^/Date\((-?\d+)([+-]\d{{4}})?\)/$"  # ECMA-262 and Python alike
_DATETIME = re.compile(DATETIME_PATTERN)

JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": ["string", "null"]},
    "long": {"type": "integer", "minimum": -INT64, "maximum": INT64 - 1},
    "int": {"type": "integer", "minimum": -INT32, "maximum": INT32 - 1},
    "decimal": {"type": "number"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "pattern": DATETIME_PATTERN},
}
XSD_TYPES = {
    "string": "xs:string", "long": "xs:long", "int": "xs:int", "decimal": "xs:decimal",
    "bool": "xs:boolean", "datetime": "xs:dateTime",
}  # fmt: skip
# XML lexical forms (XML Schema Part 2) decoded to the JSON value; anything else stays a string
_XML_INT = re.compile(r"^[+-]?\d+$")
_XML_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_XML_BOOL = {"true": True, "1": True, "false": False, "0": False}


@cache
def endpoint() -> RestEndpoint:
    """The typed spec data of the endpoint."""
    data = load_json(PROTOCOL)
    return RestEndpoint(
        protocol=data["protocol"],
        method=data["method"],
        path=data["path"],
        parameters=tuple(RestParameter(**p) for p in data["parameters"]),
        content_types=tuple(data["content_types"]),
        fields=tuple(
            RestField(**{**f, "allowed": _tuple(f["allowed"]), "range": _tuple(f["range"])})
            for f in data["fields"]
        ),
        statuses=tuple(RestStatus(**s) for s in data["statuses"]),
        enums={path: {int(n): text for n, text in values.items()} for path, values in data["enums"].items()},
        examples=data["examples"],
        errata=tuple(data["errata"]),
    )


def _tuple(value: list[int] | None) -> tuple[int, ...] | None:
    return None if value is None else tuple(value)


# ------------------------------------------------------------------------------------- structure


@dataclass(frozen=True)
class Group:
    """A repeated entry of the answer: ``Result.Tasks[]`` -> path ("Result", "Tasks")."""

    path: tuple[str, ...]
    fields: tuple[RestField, ...]

    @property
    def name(self) -> str:
        return self.path[-1]

    def field(self, name: str) -> RestField:
        return next(f for f in self.fields if leaf_name(f) == name)


def leaf_name(field: RestField) -> str:
    return field.path.rsplit(".", 1)[-1]


def groups() -> tuple[Group, ...]:
    """The repeated entries, in the order of the spec's field list."""
    found: dict[tuple[str, ...], list[RestField]] = {}
    for field in endpoint().fields:
        container, _, _ = field.path.rpartition(".")
        if container.endswith("[]"):
            found.setdefault(tuple(container[:-2].split(".")), []).append(field)
    return tuple(Group(path, tuple(fields)) for path, fields in found.items())


def _tree() -> dict[str, Any]:
    """Nested names -> sub-tree, a field at each leaf; an array segment keeps its "[]"."""
    tree: dict[str, Any] = {}
    for field in endpoint().fields:
        *containers, leaf = field.path.split(".")
        node = tree
        for segment in containers:
            node = node.setdefault(segment, {})
        node[leaf] = field
    return tree


def _members(tree: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """(name, sub-tree or field, repeated) of one level."""
    return [(name.removesuffix("[]"), node, name.endswith("[]")) for name, node in tree.items()]


def _required(node: Any, in_entry: bool) -> bool:
    # a field outside any entry is the error message: absent or null on success
    return in_entry or not isinstance(node, RestField)


# ------------------------------------------------------------------------------------------ JSON


def field_schema(field: RestField, *, values: bool = False) -> dict[str, Any]:
    """The JSON Schema of the field's value: its type, or (``values``) its allowed values."""
    if not values:
        return dict(JSON_TYPES[field.type])
    schema: dict[str, Any] = {}
    if field.allowed is not None:
        schema["enum"] = list(field.allowed)
    if field.range is not None:
        schema["minimum"], schema["maximum"] = field.range
    if field.minimum is not None:
        schema["minimum"] = field.minimum
    return schema


def constrained(field: RestField) -> bool:
    return field.allowed is not None or field.range is not None or field.minimum is not None


def json_schema() -> dict[str, Any]:
    """A successful JSON answer: ``Result`` with every entry's fields of the spec types."""

    def level(tree: dict[str, Any], in_entry: bool) -> dict[str, Any]:
        properties, required = {}, []
        for name, node, repeated in _members(tree):
            if isinstance(node, RestField):
                properties[name] = field_schema(node)
            elif repeated:
                properties[name] = {"type": "array", "items": level(node, in_entry=True)}
            else:
                properties[name] = level(node, in_entry)
            if _required(node, in_entry):
                required.append(name)
        return {"type": "object", "properties": properties, "required": required}

    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **level(_tree(), in_entry=False)}


def parse_datetime(text: object) -> dt.datetime | None:
    """A datetime field's value as a datetime (offset kept if given), None if it is no datetime."""
    if not isinstance(text, str) or not (match := _DATETIME.match(text)):
        return None
    try:
        if text.startswith("/Date("):  # milliseconds since 1970 (UTC)
            return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(match[4]))
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):  # the pattern's shape, but no real date (month 13 …)
        return None


# ------------------------------------------------------------------------------------------- XML


def xml_schema(root: etree._Element) -> etree.XMLSchema:
    """The XSD of a successful XML answer, in the namespace of the document's root (the spec's
    example uses none; a .NET DataContract answer uses its contract namespace)."""
    return _xml_schema(etree.QName(root).namespace or "")


@cache
def _xml_schema(namespace: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(xsd_text(namespace)))


def _xs(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{XS}}}{tag}", **attributes)


def xsd_text(namespace: str = "") -> bytes:
    root = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS}, elementFormDefault="qualified")
    if namespace:
        root.set("targetNamespace", namespace)

    def level(parent: etree._Element, tree: dict[str, Any], in_entry: bool) -> None:
        members = _xs(_xs(parent, "complexType"), "all")
        for name, node, repeated in _members(tree):
            element = _xs(members, "element", name=name)
            if not _required(node, in_entry):
                element.set("minOccurs", "0")
            if isinstance(node, RestField):
                element.set("type", XSD_TYPES[node.type])
                if node.type == "string" or not in_entry:
                    element.set("nillable", "true")
            elif repeated:  # <Tasks><Item>…</Item>…</Tasks>, as the example shows
                entries = _xs(_xs(element, "complexType"), "sequence")
                level(_xs(entries, "element", name="Item", minOccurs="0", maxOccurs="unbounded"), node, True)
            else:
                level(element, node, in_entry)

    level(_xs(root, "element", name="Response"), _tree(), in_entry=False)
    return etree.tostring(root, pretty_print=True)


def parse_xml(body: bytes) -> etree._Element:
    """The document's root; ValueError when the body is not well-formed XML (no DTDs, no entities)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def known_only(root: etree._Element) -> etree._Element:
    """A copy without the elements the spec does not list (extensions), for :func:`xml_schema`."""
    document = copy.deepcopy(root)

    def prune(element: etree._Element, tree: dict[str, Any]) -> None:
        names = {name: (node, repeated) for name, node, repeated in _members(tree)}
        for child in list(element):
            if _local(child) not in names:
                element.remove(child)
                continue
            node, repeated = names[_local(child)]
            if isinstance(node, RestField):
                continue
            if not repeated:
                prune(child, node)
                continue
            for item in list(child):
                if _local(item) == "Item":
                    prune(item, node)
                else:
                    child.remove(item)

    prune(document, _tree())
    return document


def xml_to_json(root: etree._Element) -> dict[str, Any]:
    """The XML answer in the JSON shape: entries as objects, values decoded by the spec types
    (a value that is not a lexical form of its type stays a string, so the type check fails)."""

    def level(element: etree._Element, tree: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        nodes = {name: (node, repeated) for name, node, repeated in _members(tree)}
        for child in element:
            name = _local(child)
            if name not in nodes:
                continue
            node, repeated = nodes[name]
            if isinstance(node, RestField):
                out[name] = _xml_value(child, node.type)
            elif repeated:
                out[name] = [level(item, node) for item in child if _local(item) == "Item"]
            else:
                out[name] = level(child, node)
        return out

    return level(root, _tree())


def _xml_value(element: etree._Element, spec_type: str) -> Any:
    if element.get(f"{{{XSI}}}nil") in ("true", "1"):
        return None
    text = (element.text or "").strip() if spec_type != "string" else element.text or ""
    if spec_type in ("int", "long") and _XML_INT.match(text):
        return int(text)
    if spec_type == "decimal" and _XML_DECIMAL.match(text):
        return float(text)
    if spec_type == "bool" and text in _XML_BOOL:
        return _XML_BOOL[text]
    return text
