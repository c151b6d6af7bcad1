"""Faults of ``GET api/Tasks/Calendar``: fields missing, misnamed or out of range, XML that says
something else than JSON, wrong statuses and content types, and parameters read wrongly.

Field faults work on JSON and XML answers alike, on the first entry of the answer in document
order (``Result.Tasks`` then ``Result.Items``; with ``includeTasks`` false only Items has any).
Parameter faults rewrite the query string before it is forwarded, so the target itself answers
the wrong question: ``to`` a day (or an instant) earlier, ``includeTasks=true`` added, ``member``
dropped. Sections are the spec's headings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from conformance.faults.answers import camel_case, rename_key
from conformance.faults.jsontext import dumps, loads
from conformance.faults.model import (
    Change,
    Context,
    HttpRequest,
    HttpResponse,
    ProxiedExchange,
    RequestRewrite,
    ResponseRewrite,
    register,
)
from conformance.model.calendar_schema import endpoint, groups, parse_xml
from conformance.spec.model import RestField

CALENDAR = "contactslaw-calendar"
PARAMETERS, BODY, STATUS_CODES, REMARKS = "Parameters", "Body", "Status Codes", "Remarks"


# ----------------------------------------------------------------------------------- documents


class _JsonEntry:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def names(self) -> list[str]:
        return list(self.data)

    def get(self, name: str) -> Any:
        return self.data[name]

    def set(self, name: str, value: Any) -> None:
        self.data[name] = value

    def remove(self, name: str) -> None:
        del self.data[name]

    def rename(self, name: str, new: str) -> None:
        rename_key(self.data, name, new)


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


class _XmlEntry:
    def __init__(self, element: Any) -> None:
        self.element = element

    def _child(self, name: str) -> Any:
        return next(child for child in self.element if _local(child) == name)

    def names(self) -> list[str]:
        return [_local(child) for child in self.element if _local(child)]

    def get(self, name: str) -> Any:
        return self._child(name).text or ""

    def set(self, name: str, value: Any) -> None:
        self._child(name).text = ("true" if value else "false") if isinstance(value, bool) else str(value)

    def remove(self, name: str) -> None:
        self.element.remove(self._child(name))

    def rename(self, name: str, new: str) -> None:
        child = self._child(name)
        child.tag = etree.QName(etree.QName(child).namespace, new).text


Entry = _JsonEntry | _XmlEntry


@dataclass
class Document:
    """A successful calendar answer, JSON or XML, to edit in place."""

    media: str  # "json" | "xml"
    root: Any

    @classmethod
    def parse(cls, response: HttpResponse) -> Document | None:
        content_type = (response.header("content-type") or "").lower()
        if response.status != 200:
            return None
        if "json" in content_type:
            data = loads(response.body)
            ok = isinstance(data, dict) and isinstance(data.get("Result"), dict)
            return cls("json", data) if ok else None
        if "xml" in content_type:
            try:
                root = parse_xml(response.body)
            except ValueError:
                return None
            # a DTD is nothing a calendar sends (and its entities would not survive a rewrite)
            plain = not root.getroottree().docinfo.doctype
            return cls("xml", root) if plain and _local(root) == "Response" else None
        return None

    def entries(self) -> list[tuple[str, Entry]]:
        """(group name, entry) in document order."""
        found: list[tuple[str, Entry]] = []
        if self.media == "json":
            for group, items in self.root["Result"].items():
                if isinstance(items, list):
                    found += [(group, _JsonEntry(item)) for item in items if isinstance(item, dict)]
            return found
        for result in (child for child in self.root if _local(child) == "Result"):
            for group in result:
                found += [(_local(group), _XmlEntry(item)) for item in group if _local(item) == "Item"]
        return found

    def dump(self, indent: int | None = None) -> bytes:
        """The document as the calendar writes it (``indent``: pretty-printed by that many blanks)."""
        if self.media == "json":
            return dumps(self.root, indent=indent, compact=False, ascii_only=False)
        if indent is not None:
            etree.indent(self.root, space=" " * indent)
        return etree.tostring(self.root, xml_declaration=True, encoding="utf-8")


def spec_field(group: str, name: str) -> RestField | None:
    found = next((g for g in groups() if g.name == group), None)
    return next((f for f in found.fields if f.path.endswith(f".{name}")), None) if found else None


DocumentEdit = Callable[["Document"], tuple[Change, ...]]


def _on_document(
    exchange: ProxiedExchange, edit: DocumentEdit, media: tuple[str, ...] = ("json", "xml")
) -> ResponseRewrite:
    """The response with ``edit(document) -> changes`` applied to its calendar document."""
    document = Document.parse(exchange.response)
    changes = edit(document) if document is not None and document.media in media else ()
    if document is None or not changes:
        return ResponseRewrite(exchange.response)
    return ResponseRewrite(replace(exchange.response, body=document.dump()), tuple(changes))


def _first_field(change: Callable[[Entry, str], str]) -> DocumentEdit:
    """An edit applying ``change`` (which edits in place and says what it did) to the first field of
    the answer's first entry."""

    def edit(document: Document) -> tuple[Change, ...]:
        hit = next(((group, entry) for group, entry in document.entries() if entry.names()), None)
        if hit is None:
            return ()
        group, entry = hit
        name = entry.names()[0]
        return (Change(CALENDAR, BODY, f"Result.{group}[].{name} {change(entry, name)} ({document.media})"),)

    return edit


