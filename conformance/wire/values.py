"""CSOM value encoding, both directions.

Request side: the encoded-value XML shared by ``<Parameter>``, ``<Object>`` (array items), ``<Property>``
(dictionary entries and value-object members) and ``<ExpressionConstant>``. Response side: the JSON
special strings ``\\/Date(…)\\/``, ``\\/Guid(…)\\/`` and ``\\/Base64Binary(…)\\/``.

Python value model. Plain Python values where the wire form is unambiguous:

==================  ======================================  =========================================
Python              request XML                             response JSON
==================  ======================================  =========================================
``str``             ``Type="String"``                       string
``bool``            ``Type="Boolean"`` (``true``/``false``) ``true``/``false``
``int``/``float``   ``Type="Number"`` (what JSOM sends)     number
naive ``datetime``  ``Type="DateTime"`` without zone        ``\\/Date(y,m0,d,h,mi,s,ms)\\/``
aware ``datetime``  ``Type="DateTime"`` with ``±hh:mm``     ``\\/Date(ms)\\/``, ``\\/Date(ms±hhmm)\\/``
``UUID``            ``Type="Guid"`` (braced)                ``\\/Guid(…)\\/``
``bytes``           ``Type="Base64Binary"``                 ``\\/Base64Binary(…)\\/``
``tuple``           ``Type="Array"``, ``<Object>`` items    array (``list``)
==================  ======================================  =========================================

Typed wrappers where a bare Python value would be ambiguous: :data:`NULL` (``Type="Null"``; ``None`` is
accepted as input), :class:`CsomValue` (.NET-typed scalars such as ``Int32``, ``Enum``, ``Double``),
:class:`ObjectPathRef` (``ObjectPathId="n"``), :class:`ValueObject` (``TypeId`` + members) and
:class:`Dictionary` (``Type="Dictionary"``; a plain ``dict`` is accepted as input). Every constructor
normalises its inputs with :func:`normalize`, so equal wire content gives equal Python values.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from json import decoder as json_decoder
from json import encoder as json_encoder
from json import scanner as json_scanner
from typing import Any, TypeAlias, Union
from uuid import UUID

from lxml import etree

from .errors import MalformedRequest, MalformedResponse, snippet

NS = "http://schemas.microsoft.com/sharepoint/clientquery/2009"

# Integer-valued .NET types and their ranges. Enum values travel as their underlying integer; the
# underlying type is not on the wire, so accept anything from Int64.MinValue to UInt64.MaxValue.
INTEGER_RANGES: Mapping[str, tuple[int, int]] = {
    "Byte": (0, 2**8 - 1),
    "SByte": (-(2**7), 2**7 - 1),
    "Int16": (-(2**15), 2**15 - 1),
    "UInt16": (0, 2**16 - 1),
    "Int32": (-(2**31), 2**31 - 1),
    "UInt32": (0, 2**32 - 1),
    "Int64": (-(2**63), 2**63 - 1),
    "UInt64": (0, 2**64 - 1),
    "Enum": (-(2**63), 2**64 - 1),
}
FLOAT_TYPES = frozenset({"Single", "Double"})
TYPED_SCALAR_TYPES = frozenset(INTEGER_RANGES) | FLOAT_TYPES | {"Decimal", "Char", "Unspecified"}


# --------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Null:
    """``Type="Null"``: an explicit null (distinct from an empty string or an empty array)."""


NULL = Null()


@dataclass(frozen=True)
class ObjectPathRef:
    """``ObjectPathId="n"``: a reference to the server object reached by object path ``n``."""

    path_id: int


@dataclass(frozen=True)
class CsomValue:
    """A scalar with an explicit .NET wire type, e.g. ``CsomValue("Int32", 5)`` or ``CsomValue("Enum", 2)``.

    ``Number``, ``String``, ``Boolean``, ``DateTime``, ``Guid`` and ``Base64Binary`` are plain Python values
    instead, so that each wire form has exactly one Python form.
    """

    type: str
    value: int | float | Decimal | str

    def __post_init__(self) -> None:
        value = self.value
        if self.type in INTEGER_RANGES:
            low, high = INTEGER_RANGES[self.type]
            if not _is_int(value) or not low <= value <= high:
                raise ValueError(f"{self.type} needs an int in [{low}, {high}], got {snippet(value)}")
        elif self.type in FLOAT_TYPES:
            if not (_is_int(value) or isinstance(value, float)) or not math.isfinite(value):
                raise ValueError(f"{self.type} needs a finite float, got {snippet(value)}")
            object.__setattr__(self, "value", float(value))
        elif self.type == "Decimal":
            if not (_is_int(value) or isinstance(value, Decimal)) or not Decimal(value).is_finite():
                raise ValueError(f"Decimal needs a finite Decimal, got {snippet(value)}")
            object.__setattr__(self, "value", Decimal(value))
        elif self.type == "Char":
            if not isinstance(value, str) or len(value) != 1:
                raise ValueError(f"Char needs a one-character str, got {snippet(value)}")
        elif self.type == "Unspecified":
            if not isinstance(value, str):
                raise ValueError(f"Unspecified needs a str, got {snippet(value)}")
        else:
            raise ValueError(
                f"CsomValue type {self.type!r} is not one of {sorted(TYPED_SCALAR_TYPES)}; "
                "use plain Python values for Number/String/Boolean/DateTime/Guid/Base64Binary"
            )


@dataclass(frozen=True)
class ValueObject:
    """A client value object: ``<Parameter TypeId="{…}">`` with one ``<Property Name>`` per member."""

    type_id: UUID
    members: Mapping[str, Value] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type_id", as_uuid(self.type_id))
        object.__setattr__(self, "members", _normalize_members(self.members))


@dataclass(frozen=True)
class Dictionary:
    """``Type="Dictionary"``: string keys, each entry a ``<Property Name="key">`` encoded value."""

    entries: Mapping[str, Value] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", _normalize_members(self.entries))


Value: TypeAlias = Union[
    Null,
    bool,
    int,
    float,
    str,
    datetime,
    UUID,
    bytes,
    "tuple[Value, ...]",
    CsomValue,
    ObjectPathRef,
    ValueObject,
    Dictionary,
]


def _is_int(value: object) -> bool:
    # bool is an int subclass, but True is never a valid Int32 or action id on the wire
    return isinstance(value, int) and not isinstance(value, bool)


def normalize(value: Any) -> Value:
    """The canonical Python form of a request value (``None`` → NULL, list → tuple, dict → Dictionary)."""
    if value is None:
        return NULL
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"a Number must be finite, got {value!r}")
    if isinstance(value, list | tuple):
        return tuple(normalize(item) for item in value)
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, dict):
        return Dictionary(value)
    if isinstance(
        value,
        Null
        | bool
        | int
        | float
        | str
        | datetime
        | UUID
        | bytes
        | CsomValue
        | ObjectPathRef
        | ValueObject
        | Dictionary,
    ):
        return value
    raise TypeError(f"cannot encode a {type(value).__name__} as a CSOM value")


def _normalize_members(members: Mapping[str, Any]) -> dict[str, Value]:
    for name in members:
        if not isinstance(name, str):
            raise TypeError(f"member names must be str, got {name!r}")
    return {name: normalize(member) for name, member in members.items()}


def iter_path_refs(value: Value) -> Iterator[int]:
    """Every object path id referenced by ``value``, depth first."""
    match value:
        case ObjectPathRef(path_id=path_id):
            yield path_id
        case tuple():
            for item in value:
                yield from iter_path_refs(item)
        case ValueObject(members=members) | Dictionary(entries=members):
            for member in members.values():
                yield from iter_path_refs(member)


# ------------------------------------------------------------------------------------------- GUIDs

_GUID = re.compile(
    r"^(\{)?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})(?(1)\})$"
)


def as_uuid(value: UUID | str) -> UUID:
    """A UUID from a UUID or from GUID text, braced (``{…}``, as on the wire) or not."""
    if isinstance(value, UUID):
        return value
    match = _GUID.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not a GUID: {snippet(value)}")
    return UUID(match.group(2))


def format_guid(value: UUID) -> str:
    """Braced lower-case GUID, as JSOM writes TypeIds and Guid parameters."""
    return "{" + str(value) + "}"


# ------------------------------------------------------------------------------- DateTime (request)

_ISO_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$"
)


def parse_iso_datetime(text: str) -> datetime:
    """ISO-8601 date-time with 0–7 fractional digits and an optional ``Z``/``±hh:mm`` zone.

    A zone gives an aware datetime; no zone gives a naive one (.NET "unspecified" kind). The 7th
    fractional digit (100 ns ticks) is below Python's resolution and is truncated.
    """
    match = _ISO_DATETIME.match(text)
    if match is None:
        raise ValueError("expected yyyy-MM-ddTHH:mm:ss[.fffffff][Z|±hh:mm]")
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    microsecond = int((match.group(7) or "0")[:6].ljust(6, "0"))
    zone = match.group(8)
    tzinfo = None
    if zone == "Z":
        tzinfo = UTC
    elif zone:
        if int(zone[4:6]) > 59:
            raise ValueError(f"bad zone offset {zone}")
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        tzinfo = timezone(-offset if zone[0] == "-" else offset)
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tzinfo)


def _offset_minutes(moment: datetime) -> int | None:
    offset = moment.utcoffset()
    if offset is None:
        return None
    minutes, rest = divmod(offset, timedelta(minutes=1))
    if rest:
        raise ValueError(f"a CSOM zone offset has whole minutes, got {offset}")
    return minutes


def format_iso_datetime(moment: datetime) -> str:
    """JSOM's layout (``yyyy-MM-ddTHH:mm:ss.fff±hh:mm``), with 6 digits when there are microseconds."""
    fraction = (
        f"{moment.microsecond // 1000:03d}" if moment.microsecond % 1000 == 0 else f"{moment.microsecond:06d}"
    )
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{fraction}"
    )
    minutes = _offset_minutes(moment)
    if minutes is None:
        return text
    hours, minutes_part = divmod(abs(minutes), 60)
    return f"{text}{'-' if minutes < 0 else '+'}{hours:02d}:{minutes_part:02d}"


