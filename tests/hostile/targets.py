"""Hostile loopback targets: a tiny threaded socket server per behaviour, speaking raw bytes so that it
can do what no well-behaved HTTP library lets a server do (drip bytes, flood interim responses,
send bombs, close at random). A behaviour is a function of the connection and each request's head."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

DRIP_FOR_S = 8.0  # a dripping behaviour gives up after this: a client without a deadline waits so long


@dataclass
class Peer:
    """One connection to the hostile target, and the requests read from it so far."""

    sock: socket.socket
    stop: threading.Event
    requests: int = 0
    buffer: bytes = b""

    def request(self) -> bytes | None:
        """The next request's head and body (by Content-Length); None once the client has closed."""
        while b"\r\n\r\n" not in self.buffer:
            if not (data := self._recv()):
                return None
            self.buffer += data
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        while len(self.buffer) < length:
            if not (data := self._recv()):
                return None
            self.buffer += data
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        self.requests += 1
        return head + b"\r\n\r\n" + body

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(65536)
        except OSError:
            return b""

    def send(self, data: bytes) -> bool:
        """False once the client has gone (or the target stops)."""
        if self.stop.is_set():
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def drip(self, data: bytes, every_s: float) -> None:
        """``data`` a byte at a time, for at most DRIP_FOR_S."""
        ends = time.monotonic() + DRIP_FOR_S
        for i in range(len(data)):
            if time.monotonic() > ends or not self.send(data[i : i + 1]) or self.stop.wait(every_s):
                return


Behaviour = Callable[[Peer], None]


@dataclass
class Hostile:
    url: str
    peers: list[Peer] = field(default_factory=list)


@contextmanager
def hostile(behaviour: Behaviour) -> Iterator[Hostile]:
    """A loopback target running ``behaviour`` on each connection; every connection is cut on exit."""
    stop = threading.Event()
    target = Hostile("")

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            peer = Peer(self.request, stop)
            target.peers.append(peer)
            behaviour(peer)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.daemon_threads = True
    server.allow_reuse_address = True
    server.server_bind()
    server.server_activate()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield target
    finally:
        stop.set()
        server.shutdown()
        for peer in target.peers:
            with suppress(OSError):
                peer.sock.shutdown(socket.SHUT_RDWR)
        server.server_close()


def answer(status: str = "200 OK", body: bytes = b"", headers: tuple[str, ...] = ()) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def bomb(size: int, wbits: int) -> bytes:
    """``size`` zero bytes compressed (31: gzip, -15: raw deflate), built a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    blocks = [2**20] * (size // 2**20) + [size % 2**20]
    return b"".join(packer.compress(bytes(n)) for n in blocks) + packer.flush()


CONTEXT_INFO = b'{"FormDigestValue": "0xD1,07 Dec 2026 00:00:00 -0000", "FormDigestTimeoutSeconds": 1800}'


def error_info(message: str) -> bytes:
    """A ProcessQuery answer whose ErrorInfo carries ``message`` (JSON-escaped as a target writes it)."""
    info = {"ErrorMessage": message, "ErrorValue": None, "TraceCorrelationId": "t", "ErrorCode": -1,
            "ErrorTypeName": "System.Exception", "ErrorStackTrace": None}  # fmt: skip
    header = {"SchemaVersion": "15.0.0.0", "LibraryVersion": "16.0.0.0", "ErrorInfo": info,
              "TraceCorrelationId": "t"}  # fmt: skip
    return json.dumps([header]).encode()


def csom(process_query: Callable[[bytes], bytes], context_info: bytes | None = None) -> Behaviour:
    """A target that answers a GET with 200, contextinfo with a digest (or ``context_info``: a whole
    answer) and ProcessQuery with ``process_query(request)`` (a whole answer), keeping connections alive."""

    def behaviour(peer: Peer) -> None:
        while (request := peer.request()) is not None:
            if request.startswith(b"GET "):
                reply = answer()
            elif b"/_api/contextinfo" in request.split(b"\r\n", 1)[0]:
                reply = context_info or answer(body=CONTEXT_INFO, headers=("Content-Type: application/json",))
            else:
                reply = process_query(request)
            if not peer.send(reply):
                return

    return behaviour
