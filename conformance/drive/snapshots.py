"""Batching: many independent probes in few ProcessQuery requests.

A :class:`Probe` writes its object paths and actions into a request; :func:`send_batched` puts
each probe in its own ``ExceptionHandlingScopeSimple`` (so one failing probe masks none of the
others) and up to ``batch_size`` probes into one request, and sends the requests at once, up to
the target's ``max_concurrency`` (the probes are independent; ``in_order`` for those whose order
matters). Cases then judge their own :class:`ProbeOutcome` and still pass or fail one by one.
:func:`take_snapshots` reads every reachable class this way for the shape cases.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from conformance.drive.at_once import at_once
from conformance.drive.target import CsomReply, Exchange, Target
from conformance.model.catalogue import Catalogue
from conformance.model.routes import Arguments, Route, follow
from conformance.wire import SELECT_ALL, RequestBuilder


@dataclass(frozen=True)
class Probe:
    key: Hashable  # what the outcome is filed under (several probes may share a key)
    write: Callable[[RequestBuilder], int | None]  # adds paths and actions; the id to judge, if any


@dataclass(frozen=True)
class ProbeOutcome:
    reply: CsomReply
    scope_id: int
    result_id: int | None

    def raw(self) -> Any:
        return None if self.result_id is None else self.reply.raw_results.get(self.result_id)

    @property
    def exchange(self) -> Exchange:
        """The batch's exchange as this probe's evidence: its reproduce command sends the probe alone."""
        return dataclasses.replace(self.reply.exchange, focus=(self.scope_id,))


def send_batched(
    target: Target, probes: Iterable[Probe], batch_size: int, *, in_order: bool = False
) -> dict[Hashable, list[ProbeOutcome]]:
    """Outcomes by probe key, in the probes' order; ``in_order``: one request after another."""
    pending = list(probes)
    batches = [pending[start : start + batch_size] for start in range(0, len(pending), batch_size)]

    def send(batch: list[Probe]) -> list[tuple[Hashable, ProbeOutcome]]:
        builder = RequestBuilder()
        planned = []
        for probe in batch:
            with builder.exception_scope() as scope_id:
                result_id = probe.write(builder)
            planned.append((probe.key, scope_id, result_id))
        reply = target.process_query(builder.build())
        return [(key, ProbeOutcome(reply, scope_id, result_id)) for key, scope_id, result_id in planned]

    # at once through at_once, so each batch's thread keeps the caller's case deadline
    calls = [functools.partial(send, batch) for batch in batches]
    answered = [call() for call in calls] if in_order else at_once(target, calls)
    outcomes: dict[Hashable, list[ProbeOutcome]] = {}
    for key, outcome in itertools.chain.from_iterable(answered):
        outcomes.setdefault(key, []).append(outcome)
    return outcomes


@dataclass(frozen=True)
class Snapshot:
    type_name: str
    route: Route
    outcome: ProbeOutcome
    items: bool  # the object is the first child item of the queried (collection) path

    @property
    def reply(self) -> CsomReply:
        return self.outcome.reply

    @property
    def exchange(self) -> Exchange:
        return self.outcome.exchange

    def raw(self) -> Any:
        """The queried object as raw JSON: for an item route the first child item (None if none)."""
        value = self.outcome.raw()
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
    """Every class read through its route with ``SelectAllProperties`` (collections with their items)."""
    routes = dict(routes)

    def reader(type_name: str) -> Callable[[RequestBuilder], int]:
        def write(builder: RequestBuilder) -> int:
            path, items = follow(builder, routes[type_name], arguments)
            collection = items or catalogue.item_type(catalogue.types[type_name]) is not None
            return builder.query(path, SELECT_ALL, SELECT_ALL if collection else None)

        return write

    outcomes = send_batched(target, [Probe(name, reader(name)) for name in routes], batch_size)
    return {
        name: Snapshot(name, route, outcomes[name][0], route[-1].kind == "items")
        for name, route in routes.items()
    }
