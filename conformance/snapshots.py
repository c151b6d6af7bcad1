"""Snapshots: every reachable class read in a few batched ProcessQuery requests.

Each class's route (see probe.py) and a ``SelectAllProperties`` query go into their own
``ExceptionHandlingScopeSimple``, so one failing route does not mask the others, and up to
``batch_size`` classes share one request. The shape cases of all types and properties then
judge these snapshots without further round trips.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformance.probe import Arguments, Route, follow
from conformance.shapes import Catalogue
from conformance.target import CsomReply, Exchange, Target
from conformance.wire import SELECT_ALL, RequestBuilder


def raw_results(exchange: Exchange) -> dict[int, Any]:
    """Results by action id from the raw JSON (dates and GUIDs as their wire strings)."""
    try:
        array = exchange.json()
    except ValueError:
        return {}
    if not isinstance(array, list):
        return {}
    return {k: v for k, v in zip(array[1::2], array[2::2], strict=False) if isinstance(k, int)}


@dataclass(frozen=True)
class Snapshot:
    type_name: str
    route: Route
    reply: CsomReply
    scope_id: int
    query_id: int
    items: bool  # the object is the first child item of the queried (collection) path

    def raw(self) -> Any:
        """The queried object as raw JSON: for an item route the first child item (None if none)."""
        value = raw_results(self.reply.exchange).get(self.query_id)
        if self.items:
            children = value.get("_Child_Items_") if isinstance(value, dict) else None
            return children[0] if isinstance(children, list) and children else None
        return value


def take_snapshots(
    target: Target,
    catalogue: Catalogue,
    routes: Iterable[tuple[str, Route]],
    arguments: Arguments,
    batch_size: int,
) -> dict[str, Snapshot]:
    pending = list(routes)
    snapshots: dict[str, Snapshot] = {}
    for start in range(0, len(pending), batch_size):
        builder = RequestBuilder()
        planned = []
        for type_name, route in pending[start : start + batch_size]:
            with builder.exception_scope() as scope_id:
                path, items = follow(builder, route, arguments)
                collection = items or catalogue.item_type(catalogue.types[type_name]) is not None
                query_id = builder.query(path, SELECT_ALL, SELECT_ALL if collection else None)
            planned.append((type_name, route, scope_id, query_id, items))
        reply = target.process_query(builder.build())
        for type_name, route, scope_id, query_id, items in planned:
            snapshots[type_name] = Snapshot(type_name, route, reply, scope_id, query_id, items)
    return snapshots
