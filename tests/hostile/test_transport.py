"""The target client against hostile targets: one request ends within ``read_timeout`` whatever the
target sends (a byte at a time, interim responses without end), keeps at most ``max_answer_bytes``
of an answer (as sent and once decompressed: bombs stop at the cap), and a request that failed on a
reused connection before any answer byte is sent again."""

from __future__ import annotations

import json
import time

import pytest

from conformance.drive.target import (
    REDACTED,
    BadAnswer,
    Connection,
    Credentials,
    Exchange,
    Target,
    TargetUnreachable,
)
from tests.hostile.targets import Peer, answer, bomb, hostile

READ_TIMEOUT = 0.6
BOUND_S = READ_TIMEOUT + 0.9  # the deadline, and a margin for a loaded CI machine
QUICK = Connection(read_timeout=READ_TIMEOUT, connect_timeout=1, retries=0)
CAP = 2**20


def _headers_by_the_byte(peer: Peer) -> None:
    if peer.request():
        peer.drip(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 1000 + b"\r\n\r\n", 0.05)


def _interim_flood(peer: Peer) -> None:
    if peer.request():
        for _ in range(400):
            if not peer.send(b"HTTP/1.1 102 Processing\r\n\r\n") or peer.stop.wait(0.02):
                return


def _body_by_the_byte(peer: Peer) -> None:
    if peer.request():
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        peer.drip(b"x" * 100000, 0.05)


@pytest.mark.parametrize("behaviour", [_headers_by_the_byte, _interim_flood, _body_by_the_byte])
def test_a_request_ends_within_read_timeout_whatever_the_target_drips(behaviour) -> None:
    with hostile(behaviour) as target, Target(target.url, connection=QUICK) as client:
        started = time.monotonic()
        with pytest.raises(TargetUnreachable, match=r"no whole answer within 0.6 s \(read_timeout\)"):
            client.send("GET", target.url)
        assert time.monotonic() - started < BOUND_S


def _encoded(body: bytes, coding: str):
    def behaviour(peer: Peer) -> None:
        if peer.request():
            peer.send(answer(body=body, headers=(f"Content-Encoding: {coding}",)))

    return behaviour


def _endless_chunks(peer: Peer) -> None:
    if peer.request() and peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"):
        while peer.send(b"10000\r\n" + b"x" * 0x10000 + b"\r\n"):
            pass


@pytest.mark.parametrize(
    ("behaviour", "how"),
    [
        (_encoded(bomb(32 * CAP, 31), "gzip"), "once decompressed"),
        (_encoded(bomb(32 * CAP, -15), "deflate"), "once decompressed"),
        (_encoded(bomb(32 * CAP, 15), "deflate"), "once decompressed"),
        (_endless_chunks, "as sent"),
        (_encoded(b"y" * (2 * CAP), "identity"), "as sent"),
    ],
    ids=["gzip-bomb", "raw-deflate-bomb", "zlib-deflate-bomb", "endless-chunked", "oversized"],
)
def test_an_answer_stops_at_max_answer_bytes(behaviour, how: str) -> None:
    connection = Connection(read_timeout=5, retries=0, max_answer_bytes=CAP)
    with hostile(behaviour) as target, Target(target.url, connection=connection) as client:
        started = time.monotonic()
        with pytest.raises(BadAnswer, match=f"larger than max_answer_bytes \\({CAP} bytes\\) {how}"):
            client.send("GET", target.url)
        assert time.monotonic() - started < 2


def test_a_compressed_answer_under_the_cap_is_decoded() -> None:
    with (
        hostile(_encoded(bomb(CAP // 2, 31), "gzip")) as target,
        Target(target.url, connection=QUICK) as client,
    ):
        assert client.send("GET", target.url).response_body == bytes(CAP // 2)
    with (
        hostile(_encoded(b"not gzip at all", "gzip")) as target,
        Target(target.url, connection=QUICK) as client,
        pytest.raises(BadAnswer, match="gzip content coding is broken"),
    ):
        client.send("GET", target.url)


def _closes_kept_connections(peer: Peer) -> None:
    """Answers the first request of a connection, keeps it open, and closes it at the next request
    without a byte (as a server whose idle timer fired just then)."""
    if peer.request():
        peer.send(answer(body=b"first"))
        if peer.request():
            peer.sock.close()


def test_a_request_failing_on_a_reused_connection_before_any_answer_is_sent_again() -> None:
    with hostile(_closes_kept_connections) as target, Target(target.url, connection=QUICK) as client:
        bodies = [client.send("POST", target.url, body=b"<Request/>").response_body for _ in range(3)]
    assert bodies == [b"first"] * 3
    assert len(target.peers) == 3  # each request after the first came on a new connection


def _answers_then_resets(peer: Peer) -> None:
    """A half-sent answer, then the connection is gone: an answer byte came, so no retry."""
    if peer.request():
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        peer.sock.close()


def test_a_request_answered_in_part_is_not_sent_again() -> None:
    with (
        hostile(_answers_then_resets) as target,
        Target(target.url, connection=Connection(read_timeout=1)) as client,
        pytest.raises(TargetUnreachable),
    ):
        client.send("POST", target.url, body=b"<Request/>")
    assert sum(p.requests for p in target.peers) == 1


def test_a_secret_is_redacted_from_a_body_valid_utf8_or_not() -> None:
    """Valid UTF-8 is redacted as bytes (never held whole as text); invalid, as text with the invalid
    sequences replaced: either way no form of the token is left."""
    token = "tok/SECRET/+"
    escaped = json.dumps(token).replace("/", "\\/").encode()  # "tok\/SECRET\/+"
    for body in (b"[" + escaped + b", " + token.encode() + b"]", b"\xff\xfe" + escaped):
        with (
            hostile(_encoded(body, "identity")) as target,
            Target(target.url, credentials=Credentials.bearer(token), connection=QUICK) as client,
        ):
            answer = client.send("GET", target.url).response_body
        assert b"SECRET" not in answer and answer.count(REDACTED.encode()) == body.count(b"SECRET"), answer


def test_evidence_reads_no_more_of_a_body_than_it_shows() -> None:
    exchange = Exchange("GET", "http://t", {}, b"", 200, {}, "é".encode() * 2**22, 0.1)  # 8 MB
    shown = exchange.describe(limit=100)
    assert shown.endswith("é" * 100 + "… (cut at 100 characters of 8388608 bytes)")
