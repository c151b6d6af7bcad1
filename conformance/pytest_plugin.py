"""The pytest plugin: run ``cases/`` against any target (``pytest cases/ --target URL``).

Registered through the ``pytest11`` entry point, so other projects get the options, fixtures and
markers by installing the package. Without ``--target`` the embedded reference server is started
for the session. At the end the run is judged (conformance.report.verdict) and summarized on the
terminal; with ``--report-dir`` it writes ``results.json``, ``report.html`` and the badge there.
``conformance run`` is this plugin plus pytest's ``--junitxml`` and an exit code from the verdict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, settings

from conformance import __version__, shard
from conformance.case import MARKER, meta_of
from conformance.checks import CHECKS_RUN, LEVELS, Violation
from conformance.report import publish
from conformance.report.baseline import Baseline, BaselineError, load_baseline
from conformance.report.terminal import summary_lines
from conformance.report.verdict import DEFAULT_GATE, GATES, READ_ONLY_SKIP, UNREACHABLE_REASON, Verdict
from conformance.results import SUITE_ERROR, CaseResult, Evidence, Run, RunHeader, collapse_repeats
from conformance.runner.access import DEFAULT_CASE_TIMEOUT, Access, AccessError, access, credentials
from conformance.runner.config import SETTINGS, TARGET_TABLES, ConfigError, from_environ, from_values, layered
from conformance.runner.traffic import ObservedTarget
from conformance.shard import SHARD_KEY
from conformance.spec.data import specs_dir
from conformance.target import CaseTimeout, Credentials, Target, TargetUnreachable
from conformance.wire import WireError

PROFILES = {"quick": 1, "default": 10, "thorough": 100}  # Hypothesis examples per generated case
PROTOCOL_MARKERS = {
    "ms-wmcsom": "wmcsom",
    "ms-spwfcsom": "spwfcsom",
    "contactslaw-calendar": "calendar",
    "ms-csom": "csom",
}
RESULTS_KEY = pytest.StashKey[list[CaseResult]]()
REQUESTS_KEY = pytest.StashKey[int]()  # HTTP requests the session's Target sent
ANSWERS_KEY = pytest.StashKey[dict[str, int]]()  # the target's answers by kind (runner.traffic)
ACCESS_KEY = pytest.StashKey[Access | None]()  # None: the embedded reference server
SESSION_TARGET_KEY = pytest.StashKey[Target]()  # the session's target, for the per-case time limit
CASE_TIMEOUT_KEY = pytest.StashKey[float]()
BASELINE_KEY = pytest.StashKey[Baseline | None]()
ABORTED_KEY = pytest.StashKey[str]()  # why the session stopped early
VERDICT_KEY = pytest.StashKey[tuple[Run, Verdict]]()  # the judged run, for conformance run
FAIL_ON_KEY = pytest.StashKey[str]()  # the gate (report.verdict.GATES)
# exceptions by which the target's answer stopped a case (outcome "error"); any other exception is
# the suite's own ("suite-error"), never counted against the target
TARGET_ERRORS = (WireError, CaseTimeout, TargetUnreachable, httpx.HTTPError)
SUITE_TRACE = 3000  # characters of a suite error's traceback kept with the case
FAILURES = (AssertionError, pytest.fail.Exception)  # a case that found the target wrong, or said so
REPEAT_FIXTURE = "conformance_repeat"
for _name, _examples in PROFILES.items():
    settings.register_profile(
        f"conformance-{_name}", max_examples=_examples, deadline=None, database=None,
        suppress_health_check=list(HealthCheck), print_blob=True,
    )  # fmt: skip


@dataclass(frozen=True)
class RunOptions:
    profile: str
    seed: int
    read_only: bool
    batch_size: int
    report_dir: Path | None
    run_id: str
    embedded: bool  # the embedded reference server (its seed data is known), not a --target


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
    group.addoption("--report-dir", default=None, help="write results.json (and reports) into this folder")
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
    config.stash[RESULTS_KEY] = []
    # bad option values stop the run before any case, as usage errors (conformance run: exit 2)
    if config.getoption("--repeat", 1) < 1:
        raise pytest.UsageError("--repeat must be 1 or more")
    flags = {s.key: config.getoption(f"conformance_{s.key}") for s in SETTINGS if s.table in TARGET_TABLES}
    try:
        environ = from_environ(os.environ)
        wanted = layered(from_values(flags, "command line"), environ)
        config.stash[FAIL_ON_KEY] = config.getoption("--fail-on", None) or environ.fail_on or DEFAULT_GATE
        config.stash[ACCESS_KEY] = access(wanted) if wanted.url else None
        if not wanted.url:
            credentials(wanted)  # a secret's source is checked even for the embedded server (own token)
    except (ConfigError, AccessError) as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[CASE_TIMEOUT_KEY] = wanted.case_timeout or DEFAULT_CASE_TIMEOUT
    baseline = config.getoption("--baseline", None)
    try:
        config.stash[BASELINE_KEY] = load_baseline(Path(baseline)) if baseline else None
    except BaselineError as exc:
        raise pytest.UsageError(str(exc)) from None


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


def _repetition(item: pytest.Item) -> int:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get(REPEAT_FIXTURE, 0) if callspec else 0


def _destructive_rank(item: pytest.Item) -> int:
    marker = item.get_closest_marker("destructive")
    return marker.args[0] if marker and marker.args else 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
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


@pytest.fixture(scope="session")
def run_options(request: pytest.FixtureRequest) -> RunOptions:
    config = request.config
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
        embedded=config.stash[ACCESS_KEY] is None,
    )


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, run_options: RunOptions) -> Iterator[Target]:
    """The server under test: ``--target URL``, or the embedded reference server with demo data. At
    the end of the session (a failed, interrupted or SIGTERMed one too) whatever carries the run id
    in its name is removed from a ``--target`` (conformance.world.sweep)."""
    with signals_as_interrupt():
        yield from _session_target(request.config, run_options)


def _session_target(config: pytest.Config, run_options: RunOptions) -> Iterator[Target]:
    way_in = config.stash[ACCESS_KEY]
    if way_in:
        with way_in.target(ObservedTarget) as client:
            config.stash[SESSION_TARGET_KEY] = client
            yield client
            config.stash[REQUESTS_KEY], config.stash[ANSWERS_KEY] = client.requests_sent, dict(client.answers)
            if not run_options.read_only:
                _sweep(client, run_options.run_id)
        return
    from conformance.server import ReferenceServer

    with (
        ReferenceServer(seed_data=True) as server,
        ObservedTarget(server.url, credentials=Credentials.bearer(server.token)) as client,
    ):
        config.stash[SESSION_TARGET_KEY] = client
        yield client
        config.stash[REQUESTS_KEY], config.stash[ANSWERS_KEY] = client.requests_sent, dict(client.answers)


@contextmanager
def signals_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, so that pytest tears the session down (and the target is swept)
    as on Ctrl-C; once: a second one is ignored, so that the clean-up is not cut short. Neither
    SIGTERM nor Ctrl-C is lost when it lands where Python drops exceptions (see _resent_if_lost)."""

    def terminate(signum: int, frame: types.FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise _resent_if_lost(KeyboardInterrupt(), signal.SIGTERM, terminate)

    def interrupt(signum: int, frame: types.FrameType | None) -> None:
        raise _resent_if_lost(KeyboardInterrupt(), signal.SIGINT, interrupt)

    if threading.current_thread() is not threading.main_thread():  # only the main thread gets signals
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum, handler in
                ((signal.SIGTERM, terminate), (signal.SIGINT, interrupt))}  # fmt: skip
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _resent_if_lost(
    interrupt: BaseException, signum: int, handler: Callable[[int, types.FrameType | None], None]
) -> BaseException:
    """``interrupt``, watched: raised in a garbage-collector callback (Hypothesis keeps one), a weakref
    finalizer or a ``__del__``, Python cannot pass it on, hands it to sys.unraisablehook and drops
    it. There it is taken back: ``handler`` is put back and the signal sent again, to be raised once
    that code has returned."""
    passed_on = sys.unraisablehook

    def taken_back(unraisable: sys.UnraisableHookArgs) -> None:
        if unraisable.exc_value is not interrupt:
            passed_on(unraisable)
            return
        sys.unraisablehook = passed_on
        signal.signal(signum, handler)
        # later, from another thread: sent now, the handler would run (and be lost) in this hook
        threading.Timer(0.05, signal.pthread_kill, (threading.main_thread().ident, signum)).start()

    sys.unraisablehook = taken_back
    return interrupt


