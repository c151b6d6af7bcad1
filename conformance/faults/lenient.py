"""A server that checks too little: writes taken without a form digest, arguments of the wrong type
taken silently, no form digest issued at all.

- ``digest-not-required``: the proxy gets a valid digest for the caller from the target's
  ``/_api/contextinfo`` and adds it to every ProcessQuery sent without one, so the target never
  sees the request a checking server refuses.
- ``wrong-types-accepted``: an argument (or SetProperty value) whose wire type does not fit the
  spec's parameter type is converted the way a lax .NET server would (``Convert``-style: ``True``
  to ``"True"`` for a String, text to 0 for an Int32, anything to ``DateTime.MinValue`` or
  ``Guid.Empty``) before it is forwarded, so the call runs instead of being refused.
- ``contextinfo-without-digest``: ``/_api/contextinfo`` answers without ``FormDigestValue`` (what a
  server that never checks a digest may do): a client with a bearer token writes without one, JSOM
  cannot write at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from uuid import UUID

from conformance.faults.csom import (
    DIGEST,
    MS_CSOM,
    PROCESSING,
    Typed,
    integer,
    map_actions,
    map_paths,
    member,
    method_change,
    parse,
    property_change,
    spec,
    with_request,
)
from conformance.faults.jsontext import dumps, loads
from conformance.faults.model import (
    Change,
    Context,
    HttpRequest,
    ProxiedExchange,
    RequestRewrite,
    ResponseRewrite,
    register,
)
from conformance.model.catalogue import INT_RANGES
from conformance.wire import Action, CsomValue, Method, MethodAction, Null, ObjectPathRef, SetProperty

MIN_DATE = dt.datetime(1, 1, 1)


@register(
    "digest-not-required", "behaviour", MS_CSOM, DIGEST,
    "A ProcessQuery sent without X-RequestDigest is accepted: the proxy adds a valid digest it gets "
    "for the caller from /_api/contextinfo.",
    side="request", needs_digest=True,
)  # fmt: skip
def digest_not_required(request: HttpRequest, context: Context) -> RequestRewrite:
    if request.endpoint != "csom" or request.header("x-requestdigest") is not None or context.digest is None:
        return RequestRewrite(request)
    change = Change(MS_CSOM, DIGEST, "a ProcessQuery without X-RequestDigest forwarded with a valid digest")
    return RequestRewrite(request.with_header("X-RequestDigest", context.digest), (change,))


@register(
    "contextinfo-without-digest", "response", MS_CSOM, DIGEST,
    "/_api/contextinfo answers without FormDigestValue (JSOM, which sends every write with the "
    "digest it reads there, cannot write).",
    endpoints=("contextinfo",),
)  # fmt: skip
def contextinfo_without_digest(exchange: ProxiedExchange, memory: Any) -> ResponseRewrite:
    data = loads(exchange.response.body)
    verbose = data.get("d") if isinstance(data, dict) else None  # odata=verbose nests it, nometadata not
    info = verbose.get("GetContextWebInformation") if isinstance(verbose, dict) else data
    if not isinstance(info, dict) or "FormDigestValue" not in info:
        return ResponseRewrite(exchange.response)
    del info["FormDigestValue"]
    change = Change(MS_CSOM, DIGEST, "FormDigestValue left out of the /_api/contextinfo answer")
    return ResponseRewrite(replace(exchange.response, body=dumps(data, compact=False)), (change,))


def _is_enum(type_name: str) -> bool:
    enum = spec().types.get(type_name)
    return enum is not None and enum.kind == "enum"


def _is_integer(type_name: str) -> bool:
    return type_name in INT_RANGES or _is_enum(type_name)


def _guid_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def fits(type_name: str, value: Any) -> bool:
    """Whether a request value has a wire type the spec's scalar type takes (the scalar types the
    specs use; arrays, dictionaries, streams and objects are not judged here: they fit)."""
    if isinstance(value, Null):
        return True  # JSOM sends null for any type
    if _is_integer(type_name):
        return integer(value) is not None
    if type_name == "CSOM String":
        return isinstance(value, str)
    if type_name == "CSOM Boolean":
        return isinstance(value, bool)
    if type_name == "CSOM DateTime":
        return isinstance(value, dt.datetime)
    if type_name == "CSOM GUID":
        return isinstance(value, UUID) or _guid_text(value)
    return True


def _text(value: Any) -> str:
    value = value.value if isinstance(value, CsomValue) else value
    if isinstance(value, bool):
        return str(value)  # .NET: "True" / "False"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return "" if isinstance(value, tuple | ObjectPathRef) else str(value)


def coerce(type_name: str, value: Any) -> Any:
    """What a lax server makes of a value that does not ``fit``: its text, or the type's default."""
    text = _text(value)
    if type_name == "CSOM String":
        return text
    if _is_integer(type_name):
        return int(text) if text.lstrip("-").isdigit() else 0
    if type_name == "CSOM Boolean":
        return text.lower() in ("true", "1")
    return MIN_DATE if type_name == "CSOM DateTime" else UUID(int=0)


@register(
    "wrong-types-accepted", "behaviour", MS_CSOM, PROCESSING,
    "Arguments and SetProperty values of the wrong wire type are converted (True -> \"True\", text -> 0, "
    "-> DateTime.MinValue / Guid.Empty) and the call runs instead of being refused.",
    side="request",
)  # fmt: skip
def wrong_types_accepted(request: HttpRequest, context: Context) -> RequestRewrite:
    parsed = parse(request)
    if parsed is None:
        return RequestRewrite(request)
    typed = Typed(parsed)
    changes: list[Change] = []

    def fix_call(node: Any) -> Any:
        if not isinstance(node, Method | MethodAction):
            return node
        owner, method = typed.method(node)
        if method is None or len(method.parameters) != len(node.parameters):
            return node
        fixed = []
        for parameter, value in zip(method.parameters, node.parameters, strict=True):
            if fits(parameter.type, value):
                fixed.append(value)
                continue
            fixed.append(coerce(parameter.type, value))
            detail = f"{node.name}.{parameter.name}: {value!r} taken as {fixed[-1]!r}"
            changes.append(method_change(owner, node.name, detail, (MS_CSOM, PROCESSING)))
        return replace(node, parameters=tuple(fixed))

    def fix_set(action: Action) -> Action:
        if not isinstance(action, SetProperty):
            return fix_call(action)
        owner = typed.of(action.object_path_id)
        prop = member(owner, action.name)
        if prop is None or fits(prop.type, action.value):
            return action
        value = coerce(prop.type, action.value)
        detail = f"SetProperty {action.name}: {action.value!r} taken as {value!r}"
        changes.append(property_change(owner.short_name if owner else None, action.name, detail))
        return replace(action, value=value)

    rewritten = map_paths(map_actions(parsed, fix_set), fix_call)
    if not changes:
        return RequestRewrite(request)
    return RequestRewrite(with_request(request, rewritten), tuple(changes))
