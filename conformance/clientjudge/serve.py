"""The reference server in judging mode: it answers every request as always, and its
:class:`~conformance.clientjudge.ledger.Ledger` judges each one."""

from __future__ import annotations

from typing import Any, Self

from conformance.clientjudge.ledger import Ledger
from conformance.clientjudge.observed import Observed, Observer
from conformance.server import ReferenceServer


class JudgingServer(ReferenceServer):
    """``ReferenceServer``'s arguments; ``ledger`` holds the judgements (a new one: :meth:`reset`)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.ledger = Ledger("")
        self.app = Observer(self.app, self._seen)

    def _seen(self, request: Observed) -> None:
        self.ledger.observe(request)

    def reset(self) -> Ledger:
        """Judge the requests from now on into a new ledger (tests: one client at a time)."""
        self.ledger = Ledger(self.url)
        return self.ledger

    def __enter__(self) -> Self:
        super().__enter__()
        self.ledger.base_url = self.url
        return self