# ----------------------------------------------------------------------------- scalar text (request)

_INTEGER = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")


def _parse_finite_float(text: str) -> float:
    number = float(text) if _FLOAT.match(text) else math.nan
    if not math.isfinite(number):
        raise ValueError("expected a finite decimal number")
    return number


def _parse_number(text: str) -> int | float:
    return int(text) if _INTEGER.match(text) else _parse_finite_float(text)


def _parse_boolean(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError("expected true or false")
    return text == "true"


def _parse_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError(str(error)) from None


def _parse_typed(type_name: str, text: str) -> CsomValue:
    if type_name in INTEGER_RANGES:
        if not _INTEGER.match(text):
            raise ValueError("expected a decimal integer")
        return CsomValue(type_name, int(text))
    if type_name in FLOAT_TYPES:
        return CsomValue(type_name, _parse_finite_float(text))
    if type_name == "Decimal":
        if not _DECIMAL.match(text):
            raise ValueError("expected a decimal number")
        return CsomValue(type_name, Decimal(text))
    return CsomValue(type_name, text)


_SCALAR_PARSERS = {
    "String": lambda text: text,
    "Number": _parse_number,
    "Boolean": _parse_boolean,
    "DateTime": parse_iso_datetime,
    "Guid": as_uuid,
    "Base64Binary": _parse_base64,
}


def _format_number(number: int | float) -> str:
    # JavaScript Number.prototype.toString: integral doubles have no fraction below 1e21
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    return repr(number)


def _format_typed(value: CsomValue) -> str:
    if isinstance(value.value, Decimal):
        return format(value.value, "f")
    return repr(value.value) if isinstance(value.value, float) else str(value.value)


# --------------------------------------------------------------------------------- XML (request side)


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
        return _parse_boolean(text)
    except ValueError:
        raise malformed(element, f"{name}={snippet(text)} is not true or false") from None


def format_bool(flag: bool) -> str:
    return "true" if flag else "false"


def sub_element(parent: etree._Element, local: str, *attributes: tuple[str, str]) -> etree._Element:
    """Append ``<local>`` with attributes in the given order: JSOM's, so captures match byte for byte."""
    child = etree.SubElement(parent, qname(local))
    for name, text in attributes:
        child.set(name, text)
    return child


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
            return type_name, _format_typed(value)
        case bool():  # before int: bool is an int subclass
            return "Boolean", format_bool(value)
        case int() | float():
            return "Number", _format_number(value)
        case str():
            return "String", value
        case datetime():
            return "DateTime", format_iso_datetime(value)
        case UUID():
            return "Guid", format_guid(value)
        case _:  # bytes: normalize() admits nothing else
            return "Base64Binary", base64.b64encode(value).decode("ascii")


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
    if type_name not in _SCALAR_PARSERS and type_name not in TYPED_SCALAR_TYPES:
        raise malformed(element, f"unknown Type {snippet(type_name)}")
    if any(isinstance(child.tag, str) for child in element):
        raise malformed(element, f"Type={type_name} has text content, not elements")
    text = element.text or ""
    try:
        if type_name in _SCALAR_PARSERS:
            return _SCALAR_PARSERS[type_name](text)
        return _parse_typed(type_name, text)
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


# -------------------------------------------------------------------------------- JSON (response side)

_EPOCH = datetime(1970, 1, 1)
_MILLISECOND = timedelta(milliseconds=1)
_SPECIAL = re.compile(r"^/(Date|Guid|Base64Binary)\((.*)\)/$", re.DOTALL)
_DATE_MS = re.compile(r"^(-?\d+)(?:([+-])(\d{2})(\d{2})|[A-Za-z])?$")
_DATE_PARTS = re.compile(r"^\d+(?:,\d+){2,6}$")
_JSON_GUID = re.compile(r"^[0-9A-Fa-f-]+$")


def _date_from_json(inner: str) -> datetime:
    if _DATE_PARTS.match(inner):
        # year, zero-based month, day[, hour, minute, second, millisecond]: an "unspecified" kind date
        parts = [int(part) for part in inner.split(",")]
        year, month0, day, hour, minute, second, millisecond = parts + [0] * (7 - len(parts))
        return datetime(year, month0 + 1, day, hour, minute, second, millisecond * 1000)
    match = _DATE_MS.match(inner)
    if match is None:
        raise ValueError("expected ms, ms±hhmm or y,m0,d[,h,mi,s,ms]")
    since_epoch = int(match.group(1)) * _MILLISECOND
    if match.group(2) is None:
        # milliseconds since the epoch; a trailing letter (JSOM accepts one) carries no offset
        return (_EPOCH + since_epoch).replace(tzinfo=UTC)
    offset = timedelta(hours=int(match.group(3)), minutes=int(match.group(4)))
    offset = -offset if match.group(2) == "-" else offset
    # the ms value is the UTC instant; the offset says which local time to show it in. Add it to
    # the timedelta first so that e.g. 0001-01-01T00:00+01:00 does not pass through year 0 in UTC.
    return (_EPOCH + (since_epoch + offset)).replace(tzinfo=timezone(offset))


def decode_special(text: str) -> str | datetime | UUID | bytes:
    """Decode ``/Date(…)/``, ``/Guid(…)/``, ``/Base64Binary(…)/``; other strings come back unchanged.

    Raises ValueError for a string that has a special form's shape but invalid content.
    """
    match = _SPECIAL.match(text)
    if match is None:
        return text
    kind, inner = match.groups()
    try:
        if kind == "Date":
            return _date_from_json(inner)
        if kind == "Guid":
            if not _JSON_GUID.match(inner):
                raise ValueError("expected hex digits and hyphens")
            return UUID(inner)
        return _parse_base64(inner)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"bad /{kind}(…)/ value {snippet(text)}: {error}") from None


