"""Connection hygiene (issue 19): a connection that sends no request head in time is closed, a body
that does not arrive in time is answered, connections beyond the cap are closed at once, and a
normal client is answered while idle connections hold the server."""

import resource
import socket
import time

import httpx
import pytest

from conformance.server import ReferenceServer
from conformance.server.connections import RESERVED_FILES, connection_cap
from tests.server import serve
from tests.server.client import CsomClient, read_tasks

HEAD_S, BODY_S, CAP = 0.5, 0.5, 8


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(head_timeout=HEAD_S, body_timeout=BODY_S, max_connections=CAP) as running:
        yield running


def connect(server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed the connection (it sent nothing, or an answer then closed)."""
    start = time.monotonic()
    sock.settimeout(seconds)
    while sock.recv(65536):
        pass
    return time.monotonic() - start


@pytest.mark.parametrize("sent", [b"", b"POST /sites/probe/_api/contextinfo HTTP/1.1\r\nHost: 127.0.0.1\r\n"])
def test_a_connection_without_a_whole_request_head_is_closed(server, sent):
    with connect(server) as sock:
        sock.sendall(sent)
        assert closed_within(sock, 5) < HEAD_S + 1  # before: open for ever


def test_a_body_that_does_not_arrive_is_answered_in_time(server):
    with CsomClient(server.url) as client:
        digest = client.digest()
    head = (
        "POST /sites/probe/_vti_bin/client.svc/ProcessQuery HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: text/xml\r\nX-RequestDigest: {digest}\r\nContent-Length: 1000\r\n\r\n<Request"
    )
    with connect(server) as sock:
        sock.sendall(head.encode())
        sock.settimeout(5)
        start, answer = time.monotonic(), b""
        while b"did not arrive" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
        assert time.monotonic() - start < BODY_S + 1 and b"did not arrive within 0.5 s" in answer


def test_connections_beyond_the_cap_are_closed_at_once_and_clients_are_answered_again(server):
    idle = [connect(server) for _ in range(CAP + 4)]
    try:
        time.sleep(0.1)
        closed = []
        for sock in idle:
            sock.settimeout(0.05)
            try:
                closed.append(sock.recv(1) == b"")
            except TimeoutError:
                closed.append(False)
        assert sum(closed) >= 4  # the ones over the cap
    finally:
        time.sleep(HEAD_S + 0.3)  # the others time out
        for sock in idle:
            sock.close()
    with CsomClient(server.url) as client:
        request, _ = read_tasks()
        assert client.ok(request).header.error_info is None


def test_a_client_is_answered_while_idle_connections_wait():
    with ReferenceServer() as roomy:
        idle = [connect(roomy) for _ in range(50)]
        try:
            answer = httpx.post(f"{roomy.url}/_api/contextinfo", timeout=5)
            assert answer.status_code == 200
        finally:
            for sock in idle:
                sock.close()


def test_the_cap_leaves_room_for_the_process_s_own_files():
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    room = 10**9 if soft == resource.RLIM_INFINITY else soft - RESERVED_FILES
    assert connection_cap(10**9) == room and connection_cap(5) == min(5, room)


def test_more_connections_than_files_are_closed_at_once_without_tracebacks():
    # before: accept() failed with EMFILE and asyncio logged a traceback each time (27 MB in 7.5 s)
    process, url = serve.start(files=160)  # the cap: 160 less 64 reserved
    try:
        host, port = url.removeprefix("http://").split(":")
        flood = [socket.create_connection((host, int(port)), timeout=5) for _ in range(300)]
        time.sleep(0.5)
        for sock in flood:
            sock.close()
        assert _answered_within(f"{url}/_api/contextinfo", 8).status_code == 200
    finally:
        output = serve.stop(process)
    assert "Traceback" not in output and len(output) < 2000, output[-2000:]  # the banner, a line or two


def _answered_within(url: str, seconds: float) -> httpx.Response:
    """The answer to a POST, tried again while the server refuses connections (closing ones over
    its cap, or pausing its accepts) until ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.post(url, timeout=max(0.1, deadline - time.monotonic()))
        except httpx.TransportError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
