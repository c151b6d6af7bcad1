"""The target client: how the suite talks to the server under test, and the evidence it keeps.

A :class:`Target` sends ProcessQuery requests (getting and refreshing the form digest from
``/_api/contextinfo`` as SharePoint clients do) and REST GETs, and returns an :class:`Exchange`
for every HTTP round trip: the request and answer as they crossed the wire, with secrets
redacted, ready for a report and a ``curl`` reproduce command. Transport failures become
:class:`TargetUnreachable` (one line saying what failed: DNS, refused, TLS, timeout); nothing here
raises for a non-conforming answer, the checks judge.

How it reaches the target is a :class:`Connection`: TLS verification (on unless ``insecure``, a CA
bundle, a client certificate), connect and read timeouts, retries of requests refused with 429 or
503 (honouring ``Retry-After``, capped) or that could not connect, and a :class:`Throttle` — a
concurrency cap and an optional rate limit — shared by every Target of a session
(:meth:`Target.as_caller`). :meth:`Target.case_deadline` bounds the time one case may take.

Whatever a target sends, one request ends within ``read_timeout`` (connect, interim responses,
headers and the whole body: every socket call of the request is bounded by what is left of it) and
keeps at most ``max_answer_bytes`` of its answer (as sent and once decompressed, counted while it
streams in); an answer over it is a :class:`BadAnswer`, its case errors and the run goes on.
"""

from __future__ import annotations

import base64
import codecs
import email.utils
import functools
import json
import math
import re
import shlex
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import httpcore
import httpx

from conformance.wire import (
    MalformedResponse,
    Request,
    Response,
    WireError,
    excerpt,
    parse_request,
    parse_response,
    to_xml,
)

PROCESS_QUERY = "/_vti_bin/client.svc/ProcessQuery"
CONTEXT_INFO = "/_api/contextinfo"
REDACTED = "«redacted»"
SECRET_HEADERS = frozenset({"authorization", "cookie", "x-requestdigest", "proxy-authorization"})
# header -> the placeholder a reproduce command uses instead of the secret
PLACEHOLDERS = {
    "authorization": "Authorization: Bearer $CONFORMANCE_TOKEN",
    "cookie": "Cookie: $CONFORMANCE_COOKIE",
    "x-requestdigest": "X-RequestDigest: $CONFORMANCE_DIGEST",
}
# ErrorInfo codes SharePoint uses for a missing, invalid or timed-out form digest
DIGEST_ERROR_CODES = frozenset({-2130575251, -2130575252})
HEADER_VALUE = re.compile(r"[\x20-\x7e]*")  # what a header value of ours may hold


NO_DELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
TIMED_OUT = "the case ran past its time limit (case_timeout)"
# An idle connection is dropped after this, before the server drops it (gunicorn: 2 s; Apache, Node,
# uvicorn: 5 s, which is httpx's own default): a connection reused just as the server closes it fails
# with a ReadError, which would end the run ("stopped answering"), and a POST is not retried
KEEPALIVE_EXPIRY_S = 1.0
RETRY_STATUSES = frozenset({429, 503})  # the server asks to come back later: the request was not done
# An answer is held several times over as it is decoded, parsed and judged (as text, 4 bytes a
# character once one is outside the BMP): one 15 MB answer of such text took a run to 700 MB
MAX_ANSWER_BYTES = 16 * 2**20
# what the client advertises: only the codings it decodes itself, within max_answer_bytes
ACCEPT_ENCODING = "gzip, deflate"


class TargetUnreachable(Exception):
    """The target could not be reached at all (DNS, connection, TLS, timeout): one clear line."""


class CaseTimeout(Exception):
    """The case ran past its total time (``case_timeout``): the case errors, the run goes on."""


