"""MS-CSOM behaviour every ProcessQuery answer shows, whatever the object model: the response header,
the ErrorInfo of a refused request, results under the ids of the request's actions and in their
order, errors for unknown types and members and malformed XML, exception-handling scopes, and the
form digest a write needs.

We have no MS-CSOM text: sections and the MUSTs are the ones /work/shared/notes/csom-wire.md
quotes (3.1.4.1.8.1.5 header, 3.1.4.1.8.1.2 error value, 3.1.4.1.8.2 response structure,
3.1.4.1.8.2.1.3 ExceptionHandlingScopeSimple). How a request is processed (unknown types and
members, malformed XML) cites 3.1.4.1.1.1 ProcessQueryIn, the closest section the notes give; the
digest cites [MS-CSOMSPT] 2.2.1, where the notes find the digest errors.

The requests are few and shared: one successful read, one refused request, one with a failing
call in each of several exception scopes, one per malformed body, and one write without a digest.
The contextinfo answer a client takes its digest from is judged for its own shape, whatever the
run's authentication (a bearer-token run needs no digest, JSOM always does).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.case import CaseMeta, Level, RunOptions, case
from conformance.drive.target import DIGEST_ERROR_CODES, PROCESS_QUERY, CsomReply, Exchange, Target
from conformance.drive.world import create_task_arguments
from conformance.judge import checks
from conformance.judge.checks import Site, verify
from conformance.model.catalogue import WM, catalogue
from conformance.model.routes import REQUEST_CONTEXT_TYPE_ID
from conformance.wire import NS, ObjectPathRef, QuerySpec, RequestBuilder

PROTOCOL = "ms-csom"
HEADER, ERROR_VALUE = "3.1.4.1.8.1.5", "3.1.4.1.8.1.2"
STRUCTURE, SCOPE = "3.1.4.1.8.2", "3.1.4.1.8.2.1.3"
PROCESSING = "3.1.4.1.1.1"  # ProcessQueryIn: the closest section the notes give for request processing
DIGEST = "MS-CSOMSPT 2.2.1"
DIGEST_MISSING = -2146232832  # [MS-CSOMSPT] 2.2.1: the X-RequestDigest header is missing
CATALOGUE = catalogue()
SETTINGS_MANAGER = CATALOGUE.types[WM + "UserSettingsManager"]
SESSION_MANAGER = CATALOGUE.types[WM + "UserOrderedSessionManager"]
GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
NULLABLE_STRING = {"type": ["string", "null"]}


def _meta(item: str, check: str, section: str, level: Level = "must", writes: bool = False) -> CaseMeta:
    return CaseMeta(PROTOCOL, section, item, check, level=level, writes=writes)


# ------------------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Read:
    """The successful read: ordinary actions whose every id produces a result."""

    reply: CsomReply
    objects: dict[int, str]  # Query action id -> the wire type name the result carries


@dataclass(frozen=True)
class Scoped:
    """One failing call in each of several exception scopes, then an ordinary call."""

    reply: CsomReply
    scopes: dict[str, int]  # what fails -> scope id
    after: int  # the call after the scopes


def _read_request() -> tuple[RequestBuilder, dict[int, str]]:
    # ids start at 7, as in the .NET examples: a server must not assume they start at 0
    builder = RequestBuilder(first_id=7)
    manager = builder.construct(SETTINGS_MANAGER.type_id)
    objects = {builder.query(manager): SETTINGS_MANAGER.short_name}
    settings = builder.method(manager, "GetUserSettings")
    objects[builder.query(settings)] = CATALOGUE.types[WM + "UserSettings"].short_name
    builder.call(manager, "IsExchangeJobPending")
    session = builder.method(builder.construct(SESSION_MANAGER.type_id), "CreateSession")
    objects[builder.query(session)] = CATALOGUE.types[WM + "UserOrderedSession"].short_name
    return builder, objects


READ_TYPES = list(_read_request()[1].values())


@pytest.fixture(scope="session")
def read(target: Target) -> Read:
    builder, objects = _read_request()
    return Read(target.process_query(builder.build()), objects)


def _unknown_type_id(run_id: str) -> str:
    """A TypeId no spec defines, the same for the same run id."""
    known = {t.type_id for t in CATALOGUE.types.values()}
    type_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"csom-conformance:{run_id}"))
    assert type_id not in known
    return type_id


@pytest.fixture(scope="session")
def refused(target: Target, run_options: RunOptions) -> CsomReply:
    """A request whose only object is a constructor of an unknown type: the header's ErrorInfo."""
    builder = RequestBuilder()
    builder.construct(_unknown_type_id(run_options.run_id))
    return target.process_query(builder.build())