def _date_to_json(moment: datetime) -> str:
    minutes = _offset_minutes(moment)
    if minutes is None:
        return (
            f"{moment.year},{moment.month - 1},{moment.day},{moment.hour},{moment.minute},"
            f"{moment.second},{moment.microsecond // 1000}"
        )
    milliseconds = (moment - _EPOCH.replace(tzinfo=UTC)) // _MILLISECOND
    if minutes == 0:
        return str(milliseconds)
    hours, minutes_part = divmod(abs(minutes), 60)
    return f"{milliseconds}{'-' if minutes < 0 else '+'}{hours:02d}{minutes_part:02d}"


def _special_json(kind: str, inner: str) -> str:
    # the escaped solidus is what real servers write and what JSOM's converters look for
    return f'"\\/{kind}({inner})\\/"'


# json.dumps(value, allow_nan=False) builds a new encoder per call; one shared encoder does the same
_JSON_ENCODER = json.JSONEncoder(allow_nan=False)
# The plain scalars of a response by exact type, each as json.dumps writes it; the rest go through match
_json_string = json_encoder.encode_basestring_ascii
_SCALAR_JSON: Mapping[type, Any] = {
    str: _json_string,
    int: int.__repr__,
    bool: lambda flag: "true" if flag else "false",
    type(None): lambda _: "null",
}