class BadAnswer(Exception):
    """An answer the client does not keep: larger than ``max_answer_bytes`` (as sent or once
    decompressed), or its content coding broken. The case errors (the target's fault), the run goes on."""


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
    auth_curl: tuple[str, ...] = ()  # curl arguments standing for credentials sent outside the headers
    # the top-level actions of a batched ProcessQuery this exchange is evidence of (one probe's scope):
    # its reproduce command sends those alone
    focus: tuple[int, ...] = ()

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    def json(self) -> Any:
        """The body as plain JSON (dates and GUIDs left as their ``/Date(…)/`` strings); ValueError
        when it is not JSON, nested past the parser's depth too."""
        try:
            return json.loads(self.response_body)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None

    def curl(self) -> str:
        """A reproduce command; secrets appear as environment-variable placeholders."""
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            header = PLACEHOLDERS.get(name.lower(), f"{name}: {value}")
            parts += ["-H", f'"{header}"' if "$" in header else shlex.quote(header)]
        if body := self.focused_body():
            parts += ["--data-binary", shlex.quote(body.decode("utf-8", "replace"))]
        return " ".join([*parts, *self.auth_curl])

    def focused_body(self) -> bytes:
        """The request body, cut down to the ``focus`` actions and the object paths they need."""
        if not self.focus:
            return self.request_body
        try:
            return to_xml(excerpt(parse_request(self.request_body), self.focus))
        except WireError:  # not a request of ours after all: the whole body reproduces it
            return self.request_body

    def describe(self, limit: int = 4000) -> str:
        """Request and response as text, each body cut to ``limit`` characters."""

        def cut(body: bytes) -> str:
            # at most 4 bytes a character: a body of 16 MB is not decoded whole for 4000 characters
            text = body[: 4 * limit].decode("utf-8", "replace")
            if len(text) <= limit and len(body) <= 4 * limit:
                return text
            return f"{text[:limit]}… (cut at {limit} characters of {len(body)} bytes)"

        headers = "".join(f"{k}: {v}\n" for k, v in self.request_headers.items())
        answer = "".join(f"{k}: {v}\n" for k, v in self.response_headers.items())
        batched = (
            f"(a batch: this case's probe is action {', '.join(map(str, self.focus))}; "
            "the reproduce command sends it alone)\n"
            if self.focus
            else ""
        )
        return (
            f"{batched}{self.method} {self.url}\n{headers}\n{cut(self.request_body)}\n\n"
            f"HTTP {self.status} ({self.duration_s * 1000:.0f} ms)\n{answer}\n{cut(self.response_body)}"
        )


@dataclass(frozen=True)
class CsomReply:
    """A ProcessQuery round trip: the exchange and the parsed response (or why it would not parse)."""

    request: Request
    exchange: Exchange
    response: Response | None
    parse_error: str | None = None

    @functools.cached_property
    def raw_results(self) -> dict[int, Any]:
        """Results by action id from the raw JSON (dates and GUIDs as their wire strings); parsed
        once a reply: a batch's body is large and each of its probes reads its own result from it."""
        try:
            array = self.exchange.json()
        except ValueError:
            return {}
        if not isinstance(array, list):
            return {}
        return {k: v for k, v in zip(array[1::2], array[2::2], strict=False) if isinstance(k, int)}


def reply_of(request: Request, exchange: Exchange) -> CsomReply:
    """The reply to ``request``: its answer parsed, or why it would not parse."""
    try:
        # Read "/Date(…)/" as a date too: every case then judges the value, and the escaped-solidus
        # cases alone judge how it was written (read as JSOM does, a Guid would come back a string,
        # be sent back as one and fail every case that depends on it)
        response = parse_response(exchange.response_body, require_escaped_solidus=False)
        return CsomReply(request, exchange, response)
    except MalformedResponse as exc:
        return CsomReply(request, exchange, None, str(exc))


USER_PASSWORD = '"$CONFORMANCE_USER:$CONFORMANCE_PASSWORD"'  # curl -u, with placeholders


