"""A large request does not stall small ones (issue 19): a ProcessQuery body over LARGE_BODY is parsed
on a worker thread and run on the database's thread, so the event loop goes on answering others.
The server runs as its own process, so that this test's clients do not share its interpreter lock."""

import threading
import time

import httpx

from conformance.server.csom.endpoint import LARGE_BODY
from conformance.wire import RequestBuilder, to_xml
from tests.server import serve
from tests.server.client import CsomClient, wm_type_id


def large_body() -> bytes:
    """About 1.5 MB of cheap actions: a second of work for the server, reading nothing stored."""
    b = RequestBuilder()
    for _ in range(9000):
        b.instantiate(b.construct(wm_type_id("UserSettingsManager")))
    return to_xml(b.build())


def test_small_requests_are_answered_while_a_large_one_runs():
    body = large_body()
    assert len(body) > 20 * LARGE_BODY
    with serve.served() as url, CsomClient(url) as client, httpx.Client(timeout=10) as small:
        client.digest()
        for _ in range(2):
            took, waits = [], []
            thread = threading.Thread(target=_timed_into, args=(took, lambda: client.post(body)))
            thread.start()
            while thread.is_alive():
                waits.append(_timed(lambda: small.post(f"{url}/_api/contextinfo")))
            thread.join()
            # before: the loop was held for the whole large request (one or two small answers, each
            # waiting about as long as it took); now dozens, each waiting a fraction of it
            assert len(waits) >= 5 and max(waits) < 0.6 * took[0], (len(waits), max(waits), took)


def _timed_into(results: list[float], call) -> None:
    results.append(_timed(call))


def _timed(call) -> float:
    start = time.monotonic()
    call()
    return time.monotonic() - start
