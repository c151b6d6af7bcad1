"""The text of each scalar in the request XML: ISO date-times, numbers, booleans, base64 and the
.NET-typed scalars of :class:`~conformance.wire.CsomValue`, both ways."""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from ._values import FLOAT_TYPES, INTEGER_RANGES, CsomValue, as_uuid

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


def offset_minutes(moment: datetime) -> int | None:
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
    minutes = offset_minutes(moment)
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


def parse_boolean(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError("expected true or false")
    return text == "true"


def parse_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError(str(error)) from None


def parse_typed(type_name: str, text: str) -> CsomValue:
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


SCALAR_PARSERS = {
    "String": lambda text: text,
    "Number": _parse_number,
    "Boolean": parse_boolean,
    "DateTime": parse_iso_datetime,
    "Guid": as_uuid,
    "Base64Binary": parse_base64,
}


def format_number(number: int | float) -> str:
    # JavaScript Number.prototype.toString: integral doubles have no fraction below 1e21
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    return repr(number)


def format_typed(value: CsomValue) -> str:
    if isinstance(value.value, Decimal):
        return format(value.value, "f")
    return repr(value.value) if isinstance(value.value, float) else str(value.value)


def format_bool(flag: bool) -> str:
    return "true" if flag else "false"
