"""Server objects: the Python side of the spec's CSOM types.

A server object is an instance of a class registered for a spec type by full name
(``@register("Microsoft.SharePoint.WorkManagement.Client.Task")``). Members use the
spec's own names so the engine can dispatch without a mapping table:

- a property is a Python attribute or ``@property`` named as in the spec (``Name``,
  ``DueDate``); SetProperty assigns it (write a property setter to validate or persist);
- a method is a Python method named as in the spec taking ``(self, ctx, *args)`` with the
  arguments in the spec's parameter order, already decoded to Python values;
- the CSOM constructor is ``__init__(self, ctx, *args)``;
- a static property or method is a ``classmethod`` named ``static_<Name>`` taking ``ctx``.

Values crossing the boundary are plain Python: ``str``, ``int``, ``bool``, ``None``,
``float``, ``datetime.datetime``, ``uuid.UUID``, ``list``, ``dict``, or server objects.
The engine checks every member and parameter against the spec data before calling, so
implementations may assume the spec's arity; they validate values (ranges, existence) and
raise ``CsomFault`` for errors a client should see as ErrorInfo.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Self, TypeVar

from conformance.registry import Registry

# MS-CSOM / MS-CSOMSPT error codes used by the reference server
ACCESS_DENIED = (-2147024891, "System.UnauthorizedAccessException")
ARGUMENT = (-2147024809, "System.ArgumentException")
ARGUMENT_OUT_OF_RANGE = (-2146233086, "System.ArgumentOutOfRangeException")
ARGUMENT_NULL = (-2147467261, "System.ArgumentNullException")
NOT_FOUND = (-2147024894, "System.IO.FileNotFoundException")
INVALID_QUERY = (-1, "Microsoft.SharePoint.Client.InvalidClientQueryException")
SP_EXCEPTION = (-2146232832, "Microsoft.SharePoint.SPException")
INVALID_OPERATION = (-2146233079, "System.InvalidOperationException")


INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)  # SQLite's INTEGER: what a key may be to be looked up at all
_DECIMAL = re.compile(r"-?[0-9]{1,20}")


def decimal_int(text: str, bounds: tuple[int, int] = INT64) -> int | None:
    """ASCII decimal text as an int within ``bounds``, else None. ``int()`` alone also reads
    other scripts' digits, fails on '²' (which ``isdigit`` accepts) and on thousands of digits,
    and gives values SQLite cannot bind: each of those reached the catch-all."""
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    value = int(text)
    return value if bounds[0] <= value <= bounds[1] else None


MAX_MESSAGE = 400  # characters of an ErrorMessage or ErrorValue: both may quote the client's input


def _cut(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else f"{text[: MAX_MESSAGE - 1]}…"


class CsomFault(Exception):
    """An error the client sees as ErrorInfo (HTTP 200, processing stops). Message and value are
    cut to ``MAX_MESSAGE`` characters: a member name or argument quoted whole echoed megabytes."""

    def __init__(self, kind: tuple[int, str], message: str, value: str | None = None) -> None:
        message, value = _cut(message), None if value is None else _cut(value)
        super().__init__(message)
        self.code, self.type_name = kind
        self.message = message
        self.value = value


@dataclass
class Context:
    """What a server object may use while one request runs."""

    db: sqlite3.Connection  # inside the request's transaction
    user_id: int
    web_url: str  # the site the request was sent to
    correlation_id: str
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


# SharePoint identities read "740c6a0b-85e2-48a0-a494-e0f1759d4aa7:web:<guid>" (MS-SPWFCSOM
# section 4 examples): a fixed prefix, a kind, and the kind's key.
IDENTITY_PREFIX = "740c6a0b-85e2-48a0-a494-e0f1759d4aa7"


class ServerObject:
    """Base of every registered class. ``type_name`` etc. are set by ``register``."""

    type_name: ClassVar[str] = ""  # spec full name (or the SharePoint name of a core type)
    short_name: ClassVar[str | None] = None  # only for core types; spec types take it from the spec
    type_id: ClassVar[str | None] = None  # only for core types; spec types take it from the spec
    core: ClassVar[bool] = False  # a SharePoint core type outside the two specs (Web, List, ...)
    identity_kind: ClassVar[str | None] = None  # set on identifiable classes: "web", "wftask", ...

    def identity_key(self) -> str:
        """The key of this object within its ``identity_kind`` (identifiable classes only)."""
        raise NotImplementedError

    @classmethod
    def from_identity(cls, ctx: Context, key: str) -> ServerObject | None:
        """Find the object an Identity path names, or None when it no longer exists."""
        raise NotImplementedError

    def identity(self) -> str | None:
        """The ``_ObjectIdentity_`` a client may send back in an Identity path, or None."""
        if self.identity_kind is None:
            return None
        return f"{IDENTITY_PREFIX}:{self.identity_kind}:{self.identity_key()}"


class ServerCollection(ServerObject):
    """A CSOM collection: a Query with ChildItemQuery reads ``items``."""

    def items(self, ctx: Context) -> list[ServerObject]:
        raise NotImplementedError


class ItemCollection(ServerCollection):
    """A collection of the items it was made with (``of``): what a method read when it ran.
    Its constructor takes only ``ctx``, as a CSOM constructor does, and makes it empty."""

    def __init__(self, ctx: Context | None = None) -> None:
        self._items: list[ServerObject] = []

    @classmethod
    def of(cls, items: Iterable[ServerObject]) -> Self:
        collection = cls()
        collection._items = list(items)
        return collection

    def items(self, ctx: Context) -> list[ServerObject]:
        return list(self._items)


REGISTRY: Registry[type[ServerObject]] = Registry("server type")
T = TypeVar("T", bound=type[ServerObject])


def register(
    type_name: str, *, core: bool = False, short_name: str | None = None, type_id: str | None = None
) -> Callable[[T], T]:
    """Register a class for a spec type (by full name) or, with ``core=True``, for a
    SharePoint core type that the specs use but do not define (give its wire short name
    and TypeId, lower-case without braces)."""

    def wrap(cls: T) -> T:
        REGISTRY.add(type_name, cls)
        cls.type_name, cls.core, cls.short_name, cls.type_id = type_name, core, short_name, type_id
        return cls

    return wrap


def fault_if(condition: bool, kind: tuple[int, str], message: str) -> None:
    if condition:
        raise CsomFault(kind, message)
