"""`POST …/_vti_bin/client.svc/ProcessQuery`: the HTTP side of a CSOM request.

Every answer to a request that reaches CSOM processing is HTTP 200 with a JSON array,
errors included (ErrorInfo in the header), as MS-CSOM specifies; only authentication
failures are plain HTTP 401 (``auth``). Checks, in order: body size, XML well-formedness and
shape, schema version, form digest (not needed with a bearer token, as in SharePoint), then the
actions. A fault stops processing; writes of actions that completed before it are
committed (see engine.py). An unexpected failure inside the object model rolls the
request back and is answered as an SPException, never a traceback.
"""

from __future__ import annotations

import uuid
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from conformance.server import digest
from conformance.server.auth import Scheme, caller, unauthorized
from conformance.server.connections import read_body
from conformance.server.csom import objects as om
from conformance.server.csom.engine import error_info, execute
from conformance.server.csom.objects import Context, CsomFault
from conformance.server.csom.typesystem import type_system
from conformance.server.db import Busy, Database
from conformance.server.errors import FAILURES
from conformance.wire import Header, MalformedRequest, encode_response, parse_request
from conformance.wire import Request as CsomRequest

MAX_BODY = 2 * 1024 * 1024  # SharePoint's default MaxReceivedMessageSize
# A body larger than this is parsed on a worker thread and run on the database's thread: on the
# event loop a 1.5 MB request held every other client for a second.
LARGE_BODY = 64 * 1024
LIBRARY_VERSION = "16.0.0.0"
SCHEMA_VERSIONS = ("14.0.0.0", "15.0.0.0")
DIGEST_FAULTS = {
    digest.DigestState.MISSING: (om.SP_EXCEPTION, "The security validation for this page is missing. "
                                 "Send the form digest in the X-RequestDigest header."),
    digest.DigestState.INVALID: ((-2130575251, "Microsoft.SharePoint.SPException"),
                                 "The security validation for this page is invalid."),
    digest.DigestState.EXPIRED: ((-2130575252, "Microsoft.SharePoint.SPException"),
                                 "The security validation for this page has timed out."),
}  # fmt: skip


def _answer(correlation: str, fault: CsomFault | None, pairs: list[tuple[int, Any]]) -> Response:
    header = Header(
        SCHEMA_VERSIONS[-1],
        LIBRARY_VERSION,
        error_info(fault, correlation) if fault else None,
        correlation,
    )
    body = encode_response(header, [] if fault else pairs)
    return Response(
        body, 200, media_type="application/json; charset=utf-8", headers={"SPRequestGuid": correlation}
    )


async def _body(request: Request) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY (read no further than that);
    TimeoutError when it takes longer than the app's body_timeout to arrive."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and len(declared) < 20 and int(declared) > MAX_BODY:
        return None
    return await read_body(request.stream(), MAX_BODY, request.app.state.body_timeout)


def _process(db: Database, parsed: CsomRequest, user: int, web_url: str, correlation: str) -> Response:
    try:
        with db.transaction() as conn:
            ctx = Context(conn, user, web_url, correlation)
            try:
                pairs = execute(parsed, ctx, type_system())
            except CsomFault as fault:
                return _answer(correlation, fault, [])  # earlier writes are committed
    except Busy:
        raise  # nothing done yet: Database.run tries again where it may wait
    except Exception as exc:
        FAILURES.report(exc, f"ProcessQuery {correlation}")
        fault = CsomFault(om.SP_EXCEPTION, "Unexpected server error; the request was rolled back.")
        return _answer(correlation, fault, [])
    return _answer(correlation, None, pairs)


async def process_query(request: Request) -> Response:
    state = request.app.state
    who = caller(request, required=False)
    if who is None:
        return unauthorized(request)
    correlation = str(uuid.uuid4())
    try:
        body = await _body(request)
    except TimeoutError:
        seconds = request.app.state.body_timeout
        fault = CsomFault(om.SP_EXCEPTION, f"The request body did not arrive within {seconds:g} s.")
        return _answer(correlation, fault, [])
    if body is None:
        fault = CsomFault(om.SP_EXCEPTION, f"The request message is too big (over {MAX_BODY} bytes).")
        return _answer(correlation, fault, [])
    web_url = str(request.url).split("?", 1)[0].rsplit("/_vti_bin/", 1)[0]
    if who.scheme is not Scheme.BEARER:
        checked = digest.check(
            state.secret, who.user_id, request.headers.get("x-requestdigest"), state.digest_timeout,
            site=digest.site_of(request.url.path),
        )  # fmt: skip
        if checked is not digest.DigestState.VALID:
            kind, message = DIGEST_FAULTS[checked]
            return _answer(correlation, CsomFault(kind, message), [])
    large = len(body) > LARGE_BODY
    try:
        parsed = await anyio.to_thread.run_sync(parse_request, body) if large else parse_request(body)
    except MalformedRequest as exc:
        return _answer(correlation, CsomFault(om.INVALID_QUERY, f"The request is not valid: {exc}"), [])
    if parsed.schema_version not in SCHEMA_VERSIONS:
        fault = CsomFault(
            om.INVALID_QUERY, f"Schema version {parsed.schema_version[:20]!r} is not supported."
        )
        return _answer(correlation, fault, [])
    return await state.db.run(
        _process, state.db, parsed, who.user_id, web_url, correlation, on_loop=not large
    )
