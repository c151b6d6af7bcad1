"""cases/test_calendar.py sends its independent GETs at once, never more than ``max_concurrency``
(issue 23): run as a user runs it, through a proxy that holds each calendar GET and counts how many
are in flight. A GET that fails then is its case's to send again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.background import BackgroundServer
from conformance.selftest import member_env
from conformance.server import ReferenceServer
from tests.cases.broken import CALENDAR, HOP_BY_HOP, endpoint_of
from tests.cases.runner import Run, run_cases

TOKEN_ENV = "CONFORMANCE_TEST_TOKEN"
CAP = 3
HOLD_S = 0.2


def counting_proxy(upstream: str, peak: list[int], first_hold_s: float = HOLD_S) -> Starlette:
    """Forwards to ``upstream``; ``peak[0]``: the most calendar GETs it held at once. The first GET
    of each query is held ``first_hold_s``, the others ``HOLD_S``."""
    in_flight, seen = [0], set()

    async def forward(request: Request) -> Response:
        calendar, body = endpoint_of(request.url.path) == CALENDAR, await request.body()
        if calendar:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            query = tuple(sorted(request.query_params.multi_items()))
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


def _run(tmp_path: Path, *args: str, first_hold_s: float = HOLD_S, **settings: str) -> tuple[Run, int]:
    """The calendar cases (pytest ``args`` added) through the counting proxy, with
    ``CONFORMANCE_<SETTING>`` variables; and the most GETs it held at once."""
    peak = [0]
    with ReferenceServer(seed_data=True) as server, ExitStack() as stack:
        app = counting_proxy(server.url, peak, first_hold_s)
        proxy = stack.enter_context(BackgroundServer(app, lifespan="on"))
        env = {f"CONFORMANCE_{k.upper()}": v for k, v in settings.items()}
        env |= {TOKEN_ENV: server.token, "CONFORMANCE_MAX_CONCURRENCY": str(CAP), **member_env()}
        args = ("--target", proxy.url, "--token-env", TOKEN_ENV, *args)
        return run_cases(tmp_path, ("cases/test_calendar.py",), *args, env=env), peak[0]


def test_calendar_gets_go_at_once_up_to_max_concurrency(tmp_path: Path) -> None:
    run, peak = _run(tmp_path)
    assert run.returncode == 0, run.output
    assert run.cases and {c["outcome"] for c in run.cases.values()} == {"passed"}, run.failed()
    assert peak == CAP, f"at most {peak} calendar GETs in flight, {CAP} allowed"


def test_a_get_failing_before_the_cases_is_sent_again_by_its_case(tmp_path: Path) -> None:
    """Every query's first GET outlasts read_timeout: the cases' own GETs are answered in time (the
    parameter combinations: every GET of theirs is one sent before the cases)."""
    selection = ("-k", "test_parameter_combination")
    run, _ = _run(tmp_path, *selection, first_hold_s=1.5, read_timeout="0.8", retries="0")
    assert run.returncode == 0, run.output
    assert run.cases and {c["outcome"] for c in run.cases.values()} == {"passed"}, run.failed()
