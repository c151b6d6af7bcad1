"""Benign variations: answers that look different and mean the same. A conforming client, and the
suite, must take them; each change names the place that allows it.

- extra properties on objects: section 1.8 of both CSOM specs allows vendor extensions;
- another member order, and whitespace between tokens (JSON; between elements in XML);
- a newer LibraryVersion (the server's build) and another TraceCorrelationId (any GUID).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conformance.faults.answers import Edit, edited
from conformance.faults.calendar import BODY, CALENDAR, Document
from conformance.faults.csom import HEADER, MS_CSOM, STRUCTURE
from conformance.faults.jsontext import CsomAnswer, typed_objects, walk
from conformance.faults.model import Change, ProxiedExchange, ResponseRewrite, register

VENDOR_MEMBER, VENDOR_VALUE = "Contoso_Extension", "vendor data"
VERSION_STEP = 10000  # a later build of the same release: 16.0.0.0 -> 16.0.10000.0


@register(
    "vendor-extension-properties", "benign", "ms-wmcsom", "1.8",
    f'Every object with an _ObjectType_ carries one more property, "{VENDOR_MEMBER}" (section 1.8 of '
    "MS-WMCSOM and MS-SPWFCSOM: vendor-extensible fields).",
)  # fmt: skip
def vendor_extension_properties(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def edit(answer: CsomAnswer) -> tuple[Change, ...]:
        objects = list(typed_objects(answer.results))
        for obj in objects:
            obj[VENDOR_MEMBER] = VENDOR_VALUE
        return (
            (Change("ms-wmcsom", "1.8", f"{VENDOR_MEMBER} added to {len(objects)} object(s)"),)
            if objects
            else ()
        )

    return edited(exchange, edit)


def _reverse_members(value: Any) -> int:
    """Reverse the member order of every JSON object in ``value``; how many there were."""
    objects = list(walk(value))
    for obj in objects:
        items = list(obj.items())
        obj.clear()
        obj.update(reversed(items))
    return len(objects)


def _reverse_fields(document: Document) -> int:
    """Reverse the field order of every entry of a calendar XML answer; how many there were (the
    entries' own order is the list's, and stays)."""
    entries = [entry.element for _, entry in document.entries()]
    for element in entries:
        element[:] = list(reversed(element))
    return len(entries)


CalendarEdit = Callable[[Document], tuple[bytes, str] | None]  # the new body and what changed, or None


def _varied(exchange: ProxiedExchange, csom: Edit, calendar: CalendarEdit, **layout: Any) -> ResponseRewrite:
    """A CSOM answer edited by ``csom`` (written with ``layout``), a calendar answer by ``calendar``."""
    if exchange.original.endpoint != "calendar":
        return edited(exchange, csom, **layout)
    document = Document.parse(exchange.response)
    varied = calendar(document) if document is not None else None
    if varied is None:
        return ResponseRewrite(exchange.response)
    body, detail = varied
    return ResponseRewrite(replace(exchange.response, body=body), (Change(CALENDAR, BODY, detail),))


@register(
    "reordered-members", "benign", MS_CSOM, STRUCTURE,
    "Every JSON object lists its members in reverse order (the calendar's XML entries their fields).",
    endpoints=("csom", "calendar"),
)  # fmt: skip
def reordered_members(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def reorder_answer(answer: CsomAnswer) -> tuple[Change, ...]:
        count = _reverse_members(answer.document())
        return (Change(MS_CSOM, STRUCTURE, f"member order reversed in {count} object(s)"),)

    def reorder_calendar(document: Document) -> tuple[bytes, str] | None:
        count = _reverse_members(document.root) if document.media == "json" else _reverse_fields(document)
        return (
            (document.dump(), f"member order reversed in {count} {document.media} container(s)")
            if count
            else None
        )

    return _varied(exchange, reorder_answer, reorder_calendar)


@register(
    "extra-whitespace", "benign", MS_CSOM, STRUCTURE,
    "Answers are pretty-printed: indented JSON with blanks after separators, indented XML.",
    endpoints=("csom", "calendar"),
)  # fmt: skip
def extra_whitespace(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def indent_answer(answer: CsomAnswer) -> tuple[Change, ...]:
        return (Change(MS_CSOM, STRUCTURE, "JSON indented, blanks after separators"),)

    def indent_calendar(document: Document) -> tuple[bytes, str]:
        return document.dump(indent=2), f"{document.media.upper()} indented"

    return _varied(exchange, indent_answer, indent_calendar, indent=2, compact=False)


def _newer(version: str) -> str | None:
    parts = version.split(".")
    if len(parts) != 4 or not all(part.isdigit() for part in parts):
        return None
    parts[2] = str(int(parts[2]) + VERSION_STEP)
    return ".".join(parts)


@register(
    "newer-library-version", "benign", MS_CSOM, HEADER,
    f"The header's LibraryVersion is a later build (third part + {VERSION_STEP}: 16.0.0.0 -> 16.0.10000.0).",
)  # fmt: skip
def newer_library_version(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def edit(answer: CsomAnswer) -> tuple[Change, ...]:
        before = answer.header.get("LibraryVersion")
        newer = _newer(before) if isinstance(before, str) else None
        if newer is None:
            return ()
        answer.header["LibraryVersion"] = newer
        return (Change(MS_CSOM, HEADER, f"LibraryVersion {before} -> {newer}"),)

    return edited(exchange, edit)


@register(
    "other-trace-correlation-id", "benign", MS_CSOM, HEADER,
    "Another TraceCorrelationId (derived from the target's) in the header, in every ErrorInfo that "
    "repeats it, and in the SPRequestGuid HTTP header.",
)  # fmt: skip
def other_trace_correlation_id(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    answer = CsomAnswer.parse(exchange.response.body)
    before = answer.header.get("TraceCorrelationId") if answer else None
    if answer is None or not isinstance(before, str):
        return ResponseRewrite(exchange.response)
    other = str(uuid.uuid5(uuid.NAMESPACE_URL, f"csom-conformance-trace:{before}"))
    for holder in (answer.header, *answer.error_infos()):
        if holder.get("TraceCorrelationId") == before:
            holder["TraceCorrelationId"] = other
    response = replace(exchange.response, body=answer.dumps())
    if response.header("SPRequestGuid") == before:
        response = response.with_header("SPRequestGuid", other)
    return ResponseRewrite(response, (Change(MS_CSOM, HEADER, f"TraceCorrelationId {before} -> {other}"),))
