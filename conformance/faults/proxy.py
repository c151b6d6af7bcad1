"""The fault proxy: a reverse proxy in front of any target that applies one catalogue entry.

    with FaultProxy("http://127.0.0.1:8080", "drop-property") as proxy:
        ...  # point clients (or the suite) at proxy.url
    proxy.changes  # what the fault did, each naming the spec section it breaks

Traffic the fault does not change is forwarded as it came, both ways, byte for byte, except that
hop-by-hop headers are not forwarded and the target is asked for uncompressed answers
(``Accept-Encoding: identity``) so that faults can read them. A target that cannot be reached is
answered with 502 and one line saying so; a fault that fails on an exchange likewise (and is
logged): the proxy never answers with a traceback and keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from conformance.background import BackgroundServer
from conformance.faults.catalogue import get
from conformance.faults.jsontext import loads
from conformance.faults.model import (
    Change,
    Context,
    Fault,
    HttpRequest,
    HttpResponse,
    ProxiedExchange,
    RequestRewrite,
    ResponseRewrite,
)

log = logging.getLogger(__name__)

# not forwarded (RFC 9110 7.6.1); requests also lose what the HTTP client sets itself
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
     "trailer", "transfer-encoding", "upgrade"}
)  # fmt: skip
SET_BY_CLIENT = frozenset({"host", "content-length", "accept-encoding"})
CREDENTIALS = ("authorization", "cookie")  # what the proxy sends along when it asks for a digest


def _without_hop_by_hop(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    named = {
        token.strip().lower()
        for key, value in headers
        if key.lower() == "connection"
        for token in value.split(",")
    }
    return tuple((key, value) for key, value in headers if key.lower() not in HOP_BY_HOP | named)


def display(url: str) -> str:
    """A URL fit to print: without user name and password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass(frozen=True)
class Recorded:
    """One exchange as the proxy saw it (kept with ``record=True``)."""

    original: HttpRequest
    forwarded: HttpRequest
    received: HttpResponse  # from the target
    sent: HttpResponse  # to the client
    changes: tuple[Change, ...]


class Relay:
    """Forwards exchanges through the fault (one at a time for a fault with memory); owns the HTTP
    client, the fault's memory and what the fault did."""

    def __init__(self, target: str, fault: Fault | None, *, timeout: float, record: bool) -> None:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the target must be an http(s) URL, got {display(target)!r}")
        self.target = target.rstrip("/")
        self.secrets = tuple(secret for secret in (parts.username, parts.password) if secret)
        self.fault = fault
        self.memory = fault.memory if fault else None
        self.changes: list[Change] = []
        self.exchanges: list[Recorded] | None = [] if record else None
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._serial = asyncio.Lock()  # a fault with memory sees exchanges one at a time

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
            self._client.headers.clear()  # no default User-Agent, Accept, ...: forward what the client sent
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def send(self, request: HttpRequest) -> HttpResponse:
        """The target's answer to ``request`` (httpx.HTTPError when it cannot be had)."""
        headers = [
            (key, value)
            for key, value in _without_hop_by_hop(request.headers)
            if key.lower() not in SET_BY_CLIENT
        ]
        headers.append(("Accept-Encoding", "identity"))
        url = self.target + request.path + (f"?{request.query}" if request.query else "")
        answer = await self._http().request(request.method, url, headers=headers, content=request.body)
        received = tuple(
            (key.decode("latin-1"), value.decode("latin-1")) for key, value in answer.headers.raw
        )
        if answer.headers.get("content-encoding"):  # the target compressed anyway: we hold the decoded body
            received = tuple((key, value) for key, value in received if key.lower() != "content-encoding")
        return HttpResponse(answer.status_code, received, answer.content)

    async def _digest(self, original: HttpRequest) -> str | None:
        """A form digest for the caller of ``original``, from the target's /_api/contextinfo."""
        if original.endpoint != "csom" or original.header("x-requestdigest") is not None:
            return None
        credentials = tuple((key, value) for key, value in original.headers if key.lower() in CREDENTIALS)
        accept = ("Accept", "application/json;odata=verbose")  # what JSOM asks for
        ask = HttpRequest("POST", f"{original.site}/_api/contextinfo", headers=(*credentials, accept))
        try:
            answer = await self.send(ask)
        except httpx.HTTPError:
            return None
        data = loads(answer.body) if answer.status == 200 else None
        verbose = data.get("d") if isinstance(data, dict) else None  # odata=verbose nests it, nometadata not
        info = verbose.get("GetContextWebInformation") if isinstance(verbose, dict) else data
        value = info.get("FormDigestValue") if isinstance(info, dict) else None
        return value if isinstance(value, str) else None

    async def exchange(self, original: HttpRequest) -> HttpResponse:
        """Forward ``original``, through the fault when it concerns this endpoint."""
        fault = self.fault if self.fault and original.endpoint in self.fault.endpoints else None
        if fault is None:
            received = await self.send(original)
            self._record(Recorded(original, original, received, received, ()))
            return received
        lock = self._serial if fault.memory is not None else contextlib.nullcontext()
        async with lock:
            context = Context(await self._digest(original) if fault.needs_digest else None)
            rewrite = fault.request(original, context) if fault.request else RequestRewrite(original)
            received = await self.send(rewrite.request)
            exchange = ProxiedExchange(original, rewrite.request, received)
            result = fault.response(exchange, self.memory) if fault.response else ResponseRewrite(received)
            if result.memory is not None:
                self.memory = result.memory
            for follow_up in result.follow_ups:
                await self._follow_up(follow_up)
        sent = result.response
        if sent.body != received.body:  # the target's framing (length or chunks) holds for its own body only
            sent = sent.with_header("content-length", str(len(sent.body)))
        self._record(Recorded(original, rewrite.request, received, sent, rewrite.changes + result.changes))
        return sent

    async def _follow_up(self, request: HttpRequest) -> None:
        try:
            answer = await self.send(request)
        except httpx.HTTPError as exc:
            log.warning(
                "fault %s: follow-up request failed: %s", self.fault and self.fault.name, type(exc).__name__
            )
            return
        if answer.status != 200:
            log.warning(
                "fault %s: follow-up request answered %s", self.fault and self.fault.name, answer.status
            )

    def redacted(self, exc: Exception) -> str:
        """``Type: message`` of an exception, without the target URL's user name and password."""
        text = f"{type(exc).__name__}: {exc}"
        for secret in self.secrets:
            text = text.replace(secret, "«redacted»")
        return text

    def _record(self, recorded: Recorded) -> None:
        self.changes.extend(recorded.changes)
        if self.exchanges is not None:
            self.exchanges.append(recorded)


