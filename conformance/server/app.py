"""The reference server as an ASGI application (Starlette).

Routes accept any site prefix (``/sites/x/_api/contextinfo``), as SharePoint does:
- ``POST …/_api/contextinfo`` issues a form digest,
- ``POST …/_vti_bin/client.svc/ProcessQuery`` runs CSOM requests (csom/endpoint.py),
- ``GET  …/api/Tasks/Calendar`` serves the REST calendar.
Unexpected failures are answered with a plain 500 and no traceback, and logged once each
(``errors.FAILURES``); the server keeps serving. A request whose ``Host`` is not allowed (the loopback
names, and the names given) is 400 before anything else: a web page in a browser on the same
machine could otherwise reach the server through DNS rebinding, and write.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from conformance import __version__
from conformance.server import calendar, digest, seed
from conformance.server.auth import caller, credentials, unauthorized
from conformance.server.connections import BODY_S, quiet_accept_errors
from conformance.server.csom.endpoint import LIBRARY_VERSION, SCHEMA_VERSIONS, process_query
from conformance.server.db import Database
from conformance.server.errors import FAILURES

DIGEST_TIMEOUT = 1800
# of a request's path: a site URL is stored, and SharePoint's own limit is 400 characters
MAX_PATH = 1024
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")  # as a Host header spells them


def _site_url(request: Request, suffix: str) -> str:
    base = str(request.url).split("?", 1)[0]
    return base[: -len(suffix)].rstrip("/") if base.endswith(suffix) else base


async def contextinfo(request: Request) -> Response:
    who = caller(request, required=False)
    if who is None:
        return unauthorized(request)
    web = _site_url(request, "/_api/contextinfo")
    info = {
        "FormDigestTimeoutSeconds": request.app.state.digest_timeout,
        "FormDigestValue": digest.issue(
            request.app.state.secret, who.user_id, site=digest.site_of(request.url.path)
        ),
        "LibraryVersion": LIBRARY_VERSION,
        "SiteFullUrl": web,
        "SupportedSchemaVersions": list(SCHEMA_VERSIONS),
        "WebFullUrl": web,
    }
    if "odata=verbose" in request.headers.get("accept", ""):
        info["SupportedSchemaVersions"] = {
            "__metadata": {"type": "Collection(Edm.String)"},
            "results": list(SCHEMA_VERSIONS),
        }
        body = {
            "d": {"GetContextWebInformation": {"__metadata": {"type": "SP.ContextWebInformation"}, **info}}
        }
        return JSONResponse(body, media_type="application/json;odata=verbose;charset=utf-8")
    return JSONResponse(info, media_type="application/json;odata=nometadata;charset=utf-8")


async def dispatch(request: Request) -> Response:
    try:
        return await _route(request)
    except Exception as exc:  # a bug: logged once (errors.FAILURES), not a traceback per request
        FAILURES.report(exc, f"{request.method} {request.url.path[:80]}")
        return PlainTextResponse("Internal Server Error", status_code=500)


async def _route(request: Request) -> Response:
    if len(request.url.path) > MAX_PATH:
        return PlainTextResponse(f"URI too long (over {MAX_PATH} characters of path)", status_code=414)
    path = request.url.path.rstrip("/").lower()
    if path.endswith("/_api/contextinfo"):
        if request.method != "POST":
            return PlainTextResponse("use POST", status_code=405, headers={"Allow": "POST"})
        return await contextinfo(request)
    if path.endswith("/_vti_bin/client.svc/processquery"):
        if request.method != "POST":
            return PlainTextResponse("use POST", status_code=405, headers={"Allow": "POST"})
        return await process_query(request)
    if path.endswith("/api/tasks/calendar"):
        if request.method != "GET":
            return PlainTextResponse("use GET", status_code=405, headers={"Allow": "GET"})
        return await calendar.endpoint(request)
    return PlainTextResponse("not found", status_code=404)


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    quiet_accept_errors(asyncio.get_running_loop())  # before the first connection is accepted
    yield


def _object_model_schemas() -> tuple[str, ...]:
    from conformance.server.core import CORE_SCHEMA
    from conformance.server.wf.schema import SCHEMA as WF_SCHEMA
    from conformance.server.wm.schema import SCHEMA as WM_SCHEMA

    return (CORE_SCHEMA, WM_SCHEMA, WF_SCHEMA)


def create_app(
    db_path: Path | None = None,
    *,
    token: str | None = None,
    basic: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
    seed_data: bool = False,
    digest_timeout: int = DIGEST_TIMEOUT,
    allowed_hosts: Sequence[str] = (),
    body_timeout: float = BODY_S,
) -> Starlette:
    """A reference server app (authentication: see ``auth``). ``token`` is user 1's bearer
    token; ``basic`` maps logins to passwords, ``cookies`` logins to FedAuth cookie values.
    With any of them every endpoint needs credentials; without, CSOM is anonymous and the REST
    calendar accepts a token generated here (``app.state.token``; None when only basic or cookie
    credentials are configured), and with ``seed_data`` a second for user 2 (``app.state.second_token``,
    else None). ``allowed_hosts``: the Host names accepted besides the loopback
    names (``*.example.com`` for a domain). ValueError for a login the directory lacks or an
    empty secret."""
    for pattern in allowed_hosts:
        if not pattern or "*" in pattern.removeprefix("*."):
            raise ValueError(f"allowed host {pattern[:80]!r}: a name, or '*.domain' for a domain")
    users = {login: user_id for user_id, login, _ in seed.USERS}
    required = token is not None or bool(basic) or bool(cookies)
    second_token = None
    if token is None and not required:
        token = os.urandom(18).hex()
        second_token = os.urandom(18).hex() if seed_data else None
    accepted = credentials(
        users, token, second_token=second_token, basic=basic, cookies=cookies, required=required
    )
    db = Database(db_path, extra_schemas=_object_model_schemas())
    with db.transaction() as conn:
        seed.directory(conn)
        if seed_data:
            seed.demo(conn)
    app = Starlette(
        lifespan=_lifespan,
        routes=[Route("/{path:path}", dispatch, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])],
        middleware=[
            Middleware(
                TrustedHostMiddleware, allowed_hosts=[*LOOPBACK_HOSTS, *allowed_hosts], www_redirect=False
            )
        ],
    )
    app.state.db = db
    app.state.secret = os.urandom(32)
    app.state.credentials = accepted
    app.state.token = token
    app.state.second_token = second_token
    app.state.digest_timeout = digest_timeout
    app.state.body_timeout = body_timeout
    app.state.version = __version__
    return app
