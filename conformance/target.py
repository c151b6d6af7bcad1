"""The target client: how the suite talks to the server under test, and the evidence it keeps.

A :class:`Target` sends ProcessQuery requests (getting and refreshing the form digest from
``/_api/contextinfo`` as SharePoint clients do) and REST GETs, and returns an :class:`Exchange`
for every HTTP round trip: the request and answer as they crossed the wire, with secrets
redacted, ready for a report and a ``curl`` reproduce command. Transport failures become
:class:`TargetUnreachable`; nothing here raises for a non-conforming answer, the checks judge.
"""

from __future__ import annotations

import json
import shlex
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.wire import MalformedResponse, Request, Response, parse_response, to_xml

PROCESS_QUERY = "/_vti_bin/client.svc/ProcessQuery"
CONTEXT_INFO = "/_api/contextinfo"
REDACTED = "«redacted»"
SECRET_HEADERS = frozenset({"authorization", "cookie", "x-requestdigest", "proxy-authorization"})
# header -> the placeholder a reproduce command uses instead of the secret
PLACEHOLDERS = {
    "authorization": "Authorization: $CONFORMANCE_AUTHORIZATION",
    "cookie": "Cookie: $CONFORMANCE_COOKIE",
    "x-requestdigest": "X-RequestDigest: $CONFORMANCE_DIGEST",
}
# ErrorInfo codes SharePoint uses for a missing, invalid or timed-out form digest
DIGEST_ERROR_CODES = frozenset({-2130575251, -2130575252})


NO_DELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class TargetUnreachable(Exception):
    """The target could not be reached at all (DNS, connection, TLS, timeout): one clear line."""


@dataclass(frozen=True)
class Exchange:
    """One HTTP round trip, redacted: what a failing check shows as evidence."""

    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes
    status: int
    response_headers: Mapping[str, str]
    response_body: bytes
    duration_s: float

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    def json(self) -> Any:
        """The body as plain JSON (dates and GUIDs left as their ``/Date(…)/`` strings)."""
        return json.loads(self.response_body)

    def curl(self) -> str:
        """A reproduce command; secrets appear as environment-variable placeholders."""
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            header = PLACEHOLDERS.get(name.lower(), f"{name}: {value}")
            parts += ["-H", f'"{header}"' if "$" in header else shlex.quote(header)]
        if self.request_body:
            parts += ["--data-binary", shlex.quote(self.request_body.decode("utf-8", "replace"))]
        return " ".join(parts)

    def describe(self, limit: int = 4000) -> str:
        """Request and response as text, each body cut to ``limit`` characters."""

        def cut(body: bytes) -> str:
            text = body.decode("utf-8", "replace")
            return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"

        headers = "".join(f"{k}: {v}\n" for k, v in self.request_headers.items())
        answer = "".join(f"{k}: {v}\n" for k, v in self.response_headers.items())
        return (
            f"{self.method} {self.url}\n{headers}\n{cut(self.request_body)}\n\n"
            f"HTTP {self.status} ({self.duration_s * 1000:.0f} ms)\n{answer}\n{cut(self.response_body)}"
        )


@dataclass(frozen=True)
class CsomReply:
    """A ProcessQuery round trip: the exchange and the parsed response (or why it would not parse)."""

    request: Request
    exchange: Exchange
    response: Response | None
    parse_error: str | None = None


@dataclass
class Credentials:
    """How to authenticate; ``secrets`` are the strings that must never reach any output."""

    headers: dict[str, str] = field(default_factory=dict)
    auth: httpx.Auth | None = None
    secrets: tuple[str, ...] = ()

    @classmethod
    def bearer(cls, token: str) -> Credentials:
        return cls(headers={"Authorization": f"Bearer {token}"}, secrets=(token,))

    @classmethod
    def basic(cls, user: str, password: str) -> Credentials:
        return cls(auth=httpx.BasicAuth(user, password), secrets=(password,))

    @classmethod
    def cookies(cls, cookie_header: str) -> Credentials:
        values = tuple(part.split("=", 1)[-1] for part in cookie_header.split(";") if "=" in part)
        return cls(headers={"Cookie": cookie_header}, secrets=values)


