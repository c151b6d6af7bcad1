"""The pytest plugin: run ``cases/`` against any target (``pytest cases/ --target URL``).

Registered through the ``pytest11`` entry point, so other projects get the options, fixtures and
markers by installing the package. This module reads the options and registers the parts that do
the work, as pytest-xdist registers its session: the target session (conformance.pytest.session;
without ``--target``, the embedded reference server) and the recorder (conformance.pytest.recorder:
the run judged, summarized and, with ``--report-dir``, written as ``results.json``, ``report.html``
and the badge). ``conformance run`` is this plugin plus pytest's ``--junitxml`` and an exit code
from the verdict; it hands over the target's settings resolved (conformance.runner.handover).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from conformance.case import LEVELS, MARKER, PROFILES, PROTOCOL_MARKERS, RunOptions, meta_of
from conformance.drive.target import Target
from conformance.pytest import shard
from conformance.pytest._keys import SESSION_KEY
from conformance.pytest.recorder import Recorder
from conformance.pytest.session import TargetSession, say
from conformance.report.baseline import BaselineError, load_baseline
from conformance.report.verdict import DEFAULT_GATE, GATES, READ_ONLY_SKIP
from conformance.runner.access import DEFAULT_CASE_TIMEOUT, AccessError
from conformance.runner.config import SETTINGS, TARGET_TABLES, ConfigError, from_environ, from_values, layered
from conformance.runner.handover import Handover, hand_over
from conformance.runner.invoke import RunError, cases_dir

REPEAT_FIXTURE = "conformance_repeat"
DEFAULT_REPORT_DIR = "reports"  # as conformance run's, in the folder pytest runs in
SETTINGS_ERROR = pytest.StashKey[str]()  # why the target settings are unusable: said once cases are collected
for _name, _examples in PROFILES.items():
    settings.register_profile(
        f"conformance-{_name}", max_examples=_examples, deadline=None, database=None,
        suppress_health_check=list(HealthCheck), print_blob=True,
    )  # fmt: skip


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup("conformance", "csom-conformance: run the cases against a target")
    pluginmanager.register(shard, "conformance-shard")  # --shard i/n
    # the target's settings (conformance.runner.config); CONFORMANCE_* variables stand in for absent ones
    for setting in SETTINGS:
        if setting.table in TARGET_TABLES:
            kind = {"action": "store_true"} if setting.kind is bool else {"type": setting.kind}
            choices = {"choices": setting.choices} if setting.choices else {}
            group.addoption(
                setting.pytest_option, dest=f"conformance_{setting.key}", default=None, help=setting.help,
                **kind, **choices,
            )  # fmt: skip
    group.addoption(
        "--profile", default="default", choices=sorted(PROFILES), help="how many generated examples per case"
    )
    group.addoption(
        "--seed", type=int, default=None, help="seed for generated values (same seed, same requests)"
    )
    group.addoption("--read-only", action="store_true", help="skip every case that writes to the target")
    group.addoption("--batch-size", type=int, default=40, help="most checks' probes sent in one ProcessQuery")
    group.addoption(
        "--conformance", action="store_true",
        help="collect the installed conformance cases too, beside the tests this run collects",
    )  # fmt: skip
    group.addoption(
        "--report-dir", default=None,
        help=f"where the conformance cases' reports go (default: {DEFAULT_REPORT_DIR}/, once cases ran)",
    )  # fmt: skip
    group.addoption(
        "--baseline", default=None, help="known failures (results.json, TOML or a list of case ids)"
    )
    group.addoption(
        "--repeat", type=int, default=1, help="run each case N times and report flipping outcomes as flaky"
    )
    group.addoption(
        "--fail-on", default=None, choices=sorted(GATES),
        help=f"lowest level whose failures fail the run (default: CONFORMANCE_FAIL_ON, else {DEFAULT_GATE})",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(meta): a conformance case (set by conformance.case.case)")
    for level in LEVELS:
        config.addinivalue_line("markers", f"{level}: conformance cases of level {level}")
    for marker in PROTOCOL_MARKERS.values():
        config.addinivalue_line("markers", f"{marker}: conformance cases of that protocol")
    config.addinivalue_line("markers", "writes: conformance cases that change the target's state")
    config.addinivalue_line(
        "markers", "destructive(rank): run after the other cases (deletes provisioned objects)"
    )
    # bad option values stop the run before any case, as usage errors (conformance run: exit 2)
    if config.getoption("--repeat", 1) < 1:
        raise pytest.UsageError("--repeat must be 1 or more")
    if config.getoption("--conformance"):
        try:
            config.args.append(str(cases_dir()))
        except RunError as exc:
            raise pytest.UsageError(str(exc)) from None
    handover = _handed_over(config) or _from_options(config)
    baseline = config.getoption("--baseline", None)
    try:
        known = load_baseline(Path(baseline)) if baseline else None
    except BaselineError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[SESSION_KEY] = TargetSession(config, handover.access, handover.case_timeout)
    config.pluginmanager.register(config.stash[SESSION_KEY], "conformance-session")
    config.pluginmanager.register(Recorder(handover, known), "conformance-recorder")


def _handed_over(config: pytest.Config) -> Handover | None:
    """What ``conformance run`` resolved, when it started this session in its own process."""
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, Handover)), None)


def _from_options(config: pytest.Config) -> Handover:
    """The target's settings from the options, ``CONFORMANCE_*`` variables standing in for absent ones."""
    flags = {s.key: config.getoption(f"conformance_{s.key}") for s in SETTINGS if s.table in TARGET_TABLES}
    try:
        environ = from_environ(os.environ)
        wanted = layered(from_values(flags, "command line"), environ)
        return hand_over(wanted, config.getoption("--fail-on", None) or environ.fail_on or DEFAULT_GATE)
    except (ConfigError, AccessError) as exc:
        # a usage error once conformance cases are collected: another project's tests run on, whatever
        # CONFORMANCE_* variables its environment holds for other jobs
        config.stash[SETTINGS_ERROR] = str(exc)
        return Handover(None, DEFAULT_CASE_TIMEOUT, DEFAULT_GATE)


