"""Judging one ProcessQuery request a client sent: MS-CSOM's request (HTTP method, content type, form
digest, well-formed XML in the clientquery namespace, the root's versions, unique ids, references that
resolve, value encodings, the element shapes the strict parser accepts), then every member it names
against the tables of MS-WMCSOM and MS-SPWFCSOM (TypeIds, properties, methods, constructors, parameter
counts and types in order, enum numbers within their set, whether a property may be set).

We have no MS-CSOM text: its request-side checks cite 3.1.4.1.1.1 (ProcessQueryIn), the closest
section /work/shared/notes/csom-wire.md gives, as cases/test_transport.py does; the digest cites
[MS-CSOMSPT] 2.2.1. The members cite their own sections of the two protocols. Levels: ``must`` where
a server refuses the request otherwise, ``should`` where only JSOM's behaviour backs the expectation
(an interop expectation: the content type, an ApplicationName).

Benign by design: JSOM's ``Number`` for every integer and enum and .NET's ``Int32``/``Enum``; ``Null``
for any parameter (JSOM sends it for Int32 parameters: erratum ``interop-jsom-null-int32``); any
whitespace and attribute order; any four-part LibraryVersion; object paths in any document order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from lxml import etree

from conformance.case import Level
from conformance.clientjudge.judgement import Judgement
from conformance.clientjudge.observed import Observed
from conformance.model.catalogue import ARRAY_OF, catalogue
from conformance.server.csom.typesystem import type_system
from conformance.spec.model import Parameter, SpecType
from conformance.wire import (
    INTEGER_RANGES,
    NS,
    Constructor,
    CsomValue,
    Dictionary,
    Identity,
    MalformedRequest,
    Method,
    MethodAction,
    Null,
    ObjectPathRef,
    Property,
    Query,
    QuerySpec,
    Request,
    SetProperty,
    StaticMethod,
    StaticMethodAction,
    StaticProperty,
    ValueObject,
    decode_value,
    parse_request,
)

PROTOCOL = "ms-csom"
PROCESSING = "3.1.4.1.1.1"  # ProcessQueryIn: the closest MS-CSOM section the notes give
DIGEST = "MS-CSOMSPT 2.2.1"
ITEM = "ProcessQuery"  # the item of the request-wide checks
SCHEMA_VERSIONS = ("14.0.0.0", "15.0.0.0")
LIBRARY_VERSION = re.compile(r"^\d{1,5}(\.\d{1,10}){3}$")
XML_TYPES = ("text/xml", "application/xml")
VALUE_TAGS = frozenset({"Parameter", "ExpressionConstant"})  # the elements that hold one encoded value


@cache
def _spec_by_type_id() -> dict[UUID, SpecType]:
    return {UUID(t.type_id): t for t in catalogue().types.values() if t.type_id}


@cache
def _core_type_ids() -> frozenset[UUID]:
    """SharePoint's own types (MS-CSOMSPT) the reference server knows: outside the two protocols'
    tables, so their members are not judged, but their TypeIds are known."""
    return frozenset(type_id for type_id, info in type_system().by_type_id.items() if info.spec is None)


def _class(name: str) -> SpecType | None:
    found = catalogue().types.get(name)
    return found if found is not None and found.kind == "class" else None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


class _Verdicts:
    """The judgements of one request, as they are made."""

    def __init__(self, tree: etree._ElementTree | None = None) -> None:
        self.found: list[Judgement] = []
        self.tree = tree

    def add(
        self, protocol: str, section: str, level: Level, item: str, check: str, problem: str = "",
        element: etree._Element | None = None,
    ) -> bool:  # fmt: skip
        mark = self.tree.getpath(element) if element is not None and self.tree is not None else ""
        self.found.append(Judgement(protocol, section, level, item, check, problem, mark))
        return not problem

    def request(self, check: str, problem: str = "", element: etree._Element | None = None, *,
                section: str = PROCESSING, level: Level = "must") -> bool:  # fmt: skip
        return self.add(PROTOCOL, section, level, ITEM, check, problem, element)


def judge_process_query(request: Observed) -> list[Judgement]:
    verdicts = _Verdicts()
    _judge_http(request, verdicts)
    tree = _tree(request.body, verdicts)
    if tree is None:
        return verdicts.found
    verdicts.tree = tree
    root = tree.getroot()
    if not verdicts.request(
        "client-namespace",
        ""
        if root.tag == f"{{{NS}}}Request"
        else f"the root element is {root.tag[:120]!r}, not {{{NS}}}Request",
        root,
    ):
        return verdicts.found
    _judge_root(root, verdicts)
    ids_ok = _judge_ids(root, verdicts)
    values_ok = all([_judge_value(element, verdicts) for element in _values(root)])
    try:
        parsed = parse_request(request.body)
    except MalformedRequest as exc:
        if ids_ok and values_ok:  # what the checks above did not name: an element's shape
            verdicts.request("client-request-shape", str(exc)[:400])
        return verdicts.found
    verdicts.request("client-request-shape")
    _Members(parsed, root, verdicts).judge()
    return verdicts.found


def _judge_http(request: Observed, verdicts: _Verdicts) -> None:
    verdicts.request("client-http-method", "" if request.method == "POST" else f"{request.method}, not POST")
    media = (request.header("content-type") or "").split(";", 1)[0].strip().lower()
    verdicts.request(
        "client-content-type",
        "" if media in XML_TYPES else f"Content-Type {media or '(none)'!r}, not text/xml (as JSOM sends)",
        level="should",
    )
    if (request.header("authorization") or "").lower().startswith("bearer "):
        return  # SharePoint needs no form digest with an OAuth bearer token
    verdicts.request(
        "client-form-digest",
        "" if request.header("x-requestdigest") else "no X-RequestDigest header, and no bearer token",
        section=DIGEST,
    )


def _tree(body: bytes, verdicts: _Verdicts) -> etree._ElementTree | None:
    # entities are never expanded and no DTD is loaded: a bomb stays a few bytes
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        verdicts.request("client-well-formed", f"not well-formed XML: {str(exc)[:200]}")
        return None
    if root.getroottree().docinfo.doctype:
        verdicts.request(
            "client-well-formed", "a DOCTYPE: MS-CSOM servers refuse DTDs and entity declarations"
        )
        return None
    verdicts.request("client-well-formed")
    return root.getroottree()


def _judge_root(root: etree._Element, verdicts: _Verdicts) -> None:
    schema = root.get("SchemaVersion")
    verdicts.request(
        "client-schema-version",
        ""
        if schema in SCHEMA_VERSIONS
        else f"SchemaVersion {schema!r} is not one of {', '.join(SCHEMA_VERSIONS)}",
        root,
    )
    library = root.get("LibraryVersion")
    verdicts.request(
        "client-library-version",
        ""
        if library and LIBRARY_VERSION.match(library)
        else f"LibraryVersion {library!r} is not a version a.b.c.d",
        root,
    )
    verdicts.request(
        "client-application-name",
        "" if root.get("ApplicationName") else "no ApplicationName (JSOM names itself 'Javascript Library')",
        root,
        level="should",
    )


def _in_request(root: etree._Element) -> Iterator[etree._Element]:
    """The elements of the Actions and the ObjectPaths, scopes and values included."""
    for part in root:
        if _local(part) in ("Actions", "ObjectPaths"):
            yield from (e for e in part.iterdescendants() if isinstance(e.tag, str))


def _judge_ids(root: etree._Element, verdicts: _Verdicts) -> bool:
    owners: dict[str, etree._Element] = {}
    duplicate = None
    for element in _in_request(root):
        key = element.get("Id")
        if key is None:
            continue
        if key in owners and duplicate is None:
            duplicate = element
        owners.setdefault(key, element)
    unique = verdicts.request(
        "client-ids-unique",
        "" if duplicate is None else f"Id {duplicate.get('Id')!r} is used by more than one element",
        duplicate,
    )
    paths = {
        e.get("Id") for part in root if _local(part) == "ObjectPaths" for e in part if isinstance(e.tag, str)
    }
    dangling = next(
        (
            (element, name)
            for element in _in_request(root)
            for name in ("ObjectPathId", "ParentId")
            if element.get(name) is not None and element.get(name) not in paths
        ),
        None,
    )
    resolved = verdicts.request(
        "client-references",
        "" if dangling is None else f"{dangling[1]}={dangling[0].get(dangling[1])!r} names no object path",
        dangling[0] if dangling else None,
    )
    return unique and resolved


def _values(root: etree._Element) -> Iterator[etree._Element]:
    """The outermost encoded values: each Parameter, and each SetProperty's one."""
    for element in _in_request(root):
        if _local(element) in VALUE_TAGS and not any(
            _local(a) in VALUE_TAGS for a in element.iterancestors()
        ):
            yield element