@dataclass
class Credentials:
    """How to authenticate; ``secrets`` are the strings that must never reach any output, ``curl``
    the reproduce command's arguments for credentials that do not travel as a header of ours."""

    headers: dict[str, str] = field(default_factory=dict)
    auth: httpx.Auth | None = None
    secrets: tuple[str, ...] = ()
    curl: tuple[str, ...] = ()

    @classmethod
    def bearer(cls, token: str) -> Credentials:
        return cls(headers={"Authorization": f"Bearer {token}"}, secrets=(token,))

    @classmethod
    def basic(cls, user: str, password: str) -> Credentials:
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
        return cls(
            auth=httpx.BasicAuth(user, password), secrets=(password, encoded), curl=("-u", USER_PASSWORD)
        )

    @classmethod
    def ntlm(cls, user: str, password: str) -> Credentials:
        """NTLM (``DOMAIN\\user``); needs the optional ``ntlm`` extra (httpx-ntlm): ImportError without."""
        from httpx_ntlm import HttpNtlmAuth

        return cls(
            auth=HttpNtlmAuth(user, password), secrets=(password,), curl=("--ntlm", "-u", USER_PASSWORD)
        )

    @classmethod
    def cookies(cls, cookie_header: str) -> Credentials:
        values = tuple(part.split("=", 1)[-1].strip() for part in cookie_header.split(";") if "=" in part)
        return cls(headers={"Cookie": cookie_header}, secrets=(cookie_header, *values))


@dataclass(frozen=True)
class Connection:
    """How to reach the target (conformance.runner.config documents each setting)."""

    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure: bool = False
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 2
    backoff: float = 0.5
    max_retry_wait: float = 30.0
    max_concurrency: int = 4
    rate_limit: float | None = None
    max_answer_bytes: int = MAX_ANSWER_BYTES

    def verify(self) -> ssl.SSLContext | bool:
        """What httpx verifies with; ssl.SSLError or OSError for unusable certificate files."""
        if self.insecure and not self.client_cert:
            return False
        context = ssl.create_default_context(cafile=self.ca_bundle)
        if self.insecure:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        if self.client_cert:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context

    def retry_wait(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds before retry ``attempt`` (0, 1, …): the server's Retry-After (seconds or an HTTP
        date) when it gives one, else exponential backoff; never more than ``max_retry_wait``."""
        wait = self.backoff * 2**attempt
        if retry_after:
            wait = _retry_after_seconds(retry_after.strip(), wait)
        return min(max(wait, 0.0), self.max_retry_wait)


def _retry_after_seconds(value: str, otherwise: float) -> float:
    if value.isascii() and value.isdigit():  # '²'.isdigit() too, which float() refuses
        return float(value)
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return otherwise


class Throttle:
    """At most ``concurrency`` requests in flight and at most ``rate`` started per second, over every
    Target that shares it (a production server is not to be hammered)."""

    def __init__(self, concurrency: int, rate: float | None = None) -> None:
        self._slots = threading.BoundedSemaphore(concurrency)
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._slots:
            if self._interval:
                with self._lock:
                    now = time.monotonic()
                    start = max(now, self._next)
                    self._next = start + self._interval
                time.sleep(start - now)
            yield


@dataclass
class _Attempt:
    """This thread's request attempt, as its socket calls see it."""

    deadline: float  # monotonic: no socket call of the attempt waits past it
    connected: bool = False  # a new connection was made (else one kept alive was reused)
    received: int = 0  # bytes read from the target


