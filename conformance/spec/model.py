"""Typed model of a protocol specification, as extracted from the spec texts.

Field names and the JSON layout produced by ``to_json`` are the public export format
(`conformance spec export`, schema in ``conformance/spec/export.schema.json``); keep
them stable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Level = Literal["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"]
MemberKind = Literal["scalar", "objectpath"]
Access = Literal["read-write", "read-only"]
TypeKind = Literal["class", "enum"]


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # as the spec spells it: "CSOM Int32", "CSOM array of CSOM String", full class name


@dataclass(frozen=True)
class Property:
    name: str
    section: str
    kind: MemberKind
    type: str
    access: Access


@dataclass(frozen=True)
class Method:
    name: str
    section: str
    kind: MemberKind
    return_type: str | None  # None: the method returns nothing
    parameters: tuple[Parameter, ...] = ()


@dataclass(frozen=True)
class Constructor:
    section: str
    parameters: tuple[Parameter, ...] = ()


@dataclass(frozen=True)
class EnumValue:
    name: str
    value: int
    section: str


@dataclass(frozen=True)
class SpecType:
    name: str  # full name, e.g. Microsoft.SharePoint.WorkManagement.Client.TaskQuery
    short_name: str | None  # wire name in _ObjectType_, e.g. SP.WorkManagement.OM.TaskQuery
    section: str
    type_id: str | None  # lower-case GUID without braces; None for enums
    kind: TypeKind
    flag: bool = False
    properties: tuple[Property, ...] = ()
    methods: tuple[Method, ...] = ()
    constructor: Constructor | None = None
    values: tuple[EnumValue, ...] = ()

    def method(self, name: str) -> Method:
        """The method of that name (KeyError when the spec gives the type none)."""
        found = next((m for m in self.methods if m.name == name), None)
        if found is None:
            raise KeyError(f"{self.name} has no method {name}")
        return found


@dataclass(frozen=True)
class Requirement:
    id: str  # stable: derived from the protocol and the normalised statement, not its position
    section: str
    level: Level
    statement: str  # the normative sentence, whitespace-normalised


@dataclass(frozen=True)
class Example:
    section: str
    title: str
    request: str | None  # request body (XML) with errata applied
    response: Any  # decoded JSON response with errata applied (None when the spec gives none)
    errata: tuple[str, ...] = ()  # ids of errata applied to this example


@dataclass(frozen=True)
class CsomProtocol:
    protocol: str  # "ms-wmcsom" | "ms-spwfcsom"
    title: str
    types: tuple[SpecType, ...]
    requirements: tuple[Requirement, ...] = ()
    examples: tuple[Example, ...] = ()
    errata: tuple[str, ...] = ()  # ids of every erratum applied during extraction

    @property
    def namespace(self) -> str:
        """What every type's full name starts with, dot included
        (``Microsoft.SharePoint.WorkManagement.Client.``)."""
        (namespace,) = {t.name.rpartition(".")[0] + "." for t in self.types}
        return namespace

    def type(self, name: str) -> SpecType:
        """Look a type up by full name or short (wire) name."""
        for t in self.types:
            if name in (t.name, t.short_name):
                return t
        raise KeyError(name)

    def export(self) -> dict[str, Any]:
        """The documented `spec export` shape: protocol and types only."""
        return {"protocol": self.protocol, "types": [_plain(asdict(t)) for t in self.types]}

    def to_json(self) -> dict[str, Any]:
        return _plain(asdict(self))


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively, so the JSON is stable and loads back the same."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def csom_protocol_from_json(data: dict[str, Any]) -> CsomProtocol:
    def params(items: list[dict[str, Any]]) -> tuple[Parameter, ...]:
        return tuple(Parameter(**p) for p in items)

    types = []
    for t in data["types"]:
        ctor = t.get("constructor")
        types.append(
            SpecType(
                name=t["name"],
                short_name=t["short_name"],
                section=t["section"],
                type_id=t["type_id"],
                kind=t["kind"],
                flag=t["flag"],
                properties=tuple(Property(**p) for p in t["properties"]),
                methods=tuple(Method(**{**m, "parameters": params(m["parameters"])}) for m in t["methods"]),
                constructor=Constructor(ctor["section"], params(ctor["parameters"])) if ctor else None,
                values=tuple(EnumValue(**v) for v in t["values"]),
            )
        )
    return CsomProtocol(
        protocol=data["protocol"],
        title=data["title"],
        types=tuple(types),
        requirements=tuple(Requirement(**r) for r in data.get("requirements", [])),
        examples=tuple(
            Example(**{**e, "errata": tuple(e.get("errata", ()))}) for e in data.get("examples", [])
        ),
        errata=tuple(data.get("errata", [])),
    )


@dataclass(frozen=True)
class RestParameter:
    name: str
    default: str | None  # as printed (e.g. "false"); None when the spec gives no default
    required: bool
    description: str | None = None  # the Description column, whitespace-normalised


@dataclass(frozen=True)
class RestField:
    path: str  # e.g. "Result.Tasks[].Priority"
    type: str  # spec type word: string, long, int, decimal, datetime, bool
    allowed: tuple[int, ...] | None = None  # allowed values where the spec restricts them
    range: tuple[int, int] | None = None  # inclusive numeric range where the spec gives one
    minimum: int | None = None  # inclusive lower bound where the spec gives only that (e.g. "1-based")
    description: str | None = None  # the example's comment on the field, if any


@dataclass(frozen=True)
class RestStatus:
    code: int
    reason: str  # the HTTP reason phrase as printed ("Forbidden")
    condition: str | None = None  # the Condition column ("User does not have permission ...")


@dataclass(frozen=True)
class RestEndpoint:
    protocol: str  # "contactslaw-calendar"
    method: str
    path: str
    parameters: tuple[RestParameter, ...]
    content_types: tuple[str, ...]
    fields: tuple[RestField, ...]
    statuses: tuple[RestStatus, ...]
    enums: dict[str, dict[int, str]] = field(default_factory=dict)  # field path -> value -> meaning
    examples: dict[str, Any] = field(default_factory=dict)  # "xml": text, "json": decoded shape
    errata: tuple[str, ...] = ()
    requirements: tuple[Requirement, ...] = ()  # the rules its tables state (spec/requirements.py)

    def to_json(self) -> dict[str, Any]:
        data = _plain(asdict(self))
        data["enums"] = {k: {str(n): v for n, v in m.items()} for k, m in self.enums.items()}
        return data
