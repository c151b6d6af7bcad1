"""The JSON of a response: CSOM's special strings ``\\/Date(…)\\/``, ``\\/Guid(…)\\/`` and
``\\/Base64Binary(…)\\/``, both ways."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from json import decoder as json_decoder
from json import encoder as json_encoder
from json import scanner as json_scanner
from typing import Any
from uuid import UUID

from ._errors import MalformedResponse, snippet
from ._scalars import offset_minutes, parse_base64

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
        return parse_base64(inner)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"bad /{kind}(…)/ value {snippet(text)}: {error}") from None


def _date_to_json(moment: datetime) -> str:
    minutes = offset_minutes(moment)
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
