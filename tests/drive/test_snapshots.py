"""conformance.drive.snapshots.send_batched: probes in batches, the batches sent at once up to the
target's max_concurrency (one after another with ``in_order``), outcomes filed in the probes' order
whatever order the answers came in. Against a small real HTTP server that answers ProcessQuery
late and counts the requests in flight."""

from __future__ import annotations

import asyncio
import itertools
import json
import random

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from conformance.background import BackgroundServer
from conformance.drive.snapshots import Probe, send_batched, take_snapshots
from conformance.drive.target import PROCESS_QUERY, CaseTimeout, Connection, Credentials, Exchange, Target
from conformance.drive.world import provision
from conformance.model.catalogue import catalogue
from conformance.model.routes import Arguments, plan_routes, route_writes
from conformance.server import ReferenceServer
from conformance.wire import RequestBuilder, parse_request, to_xml


class Late:
    def __init__(self) -> None:
        self.in_flight = self.most_in_flight = 0

    def app(self) -> Starlette:
        async def process_query(request: Request) -> Response:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            await asyncio.sleep(random.uniform(0.01, 0.08))  # answers come back out of order
            self.in_flight -= 1
            return PlainTextResponse("[]", media_type="application/json")

        return Starlette(routes=[Route(PROCESS_QUERY, process_query, methods=["POST"])])


def _probe(key: str, marker: int) -> Probe:
    def write(builder: RequestBuilder) -> int:
        return builder.query(builder.construct(f"{{00000000-0000-0000-0000-{marker:012d}}}"))

    return Probe(key, write)


@pytest.mark.parametrize(("in_order", "most"), [(False, 3), (True, 1)])
def test_batches_go_out_at_once_within_the_cap_and_outcomes_keep_the_probes_order(
    in_order: bool, most: int
) -> None:
    server = Late()
    probes = [_probe("even" if n % 2 == 0 else "odd", n) for n in range(24)]
    with (
        BackgroundServer(server.app()) as running,
        Target(running.url, connection=Connection(max_concurrency=3)) as target,
    ):
        outcomes = send_batched(target, probes, batch_size=2, in_order=in_order)
    assert server.most_in_flight == most
    for key, wanted in (("even", range(0, 24, 2)), ("odd", range(1, 24, 2))):
        sent = [o.reply.exchange.request_body.decode() for o in outcomes[key]]
        assert [f"{n:012d}" in body for n, body in zip(wanted, sent, strict=True)] == [True] * 12


def test_a_batch_answer_is_parsed_once_however_many_probes_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # a hostile target's batch answer of 20 MB, read by each of its probes, kept a run busy for
    # minutes when every probe parsed the body again (#18)
    answer = json.dumps(
        [{"SchemaVersion": "15.0.0.0"}, *itertools.chain(*((n, {"n": n}) for n in range(1, 200)))]
    )

    async def process_query(request: Request) -> Response:
        return PlainTextResponse(answer, media_type="application/json")

    parses = []
    plain = Exchange.json
    monkeypatch.setattr(Exchange, "json", lambda self: parses.append(self) or plain(self))
    app = Starlette(routes=[Route(PROCESS_QUERY, process_query, methods=["POST"])])
    with BackgroundServer(app) as running, Target(running.url) as target:
        outcomes = send_batched(target, [_probe(f"p{n}", n) for n in range(40)], batch_size=20)
    answered = [outcome.raw() for (outcome,) in outcomes.values()]
    assert all(isinstance(value, dict) for value in answered) and len(answered) == 40
    assert len(parses) == 2  # one a request, not one a probe


def test_a_probes_evidence_reproduces_it_alone() -> None:
    """Each snapshot's evidence sends its own probe alone (its scope and the object paths it needs,
    #17: the reproduce command was the whole batch of dozens of scopes), and the reference server
    answers it as it answered that probe within the batch."""
    with (
        ReferenceServer(seed_data=True) as server,
        Target(server.url, credentials=Credentials.bearer(server.token)) as target,
    ):
        world = provision(target, catalogue(), "ccrun0", read_only=True)
        routes = [
            (name, route) for name, route in plan_routes(catalogue()).items() if not route_writes(route)
        ]
        taken = take_snapshots(target, catalogue(), routes, Arguments(catalogue(), world.values), 20)
        for snapshot in list(taken.values())[::5]:
            alone = parse_request(snapshot.exchange.focused_body())
            batch = parse_request(snapshot.exchange.request_body)
            assert [action.id for action in alone.actions] == [snapshot.outcome.scope_id]
            assert len(alone.object_paths) < len(batch.object_paths)
            assert f"'{to_xml(alone).decode()}'" in snapshot.exchange.curl()
            assert "sends it alone" in snapshot.exchange.describe()
            again = target.process_query(alone)
            assert again.raw_results.get(snapshot.outcome.result_id) == snapshot.outcome.raw(), (
                snapshot.type_name
            )


def test_batches_sent_at_once_keep_the_callers_case_deadline() -> None:
    """Each batch's thread is held to the case deadline of the thread that sent the probes (the
    batches' own thread pool ran without it: a slow target held them for read_timeout a request)."""

    async def slow(request: Request) -> Response:
        await asyncio.sleep(2)
        return PlainTextResponse("[]", media_type="application/json")

    app = Starlette(routes=[Route(PROCESS_QUERY, slow, methods=["POST"])])
    with (
        BackgroundServer(app) as running,
        Target(running.url, connection=Connection(max_concurrency=2)) as target,
        target.case_deadline(0.3),
        pytest.raises(CaseTimeout),
    ):
        send_batched(target, [_probe(f"p{n}", n) for n in range(4)], batch_size=2)
