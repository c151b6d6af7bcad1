"""The session's target: ``--target URL`` or the embedded reference server with demo data, opened
once for the session (the plugin's fixtures ``target`` and ``run_options``), swept of what the run
created at its end, and a time limit on each case's requests."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest
from hypothesis import settings

from conformance.case import RunOptions
from conformance.drive.target import Credentials, Target
from conformance.pytest._keys import ANSWERS_KEY, REQUESTS_KEY
from conformance.pytest.shard import SHARD_KEY
from conformance.runner.access import Access, redacting_both
from conformance.runner.signals import signals_as_interrupt
from conformance.runner.traffic import ObservedTarget


class TargetSession:
    """Registered by the plugin as ``conformance-session`` (and stashed under SESSION_KEY)."""

    def __init__(self, config: pytest.Config, way_in: Access | None, case_timeout: float) -> None:
        self.config = config
        self.way_in = way_in  # None: the embedded reference server
        self.case_timeout = case_timeout
        self.client: Target | None = None  # once the session has opened it
        self.run_id = ""  # once a --target is open for writing: whose objects its sweep removes
        self.before_clean_up: list[str] = []  # the run's objects on the target when Ctrl-C came
        self.second_client: Target | None = None  # the same as a second user, when there is one

    def run_options(self) -> RunOptions:
        config = self.config
        seed = config.getoption("--seed")
        report_dir = config.getoption("--report-dir")
        profile = config.getoption("--profile")
        shard = config.stash.get(SHARD_KEY, None)
        settings.load_profile(f"conformance-{profile}")
        return RunOptions(
            profile=profile,
            seed=seed if seed is not None else 0,
            read_only=config.getoption("--read-only"),
            batch_size=max(1, config.getoption("--batch-size")),
            report_dir=Path(report_dir) if report_dir else None,
            # in the names of created objects; from the seed, so the same seed sends the same bodies, and
            # from the shard, so concurrent shards never touch each other's objects
            run_id=f"ccrun{seed if seed is not None else 0}" + (f"s{shard.index}" if shard else ""),
            embedded=self.way_in is None,
        )

    def target(self, run_options: RunOptions) -> Iterator[Target]:
        """The target, open until the session ends; then (a failed, interrupted or SIGTERMed session
        too) whatever carries the run id in its name is removed from a ``--target``
        (conformance.drive.world.sweep)."""
        with signals_as_interrupt(self._note_objects):
            yield from self._opened(run_options)

    def _opened(self, run_options: RunOptions) -> Iterator[Target]:
        config = self.config
        if self.way_in:
            second = self.way_in.second_target()
            with self.way_in.target(ObservedTarget) as client, second or contextlib.nullcontext():
                self.client, self.second_client = client, second
                self.run_id = "" if run_options.read_only else run_options.run_id
                yield client
                config.stash[REQUESTS_KEY], config.stash[ANSWERS_KEY] = (
                    client.requests_sent,
                    dict(client.answers),
                )
                if not run_options.read_only:
                    _sweep(config, client, run_options.run_id, self.before_clean_up)
            return
        from conformance.server import ReferenceServer

        with ReferenceServer(seed_data=True) as server:
            assert server.token and server.second_token  # an anonymous demo server makes both
            second = Credentials.bearer(server.second_token)
            first = redacting_both(Credentials.bearer(server.token), second)
            with (
                ObservedTarget(server.url, credentials=first) as client,
                Target(server.url, credentials=redacting_both(second, first)) as self.second_client,
            ):
                self.client = client
                yield client
                config.stash[REQUESTS_KEY], config.stash[ANSWERS_KEY] = (
                    client.requests_sent,
                    dict(client.answers),
                )

    def _note_objects(self) -> None:
        """Ctrl-C or SIGTERM, before the cases' own clean-ups run: the run's objects on the target now
        (on a connection of its own: the session's may be mid-request), so that the session can say
        at its end what the clean-ups and the sweep removed."""
        if self.way_in is None or not self.run_id:
            return
        from conformance.drive.world import named, run_pattern
        from conformance.model.catalogue import catalogue

        try:
            with self.way_in.target() as probe:
                self.before_clean_up = named(probe, catalogue(), run_pattern(self.run_id))
        except Exception:  # a target that errs now: the sweep still says what it removes
            self.before_clean_up = []

    @contextlib.contextmanager
    def _deadline(self) -> Iterator[None]:
        """``case_timeout`` seconds of requests, for the second identity's target as for the first."""
        with contextlib.ExitStack() as stack:
            for client in (self.client, self.second_client):
                if client is not None:
                    stack.enter_context(client.case_deadline(self.case_timeout))
            yield

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        """Each case gets ``case_timeout`` seconds of requests (its session fixtures' set-up does not
        count: each has its own)."""
        with self._deadline():
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[object]) -> Iterator[object]:
        """A fixture's set-up gets ``case_timeout`` seconds of requests as a case does (provisioning
        against a target that answers slowly, each answer in time, held a run for ever); past it,
        its cases error as the target's fault."""
        with self._deadline():
            return (yield)


def _sweep(config: pytest.Config, client: Target, run_id: str, before: list[str]) -> None:
    """Remove the run's objects, saying what went (``before``: also what the clean-ups of the cases'
    fixtures removed since then)."""
    from conformance.drive.world import run_pattern, sweep
    from conformance.model.catalogue import catalogue

    done = sweep(client, catalogue(), run_pattern(run_id))
    if gone := [thing for thing in dict.fromkeys([*before, *done.removed]) if thing not in done.left]:
        say(config, f"\nconformance: removed from the target, named with {run_id}: {', '.join(gone)}")
    if done.left:
        left = ", ".join(done.left)
        say(config, f"\nconformance: could not remove {len(done.left)} object(s) named with {run_id}: {left}",
            sys.stderr)  # fmt: skip


def say(config: pytest.Config, text: str, stream: TextIO = sys.stdout) -> None:
    """``text`` for the user now, past pytest's capture (which would keep it with a case's output)."""
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(text, file=stream, flush=True)