def _failure(status: int, message: str) -> Response:
    return PlainTextResponse(f"fault proxy: {message}\n", status_code=status)


class ProxyApp:
    """The ASGI side: reads the request as sent, answers with what the relay returns."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        original = HttpRequest(
            request.method,
            (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0],
            scope.get("query_string", b"").decode("latin-1"),
            tuple((key.decode("latin-1"), value.decode("latin-1")) for key, value in request.headers.raw),
            await request.body(),
        )
        response = await self._answer(original)
        await response(scope, receive, send)

    async def _answer(self, original: HttpRequest) -> Response:
        relay = self.relay
        try:
            answer = await relay.exchange(original)
        except httpx.HTTPError as exc:
            return _failure(502, f"cannot reach the target {display(relay.target)}: {relay.redacted(exc)}")
        except Exception as exc:  # a fault's bug must not take the proxy down: say so, keep serving
            name = relay.fault.name if relay.fault else "(none)"
            log.error(
                "fault %s failed on %s %s: %s", name, original.method, original.path, relay.redacted(exc)
            )
            return _failure(502, f"fault {name} failed on this exchange: {type(exc).__name__}")
        response = Response(answer.body, status_code=answer.status)
        response.raw_headers = [
            (key.encode("latin-1"), value.encode("latin-1"))
            for key, value in _without_hop_by_hop(answer.headers)
        ]
        return response

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.relay.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


class FaultProxy:
    """``ProxyApp`` served on a free loopback port for the life of a ``with`` block.

    ``fault`` is a catalogue name or entry (None: forward everything untouched); ``record`` keeps
    every exchange in ``exchanges``.
    """

    def __init__(
        self, target_url: str, fault: str | Fault | None = None, *, record: bool = False,
        timeout: float = 60.0, host: str = "127.0.0.1", port: int = 0,
    ) -> None:  # fmt: skip
        self.fault = get(fault) if isinstance(fault, str) else fault
        self.relay = Relay(target_url, self.fault, timeout=timeout, record=record)
        self._server = BackgroundServer(
            ProxyApp(self.relay), host=host, port=port, lifespan="on", server_header=False, date_header=False
        )

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def changes(self) -> list[Change]:
        """What the fault has done so far, in order."""
        return list(self.relay.changes)

    @property
    def exchanges(self) -> list[Recorded]:
        if self.relay.exchanges is None:
            raise RuntimeError("exchanges are kept only with FaultProxy(..., record=True)")
        return list(self.relay.exchanges)

    def __enter__(self) -> FaultProxy:
        self._server.__enter__()
        return self

    def stop(self) -> None:
        """Ask the proxy to stop without waiting (``join`` waits)."""
        self._server.stop()

    def join(self) -> None:
        self._server.join()

    def __exit__(self, *exc: object) -> None:
        self._server.__exit__(*exc)
