"""The proxy itself, for every catalogue entry: traffic the fault does not concern comes back byte for
byte as the target sent it (and reaches the target as the client sent it); answers a fault cannot
read pass through unchanged; a target that is down gets a 502 that says so; a fault that fails
gets a 502 too, and the proxy keeps serving."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from conformance.background import BackgroundServer
from conformance.faults import CATALOGUE, Fault, FaultProxy
from conformance.faults.model import ResponseRewrite
from tests.faults.helpers import WEEK, calendar, csom, process_query, read_tasks, settings_read

NAMES = [None, *(fault.name for fault in CATALOGUE)]
CSOM_PATH = "/sites/probe/_vti_bin/client.svc/ProcessQuery"
CALENDAR_PATH = "/sites/probe/api/Tasks/Calendar"
# what every fault leaves alone: an endpoint no fault is for, a ProcessQuery that is not CSOM XML and
# carries a digest, a calendar GET without to / member and with includeTasks
UNTOUCHED = {
    "other": ("GET", "/sites/probe/_api/web/lists", "a=1&b=%20x", b""),
    "csom": ("POST", CSOM_PATH, "", b"\x00 not xml \xff"),
    "calendar": ("GET", CALENDAR_PATH, "from=2026-11-23&includeTasks=false", b""),
}
# answers no fault can read (or that read as not theirs): the body must come back as sent
GARBAGE = {
    "truncated-json": ("application/json", b'[{"SchemaVersion":"15.0.0.0","LibraryVersion":'),
    "not-an-array": ("application/json", b'{"SchemaVersion": "15.0.0.0"}'),
    "even-array": ("application/json", b'[{"SchemaVersion":"15.0.0.0"},1]'),
    "ids-not-numbers": ("application/json", b'[{"SchemaVersion":"15.0.0.0"},"x",{"_ObjectType_":"T","A":1}]'),
    "not-utf-8": ("application/json; charset=utf-8", b"[\xff\xfe\x00]"),
    "result-not-an-object": ("application/json", b'{"Result": [1, 2], "Message": null}'),
    "truncated-xml": ("application/xml", b"<Response><Result><Items><Item><Type>1</Type>"),
    "entity-xml": ("application/xml", b'<!DOCTYPE r [<!ENTITY a "b">]><Response>&a;</Response>'),
}


async def upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A target whose answer depends only on the request: it echoes what it received (or sends the
    garbage named by an X-Answer header), with an unusual status and repeated headers."""
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        body, more = body + message.get("body", b""), message.get("more_body", False)
    headers = [
        (key, value) for key, value in scope["headers"] if key not in (b"accept-encoding", b"connection")
    ]
    answer = dict(scope["headers"]).get(b"x-answer", b"echo").decode()
    if answer in GARBAGE:
        content_type, payload = GARBAGE[answer][0].encode(), GARBAGE[answer][1]
        status = 200
    else:
        content_type, status = b"application/octet-stream", 203
        payload = (
            b"\x00\xff"
            + repr((scope["method"], scope["raw_path"], scope["query_string"], headers, body)).encode()
        )
    start_headers = [
        (b"content-type", content_type),
        (b"x-upstream", b"yes"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": payload})


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    with BackgroundServer(upstream) as running:
        yield running.url


@pytest.fixture(scope="module")
def dead() -> str:
    """The URL of a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _send(
    http: httpx.Client, url: str, method: str, path: str, query: str, body: bytes, **headers: str
) -> httpx.Response:
    headers = {"X-Custom": "kept", "X-RequestDigest": "0xabc,1 Jan 2026", **headers}
    return http.request(
        method, f"{url}{path}" + (f"?{query}" if query else ""), content=body, headers=headers
    )


def _visible(response: httpx.Response) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers as sent (but the date, which moves) and body."""
    return (
        response.status_code,
        [(k, v) for k, v in response.headers.raw if k.lower() != b"date"],
        response.content,
    )


@pytest.mark.parametrize("kind", UNTOUCHED)
@pytest.mark.parametrize("name", NAMES)
def test_untouched_traffic_is_forwarded_byte_for_byte(
    name: str | None, kind: str, echo: str, proxy, http: httpx.Client
) -> None:
    fault = proxy(name, echo)
    seen = len(fault.changes)
    direct, proxied = (_send(http, url, *UNTOUCHED[kind]) for url in (echo, fault.url))
    assert direct.status_code == 203 and direct.content.startswith(b"\x00\xff")
    assert _visible(proxied) == _visible(direct)  # the echo shows the request arrived as sent, too
    assert fault.changes[seen:] == []


@pytest.mark.parametrize("garbage", GARBAGE)
@pytest.mark.parametrize("name", NAMES[1:])
def test_answers_a_fault_cannot_read_pass_through(
    name: str, garbage: str, echo: str, proxy, http: httpx.Client
) -> None:
    fault = proxy(name, echo)
    csom, _ = read_tasks()
    for method, path, query, body in (
        ("POST", CSOM_PATH, "", csom),
        ("GET", CALENDAR_PATH, "from=2026-11-23&to=2026-11-30&member=2", b""),
    ):
        answer = _send(http, fault.url, method, path, query, body, **{"X-Answer": garbage})
        assert (answer.status_code, answer.content) == (200, GARBAGE[garbage][1])


@pytest.mark.parametrize("name", NAMES)
def test_a_target_that_is_down_gets_a_502_that_says_so(
    name: str | None, dead: str, proxy, http: httpx.Client
) -> None:
    fault = proxy(name, dead)
    for _ in range(2):  # and the proxy keeps serving
        for method, path, query, body in UNTOUCHED.values():
            answer = _send(http, fault.url, method, path, query, body)
            assert answer.status_code == 502
            assert answer.text.startswith(f"fault proxy: cannot reach the target {dead}: ConnectError")


def test_credentials_in_the_target_url_are_never_shown(dead: str) -> None:
    with FaultProxy(dead.replace("http://", "http://someone:s3cret-pass@"), "drop-property") as fault:
        answer = httpx.post(f"{fault.url}{CSOM_PATH}", content=b"<x/>")
    assert answer.status_code == 502 and "s3cret" not in answer.text and "someone" not in answer.text


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "not a url", "http://"])
def test_a_target_that_is_not_an_http_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        FaultProxy(url, "drop-property")