_ATTEMPT = threading.local()  # .now: the thread's _Attempt, None between requests


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of this thread's attempt; ``error`` once nothing is."""
    attempt: _Attempt | None = getattr(_ATTEMPT, "now", None)
    if attempt is None:
        return timeout
    left = attempt.deadline - time.monotonic()
    if left <= 0:
        raise error("the request ran past its deadline (read_timeout)")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every call ends by the attempt's deadline: a target sending a byte at a time,
    or interim responses without end, cannot hold a request past it (per-call timeouts alone never fire)."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))
        if (attempt := getattr(_ATTEMPT, "now", None)) is not None:
            attempt.received += len(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:  # fmt: skip
        stream = self._inner.connect_tcp(
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        if (attempt := getattr(_ATTEMPT, "now", None)) is not None:
            attempt.connected = True
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _unanswered_on_reused(exc: Exception) -> bool:
    """The request failed on a connection kept alive, before any byte of an answer: the server had
    closed it (idle), so the request was never seen and is safe to send again, even a POST."""
    attempt: _Attempt | None = getattr(_ATTEMPT, "now", None)
    return (
        isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError)
        and attempt is not None and not attempt.connected and attempt.received == 0
    )  # fmt: skip


class _PoliteTransport(httpx.BaseTransport):
    """The real transport, throttled, retrying what the server did not do: an answer 429 or 503,
    or a connection that could not be made. ``remaining`` is the case's time left (None: no limit);
    no retry waits past it."""

    def __init__(
        self, inner: httpx.BaseTransport, connection: Connection, throttle: Throttle,
        remaining: Callable[[], float | None],
    ) -> None:  # fmt: skip
        self._inner, self._connection = inner, connection
        self._throttle, self._remaining = throttle, remaining

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = replays = 0
        while True:
            try:
                with self._throttle.slot():
                    remaining = self._remaining()
                    deadline = self._connection.read_timeout if remaining is None else min(
                        self._connection.read_timeout, remaining
                    )  # fmt: skip
                    # the answer's body is read after this returns, by the same deadline (Target._send)
                    _ATTEMPT.now = _Attempt(time.monotonic() + deadline)
                    response = self._inner.handle_request(request)
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                # not a retry (the server did nothing wrong): at once, and whatever ``retries`` says; a
                # replay that fails again comes on a new connection, or on each idle one of the pool
                if not _unanswered_on_reused(exc) or replays > self._connection.max_concurrency:
                    raise
                replays += 1
                continue
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                wait = self._connection.retry_wait(attempt)
                # a certificate that failed does not pass on a second try
                if any(isinstance(c, ssl.SSLError) for c in _causes(exc)) or not self._may_retry(
                    attempt, wait
                ):
                    raise
            else:
                wait = self._connection.retry_wait(attempt, response.headers.get("retry-after"))
                if response.status_code not in RETRY_STATUSES or not self._may_retry(attempt, wait):
                    return response
                response.close()
            time.sleep(wait)
            attempt += 1

    def _may_retry(self, attempt: int, wait: float) -> bool:
        remaining = self._remaining()
        return attempt < self._connection.retries and (remaining is None or wait < remaining)

    def close(self) -> None:
        self._inner.close()


def _causes(exc: BaseException) -> Iterator[BaseException]:
    cause: BaseException | None = exc
    while cause is not None:
        yield cause
        cause = cause.__cause__ or cause.__context__


def _failure(exc: httpx.HTTPError, connection: Connection) -> str:
    """What went wrong, in words a user acts on."""
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLError):
            hint = "" if connection.insecure else ": trust its CA with --ca-bundle FILE, or --insecure"
            return f"TLS handshake failed ({getattr(cause, 'reason', None) or cause}){hint}"
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve the host name ({cause.strerror})"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"no connection within {connection.connect_timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):  # per read, or the whole request's deadline
        return f"no whole answer within {connection.read_timeout:g} s (read_timeout)"
    return f"{type(exc).__name__}: {exc}"


@dataclass
class _Shared:
    """What the Targets of one session share: how they connect, the throttle, each thread's case deadline."""

    connection: Connection
    throttle: Throttle
    deadlines: threading.local = field(default_factory=threading.local)

    def remaining(self) -> float | None:
        deadline = getattr(self.deadlines, "at", None)
        return None if deadline is None else deadline - time.monotonic()