@pytest.fixture(scope="session")
def scoped(target: Target, run_options: RunOptions) -> Scoped:
    unknown = f"{run_options.run_id}NoSuchMember"
    builder = RequestBuilder()
    manager = builder.construct(SETTINGS_MANAGER.type_id)
    scopes = {}
    with builder.exception_scope() as scopes["method"]:
        builder.call(manager, unknown)
    with builder.exception_scope() as scopes["object-path-property"]:
        builder.property(manager, unknown)
    with builder.exception_scope() as scopes["query-property"]:
        builder.query(builder.method(manager, "GetUserSettings"), QuerySpec.select(unknown))
    with builder.exception_scope() as scopes["type"]:
        builder.construct(_unknown_type_id(run_options.run_id))
    after = builder.call(manager, "IsExchangeJobPending")
    return Scoped(target.process_query(builder.build()), scopes, after)


# ----------------------------------------------------------------------------------------- header


def _header(exchange: Exchange, section: str) -> dict[str, Any]:
    """Element 0 of the answer as sent (not through the codec, which refuses a bad header)."""
    # a CSOM answer, errors included, is HTTP 200 with a JSON array (3.1.4.1.8.2)
    at = Site(STRUCTURE, evidence=(exchange,))
    verify(at, checks.http_status, exchange, 200)
    verify(at, checks.content_type, exchange, "application/json")
    verify(Site(section, evidence=(exchange,)), checks.body_parses, exchange, "json")
    array = exchange.json()
    shape = {"type": "array", "minItems": 1, "prefixItems": [{"type": "object"}]}
    verify(at, checks.json_schema, array, shape)
    return array[0]


@dataclass(frozen=True)
class Member:
    """A member of a JSON object MS-CSOM defines: its schema, whether it must be there, its level."""

    name: str
    schema: dict[str, Any]
    required: bool = True
    level: Level = "must"
    on_error: bool = True  # judged on a refused request's header too


HEADER_MEMBERS = (
    Member("SchemaVersion", {"enum": ["14.0.0.0", "15.0.0.0"]}),
    Member("LibraryVersion", {"type": "string", "pattern": r"^\d+\.\d+\.\d+\.\d+$"}),
    Member("ErrorInfo", {"type": "null"}, on_error=False),  # null on success
    # absent from the spec examples, present on real servers: judged only when sent
    Member("TraceCorrelationId", {"type": "string", "pattern": GUID}, required=False, level="semantic"),
)
ERROR_MEMBERS = (
    Member("ErrorCode", {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}),
    Member("ErrorMessage", NULLABLE_STRING),
    Member("ErrorValue", NULLABLE_STRING),
    Member("ErrorTypeName", NULLABLE_STRING),
    Member("TraceCorrelationId", {"type": "string"}, required=False, level="semantic"),
    Member("ErrorStackTrace", NULLABLE_STRING, required=False, level="semantic"),
)


def _judge_member(value: Any, member: Member, section: str, evidence: tuple[Exchange, ...]) -> None:
    where = Site(section, member.level, evidence)
    if member.required:
        verify(where, checks.property_present, value, member.name)
    if isinstance(value, dict) and member.name in value:
        verify(where, checks.json_schema, value[member.name], member.schema)


@pytest.mark.parametrize(
    "member", [case(_meta(f"Header.{m.name}", "header-member", HEADER, m.level), m) for m in HEADER_MEMBERS]
)
def test_header_member(member: Member, read: Read, scoped: Scoped, refused: CsomReply) -> None:
    """Element 0 of every answer carries the member (ErrorInfo: null on success; a failure handled
    by its scope leaves the request successful)."""
    for reply in (read.reply, scoped.reply, *((refused,) if member.on_error else ())):
        _judge_member(_header(reply.exchange, HEADER), member, HEADER, (reply.exchange,))


def _error_objects(refused: CsomReply, scoped: Scoped) -> list[tuple[Any, Exchange]]:
    """The raw ErrorInfo of the refused request's header and of every failed scope (whether
    there are errors at all is the request-error cases' question)."""
    errors = [(_header(refused.exchange, HEADER).get("ErrorInfo"), refused.exchange)]
    results = scoped.reply.raw_results
    for scope_id in scoped.scopes.values():
        result = results.get(scope_id)
        if isinstance(result, dict) and result.get("HasException") is True:
            errors.append((result.get("ErrorInfo"), scoped.reply.exchange))
    return [(error, exchange) for error, exchange in errors if error is not None]


