"""The verdicts of a state machine's sites: every check it ran, recorded (not raised) at a site, so
the machine goes on and each site, one case, gets its verdict at the end.

A site is a CaseMeta (section, item, level). The lifecycle cases judge through ``Verdicts.judge``
while their machine runs (from several lanes at once: conformance.drive.lanes), then each case asks
``MachineOutcome.settle`` for its site's verdict.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ParamSpec

import pytest

from conformance.case import CaseMeta
from conformance.drive.target import Exchange
from conformance.judge.checks import Check, Site, Violation, verify

P = ParamSpec("P")


@dataclass
class SiteVerdict:
    checks: int = 0
    violation: Violation | None = None  # the first one at the site


@dataclass
class Verdicts:
    """Verdicts by site; safe to judge from several threads."""

    by_site: dict[CaseMeta, SiteVerdict] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def judge(
        self,
        site: CaseMeta,
        evidence: Sequence[Exchange],
        check: Check[P],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> bool:
        """Run a check for a site; a violation is recorded (the first per site) and False returned."""
        try:
            verify(Site.of(site, *evidence), check, *args, **kwargs)
        except Violation as violation:
            self._record(site, violation)
            return False
        self._record(site, None)
        return True

    def _record(self, site: CaseMeta, violation: Violation | None) -> None:
        with self._lock:
            verdict = self.by_site.setdefault(site, SiteVerdict())
            verdict.checks += 1
            verdict.violation = verdict.violation or violation


@dataclass(frozen=True)
class MachineOutcome:
    """What a machine's run left: the verdicts, and why it stopped early (None: it ran through)."""

    what: str  # the machine, in words: "the task lifecycle"
    verdicts: Verdicts
    # why it stopped early: the exception (raised again by each case, which the plugin then files as
    # the target's failure or error or as the suite's own error), or a failure in words
    error: Exception | str | None = None

    def settle(self, site: CaseMeta) -> None:
        """A site's case: fails when the run stopped, skips when no check reached the site, else
        raises the site's first violation (or returns: passed)."""
        if isinstance(self.error, Exception):
            raise self.error
        if self.error is not None:
            pytest.fail(f"{self.what} run stopped: {self.error}")
        verdict = self.verdicts.by_site.get(site)
        if verdict is None or verdict.checks == 0:
            pytest.skip(
                "the state machine did not reach this check in this run (more examples: --profile thorough)"
            )
        if verdict.violation is not None:
            raise verdict.violation
