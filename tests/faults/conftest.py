"""Fixtures: one reference server with the demo data (calendar around a fixed day), and a factory of
fault proxies in front of it (or of any URL), started once per (target, fault) and stopped together."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http.cookiejar import DefaultCookiePolicy

import httpx
import pytest

from conformance.faults import FaultProxy
from conformance.server import ReferenceServer, seed
from tests.faults.helpers import TODAY

ProxyFactory = Callable[..., FaultProxy]


@pytest.fixture(scope="session")
def reference() -> Iterator[ReferenceServer]:
    with ReferenceServer() as running:
        with running.app.state.db.transaction() as conn:
            seed.demo(conn, today=TODAY)
        yield running


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One client for the many small requests (making a client costs tens of milliseconds); it keeps
    no cookies, so every request carries only the headers it is given."""
    with httpx.Client(timeout=30) as client:
        client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        yield client


@pytest.fixture(scope="session")
def proxy(reference: ReferenceServer) -> Iterator[ProxyFactory]:
    """``proxy(fault, target=None, record=False)``: a running proxy (in front of the reference
    server unless ``target`` says otherwise), the same one for the same arguments."""
    running: dict[tuple[str | None, str, bool], FaultProxy] = {}

    def start(fault: str | None, target: str | None = None, record: bool = False) -> FaultProxy:
        key = (fault, target or reference.url, record)
        if key not in running:
            running[key] = FaultProxy(key[1], fault, record=record).__enter__()
        return running[key]

    yield start
    for started in running.values():  # all at once: each stop waits for uvicorn's next tick
        started.stop()
    for started in running.values():
        started.join()