def to_json(value: Any) -> str:
    """JSON text for a response value, writing datetimes, UUIDs and bytes in the CSOM special forms.

    Milliseconds are the finest DateTime resolution on the JSON side; finer digits are dropped.
    """
    scalar = _SCALAR_JSON.get(type(value))
    if scalar is not None:
        return scalar(value)
    match value:
        case datetime():
            return _special_json("Date", _date_to_json(value))
        case UUID():
            return _special_json("Guid", str(value))
        case bytes():
            # MS-CSOM: every "/" of the base64 text is written as \u002f
            return _special_json(
                "Base64Binary", base64.b64encode(value).decode("ascii").replace("/", "\\u002f")
            )
        case dict():
            for key in value:
                if not isinstance(key, str):
                    raise TypeError(f"JSON object keys must be str, got {key!r}")
            items = [f"{_json_string(key)}:{to_json(item)}" for key, item in value.items()]
            return "{" + ",".join(items) + "}"
        case list() | tuple():
            return "[" + ",".join([to_json(item) for item in value]) + "]"
    return _JSON_ENCODER.encode(value)


def _reject_constant(name: str) -> Any:
    raise MalformedResponse(f"{name} is not JSON")


class _SpecialDecoder(json.JSONDecoder):
    """A JSON decoder that turns ``"\\/Date(…)\\/"``-style strings (raw text starting and ending with
    an escaped solidus) into datetimes/UUIDs/bytes, as JSOM's converters do, and notes in
    ``unescaped`` every valid special value written as a stock JSON encoder writes it (``"/Date(1)/"``).

    ``lenient``: those unescaped values are decoded too; else they stay strings, as JSOM reads them.
    ``"\\u002fDate(1)\\u002f"`` is neither: that is how SharePoint writes a plain string reading so.
    Uses the pure-Python scanner, the only one that calls back for each string value.
    """

    def __init__(self, *, lenient: bool) -> None:
        super().__init__(parse_constant=_reject_constant)
        self.lenient = lenient
        self.unescaped: list[str] = []
        self.parse_string = self._parse_string
        self.scan_once = json_scanner.py_make_scanner(self)

    def _parse_string(self, text: str, end: int, strict: bool) -> tuple[Any, int]:
        value, after = json_decoder.scanstring(text, end, strict)
        raw = text[end : after - 1]
        if raw.startswith("\\/") and raw.endswith("\\/"):
            try:
                return decode_special(value), after
            except ValueError as error:
                raise MalformedResponse(f"{error} at offset {end - 1}") from None
        if raw.startswith("/") and raw.endswith("/") and _SPECIAL.match(value):
            try:
                special = decode_special(value)
            except ValueError:  # not a special value: a plain string that happens to read like one
                return value, after
            self.unescaped.append(value)
            return (special if self.lenient else value), after
        return value, after