def _sweep(client: Target, run_id: str) -> None:
    from conformance.shapes import catalogue
    from conformance.world import sweep

    left = sweep(client, catalogue(), run_id).left
    if left:
        print(f"\nconformance: could not remove {len(left)} object(s) named with {run_id}: {left}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Each case gets ``case_timeout`` seconds of requests (its session fixtures' set-up does not count)."""
    target = item.config.stash.get(SESSION_TARGET_KEY, None)
    if target is None:
        return (yield)
    with target.case_deadline(item.config.stash[CASE_TIMEOUT_KEY]):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(TargetUnreachable):
        # nothing more can be learnt: stop, and say why once (conformance run: exit 3)
        item.config.stash[ABORTED_KEY] = f"{UNREACHABLE_REASON}: {call.excinfo.value}"
        item.session.shouldstop = item.config.stash[ABORTED_KEY]
    meta = meta_of(item)
    if meta is None or not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return report
    violation = call.excinfo.value if call.excinfo and isinstance(call.excinfo.value, Violation) else None
    if report.passed:
        outcome, message = "passed", ""
    elif report.skipped:
        outcome = "skipped"
        message = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    elif violation is not None or (report.when == "call" and _caused_by(call, FAILURES)):
        outcome, message = "failed", str(call.excinfo.value if call.excinfo else "")
    else:
        outcome = "error" if _caused_by(call, TARGET_ERRORS, every=True) else SUITE_ERROR
        message = report.longreprtext.strip().splitlines()[-1] if report.longreprtext else ""
        if outcome == SUITE_ERROR and call.excinfo is not None:  # whatever --tb says: a bug report needs it
            message = f"suite error (not the target's fault; please report it):\n{_trace(call.excinfo)}"
    result = CaseResult(
        id=meta.id, protocol=meta.protocol, section=violation.section if violation else meta.section,
        # a case fails at the level of the check that failed (a MUST case may hold SEMANTIC checks)
        level=violation.level if violation else meta.level,
        item=meta.item, check=meta.check, outcome=outcome, message=message[:2000],
        duration_s=round(report.duration, 6), writes=meta.writes,
        expected=violation.expected if violation else "", actual=violation.actual if violation else "",
        violated=violation.check if violation else "",
        evidence=tuple(Evidence(e.describe(), e.curl()) for e in violation.evidence) if violation else (),
    )  # fmt: skip
    item.config.stash[RESULTS_KEY].append(result)
    report.conformance_outcome = outcome  # type: ignore[attr-defined]  # for pytest_report_teststatus
    # JUnit's testcase carries the case's own outcome, section and level (<properties>)
    item.user_properties.extend([("outcome", outcome), ("section", result.section), ("level", result.level)])
    return report


def _trace(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """The exception and the frames of the code that raised it (pytest's and pluggy's left out)."""
    frames = [
        f for f in traceback.extract_tb(excinfo.tb) if not {"_pytest", "pluggy"} & set(Path(f.filename).parts)
    ]
    text = "".join([*traceback.format_list(frames), *traceback.format_exception_only(excinfo.value)])
    return text[-SUITE_TRACE:]


def _caused_by(call: pytest.CallInfo[None], kinds: type | tuple[type, ...], every: bool = False) -> bool:
    """Whether the case's exception is of ``kinds``; for a group (Hypothesis reports several distinct
    failures so), whether any (``every``: each) of its leaf exceptions is."""
    if call.excinfo is None:
        return False
    error = call.excinfo.value
    if not isinstance(error, BaseExceptionGroup):
        return isinstance(error, kinds)
    leaves = _leaves(error)
    return all(isinstance(e, kinds) for e in leaves) if every else any(isinstance(e, kinds) for e in leaves)


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    return [
        leaf for e in group.exceptions for leaf in (_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])
    ]


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """pytest's own counts agree with the summary's: an error of the target's answer is an error
    in any phase, and the suite's own errors are counted apart."""
    outcome = getattr(report, "conformance_outcome", None)
    if outcome == SUITE_ERROR:
        return "suite error", "S", "SUITE ERROR"
    if outcome == "error" and report.when == "call":
        return "error", "E", "ERROR"
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = (dt.datetime.now(dt.UTC), time.perf_counter())


_STARTED = pytest.StashKey[tuple[dt.datetime, float]]()


def _spec_versions() -> dict[str, str]:
    """A digest of each spec data file the cases derive from (the texts carry no usable revision)."""
    return {
        path.stem: "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(specs_dir().glob("*.json"))
    }


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    results = config.stash.get(RESULTS_KEY, [])
    if not results or _STARTED not in config.stash:
        return
    started, clock = config.stash[_STARTED]
    repeat = config.getoption("--repeat")
    header = RunHeader(
        target=way_in.url if (way_in := config.stash.get(ACCESS_KEY, None)) else "embedded reference server",
        started=started.isoformat(),
        duration_s=round(time.perf_counter() - clock, 3),
        seed=config.getoption("--seed") or 0,
        suite_version=__version__,
        profile=config.getoption("--profile"),
        http_requests=config.stash.get(REQUESTS_KEY, 0),
        checks_run=sum(CHECKS_RUN.values()),
        answers=config.stash.get(ANSWERS_KEY, {}),
        spec_versions=_spec_versions(),
        repeat=repeat,
        fail_on=config.stash[FAIL_ON_KEY],
        selection=_selection(config),
        # a partial run proves nothing: Ctrl-C is an abort too
        aborted=config.stash.get(
            ABORTED_KEY, "interrupted" if exitstatus == pytest.ExitCode.INTERRUPTED else ""
        ),
    )
    run = Run(header, tuple(collapse_repeats(results) if repeat > 1 else results))
    report_dir = config.getoption("--report-dir", None)
    verdict = publish(run, Path(report_dir) if report_dir else None, config.stash[BASELINE_KEY])
    config.stash[VERDICT_KEY] = (run, verdict)


def _selection(config: pytest.Config) -> dict[str, str]:
    """What narrowed the run to part of the suite (a shard is part of a whole run, not a selection)."""
    chosen = {
        "-k": config.getoption("keyword", ""),
        "-m": config.getoption("markexpr", ""),
        "--read-only": "yes" if config.getoption("--read-only") else "",
        "--baseline": config.getoption("--baseline", None) or "",
    }
    return {option: str(value) for option, value in chosen.items() if value}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if VERDICT_KEY not in config.stash:
        return
    terminalreporter.section("conformance")
    for line in summary_lines(*config.stash[VERDICT_KEY]):
        markup = {line.colour: True, "bold": True} if line.colour else {}
        terminalreporter.write_line(line.text, **markup)