@pytest.mark.parametrize(
    "member",
    [case(_meta(f"ErrorInfo.{m.name}", "error-member", ERROR_VALUE, m.level), m) for m in ERROR_MEMBERS],
)
def test_error_info_member(member: Member, refused: CsomReply, scoped: Scoped) -> None:
    """Every ErrorInfo (the header's, a scope's) carries the member with its type."""
    errors = _error_objects(refused, scoped)
    if not errors:
        pytest.skip("the target refused none of the requests meant to fail: no ErrorInfo to judge")
    for error, exchange in errors:
        verify(Site(ERROR_VALUE, evidence=(exchange,)), checks.json_schema, error, {"type": "object"})
        _judge_member(error, member, ERROR_VALUE, (exchange,))


# -------------------------------------------------------------------------------------- structure


@pytest.mark.parametrize("item", [case(_meta("Response.ActionIds", "ids-in-order", STRUCTURE), "read")])
def test_results_under_action_ids_in_order(item: str, read: Read) -> None:
    """Every action of the read produces a result, under its own id, in the request's order."""
    at = Site(STRUCTURE, evidence=(read.reply.exchange,))
    verify(at, checks.no_error, read.reply)
    assert read.reply.response is not None
    expected = [action.id for action in read.reply.request.actions]
    what = "result ids (the request's action ids in order)"
    verify(at, checks.equals, list(read.reply.response.results), expected, what=what)


@pytest.mark.parametrize(
    "short_name",
    [case(_meta(f"{name}._ObjectType_", "object-type", STRUCTURE), name) for name in READ_TYPES],
)
def test_object_type(short_name: str, read: Read) -> None:
    """A queried object carries its type's wire name in _ObjectType_."""
    action_id = next(i for i, name in read.objects.items() if name == short_name)
    at = Site(STRUCTURE, evidence=(read.reply.exchange,))
    verify(at, checks.result_present, read.reply, action_id)
    value = read.reply.raw_results[action_id]
    verify(at, checks.object_type, value, short_name)


@dataclass(frozen=True)
class Located:
    reply: CsomReply
    query: int  # the Query action's id


def _locate(target: Target, reach: Callable[[RequestBuilder], ObjectPathRef]) -> Located:
    builder = RequestBuilder()
    query = builder.query(reach(builder), QuerySpec.select("Id"))
    return Located(target.process_query(builder.build()), query)


# objects SharePoint gives an identity, by wire name -> how to reach one (MS-CSOM's current Web)
IDENTIFIABLE: dict[str, Callable[[RequestBuilder], ObjectPathRef]] = {
    "SP.Web": lambda b: b.property(b.static_property(REQUEST_CONTEXT_TYPE_ID, "Current"), "Web"),
}


@pytest.mark.parametrize(
    "name",
    [
        case(_meta(f"{n}._ObjectIdentity_", "identity-round-trip", STRUCTURE, "semantic"), n)
        for n in IDENTIFIABLE
    ],
)
def test_object_identity_round_trip(name: str, target: Target) -> None:
    """An object's _ObjectIdentity_, sent back in an Identity path, names the same object."""
    first = _locate(target, IDENTIFIABLE[name])
    if first.reply.response is not None and first.reply.response.header.error_info is not None:
        pytest.skip(
            f"the target does not serve {name}: {first.reply.response.header.error_info.error_message}"
        )
    verify(
        Site(STRUCTURE, "semantic", (first.reply.exchange,)), checks.result_present, first.reply, first.query
    )
    value = first.reply.raw_results[first.query]
    identity = value.get("_ObjectIdentity_") if isinstance(value, dict) else None
    if not identity:
        pytest.skip(f"the target sent no _ObjectIdentity_ for {name}")
    again = _locate(target, lambda b: b.identity(identity))
    where = Site(STRUCTURE, "semantic", (first.reply.exchange, again.reply.exchange))
    verify(where, checks.result_present, again.reply, again.query)
    found = again.reply.raw_results[again.query]
    verify(where, checks.equals, found, value, what=f"the {name} its identity names")


# ---------------------------------------------------------------------------------- request errors


