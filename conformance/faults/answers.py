"""Faults in the answer of a ProcessQuery: one member, value, id, status or header wrong at a time.

Targets are chosen generically, in document order, so a fault works against any target and any
request: "the first property of the first object that carries an ``_ObjectType_``", "the first
``/Date(…)/`` value", "the first ErrorInfo". Each change names the spec section of what it hit
(the property's own section when a spec defines the object's type).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from conformance.faults.csom import (
    ERROR_VALUE,
    HEADER,
    MS_CSOM,
    SPECIAL_VALUE,
    STRUCTURE,
    member,
    property_change,
    spec,
    type_named,
)
from conformance.faults.jsontext import SPECIAL, CsomAnswer, members, typed_objects, walk
from conformance.faults.model import Change, ProxiedExchange, ResponseRewrite, register
from conformance.spec.model import SpecType
from conformance.wire import decode_special

Edit = Callable[[CsomAnswer], tuple[Change, ...]]


def edited(exchange: ProxiedExchange, edit: Edit, **layout: Any) -> ResponseRewrite:
    """The response with ``edit`` applied to its CSOM answer (unchanged when it is not one, or when
    ``edit`` finds nothing to change); ``layout`` goes to ``CsomAnswer.dumps``."""
    answer = CsomAnswer.parse(exchange.response.body)
    changes = edit(answer) if answer is not None else ()
    if answer is None or not changes:
        return ResponseRewrite(exchange.response)
    return ResponseRewrite(replace(exchange.response, body=answer.dumps(**layout)), changes)


Accept = Callable[[dict[str, Any], str], bool]  # takes (object, property name)?


def first_member(answer: CsomAnswer, accept: Accept) -> tuple[dict, str] | None:
    """The first (object, property name) of the answer's typed objects that ``accept`` takes."""
    for obj in typed_objects(answer.results):
        for name in members(obj):
            if accept(obj, name):
                return obj, name
    return None


def rename_key(obj: dict[str, Any], old: str, new: str) -> None:
    """Rename a key in place, keeping its position."""
    items = [(new if key == old else key, value) for key, value in obj.items()]
    obj.clear()
    obj.update(items)


def camel_case(name: str) -> str:
    """The name a camelCase serializer would write: Name -> name."""
    return name[0].swapcase() + name[1:]


def _on_first_member(accept: Accept, change: Callable[[dict, str], str]) -> Edit:
    """An edit applying ``change`` (which edits in place and says what it did) to the first member
    ``accept`` takes."""

    def edit(answer: CsomAnswer) -> tuple[Change, ...]:
        hit = first_member(answer, accept)
        if hit is None:
            return ()
        obj, name = hit
        detail = f"{obj['_ObjectType_']}.{name}: {change(obj, name)}"
        return (property_change(obj["_ObjectType_"], name, detail),)

    return edit


def _replacing(accept: Accept, new_value: Callable[[dict, str], Any]) -> Edit:
    """An edit giving the first member ``accept`` takes the value ``new_value`` makes."""

    def change(obj: dict[str, Any], name: str) -> str:
        before = obj[name]
        obj[name] = new_value(obj, name)
        return f"{before!r} -> {obj[name]!r}"

    return _on_first_member(accept, change)


def _anything(obj: dict[str, Any], name: str) -> bool:
    return True


