"""Typed errors of the CSOM wire codec.

Every message names what was wrong and where (element, id, line or offset) and quotes at most a short
snippet of the offending text: request and response bodies can be megabytes and may hold user data.
"""

from __future__ import annotations

from typing import Any

_SNIPPET_LIMIT = 60


def snippet(value: object, limit: int = _SNIPPET_LIMIT) -> str:
    """repr() of ``value`` cut to ``limit`` characters, saying how much was cut."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…(+{len(text) - limit} more)"


class WireError(ValueError):
    """Base class of every error raised by :mod:`conformance.wire`."""


class MalformedRequest(WireError):
    """A ProcessQuery request body that a server cannot accept."""


class MalformedResponse(WireError):
    """A body that is not a CSOM ProcessQuery response."""


class CsomError(WireError):
    """An ``ErrorInfo`` returned by the server (a CSOM-level failure inside an HTTP 200 response)."""

    def __init__(
        self,
        *,
        error_code: int,
        error_message: str | None,
        error_value: str | None = None,
        error_type_name: str | None = None,
        error_details: Any = None,
        trace_correlation_id: str | None = None,
    ) -> None:
        self.error_code = error_code
        self.error_message = error_message
        self.error_value = error_value
        self.error_type_name = error_type_name
        self.error_details = error_details
        self.trace_correlation_id = trace_correlation_id
        message = snippet(error_message, 200) if error_message is not None else "no message"
        super().__init__(f"CSOM error {error_code} ({error_type_name or 'no type name'}): {message}")