@pytest.mark.parametrize("item", [case(_meta("Constructor.UnknownTypeId", "error-info", PROCESSING), "type")])
def test_unknown_type_refused(item: str, refused: CsomReply) -> None:
    """A constructor of a TypeId the server does not know is refused with an ErrorInfo."""
    verify(Site(PROCESSING, evidence=(refused.exchange,)), checks.error_info, refused)


# what fails in each scope -> (item, level): a server may ignore an unknown name in a Query's select
UNKNOWN_MEMBERS = {
    "method": ("Method.UnknownName", "must"),
    "object-path-property": ("Property.UnknownName", "must"),
    "query-property": ("Query.UnknownProperty", "semantic"),
    "type": ("Constructor.UnknownTypeId[in-scope]", "must"),
}


@pytest.mark.parametrize(
    ("kind", "level"),
    [
        case(_meta(item, "scope-error", PROCESSING, level), kind, level)
        for kind, (item, level) in UNKNOWN_MEMBERS.items()
    ],
)
def test_unknown_member_refused(kind: str, level: Level, scoped: Scoped) -> None:
    """A call, path or query naming a member the type does not have fails (here, in its scope)."""
    verify(
        Site(PROCESSING, level, (scoped.reply.exchange,)),
        checks.scope_refused,
        scoped.reply,
        scoped.scopes[kind],
    )


# name -> (body, level): a DTD is well-formed XML, but SharePoint (like the reference) refuses it
MALFORMED: dict[str, tuple[bytes, Level]] = {
    "not-xml": (b"this is not XML", "must"),
    "truncated": (f'<Request xmlns="{NS}" SchemaVersion="15.0.0.0"><Actions>'.encode(), "must"),
    "wrong-root": (
        f'<Query xmlns="{NS}" SchemaVersion="15.0.0.0" LibraryVersion="16.0.0.0"/>'.encode(),
        "must",
    ),
    "entity": (
        f'<!DOCTYPE Request [<!ENTITY e "x">]><Request xmlns="{NS}" SchemaVersion="15.0.0.0" '
        'LibraryVersion="16.0.0.0"><Actions/><ObjectPaths/></Request>'.encode(),
        "semantic",
    ),
}


@pytest.mark.parametrize(
    "name",
    [case(_meta(f"Request[{n}]", "refused", PROCESSING, level), n) for n, (_, level) in MALFORMED.items()],
)
def test_malformed_request_refused(name: str, target: Target) -> None:
    """A body that is not a CSOM request is refused: HTTP 4xx, or an ErrorInfo."""
    headers = {"Content-Type": "text/xml", "Accept": "application/json"}
    if digest := target.form_digest():
        headers["X-RequestDigest"] = digest
    body, level = MALFORMED[name]
    exchange = target.send("POST", target.site_url + PROCESS_QUERY, headers=headers, body=body)
    verify(Site(PROCESSING, level, (exchange,)), checks.csom_refused, exchange)


# ---------------------------------------------------------------------------------------- scopes


SCOPE_RESULT = {
    "type": "object",
    "required": ["HasException", "ErrorInfo"],
    "properties": {"HasException": {"const": True}, "ErrorInfo": {"type": "object"}},
}


@pytest.mark.parametrize(
    "kind", [case(_meta("ExceptionHandlingScopeSimple", "scope-result", SCOPE), "method")]
)
def test_scope_reports_error(kind: str, scoped: Scoped) -> None:
    """A failure inside an ExceptionHandlingScopeSimple is the scope's result {HasException: true,
    ErrorInfo}; the request itself succeeds."""
    at = Site(SCOPE, evidence=(scoped.reply.exchange,))
    verify(at, checks.no_error, scoped.reply)
    verify(at, checks.result_present, scoped.reply, scoped.scopes[kind])
    result = scoped.reply.raw_results[scoped.scopes[kind]]
    verify(at, checks.json_schema, result, SCOPE_RESULT)


@pytest.mark.parametrize(
    "item", [case(_meta("ExceptionHandlingScopeSimple.Continue", "later-actions-run", SCOPE), "after")]
)
def test_actions_after_a_failed_scope_run(item: str, scoped: Scoped) -> None:
    """An error handled by its scope does not stop the request: the next action runs."""
    verify(Site(SCOPE, evidence=(scoped.reply.exchange,)), checks.result_present, scoped.reply, scoped.after)


# ---------------------------------------------------------------------------------------- digest