class Target:
    """A server under test, by its site URL (the CSOM endpoint and contextinfo live under it).
    ssl.SSLError or OSError when the connection's certificate files are unusable."""

    def __init__(
        self,
        site_url: str,
        *,
        credentials: Credentials | None = None,
        rest_url: str | None = None,
        connection: Connection | None = None,
        _shared: _Shared | None = None,
    ) -> None:
        self.site_url = site_url.rstrip("/")
        self.rest_url = (rest_url or self.site_url).rstrip("/")
        self.credentials = credentials or Credentials()
        connection = connection or (_shared.connection if _shared else Connection())
        self._shared = _shared or _Shared(
            connection, Throttle(connection.max_concurrency, connection.rate_limit)
        )
        # TCP_NODELAY: httpx writes a POST's headers and body separately, and Nagle's algorithm would
        # hold the body until the server's delayed ACK (~40 ms per request on Linux)
        inner = httpx.HTTPTransport(
            verify=connection.verify(), socket_options=[NO_DELAY],
            limits=httpx.Limits(
                max_connections=connection.max_concurrency, keepalive_expiry=KEEPALIVE_EXPIRY_S
            ),
        )  # fmt: skip
        # httpx takes no network backend of its own: its pool's is wrapped, so every socket call of a
        # request keeps to the request's deadline (tests/hostile holds a slow-drip target to it)
        pool = inner._pool
        pool._network_backend = _DeadlineBackend(pool._network_backend)
        transport = _PoliteTransport(inner, connection, self._shared.throttle, self._shared.remaining)
        self._client = httpx.Client(
            auth=self.credentials.auth, timeout=self._timeout(), transport=transport, follow_redirects=False,
            headers={"Accept-Encoding": ACCEPT_ENCODING},
        )  # fmt: skip
        self._digest: tuple[str, float] | None = None  # value, monotonic expiry
        self._issued: set[str] = set()  # every form digest the target gave this caller: all secrets
        self._lock = threading.Lock()
        self._digest_lock = threading.Lock()
        self.requests_sent = 0

    @property
    def connection(self) -> Connection:
        return self._shared.connection

    def as_caller(self, credentials: Credentials | None) -> Target:
        """The same target as another caller (None: anonymous), sharing the connection settings,
        the throttle and the case deadline."""
        return Target(self.site_url, rest_url=self.rest_url, credentials=credentials, _shared=self._shared)

    def time_left(self) -> float | None:
        """Seconds this thread's deadline leaves (None: no limit), for threads it starts to keep."""
        return self._shared.remaining()

    @contextmanager
    def case_deadline(self, seconds: float | None) -> Iterator[None]:
        """Requests of this thread fail with CaseTimeout once ``seconds`` have passed (None: no limit).
        Nested (a fixture set up inside a case or another fixture), the earlier deadline holds and
        comes back after."""
        local = self._shared.deadlines
        outer = getattr(local, "at", None)
        at = None if seconds is None else time.monotonic() + seconds
        local.at = at if outer is None else outer if at is None else min(outer, at)
        try:
            yield
        finally:
            local.at = outer

    def _timeout(self, remaining: float | None = None) -> httpx.Timeout:
        def bounded(seconds: float) -> float:
            return seconds if remaining is None else max(min(seconds, remaining), 0.001)

        read = bounded(self.connection.read_timeout)
        return httpx.Timeout(read, connect=bounded(self.connection.connect_timeout))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------- redaction

    def redact(self, text: str) -> str:
        """``text`` without any secret of this caller's, in whatever form a target could echo it."""
        for secret in self._secrets():
            text = secret_pattern(secret).sub(REDACTED, text)
        return text

    def _secrets(self) -> list[str]:
        """The credentials' secrets and every form digest issued so far (non-empty ones)."""
        with self._lock:
            return [secret for secret in (*self.credentials.secrets, *self._issued) if secret]

    def _redact_body(self, body: bytes) -> bytes:
        """``redact`` of the body as UTF-8 text (invalid sequences replaced), without holding the body
        as text when it is valid UTF-8 already: a 60 MB answer was four copies, one of 240 MB."""
        if not _is_utf8(body):
            return self.redact(body.decode("utf-8", "replace")).encode()
        for secret in self._secrets():
            body = secret_pattern(secret, bytes).sub(REDACTED.encode(), body)
        return body

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
        return self._send(method, url, headers=headers, body=body, params=params)[0]

    def _send(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None, body: bytes = b"",
        params: Mapping[str, str] | None = None,
    ) -> tuple[Exchange, httpx.Response, bytes]:  # fmt: skip
        """The redacted exchange, and the answer and its body as they came (for the form digest only:
        redaction would hide a digest the target issued again)."""
        sent = {**self.credentials.headers, **(headers or {})}
        remaining = self._shared.remaining()
        if remaining is not None and remaining <= 0:
            raise CaseTimeout(f"{TIMED_OUT} before {method} {url}")
        timeout = self._timeout(remaining)
        started = time.perf_counter()
        try:
            request = self._client.build_request(
                method, url, headers=sent, content=body or None, params=params, timeout=timeout
            )
            answer = self._client.send(request, stream=True)
            try:
                content = _read_capped(answer, self.connection.max_answer_bytes)
            finally:
                answer.close()
        except httpx.HTTPError as exc:
            left = self._shared.remaining()
            if left is not None and left <= 0 and isinstance(exc, httpx.TimeoutException):
                raise CaseTimeout(f"{TIMED_OUT} in {method} {url}") from None
            failure = _failure(exc, self.connection)
            raise TargetUnreachable(self.redact(f"{method} {url}: {failure}")) from None
        except BadAnswer as exc:
            raise BadAnswer(self.redact(f"{method} {url}: {exc}")) from None
        finally:
            _ATTEMPT.now = None
            with self._lock:
                self.requests_sent += 1
        return (
            Exchange(
                method=method,
                url=self.redact(str(answer.request.url)),
                request_headers=self._redact_headers(sent),
                request_body=self.redact(body.decode("utf-8", "replace")).encode(),
                status=answer.status_code,
                response_headers=self._redact_headers(answer.headers),
                response_body=self._redact_body(content),
                duration_s=time.perf_counter() - started,
                auth_curl=self.credentials.curl,
            ),
            answer,
            content,
        )

    def context_info(self, accept: str = "application/json") -> Exchange:
        """``POST /_api/contextinfo``; the digest the answer carries is redacted from the exchange
        (a fresh one: the redaction of the digest in use would leave it in the evidence)."""
        exchange, _, content = self._send("POST", self.site_url + CONTEXT_INFO, headers={"Accept": accept})
        digest = _digest_of(content)
        if digest is None or not digest[0]:
            return exchange
        with self._lock:
            self._issued.add(digest[0])
        return replace(exchange, response_body=self._redact_body(exchange.response_body))

    def form_digest(self, *, refresh: bool = False) -> str | None:
        """The current form digest, fetched (again) when missing, expired or ``refresh``; None when
        the target issues none (the request then goes without, and the target's answer is judged)."""
        with self._digest_lock:  # one fetch at a time: lanes share the digest
            with self._lock:
                if self._digest and not refresh and time.monotonic() < self._digest[1]:
                    return self._digest[0]
            return self._fetch_digest()

    def _fetch_digest(self) -> str | None:
        content = self._send("POST", self.site_url + CONTEXT_INFO, headers={"Accept": "application/json"})[2]
        if (digest := _digest_of(content)) is None:
            return None
        value, lifetime = digest
        with self._lock:
            # refresh a minute early so a digest never expires in flight
            self._digest = (value, time.monotonic() + max(lifetime - 60, lifetime / 2))
            self._issued.add(value)
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
        return reply_of(request, exchange)

    def rest(self, path: str, params: Mapping[str, str], accept: str = "application/json") -> Exchange:
        return self.send(
            "GET", f"{self.rest_url}/{path.lstrip('/')}", params=params, headers={"Accept": accept}
        )


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, decoded a megabyte at a time (never whole as text)."""
    decoder, view = codecs.getincrementaldecoder("utf-8")(), memoryview(data)
    try:
        for start in range(0, len(data), 2**20):
            decoder.decode(view[start : start + 2**20])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


@functools.lru_cache(maxsize=128)
def secret_pattern(secret: str, kind: type = str) -> re.Pattern[Any]:
    """``secret`` in any form a target could echo it, each character as itself or escaped as JSON
    (``\\uXXXX``, ``\\/``, ``\\"``), URL-encoded (``%XX`` per UTF-8 byte, ``+``), as escaped bytes
    (``\\xXX``) or an HTML character reference, in any mix: a token with a ``/`` echoed ``\\/``
    once reached every report. (Base64 of Basic credentials is a secret of its own.)"""
    pattern = "".join(_any_form(c) for c in secret)
    # in UTF-8 bytes each form is a byte sequence of its own: the same matches in valid UTF-8
    return re.compile(pattern.encode() if kind is bytes else pattern)


def _any_form(char: str) -> str:
    code = ord(char)
    units = [code] if code < 0x10000 else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + (code & 0x3FF)]
    forms = [
        re.escape(char),
        "".join(rf"\\u{_hex(u, 4)}" for u in units),
        rf"&#0*{code};",
        rf"&#[xX]0*{_hex(code)};",
    ]
    data = char.encode()
    forms += ["".join(f"%{_hex(b, 2)}" for b in data), "".join(rf"\\x{_hex(b, 2)}" for b in data)]
    forms += {"/": [r"\\/"], '"': [r'\\"'], "\\": [r"\\\\"], " ": [r"\+"]}.get(char, [])
    return f"(?:{'|'.join(forms)})"


def _hex(value: int, width: int = 1) -> str:
    """``value`` in hexadecimal of at least ``width`` digits, either case."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{value:0{width}x}")


