"""How the target answered on the whole: every HTTP answer sorted into auth refusals, empty
answers and the rest, so a run can tell a conforming target from one that let nothing be checked.

:class:`ObservedTarget` is a :class:`~conformance.drive.target.Target` that keeps this tally; the
plugin uses it for the session's target and writes the tally into ``results.json`` (``answers``).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any, Literal

import httpx

from conformance.drive.target import PROCESS_QUERY, Exchange, Target

AnswerKind = Literal["auth", "empty", "content"]
AUTH_STATUSES = frozenset({401, 403})
EMPTY_JSON = ([], {}, None, "")
# a CSOM answer that is only its header is short; longer answers are never parsed for this
HEADER_ONLY_LIMIT = 2048


def answer_kind(exchange: Exchange) -> AnswerKind:
    """``auth``: refused for credentials; ``empty``: a success that carries nothing (an empty body,
    an empty JSON value, or a CSOM answer with no results to a request that queried something)."""
    if exchange.status in AUTH_STATUSES:
        return "auth"
    body = exchange.response_body.strip()
    if not 200 <= exchange.status < 300:
        return "content"
    if not body:
        return "empty"
    if len(body) > HEADER_ONLY_LIMIT:
        return "content"
    value = _json(body)
    if value in EMPTY_JSON:
        return "empty"
    queried = exchange.url.endswith(PROCESS_QUERY) and b"<Query " in exchange.request_body
    if queried and isinstance(value, list) and len(value) == 1:
        return "empty"
    return "content"


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested past what the parser takes
        return object()  # not JSON: not empty either


class ObservedTarget(Target):
    """A Target that tallies its answers by :func:`answer_kind` (``answers["total"]`` counts all)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers: Counter[str] = Counter()
        self._tally_lock = threading.Lock()

    def _send(self, *args: Any, **kwargs: Any) -> tuple[Exchange, httpx.Response, bytes]:
        exchange, answer, content = super()._send(*args, **kwargs)
        kind = answer_kind(exchange)
        with self._tally_lock:
            self.answers["total"] += 1
            self.answers[kind] += 1
        return exchange, answer, content
