"""A proxy that holds each request of an endpoint a while and counts how many it holds at once:
what shows that independent requests go out at once, up to ``max_concurrency`` (issue 23)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.cases.broken import HOP_BY_HOP, endpoint_of

HOLD_S = 0.2


def counting_proxy(upstream: str, endpoint: str, peak: list[int], first_hold_s: float = HOLD_S) -> Starlette:
    """Forwards to ``upstream``; ``peak[0]``: the most requests of ``endpoint`` (CALENDAR, CSOM) it
    held at once. The first of each query and body is held ``first_hold_s``, the others ``HOLD_S``."""
    in_flight, seen = [0], set()

    async def forward(request: Request) -> Response:
        body = await request.body()
        if endpoint_of(request.url.path) == endpoint:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            query = (tuple(sorted(request.query_params.multi_items())), body)
            # held, requests sent at once are seen at once
            await asyncio.sleep(HOLD_S if query in seen else first_hold_s)
            seen.add(query)
            in_flight[0] -= 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        sent = await request.app.state.client.request(
            request.method, request.url.path, params=request.query_params, headers=headers,
            content=body or None,
        )  # fmt: skip
        kept = {k: v for k, v in sent.headers.items() if k.lower() not in HOP_BY_HOP}
        return Response(sent.content, sent.status_code, headers=kept)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(base_url=upstream, timeout=30) as client:
            app.state.client = client
            yield

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])], lifespan=lifespan)