def _judge_value(element: etree._Element, verdicts: _Verdicts) -> bool:
    try:
        decode_value(element)
    except MalformedRequest as exc:
        return verdicts.request("client-value-encoding", str(exc)[:300], element)
    return verdicts.request("client-value-encoding")


# ------------------------------------------------------------------------------------------ members


class _Members:
    """Every member the request names, judged against the protocols' tables; what each object path
    leads to is worked out from its parents (None: a type neither protocol defines)."""

    def __init__(self, request: Request, root: etree._Element, verdicts: _Verdicts) -> None:
        self.request = request
        self.verdicts = verdicts
        self.by_id = {  # by number: the parser reads Id="007" as 7
            int(e.get("Id")): e for e in _in_request(root) if (e.get("Id") or "").isdecimal()
        }
        self.types: dict[int, SpecType | None] = {}

    def judge(self) -> None:
        for path in self.request.object_paths:
            self._type_of(path.id)
        for action in self.request.iter_actions():
            if isinstance(action, Query):
                self._query(self.types.get(action.object_path_id), action.query, action.id)
                owner = self.types.get(action.object_path_id)
                item = catalogue().item_type(owner) if owner is not None else None
                self._query(item, action.child_item_query, action.id)
            elif isinstance(action, MethodAction):
                self._method(self.types.get(action.object_path_id), action.name, action.parameters, action.id)
            elif isinstance(action, SetProperty):
                self._set(self.types.get(action.object_path_id), action)
            elif isinstance(action, StaticMethodAction):
                self._type_id(action.type_id, action.id, static=action.name)

    def _element(self, node_id: int) -> etree._Element | None:
        return self.by_id.get(node_id)

    def _type_of(self, path_id: int) -> SpecType | None:
        chain = []
        while path_id not in self.types:
            path = self.request.paths_by_id[path_id]
            chain.append(path)
            if not isinstance(path, Property | Method):
                break
            path_id = path.parent_id
        for path in reversed(chain):
            self.types[path.id] = self._resolve(path)
        return self.types[chain[0].id] if chain else self.types[path_id]

    def _resolve(self, path: Any) -> SpecType | None:
        if isinstance(path, Constructor):
            spec = self._type_id(path.type_id, path.id)
            if spec is not None:
                self._constructor(spec, path)
            return spec
        if isinstance(path, StaticProperty | StaticMethod):
            return self._type_id(path.type_id, path.id, static=path.name)
        if isinstance(path, Property):
            return self._property(self.types.get(path.parent_id), path.name, path.id)
        if isinstance(path, Method):
            return self._method(self.types.get(path.parent_id), path.name, path.parameters, path.id)
        assert isinstance(path, Identity)
        return None  # an identity names an object, not its type

    def _type_id(self, type_id: UUID, node_id: int, static: str = "") -> SpecType | None:
        spec = _spec_by_type_id().get(type_id)
        element = self._element(node_id)
        known = spec is not None or type_id in _core_type_ids()
        self.verdicts.request(
            "client-type-known",
            ""
            if known
            else f"TypeId {{{type_id}}} is no type of MS-WMCSOM, MS-SPWFCSOM or SharePoint's core",
            element,
        )
        if spec is None:
            return None
        self._known(spec, "client-type-known", "", element)
        if static:  # neither protocol's tables give a type a static member
            self._member(spec, None, f"{spec.short_name} has no static member {static!r}", element)
        return spec

    def _known(self, spec: SpecType, check: str, problem: str, element: etree._Element | None) -> None:
        self.verdicts.add(
            catalogue().protocol_of[spec.name], spec.section, "must", catalogue().item_id(spec), check,
            problem,
            element,
        )  # fmt: skip

    def _member(
        self, spec: SpecType, member: Any, problem: str, element: etree._Element | None, name: str = ""
    ) -> None:
        """The case of a member the request names: the member's own when the tables have it
        (its item is then exercised), else the type's."""
        if member is None:
            self._known(spec, "client-member-known", problem, element)
            return
        self.verdicts.add(
            catalogue().protocol_of[spec.name], member.section, "must",
            catalogue().item_id(spec, name or member.name), "client-member-known", "", element,
        )  # fmt: skip

    def _constructor(self, spec: SpecType, path: Constructor) -> None:
        element = self._element(path.id)
        self._member(spec, spec.constructor, f"{spec.short_name} has no constructor", element, "ctor")
        if spec.constructor is None:
            return
        self._parameters(
            spec, "ctor", spec.constructor.section, spec.constructor.parameters, path.parameters, element
        )

    def _property(self, spec: SpecType | None, name: str, node_id: int) -> SpecType | None:
        if spec is None:
            return None
        prop = next((p for p in spec.properties if p.name == name), None)
        self._member(spec, prop, f"{spec.short_name} has no property {name!r}", self._element(node_id))
        return _class(prop.type.removeprefix(ARRAY_OF)) if prop else None

    def _method(self, spec: SpecType | None, name: str, arguments: tuple, node_id: int) -> SpecType | None:
        if spec is None:
            return None
        method = next((m for m in spec.methods if m.name == name), None)
        element = self._element(node_id)
        self._member(spec, method, f"{spec.short_name} has no method {name!r}", element)
        if method is None:
            return None
        self._parameters(spec, name, method.section, method.parameters, arguments, element)
        return _class(method.return_type or "")

    def _query(self, spec: SpecType | None, query: QuerySpec | None, node_id: int) -> None:
        if spec is None or query is None:
            return
        for selected in query.properties:
            found = self._property(spec, selected.name, node_id)
            self._query(found, selected.query, node_id)
            self._query(catalogue().item_type(found) if found else None, selected.child_item_query, node_id)

    def _set(self, spec: SpecType | None, action: SetProperty) -> None:
        if spec is None:
            return
        prop = next((p for p in spec.properties if p.name == action.name), None)
        element = self._element(action.id)
        self._member(spec, prop, f"{spec.short_name} has no property {action.name!r}", element)
        if prop is None:
            return
        item = catalogue().item_id(spec, prop.name)
        protocol = catalogue().protocol_of[spec.name]
        read_only = f"{item} is read-only ({prop.access})" if prop.access != "read-write" else ""
        self.verdicts.add(protocol, prop.section, "must", item, "client-property-access", read_only, element)
        value = element[0] if element is not None and len(element) else element
        self._value(protocol, prop.section, item, prop.type, action.value, value, "the value")

    def _parameters(
        self, spec: SpecType, member: str, section: str, table: tuple[Parameter, ...], arguments: tuple,
        element: etree._Element | None,
    ) -> None:  # fmt: skip
        item = catalogue().item_id(spec, member)
        protocol = catalogue().protocol_of[spec.name]
        count = (
            ""
            if len(arguments) == len(table)
            else (
                f"{len(arguments)} parameter(s), the table has {len(table)}: "
                f"{', '.join(p.name for p in table) or 'none'}"
            )
        )
        self.verdicts.add(protocol, section, "must", item, "client-parameter-count", count, element)
        if count:
            return
        shown = _parameter_elements(element)
        for index, (parameter, argument) in enumerate(zip(table, arguments, strict=True)):
            at = shown[index] if index < len(shown) else element
            self._value(
                protocol,
                section,
                item,
                parameter.type,
                argument,
                at,
                f"parameter {index + 1} ({parameter.name})",
            )

    def _value(
        self, protocol: str, section: str, item: str, spec_type: str, value: Any,
        element: etree._Element | None,
        what: str,
    ) -> None:  # fmt: skip
        problems = list(_type_problems(spec_type, value, self.types))
        kinds = [p for p in problems if p[0] == "client-parameter-types"]
        self.verdicts.add(protocol, section, "must", item, "client-parameter-types",
                          f"{what}: {kinds[0][1]}" if kinds else "", element)  # fmt: skip
        for check, problem, enum in problems:
            if check == "client-enum-value" and enum is not None:
                self._known_enum(enum, problem, element)

    def _known_enum(self, enum: SpecType, problem: str, element: etree._Element | None) -> None:
        self.verdicts.add(
            catalogue().protocol_of[enum.name], enum.section, "must", catalogue().item_id(enum),
            "client-enum-value", problem, element,
        )  # fmt: skip


