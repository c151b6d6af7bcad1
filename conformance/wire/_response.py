"""The ProcessQuery response: ``[header, actionId1, result1, actionId2, result2, …]``.

:func:`parse_response` never raises anything but :class:`MalformedResponse` on bad input. Results are
decoded JSON with the CSOM special strings turned into ``datetime``/``UUID``/``bytes`` (see
:func:`~conformance.wire.from_json`); objects stay plain dicts, read with :func:`object_type`,
:func:`object_identity`, :func:`child_items`, :func:`is_null` and :func:`scope_error`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import CsomError, MalformedResponse, snippet
from ._json import decode_json, to_json


def _optional_str(container: Mapping[str, Any], key: str, context: str) -> str | None:
    value = container.get(key)
    if value is not None and not isinstance(value, str):
        raise MalformedResponse(f"{context}.{key} must be a string or null, got {snippet(value)}")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_extra(extra: Mapping[str, Any], known: Iterable[str]) -> dict[str, Any]:
    clash = set(extra) & set(known)
    if clash:
        raise ValueError(f"extra members {sorted(clash)} have dedicated fields")
    return dict(extra)


_ERROR_INFO_KEYS = (
    "ErrorMessage", "ErrorValue", "TraceCorrelationId", "ErrorCode", "ErrorTypeName", "ErrorDetails",
    "ErrorStackTrace",
)  # fmt: skip


@dataclass(frozen=True)
class ErrorInfo:
    """A CSOM error object (header ``ErrorInfo`` or an exception scope's ``ErrorInfo``)."""

    error_code: int
    error_message: str | None = None
    error_value: str | None = None
    error_type_name: str | None = None
    trace_correlation_id: str | None = None
    error_details: Any = None
    error_stack_trace: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", _check_extra(self.extra, _ERROR_INFO_KEYS))

    @classmethod
    def from_json(cls, value: Any, context: str = "ErrorInfo") -> ErrorInfo:
        if not isinstance(value, dict):
            raise MalformedResponse(f"{context} must be an object, got {snippet(value)}")
        code = value.get("ErrorCode")
        if not _is_int(code):
            raise MalformedResponse(f"{context}.ErrorCode must be an integer, got {snippet(code)}")
        return cls(
            error_code=code,
            error_message=_optional_str(value, "ErrorMessage", context),
            error_value=_optional_str(value, "ErrorValue", context),
            error_type_name=_optional_str(value, "ErrorTypeName", context),
            trace_correlation_id=_optional_str(value, "TraceCorrelationId", context),
            error_details=value.get("ErrorDetails"),
            error_stack_trace=_optional_str(value, "ErrorStackTrace", context),
            extra={key: item for key, item in value.items() if key not in _ERROR_INFO_KEYS},
        )

    def to_json(self) -> dict[str, Any]:
        """Members in SharePoint Online's order; the four MS-CSOM requires are always present."""
        value: dict[str, Any] = {"ErrorMessage": self.error_message, "ErrorValue": self.error_value}
        if self.trace_correlation_id is not None:
            value["TraceCorrelationId"] = self.trace_correlation_id
        value |= {"ErrorCode": self.error_code, "ErrorTypeName": self.error_type_name}
        if self.error_details is not None:
            value["ErrorDetails"] = self.error_details
        if self.error_stack_trace is not None:
            value["ErrorStackTrace"] = self.error_stack_trace
        return value | dict(self.extra)

    def to_exception(self) -> CsomError:
        return CsomError(
            error_code=self.error_code,
            error_message=self.error_message,
            error_value=self.error_value,
            error_type_name=self.error_type_name,
            error_details=self.error_details,
            trace_correlation_id=self.trace_correlation_id,
        )


_HEADER_KEYS = ("SchemaVersion", "LibraryVersion", "ErrorInfo", "TraceCorrelationId")


@dataclass(frozen=True)
class Header:
    """Element 0 of the response array; unknown members are kept in ``extra``."""

    schema_version: str
    library_version: str
    error_info: ErrorInfo | None = None
    trace_correlation_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", _check_extra(self.extra, _HEADER_KEYS))

    @classmethod
    def from_json(cls, value: Any) -> Header:
        if not isinstance(value, dict):
            raise MalformedResponse(f"element 0 (the header) must be an object, got {snippet(value)}")
        versions = []
        for key in ("SchemaVersion", "LibraryVersion"):
            version = value.get(key)
            if not isinstance(version, str) or not version:
                raise MalformedResponse(f"header.{key} must be a non-empty string, got {snippet(version)}")
            versions.append(version)
        error_info = value.get("ErrorInfo")
        return cls(
            *versions,
            error_info=None if error_info is None else ErrorInfo.from_json(error_info, "header.ErrorInfo"),
            trace_correlation_id=_optional_str(value, "TraceCorrelationId", "header"),
            extra={key: item for key, item in value.items() if key not in _HEADER_KEYS},
        )

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "SchemaVersion": self.schema_version,
            "LibraryVersion": self.library_version,
            "ErrorInfo": None if self.error_info is None else self.error_info.to_json(),
        }
        if self.trace_correlation_id is not None:
            value["TraceCorrelationId"] = self.trace_correlation_id
        return value | dict(self.extra)


