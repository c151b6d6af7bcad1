"""Checks: a registry of small functions that judge one aspect of a target's answer.

A case (in ``cases/``) gathers an answer and calls a check through :func:`verify` at a
:class:`Site` (the spec section and level the case traces to, and the exchanges that show it):
``verify(Site.of(meta, exchange), checks.scope_ok, reply, scope_id)``. A check raises
:class:`Violation` with what was expected and what came back, and ``verify`` stamps it with its
registered name and the site. Every check is listed in :data:`CHECKS`, so the suite's own tests
can prove that each of them fails on a broken server.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, ParamSpec

import jsonschema
from lxml import etree

from conformance.bounds import bounded
from conformance.case import CaseMeta, Level
from conformance.drive.target import CsomReply, Exchange
from conformance.model.calendar_schema import parse_xml
from conformance.registry import Registry
from conformance.wire import ErrorInfo, MalformedResponse, parse_response, scope_error

P = ParamSpec("P")


class Violation(AssertionError):
    """A check found the target's answer wrong; carries what a report shows about it."""

    def __init__(
        self, expected: str, actual: str, *, check: str = "", section: str = "", level: Level = "must",
        evidence: Sequence[Exchange] = (),
    ) -> None:  # fmt: skip
        # cut now: a target's 10 MB ErrorMessage is otherwise copied into each violation held
        expected, actual = bounded(expected), bounded(actual)
        super().__init__(f"expected {expected}; got {actual}")
        self.expected, self.actual = expected, actual
        self.check, self.section, self.level = check, section, level
        self.evidence = tuple(evidence)

    def __str__(self) -> str:
        where = f"[{self.level.upper()} {self.section}] " if self.section else ""
        return f"{where}{self.check}: expected {self.expected}; got {self.actual}"


@dataclass(frozen=True)
class Site:
    """Where a check is judged: the spec section and level a violation is filed under, and the
    exchanges that show it."""

    section: str
    level: Level = "must"
    evidence: tuple[Exchange, ...] = ()

    @classmethod
    def of(cls, meta: CaseMeta, *evidence: Exchange) -> Site:
        """A case's own site: its section and level."""
        return cls(meta.section, meta.level, evidence)


@dataclass(frozen=True)
class Check(Generic[P]):
    """A registered check: called as its function is, judged through :func:`verify`."""

    name: str  # what reports, selftest and ``checks_run`` know it by
    description: str
    function: Callable[P, None] = field(repr=False)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        self.function(*args, **kwargs)


CHECKS: Registry[Check[...]] = Registry("check")
CHECKS_RUN: Counter[str] = Counter()  # verify() calls by check name in this process (for results and bench)
_COUNTING = threading.Lock()  # machines judge from several lanes (threads) at once


def check(name: str, description: str) -> Callable[[Callable[P, None]], Check[P]]:
    def register(function: Callable[P, None]) -> Check[P]:
        return CHECKS.add(name, Check(name, description, function))

    return register


def verify(at: Site, check: Check[P], /, *args: P.args, **kwargs: P.kwargs) -> None:
    """Run ``check`` on ``args``; a violation comes back stamped with the check's name and the site.
    (The site comes first: a check's own arguments must be the last ones to be typed as its own.)"""
    with _COUNTING:
        CHECKS_RUN[check.name] += 1
    try:
        check(*args, **kwargs)
    except Violation as violation:
        raise Violation(
            violation.expected, violation.actual, check=check.name, section=at.section, level=at.level,
            evidence=at.evidence or violation.evidence,
        ) from None  # fmt: skip


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


# ------------------------------------------------------------------------------------- transport


@check("http-status", "The answer has the expected HTTP status code.")
def http_status(exchange: Exchange, expected: int | Sequence[int]) -> None:
    wanted = (expected,) if isinstance(expected, int) else tuple(expected)
    if exchange.status not in wanted:
        raise Violation(f"HTTP {' or '.join(map(str, wanted))}", f"HTTP {exchange.status}")


@check("content-type", "The answer's media type is the expected one.")
def content_type(exchange: Exchange, media_type: str) -> None:
    actual = exchange.content_type.split(";", 1)[0].strip().lower()
    if actual != media_type:
        raise Violation(f"Content-Type {media_type}", f"Content-Type {exchange.content_type or '(none)'}")