def _spec_fields(document: Document) -> Iterator[tuple[str, Entry, str, RestField]]:
    """(group, entry, field name, its spec) of every field the spec lists, in document order."""
    for group, entry in document.entries():
        for name in entry.names():
            field = spec_field(group, name)
            if field is not None:
                yield group, entry, name, field


# -------------------------------------------------------------------------------------- fields


@register(
    "calendar-field-missing", "response", CALENDAR, BODY,
    "The first field of the answer's first entry is left out (JSON and XML).", endpoints=("calendar",),
)  # fmt: skip
def calendar_field_missing(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def drop(entry: Entry, name: str) -> str:
        entry.remove(name)
        return "left out"

    return _on_document(exchange, _first_field(drop))


@register(
    "calendar-field-misnamed", "response", CALENDAR, BODY,
    "The first field of the answer's first entry is sent under a camelCase name (Type -> type).",
    endpoints=("calendar",),
)  # fmt: skip
def calendar_field_misnamed(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def rename(entry: Entry, name: str) -> str:
        entry.rename(name, camel_case(name))
        return f"sent as {camel_case(name)}"

    return _on_document(exchange, _first_field(rename))


def outside(field: RestField) -> int | None:
    """A number the spec does not allow for ``field`` (None when it allows any)."""
    if field.allowed:
        return max(field.allowed) + 1
    if field.range:
        return field.range[1] + 1
    return field.minimum - 1 if field.minimum is not None else None


def values_section(field: RestField) -> str:
    """Where the spec restricts the field: allowed values its own comment in the Body example lists
    are in the Body; the others (the item types) in the Remarks."""
    listed = [str(value) for value in field.allowed or ()]
    return BODY if all(value in (field.description or "") for value in listed) else REMARKS


@register(
    "calendar-field-out-of-range", "response", CALENDAR, BODY,
    "The first field the spec restricts (Style, Priority, SequenceNo, an item's Type) carries a value "
    "outside what it allows.",
    endpoints=("calendar",),
)  # fmt: skip
def calendar_field_out_of_range(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def edit(document: Document) -> tuple[Change, ...]:
        for group, entry, name, field in _spec_fields(document):
            value = outside(field)
            if value is not None:
                before = entry.get(name)
                entry.set(name, value)
                detail = f"Result.{group}[].{name} {before} -> {value} ({document.media})"
                return (Change(CALENDAR, values_section(field), detail),)
        return ()

    return _on_document(exchange, edit)


@register(
    "calendar-xml-disagrees-with-json", "response", CALENDAR, BODY,
    "XML answers differ from the JSON ones: the first entry's first id field (type long) is one higher.",
    endpoints=("calendar",),
)  # fmt: skip
def calendar_xml_disagrees(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def edit(document: Document) -> tuple[Change, ...]:
        for group, entry, name, field in _spec_fields(document):
            text = str(entry.get(name)).strip()
            if field.type == "long" and text.lstrip("-").isdigit():
                entry.set(name, int(text) + 1)
                return (Change(CALENDAR, BODY, f"XML Result.{group}[].{name} {text} -> {int(text) + 1}"),)
        return ()

    return _on_document(exchange, edit, media=("xml",))


# ------------------------------------------------------------------------- statuses and types


@register(
    "calendar-error-as-http-200", "response", CALENDAR, STATUS_CODES,
    "Refusals (400, 401, 403, 406) are answered with HTTP 200, the body unchanged.", endpoints=("calendar",),
)  # fmt: skip
def calendar_error_as_200(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    status = exchange.response.status
    if not 400 <= status < 500:
        return ResponseRewrite(exchange.response)
    change = Change(CALENDAR, STATUS_CODES, f"HTTP 200 instead of {status}")
    return ResponseRewrite(replace(exchange.response, status=200), (change,))


@register(
    "calendar-wrong-content-type", "response", CALENDAR, BODY,
    "JSON and XML answers are labelled text/plain; charset=utf-8.", endpoints=("calendar",),
)  # fmt: skip
def calendar_wrong_content_type(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    before = exchange.response.header("content-type") or ""
    if not any(media in before.lower() for media in endpoint().content_types):
        return ResponseRewrite(exchange.response)
    change = Change(CALENDAR, BODY, f"Content-Type {before} -> text/plain; charset=utf-8")
    return ResponseRewrite(
        exchange.response.with_header("content-type", "text/plain; charset=utf-8"), (change,)
    )


# ---------------------------------------------------------------------------------- parameters


def _earlier(text: str) -> str | None:
    """``to`` read as exclusive: a bare date becomes the day before, a date-time one microsecond
    earlier (None when it is not a date)."""
    try:
        if len(text) == 10:
            return (dt.date.fromisoformat(text) - dt.timedelta(days=1)).isoformat()
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment - dt.timedelta(microseconds=1)).isoformat()


def _params_rewrite(request: HttpRequest, params: list[tuple[str, str]], detail: str) -> RequestRewrite:
    return RequestRewrite(request.with_params(params), (Change(CALENDAR, PARAMETERS, detail),))


@register(
    "calendar-to-exclusive", "behaviour", CALENDAR, PARAMETERS,
    "`to` is treated as exclusive: the target is asked for `to` minus a day (a date) or a microsecond "
    "(a date-time).",
    endpoints=("calendar",), side="request",
)  # fmt: skip
def calendar_to_exclusive(request: HttpRequest, context: Context) -> RequestRewrite:
    params = request.params()
    for index, (name, value) in enumerate(params):
        if name == "to" and (earlier := _earlier(value.strip())) is not None:
            params[index] = (name, earlier)
            return _params_rewrite(request, params, f"to={value} forwarded as to={earlier}")
    return RequestRewrite(request)


@register(
    "calendar-include-tasks-by-default", "behaviour", CALENDAR, PARAMETERS,
    "`includeTasks` defaults to true: includeTasks=true is added when the client leaves it out.",
    endpoints=("calendar",), side="request",
)  # fmt: skip
def calendar_include_tasks_by_default(request: HttpRequest, context: Context) -> RequestRewrite:
    params = request.params()
    if any(name == "includeTasks" for name, _ in params):
        return RequestRewrite(request)
    return _params_rewrite(request, [*params, ("includeTasks", "true")], "includeTasks=true added")


@register(
    "calendar-member-ignored", "behaviour", CALENDAR, PARAMETERS,
    "`member` is ignored: the caller's own calendar is returned for any member.",
    endpoints=("calendar",), side="request",
)  # fmt: skip
def calendar_member_ignored(request: HttpRequest, context: Context) -> RequestRewrite:
    params = request.params()
    kept = [(name, value) for name, value in params if name != "member"]
    if len(kept) == len(params):
        return RequestRewrite(request)
    dropped = ", ".join(value for name, value in params if name == "member")
    return _params_rewrite(request, kept, f"member={dropped} not forwarded")