@dataclass(frozen=True)
class Response:
    """A parsed response: ``results`` maps action Id to decoded result, in response order;
    ``unescaped``: the special values the body wrote without the escaped solidus (``"/Date(…)/"``)."""

    header: Header
    results: Mapping[int, Any] = field(default_factory=dict)
    unescaped: tuple[str, ...] = ()

    def raise_for_error(self) -> None:
        """Raise :class:`CsomError` if the header carries an ``ErrorInfo``."""
        if self.header.error_info is not None:
            raise self.header.error_info.to_exception()


def _decode_body(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    try:
        return body.decode(json.detect_encoding(body))
    except (UnicodeDecodeError, LookupError) as error:
        raise MalformedResponse(f"body is not UTF-8/16/32 text: {error}") from None


def parse_response(body: bytes | str, *, require_escaped_solidus: bool = True) -> Response:
    """Parse a ProcessQuery response body. See :func:`~conformance.wire.decode_json` for
    ``require_escaped_solidus``. Raises :class:`MalformedResponse` and nothing else on bad input."""
    document, unescaped = decode_json(_decode_body(body), require_escaped_solidus=require_escaped_solidus)
    if not isinstance(document, list):
        raise MalformedResponse(f"expected a JSON array, got {type(document).__name__}")
    if not document:
        raise MalformedResponse("empty array: no header")
    header = Header.from_json(document[0])
    if len(document) % 2 == 0:
        raise MalformedResponse(
            f"{len(document) - 1} elements after the header, not id/result pairs: "
            f"element {len(document) - 1} ({snippet(document[-1])}) has no partner"
        )
    results: dict[int, Any] = {}
    for index in range(1, len(document), 2):
        action_id = document[index]
        if not _is_int(action_id):
            raise MalformedResponse(f"element {index} must be an integer action id, got {snippet(action_id)}")
        if action_id in results:
            raise MalformedResponse(f"element {index}: action id {action_id} appears twice")
        results[action_id] = document[index + 1]
    return Response(header, results, unescaped)


def encode_response(header: Header, pairs: Mapping[int, Any] | Iterable[tuple[int, Any]]) -> bytes:
    """The UTF-8 response body for ``header`` and (action id, result) pairs, in the given order.

    Datetimes, UUIDs and bytes are written as ``"\\/Date(…)\\/"``, ``"\\/Guid(…)\\/"`` and
    ``"\\/Base64Binary(…)\\/"``, as real servers do.
    """
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    parts = [to_json(header.to_json())]
    for action_id, result in items:
        if not _is_int(action_id):
            raise TypeError(f"action ids are int, got {action_id!r}")
        parts += [str(action_id), to_json(result)]
    return ("[" + ",".join(parts) + "]").encode("utf-8")


# --------------------------------------------------------------------------------- result helpers


def _object(result: Any, wanted: str) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise MalformedResponse(f"expected an object for {wanted}, got {snippet(result)}")
    return result


def object_type(result: Any) -> str | None:
    """``_ObjectType_`` (the server type's ShortName) of an object result, or None."""
    return _optional_str(_object(result, "_ObjectType_"), "_ObjectType_", "result")


def object_identity(result: Any) -> str | None:
    """``_ObjectIdentity_`` of an object or ``ObjectIdentityQuery`` result, or None."""
    return _optional_str(_object(result, "_ObjectIdentity_"), "_ObjectIdentity_", "result")


def child_items(result: Any) -> list[Any]:
    """The items of a collection result: ``_Child_Items_``, or a bare array (JSOM accepts both)."""
    if isinstance(result, list):
        return result
    items = _object(result, "_Child_Items_").get("_Child_Items_")
    if not isinstance(items, list):
        raise MalformedResponse(f"result._Child_Items_ must be an array, got {snippet(items)}")
    return items


def is_null(result: Any) -> bool:
    """``IsNull`` of an ``ObjectPath`` action's result ``{"IsNull": bool}``."""
    flag = _object(result, "IsNull").get("IsNull")
    if not isinstance(flag, bool):
        raise MalformedResponse(f"result.IsNull must be a boolean, got {snippet(flag)}")
    return flag


def scope_error(result: Any) -> ErrorInfo | None:
    """The error of an exception-handling scope's result ``{"HasException": …, "ErrorInfo": …}``."""
    value = _object(result, "HasException")
    has_exception = value.get("HasException")
    if not isinstance(has_exception, bool):
        raise MalformedResponse(f"result.HasException must be a boolean, got {snippet(has_exception)}")
    if not has_exception:
        return None
    return ErrorInfo.from_json(value.get("ErrorInfo"), "result.ErrorInfo")