def _csom_response(reply: CsomReply) -> None:
    """What every ProcessQuery check starts with: HTTP 200 and a CSOM JSON array with a valid header
    (not a check of its own: no case judges it alone)."""
    if reply.exchange.status != 200:
        raise Violation("HTTP 200 with a CSOM JSON array", f"HTTP {reply.exchange.status}")
    if reply.response is None:
        raise Violation("a CSOM JSON array with a valid header", reply.parse_error or "no response")


@check("no-error", "The request succeeded: no ErrorInfo in the header.")
def no_error(reply: CsomReply) -> None:
    _csom_response(reply)
    assert reply.response is not None
    error = reply.response.header.error_info
    if error is not None:
        raise Violation(
            "no ErrorInfo", f"ErrorInfo {error.error_code} {error.error_type_name}: {error.error_message}"
        )


@check("error-info", "The request was refused with an ErrorInfo (optionally of a given type or code).")
def error_info(reply: CsomReply, type_names: Sequence[str] = (), codes: Sequence[int] = ()) -> None:
    _csom_response(reply)
    assert reply.response is not None
    error = reply.response.header.error_info
    if error is None:
        raise Violation("an ErrorInfo in the response header", "success (no ErrorInfo)")
    _error_matches(error, type_names, codes)


def _error_matches(error: ErrorInfo, type_names: Sequence[str], codes: Sequence[int]) -> None:
    if type_names and error.error_type_name not in type_names:
        raise Violation(f"ErrorTypeName in {list(type_names)}", f"{error.error_type_name!r}")
    if codes and error.error_code not in codes:
        raise Violation(f"ErrorCode in {list(codes)}", f"{error.error_code}")


@check("scope-ok", "An action inside an exception-handling scope completed without error.")
def scope_ok(reply: CsomReply, scope_id: int) -> None:
    no_error(reply)
    assert reply.response is not None
    if scope_id not in reply.response.results:
        raise Violation(f"a result for scope {scope_id}", f"no result under id {scope_id}")
    error = scope_error(reply.response.results[scope_id])
    if error is not None:
        raise Violation(
            "no error in the scope", f"{error.error_type_name} {error.error_code}: {error.error_message}"
        )


@check("scope-error", "An action inside an exception-handling scope was refused with an error.")
def scope_refused(
    reply: CsomReply, scope_id: int, type_names: Sequence[str] = (), codes: Sequence[int] = ()
) -> None:
    _csom_response(reply)
    assert reply.response is not None
    header_error = reply.response.header.error_info
    if header_error is not None:  # the scope was not honoured, but the call was refused
        _error_matches(header_error, type_names, codes)
        return
    error = scope_error(reply.response.results.get(scope_id))
    if error is None:
        raise Violation("an error for the call", "success")
    _error_matches(error, type_names, codes)


@check("result-present", "The response carries a result under the action's id.")
def result_present(reply: CsomReply, action_id: int) -> None:
    no_error(reply)
    assert reply.response is not None
    if action_id not in reply.response.results:
        ids = sorted(reply.response.results)
        raise Violation(f"a result under action id {action_id}", f"results under ids {ids}")


# ----------------------------------------------------------------------------------------- shapes


