"""The clientquery namespace and the element helpers of the request XML: names, attributes, and
errors that say where in the document they are (:func:`malformed`)."""

from __future__ import annotations

import re
from uuid import UUID

from lxml import etree

from ._errors import MalformedRequest, snippet
from ._scalars import parse_boolean
from ._values import as_uuid

NS = "http://schemas.microsoft.com/sharepoint/clientquery/2009"


_IN_NS = f"{{{NS}}}"


def qname(local: str) -> str:
    """``{namespace}local`` in the clientquery namespace."""
    return _IN_NS + local


def local_name(element: etree._Element) -> str:
    return element.tag.rpartition("}")[2]


def where(element: etree._Element) -> str:
    """Where ``element`` is, for error messages: its tag, the nearest enclosing Id and its line."""
    if element.get("Id") is not None:
        text = f"<{local_name(element)} Id={snippet(element.get('Id'), 20)}>"
    else:
        text = f"<{local_name(element)}>"
        owner = next((node for node in element.iterancestors() if node.get("Id") is not None), None)
        if owner is not None:
            text += f" in <{local_name(owner)} Id={snippet(owner.get('Id'), 20)}>"
    return f"{text} (line {element.sourceline})" if element.sourceline else text


def malformed(element: etree._Element, problem: str) -> MalformedRequest:
    return MalformedRequest(f"{where(element)}: {problem}")


def child_elements(element: etree._Element) -> list[etree._Element]:
    """Element children of a container element; text between them may only be whitespace."""
    text = element.text
    if text and not text.isspace():
        raise malformed(element, f"unexpected text {snippet(text)}")
    children = []
    for child in element:
        text = child.tail
        if text and not text.isspace():
            raise malformed(element, f"unexpected text {snippet(text)}")
        if isinstance(child.tag, str):
            children.append(child)
    for child in children:
        if not child.tag.startswith(_IN_NS):
            raise malformed(child, f"element {snippet(child.tag)} is not in namespace {NS}")
    return children


def require_attribute(element: etree._Element, name: str) -> str:
    value = element.get(name)
    if value is None:
        raise malformed(element, f"missing attribute {name}")
    return value


_ID = re.compile(r"^\d{1,10}$")


def id_attribute(element: etree._Element, name: str) -> int:
    """A non-negative integer id attribute (``Id``, ``ObjectPathId``, ``ParentId``)."""
    text = require_attribute(element, name)
    if not _ID.match(text):
        raise malformed(element, f"{name}={snippet(text)} is not a non-negative integer")
    return int(text)


def type_id_attribute(element: etree._Element, name: str = "TypeId") -> UUID:
    text = require_attribute(element, name)
    try:
        return as_uuid(text)
    except ValueError:
        raise malformed(element, f"{name}={snippet(text)} is not a GUID") from None


def bool_attribute(element: etree._Element, name: str) -> bool | None:
    text = element.get(name)
    if text is None:
        return None
    try:
        return parse_boolean(text)
    except ValueError:
        raise malformed(element, f"{name}={snippet(text)} is not true or false") from None


def sub_element(parent: etree._Element, local: str, *attributes: tuple[str, str]) -> etree._Element:
    """Append ``<local>`` with attributes in the given order: JSOM's, so captures match byte for byte."""
    child = etree.SubElement(parent, qname(local))
    for name, text in attributes:
        child.set(name, text)
    return child
