"""What the fault layer works on: HTTP messages, the changes a fault makes, and the catalogue entry.

A fault is data plus up to two pure functions: ``request`` rewrites what the client sent before it
is forwarded, ``response`` rewrites what the target answered. Neither does I/O: what a fault needs
from the target (a form digest) is fetched by the proxy and handed in, what it wants done
afterwards (a compensating request) it returns as ``follow_ups``, and what it remembers between
exchanges it returns as ``memory``. Every rewrite lists its ``changes``, each naming the spec
section it breaks (or, for a benign variation, the one that allows it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

from conformance.registry import Registry

Endpoint = Literal["csom", "calendar", "contextinfo"]
Kind = Literal["response", "behaviour", "benign"]
Side = Literal["request", "response"]

_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("/_vti_bin/client.svc/processquery", "csom"),
    ("/api/tasks/calendar", "calendar"),
    ("/_api/contextinfo", "contextinfo"),
)


def _find(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def _set(headers: tuple[tuple[str, str], ...], name: str, value: str | None) -> tuple[tuple[str, str], ...]:
    """``headers`` with ``name: value`` where the first ``name`` header was (at the end if there was
    none) and every other ``name`` header removed; ``value`` None removes them all."""
    wanted = name.lower()
    at = next((i for i, (key, _) in enumerate(headers) if key.lower() == wanted), len(headers))
    kept = [(key, item) for key, item in headers if key.lower() != wanted]
    if value is not None:
        kept.insert(at, (headers[at][0] if at < len(headers) else name, value))
    return tuple(kept)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # as sent, percent-escapes kept
    query: str = ""  # the raw query string, without "?"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return _find(self.headers, name)

    def with_header(self, name: str, value: str | None) -> HttpRequest:
        return replace(self, headers=_set(self.headers, name, value))

    @property
    def endpoint(self) -> str:
        """``csom``, ``calendar``, ``contextinfo`` or ``other``, by path (any site prefix, any case)."""
        path = self.path.rstrip("/").lower()
        return next((name for suffix, name in _ENDPOINTS if path.endswith(suffix)), "other")

    @property
    def site(self) -> str:
        """The path before the endpoint (``/sites/probe``), where ``/_api/contextinfo`` is asked."""
        lowered = self.path.lower()
        for suffix, _ in _ENDPOINTS:
            at = lowered.rfind(suffix)
            if at >= 0:
                return self.path[:at]
        return ""

    def params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)

    def with_params(self, params: Iterable[tuple[str, str]]) -> HttpRequest:
        return replace(self, query=urlencode(list(params)))


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return _find(self.headers, name)

    def with_header(self, name: str, value: str | None) -> HttpResponse:
        return replace(self, headers=_set(self.headers, name, value))


@dataclass(frozen=True)
class Change:
    """One thing a fault did to one exchange: the spec place it breaks (or allows), and what it did."""

    protocol: str
    section: str
    detail: str


@dataclass(frozen=True)
class Context:
    """What a request rewrite may know besides the request: for a fault that asks for it
    (``needs_digest``), a valid form digest the proxy fetched from the target for this caller."""

    digest: str | None = None


@dataclass(frozen=True)
class RequestRewrite:
    request: HttpRequest
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class ProxiedExchange:
    """One round trip as a response rewrite sees it."""

    original: HttpRequest  # as the client sent it
    forwarded: HttpRequest  # as the target received it (after the request rewrite)
    response: HttpResponse  # as the target answered


@dataclass(frozen=True)
class ResponseRewrite:
    response: HttpResponse
    changes: tuple[Change, ...] = ()
    memory: Any = None  # the fault's memory after this exchange; None: unchanged
    follow_ups: tuple[HttpRequest, ...] = ()  # sent to the target, in order, before the client is answered


RequestHook = Callable[[HttpRequest, Context], RequestRewrite]
ResponseHook = Callable[[ProxiedExchange, Any], ResponseRewrite]


@dataclass(frozen=True)
class Fault:
    """One catalogue entry: a named fault (or benign variation) and the functions that make it."""

    name: str
    kind: Kind
    protocol: str  # ms-csom | ms-wmcsom | ms-spwfcsom | contactslaw-calendar
    section: str  # what it breaks; each Change names the exact place it hit
    description: str
    endpoints: frozenset[Endpoint]  # the exchanges it sees; the others pass untouched
    request: RequestHook | None = None
    response: ResponseHook | None = None
    needs_digest: bool = False  # the proxy fetches a digest for callers that sent none
    memory: Any = None  # the initial memory of a fault that remembers across exchanges

    @property
    def benign(self) -> bool:
        return self.kind == "benign"


REGISTRY: Registry[Fault] = Registry("fault")  # filled by the fault modules; read through catalogue.py


def register(
    name: str, kind: Kind, protocol: str, section: str, description: str, *,
    endpoints: Iterable[Endpoint] = ("csom",), side: Side = "response", **extra: Any,
) -> Callable[[Any], Any]:  # fmt: skip
    """Decorator: the function is the ``side`` of a new fault (``extra``: the other side's function,
    ``needs_digest``, ``memory``)."""

    def add(hook: Any) -> Any:
        REGISTRY.add(name, Fault(name, kind, protocol, section, description, frozenset(endpoints),
                                 **{side: hook}, **extra))  # fmt: skip
        return hook

    return add
