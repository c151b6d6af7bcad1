"""The Python model of a CSOM value, written as ``<Parameter>`` XML in a request (``_write``/``_read``)
and as JSON in a response (``_json``).

Plain Python values where the wire form is unambiguous:

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

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias, Union
from uuid import UUID

from ._errors import snippet

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