# What JSOM reads from /_api/contextinfo, asked for as it asks (notes 1.4: "It reads
# d.GetContextWebInformation.FormDigestValue, .FormDigestTimeoutSeconds and .WebFullUrl")
CONTEXT_INFO_VERBOSE = "application/json;odata=verbose"
CONTEXT_INFO_SCHEMA = {
    "type": "object",
    "required": ["d"],
    "properties": {"d": {
        "type": "object",
        "required": ["GetContextWebInformation"],
        "properties": {"GetContextWebInformation": {
            "type": "object",
            "required": ["FormDigestValue", "FormDigestTimeoutSeconds", "WebFullUrl"],
            "properties": {
                "FormDigestValue": {"type": "string", "minLength": 1},
                "FormDigestTimeoutSeconds": {"type": "integer", "minimum": 1},
                "WebFullUrl": {"type": "string", "minLength": 1},
            },
        }},
    }},
}  # fmt: skip


@pytest.mark.parametrize("item", [case(_meta("contextinfo", "form-digest", DIGEST, "semantic"), "verbose")])
def test_context_info_carries_a_form_digest(item: str, target: Target) -> None:
    """/_api/contextinfo answers JSOM's request with the form digest JSOM needs for every write,
    also when this run's own writes need none (a bearer token)."""
    exchange = target.context_info(accept=CONTEXT_INFO_VERBOSE)
    judged = Site(DIGEST, "semantic", (exchange,))
    verify(judged, checks.http_status, exchange, 200)
    verify(judged, checks.content_type, exchange, "application/json")
    verify(judged, checks.body_parses, exchange, "json")
    verify(judged, checks.json_schema, exchange.json(), CONTEXT_INFO_SCHEMA)


@dataclass(frozen=True)
class UnsignedWrite:
    reply: CsomReply
    task: int  # Query action id of the created task's Id


def _create_task(builder: RequestBuilder, name: str) -> int:
    """CreateTask in a user-ordered session, the spec's parameters in order; returns the query id."""
    session = builder.method(builder.construct(SESSION_MANAGER.type_id), "CreateSession")
    arguments = create_task_arguments(CATALOGUE, taskName=name, description="csom-conformance digest probe")
    created = builder.method(session, "CreateTask", *arguments)
    return builder.query(builder.property(created, "Result"), QuerySpec.select("Id"))


@pytest.fixture(scope="session")
def unsigned_write(target: Target, run_options: RunOptions) -> Iterator[UnsignedWrite]:
    """CreateTask sent without a form digest and without credentials; a task it created anyway is
    deleted again (with a digest) at the end of the session."""
    builder = RequestBuilder()
    task = _create_task(builder, f"{run_options.run_id} digest probe")
    with target.as_caller(None) as anonymous:
        reply = anonymous.process_query(builder.build(), digest=False)
        if reply.exchange.status == 401:
            pytest.skip(
                "the target requires credentials for CSOM: a write without a digest needs none to test"
            )
        yield UnsignedWrite(reply, task)
        created = reply.response.results.get(task) if reply.response else None
        if isinstance(created, dict) and isinstance(created.get("Id"), int):
            cleanup = RequestBuilder()
            session = cleanup.method(cleanup.construct(SESSION_MANAGER.type_id), "CreateSession")
            cleanup.method(session, "DeleteTask", created["Id"])
            anonymous.process_query(cleanup.build())


@pytest.mark.parametrize(
    "item", [case(_meta("X-RequestDigest[missing]", "write-refused", DIGEST, writes=True), "CreateTask")]
)
def test_write_without_digest_refused(item: str, unsigned_write: UnsignedWrite) -> None:
    """A write without the form digest (and without a bearer token) is refused with an ErrorInfo."""
    verify(Site(DIGEST, evidence=(unsigned_write.reply.exchange,)), checks.error_info, unsigned_write.reply)


@pytest.mark.parametrize(
    "item",
    [
        case(
            _meta("X-RequestDigest[missing].ErrorCode", "digest-error-code", DIGEST, "semantic", writes=True),
            "CreateTask",
        )
    ],
)
def test_digest_error_code(item: str, unsigned_write: UnsignedWrite) -> None:
    """The refusal names the digest: one of [MS-CSOMSPT] 2.2.1's digest error codes."""
    codes = sorted(DIGEST_ERROR_CODES | {DIGEST_MISSING})
    verify(
        Site(DIGEST, "semantic", (unsigned_write.reply.exchange,)),
        checks.error_info,
        unsigned_write.reply,
        codes=codes,
    )