@check("json-schema", "A value matches the JSON Schema derived from the spec data.")
def json_schema(value: Any, schema: Mapping[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(the object)"
        # the value itself first: jsonschema's message names the schema's side ("'X' was expected")
        raise Violation(
            f"{where}: {error.validator} {_short(error.validator_value, 120)}",
            f"{_short(error.instance, 200)} ({error.message[:400]})",
        )


@check("object-type", "An object carries the spec's wire type name in _ObjectType_.")
def object_type(value: Any, short_name: str) -> None:
    actual = value.get("_ObjectType_") if isinstance(value, dict) else None
    if actual != short_name:
        raise Violation(f'_ObjectType_ "{short_name}"', _short(actual if isinstance(value, dict) else value))


@check("property-present", "An object returned by a query carries the property.")
def property_present(value: Any, name: str) -> None:
    if not isinstance(value, dict) or name not in value:
        keys = sorted(value) if isinstance(value, dict) else value
        raise Violation(f"property {name}", f"object without it: {_short(keys)}")


@check("equals", "A value read back equals the value the case wrote or the spec prescribes.")
def equals(actual: Any, expected: Any, what: str = "value") -> None:
    if actual != expected:
        raise Violation(f"{what} {_short(expected)}", _short(actual))


@check(
    "escaped-solidus",
    'A DateTime, Guid or binary value is written with the escaped solidus: "\\/Date(…)\\/", not "/Date(…)/".',
)
def escaped_solidus(value: Any, unescaped: Collection[str]) -> None:
    """``unescaped``: the special values the answer wrote as a stock JSON encoder does
    (the wire codec's :attr:`Response.unescaped`)."""
    if isinstance(value, str) and value in unescaped:
        kind = value.partition("(")[0][1:]
        raise Violation(
            f'"\\/{kind}(…)\\/"',
            f'"{value}" written without escaping the solidus: write "\\{value[:-1]}\\/"; '
            "JSOM reads the unescaped form as a plain string",
        )


@check("ordered", "Items come back in the order the query asked for.")
def ordered(keys: Sequence[Any], descending: bool = False, what: str = "items") -> None:
    try:
        wanted = sorted(keys, reverse=descending)
    except TypeError:  # a target's values of mixed types (a title that is null, a date that is text)
        raise Violation(
            f"{what} of one type, sorted", f"values that do not compare: {_short(list(keys))}"
        ) from None
    if list(keys) != wanted:
        raise Violation(f"{what} sorted {'descending' if descending else 'ascending'}", _short(list(keys)))


@check("contains", "A collection read back contains (or does not contain) an item.")
def contains(collection: Sequence[Any], item: Any, present: bool = True, what: str = "items") -> None:
    if (item in collection) != present:
        raise Violation(
            f"{what} {'including' if present else 'without'} {_short(item)}", _short(list(collection))
        )


@check(
    "differs",
    "A value read back is not one it must differ from (another member's calendar is not the caller's).",
)
def differs(actual: Any, unwanted: Any, what: str = "value") -> None:
    if actual == unwanted:
        raise Violation(f"{what} other than {_short(unwanted)}", _short(actual))


@check("one-of", "A value read back is one of the values a case's model allows (e.g. a status or a count).")
def one_of(actual: Any, allowed: Sequence[Any], what: str = "value") -> None:
    if actual not in allowed:
        raise Violation(f"{what} one of {_short(list(allowed))}", _short(actual))


# ---------------------------------------------------------------------------------------- formats

FORMATS = jsonschema.FormatChecker(formats=())
_DATE = re.compile(r"^/Date\(-?\d+(?:[+-]\d{4})?\)/$|^/Date\(\d{1,4},\d{1,2},\d{1,2}(?:,\d{1,3}){0,4}\)/$")
_GUID = re.compile(r"^/Guid\([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\)/$")


@FORMATS.checks("csom-datetime")
def _is_csom_date(value: object) -> bool:
    return not isinstance(value, str) or bool(_DATE.match(value))


@FORMATS.checks("csom-guid")
def _is_csom_guid(value: object) -> bool:
    return not isinstance(value, str) or bool(_GUID.match(value))


# ------------------------------------------------------------------ REST calendar and MS-CSOM transport
# (added with cases/test_calendar.py and cases/test_transport.py)


@check("body-parses", "The answer's body parses as its media type (JSON or XML).")
def body_parses(exchange: Exchange, syntax: Literal["json", "xml"]) -> None:
    try:
        exchange.json() if syntax == "json" else parse_xml(exchange.response_body)
    except ValueError as exc:
        body = _short(exchange.response_body, 200)
        raise Violation(f"a {syntax.upper()} body", f"{body} ({exc})") from None


@check("xml-schema", "An XML document is valid against the XML Schema derived from the spec data.")
def xml_schema(document: etree._Element, schema: etree.XMLSchema) -> None:
    if not schema.validate(document):
        errors = [f"{e.path}: {e.message}" for e in schema.error_log][:3]
        raise Violation("a document valid against the schema of the spec's fields", "; ".join(errors))


@check("client-error", "A request the server cannot serve as asked is answered with HTTP 4xx.")
def client_error(exchange: Exchange) -> None:
    if not 400 <= exchange.status < 500:
        raise Violation("HTTP 4xx (the request is at fault)", f"HTTP {exchange.status}")


@check("csom-refused", "A request the server cannot process is refused: HTTP 4xx, or a CSOM ErrorInfo.")
def csom_refused(exchange: Exchange) -> None:
    if 400 <= exchange.status < 500:
        return
    expected = "HTTP 4xx, or HTTP 200 with an ErrorInfo in the header"
    if exchange.status != 200:
        raise Violation(expected, f"HTTP {exchange.status}")
    try:
        response = parse_response(exchange.response_body)
    except MalformedResponse as exc:
        raise Violation(expected, f"HTTP 200 that is no CSOM answer: {exc}") from None
    if response.header.error_info is None:
        raise Violation(expected, "success (no ErrorInfo)")