def test_an_unknown_fault_is_refused_with_the_names_there_are() -> None:
    with pytest.raises(KeyError, match="drop-property"):
        FaultProxy("http://127.0.0.1:1", "no-such-fault")


def _explode(exchange: Any, memory: Any) -> ResponseRewrite:
    raise RuntimeError("a bug in a fault")


def test_a_failing_fault_gets_a_502_and_the_proxy_keeps_serving(echo: str, http: httpx.Client) -> None:
    broken = Fault(
        "explodes", "response", "ms-csom", "3.1.4.1.8.2", "Raises.", frozenset({"csom"}), response=_explode
    )
    with FaultProxy(echo, broken) as fault:
        failed = _send(http, fault.url, *UNTOUCHED["csom"])
        assert failed.status_code == 502
        assert failed.text == "fault proxy: fault explodes failed on this exchange: RuntimeError\n"
        assert _send(http, fault.url, *UNTOUCHED["other"]).status_code == 203


def test_a_fault_with_memory_takes_concurrent_exchanges(reference, proxy) -> None:
    fault = proxy("deleted-task-returned")
    body, _ = read_tasks()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: process_query(body)(fault.url), range(24)))
    assert [answer.status_code for answer in answers] == [200] * 24
    assert len({json.dumps(csom(answer.content)) for answer in answers}) == 1  # the same read, 24 times


def _untouched_exchange(reference, endpoints: frozenset[str]) -> Callable[[str], httpx.Response]:
    """A request to the reference server on an endpoint the fault does not see."""
    if "calendar" not in endpoints:
        return calendar(WEEK, "application/xml", reference.token)
    if "csom" not in endpoints:
        return process_query(settings_read()[0])
    return lambda url: httpx.post(f"{url}/sites/probe/_api/contextinfo")


@pytest.mark.parametrize("name", NAMES[1:])
def test_the_reference_servers_answers_pass_as_they_came(name: str, reference, proxy) -> None:
    fault = proxy(name, record=True)
    answer = _untouched_exchange(reference, fault.fault.endpoints)(fault.url)
    recorded = fault.exchanges[-1]
    assert recorded.changes == () and recorded.forwarded == recorded.original
    sent_by_target = [
        (k.lower(), v) for k, v in recorded.received.headers if k.lower() != "transfer-encoding"
    ]
    assert answer.status_code == recorded.received.status and answer.content == recorded.received.body
    assert [(k.decode().lower(), v.decode()) for k, v in answer.headers.raw] == sent_by_target
