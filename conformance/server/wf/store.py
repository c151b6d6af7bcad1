"""Shared plumbing of the workflow object model: enumerations, typed JSON, times, argument checks."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from enum import IntEnum
from typing import Any

from lxml import etree

from conformance.server.csom.objects import (
    ARGUMENT,
    ARGUMENT_NULL,
    ARGUMENT_OUT_OF_RANGE,
    NOT_FOUND,
    CsomFault,
)

EMPTY_GUID = uuid.UUID(int=0)
PAGE_SIZE = 100  # the *WithOffset methods return up to 100 instances


class WorkflowStatus(IntEnum):
    """Microsoft.SharePoint.Client.WorkflowServices.WorkflowStatus (3.1.5.12)."""

    NotStarted = 0
    Started = 1
    Suspended = 2
    Canceling = 3
    Canceled = 4
    Terminated = 5
    Completed = 6
    NotSpecified = 7
    Invalid = 8


class WorkflowServiceHealthStatus(IntEnum):
    """Microsoft.SharePoint.Client.WorkflowServices.WorkflowServiceHealthStatus (3.1.5.13)."""

    Active = 0
    NoScope = 1
    NotConnected = 2
    Suspended = 3
    Throttled = 4
    Unknown = 5
    Unregistered = 6


# ----------------------------------------------------------------------------------------- typed JSON
def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return {"$guid": str(value)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise CsomFault(ARGUMENT, f"a value of type {type(value).__name__} cannot be stored in a dictionary")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((tag, text),) = obj.items()
        if tag == "$guid":
            return uuid.UUID(text)
        if tag == "$datetime":
            return dt.datetime.fromisoformat(text)
        if tag == "$bytes":
            return base64.b64decode(text)
    return obj


def dumps(value: Any) -> str:
    """JSON for dictionaries and arrays whose values may be GUIDs, dates or bytes."""
    return json.dumps(_encode(value), sort_keys=False, separators=(",", ":"))


def loads(text: str | None) -> Any:
    return json.loads(text, object_hook=_decode) if text else None


# ---------------------------------------------------------------------------------------------- time
def iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def from_iso(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------------------------- GUIDs
def guid_text(value: uuid.UUID) -> str:
    return str(value).lower()


def is_empty(value: uuid.UUID | None) -> bool:
    return value is None or value == EMPTY_GUID


def as_guid(value: Any, what: str) -> uuid.UUID:
    """A GUID argument (the engine decodes them; direct callers may pass text)."""
    if isinstance(value, uuid.UUID):
        return value
    if value is None:
        raise CsomFault(ARGUMENT_NULL, f"{what} must not be null")
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise CsomFault(ARGUMENT, f"{what}: {value!r:.60} is not a GUID") from None


# ----------------------------------------------------------------------------------- argument checks
def require_text(value: Any, what: str) -> str:
    """A string argument that must be non-empty."""
    if value is None:
        raise CsomFault(ARGUMENT_NULL, f"{what} must not be null")
    if not isinstance(value, str):
        raise CsomFault(ARGUMENT, f"{what} must be a string")
    if not value.strip():
        raise CsomFault(ARGUMENT, f"{what} must not be empty")
    return value


def require_offset(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CsomFault(ARGUMENT, "offset must be an integer")
    if value < 0:
        raise CsomFault(ARGUMENT_OUT_OF_RANGE, f"offset must not be negative, got {value}")
    return value


def require_dictionary(value: Any, what: str) -> dict[str, Any]:
    """A CSOM dictionary argument; null is an empty dictionary."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CsomFault(ARGUMENT, f"{what} must be a dictionary")
    return dict(value)


def not_found(what: str) -> CsomFault:
    return CsomFault(NOT_FOUND, what)


# ---------------------------------------------------------------------------------------------- XAML
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_xaml(xaml: str | None) -> tuple[etree._Element | None, str | None]:
    """(root element, None) for well-formed XML, else (None, the reason)."""
    if xaml is None or not xaml.strip():
        return None, "the XAML is empty"
    try:
        root = etree.fromstring(xaml.strip().encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError as exc:
        return None, f"the XAML is not well-formed XML: {exc}"
    return root, None


def has_child_activities(root: etree._Element) -> bool:
    """Whether the root activity holds any activity (property elements such as
    ``<Activity.Members>`` or ``<x:Members>`` do not count)."""
    for child in root:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        local = etree.QName(child).localname
        if "." in local or local == "Members":
            continue
        return True
    return False