@pytest.fixture(scope="session")
def run_options(request: pytest.FixtureRequest) -> RunOptions:
    return request.config.stash[SESSION_KEY].run_options()


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, run_options: RunOptions) -> Iterator[Target]:
    """The server under test: ``--target URL``, or the embedded reference server with demo data."""
    yield from request.config.stash[SESSION_KEY].target(run_options)


@pytest.fixture(scope="session")
def second_target(request: pytest.FixtureRequest, target: Target) -> Target | None:
    """The server under test as a second user (the ``second_*`` settings; the embedded server's
    second user), for the authorization cases; None without one (they skip, saying so)."""
    return request.config.stash[SESSION_KEY].second_client


@pytest.fixture
def conformance_repeat(request: pytest.FixtureRequest) -> int:
    """Which repetition this is (``--repeat``): 0, 1, …"""
    return request.param


@pytest.hookimpl(trylast=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    repeat = metafunc.config.getoption("--repeat", 1)
    if repeat > 1:
        metafunc.fixturenames.append(REPEAT_FIXTURE)
        metafunc.parametrize(REPEAT_FIXTURE, range(repeat), indirect=True, ids=lambda n: f"r{n + 1}")


def _name_unknown_baseline_ids(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A warning naming the baseline's ids that no collected case has (a typo, or a case renamed or
    gone): such an entry hides nothing, and a team should know. Once: in the first of --workers N."""
    recorder = config.pluginmanager.get_plugin("conformance-recorder")
    part = config.stash.get(shard.SHARD_KEY, None)
    if recorder is None or recorder.baseline is None or (part is not None and part.index != 1):
        return
    unknown = recorder.baseline.unknown(meta.id for item in items if (meta := meta_of(item)))
    if unknown:
        say(config, f"conformance: warning: {len(unknown)} baseline entries name no case of the suite, "
            f"in {recorder.baseline.source}: {', '.join(unknown)}", sys.stderr)  # fmt: skip


def _repetition(item: pytest.Item) -> int:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get(REPEAT_FIXTURE, 0) if callspec else 0


def _destructive_rank(item: pytest.Item) -> int:
    marker = item.get_closest_marker("destructive")
    return marker.args[0] if marker and marker.args else 0


@pytest.hookimpl(tryfirst=True)  # before -k, -m and --shard leave cases out (and -m reads the markers added)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(meta_of(item) for item in items):
        return  # another project's tests alone: nothing of ours to do
    if error := config.stash.get(SETTINGS_ERROR, None):
        raise pytest.UsageError(error)
    if config.getoption("--report-dir") is None:
        config.option.report_dir = DEFAULT_REPORT_DIR  # the usual reports, as conformance run writes them
    _name_unknown_baseline_ids(config, items)
    # a case that destroys provisioned objects cannot run twice on them: it runs once under --repeat
    repeated = [item for item in items if _repetition(item) and _destructive_rank(item)]
    if repeated:
        config.hook.pytest_deselected(items=repeated)
        items[:] = [item for item in items if not (_repetition(item) and _destructive_rank(item))]
    # cases that destroy the objects the run provisioned go last (a stable sort keeps the rest in order)
    items.sort(key=_destructive_rank)
    read_only = config.getoption("--read-only")
    for item in items:
        meta = meta_of(item)
        if meta is None:
            continue
        item.add_marker(meta.level)
        item.add_marker(PROTOCOL_MARKERS[meta.protocol])
        if meta.writes:
            item.add_marker("writes")
            if read_only:
                item.add_marker(pytest.mark.skip(reason=READ_ONLY_SKIP))
