"""Shared pieces of the Work Management object model: enums, dates, validation helpers.

Choices where [MS-WMCSOM] is silent:

- Enums travel as ints. An enum-typed argument or property set to a value outside the spec's
  value set (or to null, or to a Boolean) is a ``CsomFault`` ARGUMENT_OUT_OF_RANGE; the IntEnums
  below are checked against ``specs/ms-wmcsom.json`` by the tests.
- "No date" is .NET ``DateTime.MinValue``: the spec's DateRangeCriterion says so ("Use
  00:00:00.0000000, January 1, 0001 to represent no start date") and example 4.1/4.3 return
  ``StartDate`` ``/Date(1,0,1,0,0,0,0)/`` for a task without a start date. It is the naive
  ``MIN_DATE``; any value in year 1 (naive or aware) reads as "no date".
- Task ``StartDate``/``DueDate`` come from *localized strings* and are naive datetimes (.NET
  "unspecified" kind, sent as the 7-number ``/Date(y,m0,d,...)/`` form as in examples 4.1/4.3);
  every other DateTime is aware UTC. Comparisons treat naive values as UTC.
- Localized date strings are parsed leniently: en-US ``M/D/YYYY`` (JSOM's invariant culture,
  what the captures send), ``M/D/YY``, optional ``h:mm[:ss] [AM|PM]``, ISO-8601 (date or
  date-time, with or without zone; an aware value is converted to UTC and its zone dropped),
  ``D.M.YYYY``, ``YYYY/M/D`` and English month names ("January 15, 2026", "15 Jan 2026").
  Empty/whitespace/None means "no date".
"""

from __future__ import annotations

import datetime as dt
import re
from enum import IntEnum
from typing import Any

from conformance.server.csom.objects import ARGUMENT_NULL, ARGUMENT_OUT_OF_RANGE, CsomFault
from conformance.spec.data import load_csom

NS = load_csom("ms-wmcsom").namespace
UTC = dt.UTC
MIN_DATE = dt.datetime(1, 1, 1)  # DateTime.MinValue, "no date"
REFRESH_SECONDS = 2  # a cache refresh job is Pending this long after BeginCacheRefresh, then Succeeded
EXCHANGE_SECONDS = 2  # an Exchange sync job is pending this long after BeginExchangeSync


class BooleanCompareType(IntEnum):
    NoValue = 0
    IsTrue = 1
    IsFalse = 2


class CriterionConcatType(IntEnum):
    NoValue = 0
    All = 1
    Any = 2


class PinAge(IntEnum):
    NoValue = 0
    Fresh = 1
    Stale = 2


class PinnedState(IntEnum):
    NoValue = 0
    Pinned = 1
    NotPinned = 2


class RefreshState(IntEnum):
    NoValue = 0
    Pending = 1
    Ignored = 2
    Succeeded = 3
    Failed = 4


class SortableTaskField(IntEnum):
    NoValue = 0
    IsCompleted = 13
    Id = 1
    DueDate = 5
    Description = 4
    PinAge = 22
    Location = 18
    LastModified = 17
    DiscoveredDate = 2
    Title = 21


class StringCompareType(IntEnum):
    NoValue = 0
    Equals = 1
    Contains = 2
    BeginsWith = 3


class WritableTaskField(IntEnum):
    NoValue = 0
    IsCompleted = 13
    DueDate = 5
    Description = 4
    Title = 21
    EditUrl = 6
    StartDate = 28


class WriteFieldErrorType(IntEnum):
    NoValue = 0
    TaskNotFound = 1
    InvalidInput = 2
    TaskDeleted = 3
    FieldConflict = 4
    Validation = 5
    LocationInvalid = 6
    Unknown = 7
    DueDateInvalid = 8
    StartDateInvalid = 9
    DescriptionInvalid = 10
    IsCompletedInvalid = 11
    TitleInvalid = 12
    EditUrlInvalid = 13
    AccessDenied = 14
    PromoteTargetTaskNotPersonal = 15
    PromotionFailedInProvider = 16


class PrivacyType(IntEnum):
    None_ = 0  # spec name "None" (a Python keyword)
    Personal = 1
    Public = 2


class ExchangeOptInResult(IntEnum):
    NoValue = 0
    Success = 1
    UnknownError = 2
    CouldNotConnectToExchange = 3
    CouldNotFindOrCreateMySite = 4
    UserAlreadyOptedIn = 5
    UserExchangeOperationPending = 6
    UnsupportedExchangeVersion = 7
    MissingEmailAddress = 8
    ExchangeWebServiceClientMissing = 9
    UnsupportedSharePointConfiguration = 10
    InvalidOrUnauthorizedUser = 11
    CouldNotActivateExchangeSyncFeatureOnSiteSubscription = 12


