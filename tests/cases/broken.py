"""Deliberately broken variants of the reference server: a small real HTTP proxy (Starlette under
uvicorn, on a free loopback port) that forwards to a ReferenceServer with a few faults, each
breaking one thing on the calendar endpoint or on ProcessQuery.

A :class:`Fault` may rewrite a request on its way to the reference server (or answer it itself)
and rewrite the answer on its way back. Faults are plain functions of plain data (:class:`Call`,
:class:`Answer`), so each one reads as what it breaks.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.background import BackgroundServer

CALENDAR, CSOM = "calendar", "csom"
HOP_BY_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection", "content-encoding"})


@dataclass(frozen=True)
class Upstream:
    """The reference server the proxy forwards to."""

    url: str
    token: str  # user 1's bearer token

    def digest(self) -> str:
        """A fresh form digest for an anonymous caller."""
        answer = httpx.post(self.url + "/_api/contextinfo", headers={"Accept": "application/json"})
        return answer.json()["FormDigestValue"]


@dataclass(frozen=True)
class Call:
    """A request on its way to the reference server."""

    path: str
    params: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)

    def with_json(self, value: Any) -> Answer:
        return replace(self, body=json.dumps(value).encode())


Before = Callable[[Call, Upstream], "Call | Answer"]
After = Callable[[Call, Answer], Answer]


def _unchanged_call(call: Call, upstream: Upstream) -> Call | Answer:
    return call


def _unchanged_answer(call: Call, answer: Answer) -> Answer:
    return answer


@dataclass(frozen=True)
class Fault:
    """One thing broken on one endpoint (CALENDAR or CSOM)."""

    name: str
    endpoint: str
    before: Before = _unchanged_call
    after: After = _unchanged_answer


def endpoint_of(path: str) -> str | None:
    path = path.rstrip("/").lower()
    if path.endswith("/api/tasks/calendar"):
        return CALENDAR
    if path.endswith("/_vti_bin/client.svc/processquery"):
        return CSOM
    return None


def proxy_app(upstream: Upstream, faults: tuple[Fault, ...]) -> Starlette:
    """Faults of the request's endpoint rewrite it in order (one that answers it itself ends the
    trip: its answer goes back as is), then rewrite the reference server's answer in order."""

    async def forward(request: Request) -> Response:
        mine = [fault for fault in faults if fault.endpoint == endpoint_of(request.url.path)]
        call: Call | Answer = Call(
            path=request.url.path,
            params=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP},
            body=await request.body(),
        )
        for fault in mine:
            if isinstance(call, Call):
                call = fault.before(call, upstream)
        if isinstance(call, Answer):
            return Response(call.body, call.status, headers=call.headers)
        sent = await request.app.state.client.request(
            request.method, call.path, params=call.params, headers=call.headers, content=call.body or None
        )
        kept = {k.lower(): v for k, v in sent.headers.items() if k.lower() not in HOP_BY_HOP}
        answer = Answer(sent.status_code, kept, sent.content)
        for fault in mine:
            answer = fault.after(call, answer)
        return Response(answer.body, answer.status, headers=answer.headers)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # one client for the proxy's life: making one per request costs ~0.1 s (its TLS context)
        async with httpx.AsyncClient(base_url=upstream.url, timeout=30) as client:
            app.state.client = client
            yield

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])], lifespan=lifespan)


@contextmanager
def broken_server(upstream: Upstream, *faults: Fault) -> Iterator[str]:
    with BackgroundServer(proxy_app(upstream, faults), lifespan="on") as server:
        yield server.url