def _parameter_elements(element: etree._Element | None) -> list[etree._Element]:
    if element is None:
        return []
    return [p for part in element if _local(part) == "Parameters" for p in part if _local(p) == "Parameter"]


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, CsomValue) and value.type in INTEGER_RANGES:
        return int(value.value)
    return None


def _shown(value: Any) -> str:
    if isinstance(value, CsomValue):
        return f"{value.type} {str(value.value)[:40]}"
    names = {str: "String", bool: "Boolean", int: "Number", float: "Number", datetime: "DateTime",
             UUID: "Guid",
             bytes: "Base64Binary", tuple: "Array", Dictionary: "Dictionary", ValueObject: "a value object",
             ObjectPathRef: "an object path"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def _type_problems(
    spec_type: str, value: Any, paths: dict[int, SpecType | None]
) -> Iterator[tuple[str, str, SpecType | None]]:
    """What is wrong with ``value`` as a value of ``spec_type`` (as the tables spell it): each finding
    is (check, problem, the enum type for client-enum-value); an enum value within its set is a
    finding with no problem, so that the enum's case is judged."""
    if isinstance(value, Null):
        return  # JSOM sends Null for any parameter; the server decides what it means
    expected = spec_type.removeprefix("CSOM ")
    if spec_type.startswith(ARRAY_OF):
        if not isinstance(value, tuple):
            yield "client-parameter-types", f"expected {spec_type}, got {_shown(value)}", None
            return
        for item in value:
            yield from _type_problems(spec_type.removeprefix(ARRAY_OF), item, paths)
        return
    enum = catalogue().types.get(spec_type)
    integral = spec_type.startswith("CSOM ") and expected in INTEGER_RANGES
    if integral or (enum is not None and enum.kind == "enum"):
        number = _integer(value)
        if number is None:
            yield "client-parameter-types", f"expected {spec_type}, got {_shown(value)}", None
        elif enum is None:
            low, high = INTEGER_RANGES[expected]
            if not low <= number <= high:
                yield "client-parameter-types", f"{number} is outside {spec_type}", None
        else:
            yield "client-enum-value", _enum_problem(enum, number), enum
        return
    simple = {"String": str, "Boolean": bool, "DateTime": datetime, "GUID": UUID, "dictionary": Dictionary}
    if spec_type.startswith("CSOM ") and expected in simple:
        if not isinstance(value, simple[expected]):
            yield "client-parameter-types", f"expected {spec_type}, got {_shown(value)}", None
        return
    if spec_type in ("CSOM Double", "CSOM Single"):
        ok = (
            _integer(value) is not None
            or isinstance(value, float)
            or (isinstance(value, CsomValue) and isinstance(value.value, float | Decimal))
        )
        if not ok:
            yield "client-parameter-types", f"expected {spec_type}, got {_shown(value)}", None
        return
    if spec_type == "CSOM Stream":
        if not isinstance(value, bytes | str):
            yield "client-parameter-types", f"expected {spec_type}, got {_shown(value)}", None
        return
    if enum is not None:  # a class of the protocols: an object path to one, or a value object
        if isinstance(value, ObjectPathRef):
            found = paths.get(value.path_id)
            if found is not None and found.name != enum.name:
                yield (
                    "client-parameter-types",
                    f"expected a {enum.short_name}, got a {found.short_name}",
                    None,
                )
        elif isinstance(value, ValueObject):
            if enum.type_id is None or value.type_id != UUID(enum.type_id):
                yield (
                    "client-parameter-types",
                    f"expected a {enum.short_name}, got TypeId {{{value.type_id}}}",
                    None,
                )
        else:
            yield "client-parameter-types", f"expected a {enum.short_name}, got {_shown(value)}", None


def _enum_problem(enum: SpecType, number: int) -> str:
    allowed = {v.value for v in enum.values}
    if enum.flag:
        mask = 0
        for flag in allowed:
            mask |= flag
        return (
            ""
            if number >= 0 and not number & ~mask
            else f"{number} is not a combination of {enum.short_name}"
        )
    return "" if number in allowed else f"{number} is not a value of {enum.short_name}"