class ExchangeSyncResult(IntEnum):
    NoValue = 0
    Success = 1
    UnknownError = 2
    CouldNotConnectToExchange = 3
    CouldNotGetUserCredentials = 4
    CouldNotKickoffJob = 5
    SyncWithErrors = 6


class TaskQueryErrorType(IntEnum):
    NoValue = 0
    QueryThrottled = 1


ENUMS: tuple[type[IntEnum], ...] = (
    BooleanCompareType, CriterionConcatType, PinAge, PinnedState, RefreshState, SortableTaskField,
    StringCompareType, WritableTaskField, WriteFieldErrorType, PrivacyType, ExchangeOptInResult,
    ExchangeSyncResult, TaskQueryErrorType,
)  # fmt: skip


def check_enum(enum: type[IntEnum], value: Any, what: str) -> int:
    """The int of a valid ``enum`` value, else CsomFault ARGUMENT_OUT_OF_RANGE."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in enum._value2member_map_:
        raise CsomFault(
            ARGUMENT_OUT_OF_RANGE, f"{what}: {value!r} is not a value of {NS}{enum.__name__}", what
        )
    return int(value)


class EnumProperty:
    """A read/write enum-typed property that rejects values outside the enum (default 0)."""

    def __init__(self, enum: type[IntEnum], default: int = 0) -> None:
        self.enum, self.default = enum, default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, f"_{name}_value"

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance.__dict__.get(self.slot, self.default)

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.slot] = check_enum(self.enum, value, self.name)


def personal_edit_url(task_id: int) -> str:
    """The edit URL of a personal task that was given none (example 4.3)."""
    return f"EditTask.aspx?taskId={task_id}"


def require(value: Any, what: str) -> Any:
    if value is None:
        raise CsomFault(ARGUMENT_NULL, f"Value cannot be null. Parameter name: {what}", what)
    return value


# ---- dates ----------------------------------------------------------------------------------


def is_unset(moment: dt.datetime | None) -> bool:
    return moment is None or moment.year == 1


def to_utc(moment: dt.datetime) -> dt.datetime:
    """Naive values (unspecified kind) are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_utc(moment: dt.datetime) -> str:
    """Stored form of an instant: fixed-width ISO UTC, so text order is time order."""
    return to_utc(moment).isoformat(timespec="microseconds")


def from_iso(text: str | None, default: dt.datetime = MIN_DATE) -> dt.datetime:
    return default if text is None else dt.datetime.fromisoformat(text)


def naive_date(moment: dt.datetime | None) -> str | None:
    """Stored form of a task date (naive, seconds)."""
    if is_unset(moment):
        return None
    assert moment is not None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


_TIME = r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})" + _TIME)
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME)
_YMD_SLASH = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})" + _TIME)
_NAMED_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y")


def _clock(hour: str | None, minute: str | None, second: str | None, ampm: str | None) -> dt.time:
    if hour is None:
        return dt.time()
    h, m, s = int(hour), int(minute or 0), int(second or 0)
    if ampm:
        if not 1 <= h <= 12:
            raise ValueError("hour out of range for AM/PM")
        h = h % 12 + (12 if ampm.lower() == "pm" else 0)
    return dt.time(h, m, s)


def parse_localized_date(text: str | None) -> dt.datetime | None:
    """A localized date string as a naive datetime; None for no date; ValueError if unreadable."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    for pattern, order in ((_US, "mdy"), (_DOTTED, "dmy"), (_YMD_SLASH, "ymd")):
        match = pattern.fullmatch(text)
        if match:
            a, b, c, *clock = match.groups()
            parts = dict(zip(order, (int(a), int(b), int(c)), strict=True))
            year = parts["y"] + (2000 if len(str(c)) == 2 and order == "mdy" else 0)
            return dt.datetime.combine(dt.date(year, parts["m"], parts["d"]), _clock(*clock))
    try:
        moment = dt.datetime.fromisoformat(text.replace("z", "Z"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # in UTC the year is 0 or 10000
        raise ValueError(f"{text[:40]!r} is outside the dates a task can have") from None
    except ValueError:
        pass
    else:
        if moment.year == 1:
            return None
        return moment
    for fmt in _NAMED_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date")


def parse_localized_bool(text: str | None) -> bool:
    value = (text or "").strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValueError(f"{text!r} is not a Boolean")