def _digest_refused(reply: CsomReply) -> bool:
    error = reply.response.header.error_info if reply.response else None
    return error is not None and error.error_code in DIGEST_ERROR_CODES


def _digest_of(content: bytes) -> tuple[str, float] | None:
    """The form digest and its lifetime in seconds in a contextinfo answer (verbose or not), if any."""
    try:
        info = json.loads(content)
        info = info.get("d", {}).get("GetContextWebInformation", info)
        value, lifetime = str(info["FormDigestValue"]), float(info.get("FormDigestTimeoutSeconds", 1800))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    # only what a header can carry: a digest with other characters (non-ASCII, CR LF, as a header
    # injection) is none, and the requests go without one for the target's answers to be judged
    if not HEADER_VALUE.fullmatch(value) or not math.isfinite(lifetime):
        return None
    return value, lifetime


def _read_capped(answer: httpx.Response, cap: int) -> bytes:
    """The answer's body, decoded (gzip, deflate), read as it streams in: BadAnswer as soon as it
    passes ``cap`` bytes as sent or once decoded (a 4 MB gzip bomb inflates to 4 GB)."""
    coding = answer.headers.get("content-encoding", "").strip().lower()
    # gzip or zlib header (32: either, detected); deflate: zlib's, or raw deflate as some servers send
    decoder = zlib.decompressobj(47) if coding in ("gzip", "x-gzip", "deflate") else None
    raw = 0
    body = bytearray()
    try:
        for chunk in answer.iter_raw():
            raw += len(chunk)
            if raw > cap:
                raise BadAnswer(_too_large(cap, "as sent"))
            if decoder is None:
                body += chunk
                continue
            if coding == "deflate" and raw == len(chunk) and not _zlib_header(chunk):
                decoder = zlib.decompressobj(-zlib.MAX_WBITS)
            while chunk:  # at most what is left of the cap at each step, then the rest of the input
                body += decoder.decompress(chunk, cap + 1 - len(body))
                if len(body) > cap:
                    raise BadAnswer(_too_large(cap, "once decompressed"))
                chunk = decoder.unconsumed_tail
    except zlib.error as exc:
        raise BadAnswer(f"the answer's {coding} content coding is broken ({exc})") from None
    return bytes(body)


def _zlib_header(chunk: bytes) -> bool:
    return len(chunk) >= 2 and chunk[0] & 0x0F == 8 and (chunk[0] << 8 | chunk[1]) % 31 == 0


def _too_large(cap: int, how: str) -> str:
    return f"the answer is larger than max_answer_bytes ({cap} bytes) {how}: not read further"