class Target:
    """A server under test, by its site URL (the CSOM endpoint and contextinfo live under it)."""

    def __init__(
        self,
        site_url: str,
        *,
        credentials: Credentials | None = None,
        rest_url: str | None = None,
        timeout: float = 30.0,
        verify: bool | str = True,
    ) -> None:
        self.site_url = site_url.rstrip("/")
        self.rest_url = (rest_url or self.site_url).rstrip("/")
        self.credentials = credentials or Credentials()
        # TCP_NODELAY: httpx writes a POST's headers and body separately, and Nagle's algorithm would
        # hold the body until the server's delayed ACK (~40 ms per request on Linux)
        transport = httpx.HTTPTransport(verify=verify, socket_options=[NO_DELAY])
        self._client = httpx.Client(
            auth=self.credentials.auth, timeout=timeout, transport=transport, follow_redirects=False
        )
        self._digest: tuple[str, float] | None = None  # value, monotonic expiry
        self._lock = threading.Lock()
        self.requests_sent = 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------- redaction

    def redact(self, text: str) -> str:
        for secret in self.credentials.secrets:
            if secret:
                text = text.replace(secret, REDACTED)
        if self._digest:
            text = text.replace(self._digest[0], REDACTED)
        return text

    def _redact_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            k: (REDACTED if k.lower() in SECRET_HEADERS or k.lower() == "set-cookie" else self.redact(v))
            for k, v in headers.items()
        }

    # ------------------------------------------------------------------------------- transport

    def send(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None, body: bytes = b"",
        params: Mapping[str, str] | None = None,
    ) -> Exchange:  # fmt: skip
        """One HTTP request; the returned exchange holds redacted copies only."""
        sent = {**self.credentials.headers, **(headers or {})}
        started = time.perf_counter()
        try:
            answer = self._client.request(method, url, headers=sent, content=body or None, params=params)
        except httpx.HTTPError as exc:
            raise TargetUnreachable(self.redact(f"{method} {url}: {type(exc).__name__}: {exc}")) from None
        finally:
            with self._lock:
                self.requests_sent += 1
        return Exchange(
            method=method,
            url=self.redact(str(answer.request.url)),
            request_headers=self._redact_headers(sent),
            request_body=self.redact(body.decode("utf-8", "replace")).encode(),
            status=answer.status_code,
            response_headers=self._redact_headers(answer.headers),
            response_body=self.redact(answer.content.decode("utf-8", "replace")).encode(),
            duration_s=time.perf_counter() - started,
        )

    def context_info(self) -> Exchange:
        return self.send("POST", self.site_url + CONTEXT_INFO, headers={"Accept": "application/json"})

    def form_digest(self, *, refresh: bool = False) -> str | None:
        """The current form digest, fetched (again) when missing, expired or ``refresh``; None when
        the target issues none (the request then goes without, and the target's answer is judged)."""
        with self._lock:
            if self._digest and not refresh and time.monotonic() < self._digest[1]:
                return self._digest[0]
        exchange = self.context_info()
        try:
            info = exchange.json()
            info = info.get("d", {}).get("GetContextWebInformation", info)
            value = str(info["FormDigestValue"])
            lifetime = float(info.get("FormDigestTimeoutSeconds", 1800))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        with self._lock:
            # refresh a minute early so a digest never expires in flight
            self._digest = (value, time.monotonic() + max(lifetime - 60, lifetime / 2))
        return value

    def process_query(self, request: Request, *, digest: bool = True) -> CsomReply:
        """POST the request to ProcessQuery; with ``digest`` (default) the form digest goes along and
        is refreshed once if the target says it is invalid or timed out."""
        reply = self._post_query(request, digest=digest)
        if digest and _digest_refused(reply):
            self.form_digest(refresh=True)
            reply = self._post_query(request, digest=True)
        return reply

    def _post_query(self, request: Request, *, digest: bool) -> CsomReply:
        headers = {"Content-Type": "text/xml", "Accept": "application/json"}
        if digest and (value := self.form_digest()):
            headers["X-RequestDigest"] = value
        exchange = self.send("POST", self.site_url + PROCESS_QUERY, headers=headers, body=to_xml(request))
        try:
            return CsomReply(request, exchange, parse_response(exchange.response_body))
        except MalformedResponse as exc:
            return CsomReply(request, exchange, None, str(exc))

    def rest(self, path: str, params: Mapping[str, str], accept: str = "application/json") -> Exchange:
        return self.send(
            "GET", f"{self.rest_url}/{path.lstrip('/')}", params=params, headers={"Accept": accept}
        )


def _digest_refused(reply: CsomReply) -> bool:
    error = reply.response.header.error_info if reply.response else None
    return error is not None and error.error_code in DIGEST_ERROR_CODES