def decode_json(text: str, *, require_escaped_solidus: bool = True) -> tuple[Any, tuple[str, ...]]:
    """Decode CSOM JSON text: the value and the special values written without the escaped solidus
    (``"/Date(…)/"``), in document order.

    With ``require_escaped_solidus`` (the default, JSOM's behaviour) only strings written as
    ``"\\/Date(…)\\/"`` are special; without it an unescaped ``"/Date(…)/"`` is special too when it is a
    valid special value (a stock JSON encoder's output; the MS-WMCSOM examples print dates so).
    Raises :class:`MalformedResponse`, also for an escaped special value with invalid content.
    """
    decoder = _SpecialDecoder(lenient=not require_escaped_solidus)
    try:
        return decoder.decode(text), tuple(decoder.unescaped)
    except json.JSONDecodeError as error:
        raise MalformedResponse(
            f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise MalformedResponse("JSON nested too deeply") from None
    except MalformedResponse:
        raise
    except ValueError as error:
        raise MalformedResponse(str(error)) from None


def from_json(text: str, *, require_escaped_solidus: bool = True) -> Any:
    """Decode CSOM JSON text (see :func:`decode_json`). Raises :class:`MalformedResponse`."""
    return decode_json(text, require_escaped_solidus=require_escaped_solidus)[0]