@register(
    "drop-property", "response", MS_CSOM, STRUCTURE,
    "The first property of the first object (with an _ObjectType_) in the answer is left out.",
)  # fmt: skip
def drop_property(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def drop(obj: dict[str, Any], name: str) -> str:
        del obj[name]
        return "left out"

    return edited(exchange, _on_first_member(_anything, drop))


@register(
    "rename-property", "response", MS_CSOM, STRUCTURE,
    "The first property of the first object is sent under a camelCase name (Name -> name).",
)  # fmt: skip
def rename_property(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def rename(obj: dict[str, Any], name: str) -> str:
        rename_key(obj, name, camel_case(name))
        return f"sent as {camel_case(name)}"

    return edited(exchange, _on_first_member(_anything, rename))


def _number_or_boolean(obj: dict[str, Any], name: str) -> bool:
    return isinstance(obj[name], int | float)


def _as_text(obj: dict[str, Any], name: str) -> str:
    value = obj[name]
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


@register(
    "wrong-json-type", "response", MS_CSOM, STRUCTURE,
    "The first number or Boolean property of an object is sent as a JSON string (14 -> \"14\").",
)  # fmt: skip
def wrong_json_type(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    return edited(exchange, _replacing(_number_or_boolean, _as_text))


@register(
    "wrong-object-type", "response", MS_CSOM, STRUCTURE,
    "The first object's _ObjectType_ is its .NET full name instead of the spec's ShortName "
    "(the bare class name for types no spec defines).",
)  # fmt: skip
def wrong_object_type(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def edit(answer: CsomAnswer) -> tuple[Change, ...]:
        obj = next(typed_objects(answer.results), None)
        if obj is None:
            return ()
        short_name = obj["_ObjectType_"]
        spec_type = type_named(short_name)
        obj["_ObjectType_"] = spec_type.name if spec_type else short_name.rsplit(".", 1)[-1]
        detail = f"_ObjectType_ {short_name} -> {obj['_ObjectType_']}"
        return (property_change(short_name, "_ObjectType_", detail),)

    return edited(exchange, edit)


def enum_type(obj: dict[str, Any], name: str) -> SpecType | None:
    """The enum a property of this object holds, by the spec tables (None if not an enum)."""
    prop = member(type_named(obj["_ObjectType_"]), name)
    enum = spec().types.get(prop.type) if prop else None
    return enum if enum is not None and enum.kind == "enum" else None


def outside(enum: SpecType) -> int:
    """A number no value of ``enum`` is: one above the largest, or for a flag enum a bit none uses."""
    values = [value.value for value in enum.values]
    if not enum.flag:
        return max(values) + 1
    mask = 0
    for value in values:
        mask |= value
    return 1 << mask.bit_length()


def _enum_number(obj: dict[str, Any], name: str) -> bool:
    value = obj[name]
    return isinstance(value, int) and not isinstance(value, bool) and enum_type(obj, name) is not None


def _outside_its_enum(obj: dict[str, Any], name: str) -> int:
    enum = enum_type(obj, name)
    assert enum is not None  # _enum_number took it
    return outside(enum)


@register(
    "enum-out-of-range", "response", MS_CSOM, STRUCTURE,
    "The first enum-typed property of an object carries a number outside its enumeration "
    "(largest value + 1; for a flag enum, a bit no flag uses).",
)  # fmt: skip
def enum_out_of_range(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    return edited(exchange, _replacing(_enum_number, _outside_its_enum))


def _special(kind: str) -> Accept:
    """Takes a well-formed ``/<kind>(…)/`` value (an already malformed one is nothing to break)."""

    def accept(obj: dict[str, Any], name: str) -> bool:
        value = obj[name]
        if not isinstance(value, str) or not (match := SPECIAL.match(value)) or match.group(1) != kind:
            return False
        try:
            decode_special(value)
        except ValueError:
            return False
        return True

    return accept


def _iso_date(obj: dict[str, Any], name: str) -> str:
    return f"/Date({decode_special(obj[name]).isoformat()})/"  # type: ignore[union-attr]


def _short_guid(obj: dict[str, Any], name: str) -> str:
    return obj[name][:-3] + ")/"


@register(
    "malformed-date", "response", MS_CSOM, STRUCTURE,
    "The first /Date(…)/ property value carries ISO text instead of numbers: /Date(2030-01-15T00:00:00)/.",
)  # fmt: skip
def malformed_date(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    return edited(exchange, _replacing(_special("Date"), _iso_date))


@register(
    "malformed-guid", "response", MS_CSOM, STRUCTURE,
    "The first /Guid(…)/ property value loses its last hex digit (11 digits in the last group).",
)  # fmt: skip
def malformed_guid(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    return edited(exchange, _replacing(_special("Guid"), _short_guid))


def _special_values(answer: CsomAnswer) -> Iterator[tuple[str, str]]:
    """(where, value) of every special value of the answer, header included, in document order:
    ``where`` names the property (``Type.Name``) when the value is one."""
    for obj in walk(answer.document()):
        owner = obj.get("_ObjectType_")
        for name, value in obj.items():
            if isinstance(value, str) and SPECIAL.match(value):
                yield (f"{owner}.{name}" if isinstance(owner, str) else name), value
    for result in answer.results:  # a method's bare result (SaveDefinition's Guid)
        if isinstance(result, str) and SPECIAL.match(result):
            yield "a method's result", result


@register(
    "unescaped-solidus", "response", MS_CSOM, SPECIAL_VALUE,
    "The answer is written by a stock JSON encoder: every special value loses its escaped solidus, "
    "\"\\/Date(…)\\/\" -> \"/Date(…)/\" (likewise Guid and Base64Binary).",
)  # fmt: skip
def unescaped_solidus(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def edit(answer: CsomAnswer) -> tuple[Change, ...]:
        return tuple(
            Change(MS_CSOM, SPECIAL_VALUE, f"{where}: {value} written without escaping the solidus")
            for where, value in _special_values(answer)
        )

    return edited(exchange, edit, escaped=False)


@register(
    "error-info-without-code", "response", MS_CSOM, ERROR_VALUE,
    "The first ErrorInfo of the answer (the header's, else an exception scope's) has no ErrorCode.",
)  # fmt: skip
def error_info_without_code(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def edit(answer: CsomAnswer) -> tuple[Change, ...]:
        error = next((info for info in answer.error_infos() if "ErrorCode" in info), None)
        if error is None:
            return ()
        code = error.pop("ErrorCode")
        return (Change(MS_CSOM, ERROR_VALUE, f"left out ErrorInfo.ErrorCode ({code})"),)

    return edited(exchange, edit)


def _header_without(name: str) -> Callable[[ProxiedExchange, Any], ResponseRewrite]:
    def hook(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
        def edit(answer: CsomAnswer) -> tuple[Change, ...]:
            if name not in answer.header:
                return ()
            value = answer.header.pop(name)
            return (Change(MS_CSOM, HEADER, f"left out header.{name} ({value})"),)

        return edited(exchange, edit)

    return hook


for _fault, _member, _kind in (
    ("header-without-schema-version", "SchemaVersion", "response"),
    ("header-without-library-version", "LibraryVersion", "response"),
    # MS-CSOM requires SchemaVersion, LibraryVersion and ErrorInfo; the specs' examples have no
    # TraceCorrelationId, so a server may leave it out (shared/notes/csom-wire.md 4.1)
    ("header-without-trace-correlation-id", "TraceCorrelationId", "benign"),
):
    register(_fault, _kind, MS_CSOM, HEADER, f"The answer's header (element 0) has no {_member}.")(
        _header_without(_member)
    )


@register(
    "results-under-wrong-ids", "response", MS_CSOM, STRUCTURE,
    "The first two results swap action ids (a lone result moves to its id + 1).",
)  # fmt: skip
def results_under_wrong_ids(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    def edit(answer: CsomAnswer) -> tuple[Change, ...]:
        pairs = answer.pairs
        if not pairs:
            return ()
        if len(pairs) == 1:
            before = pairs[0][0]
            pairs[0][0] = before + 1
            return (Change(MS_CSOM, STRUCTURE, f"the result of action {before} is under id {before + 1}"),)
        pairs[0][0], pairs[1][0] = pairs[1][0], pairs[0][0]
        return (
            Change(MS_CSOM, STRUCTURE, f"the results of actions {pairs[1][0]} and {pairs[0][0]} swap ids"),
        )

    return edited(exchange, edit)


@register(
    "csom-error-as-http-500", "response", MS_CSOM, STRUCTURE,
    "An answer with an ErrorInfo in its header comes with HTTP 500 instead of 200.",
)  # fmt: skip
def csom_error_as_http_500(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    answer = CsomAnswer.parse(exchange.response.body)
    if (
        exchange.response.status != 200
        or answer is None
        or not isinstance(answer.header.get("ErrorInfo"), dict)
    ):
        return ResponseRewrite(exchange.response)
    change = Change(MS_CSOM, STRUCTURE, "HTTP 500 instead of 200 for an answer carrying an ErrorInfo")
    return ResponseRewrite(replace(exchange.response, status=500), (change,))


@register(
    "csom-wrong-content-type", "response", MS_CSOM, STRUCTURE,
    "ProcessQuery answers are labelled text/html; charset=utf-8 instead of application/json.",
)  # fmt: skip
def csom_wrong_content_type(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    before = exchange.response.header("content-type") or ""
    if "json" not in before.lower():
        return ResponseRewrite(exchange.response)
    change = Change(MS_CSOM, STRUCTURE, f"Content-Type {before} -> text/html; charset=utf-8")
    return ResponseRewrite(
        exchange.response.with_header("content-type", "text/html; charset=utf-8"), (change,)
    )
