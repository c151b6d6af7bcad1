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
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from conformance import __version__
from conformance.case import MARKER, meta_of
from conformance.checks import CHECKS_RUN, LEVELS, Violation
from conformance.report import publish
from conformance.report.baseline import Baseline, BaselineError, load_baseline
from conformance.report.terminal import summary_lines
from conformance.report.verdict import UNREACHABLE_REASON, Verdict
from conformance.results import CaseResult, Evidence, Run, RunHeader, collapse_repeats
from conformance.runner.traffic import ObservedTarget
from conformance.spec.data import specs_dir
from conformance.target import Credentials, Target, TargetUnreachable

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
CREDENTIALS_KEY = pytest.StashKey[Credentials | None]()
BASELINE_KEY = pytest.StashKey[Baseline | None]()
ABORTED_KEY = pytest.StashKey[str]()  # why the session stopped early
VERDICT_KEY = pytest.StashKey[tuple[Run, Verdict]]()  # the judged run, for conformance run
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


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "csom-conformance: run the cases against a target")
    group.addoption(
        "--target",
        default=None,
        help="site URL of the server under test (default: the embedded reference server)",
    )
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
        "--token-env", default=None, help="environment variable holding a bearer token for the target"
    )
    group.addoption(
        "--baseline", default=None, help="known failures (results.json, TOML or a list of case ids)"
    )
    group.addoption(
        "--repeat", type=int, default=1, help="run each case N times and report flipping outcomes as flaky"
    )


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
    token_env = config.getoption("--token-env", None)
    token = os.environ.get(token_env) if token_env else None
    if token_env and not token:
        raise pytest.UsageError(f"--token-env {token_env}: that environment variable is empty or unset")
    config.stash[CREDENTIALS_KEY] = Credentials.bearer(token) if token else None
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
                item.add_marker(pytest.mark.skip(reason="--read-only: this case writes to the target"))


@pytest.fixture(scope="session")
def run_options(request: pytest.FixtureRequest) -> RunOptions:
    config = request.config
    seed = config.getoption("--seed")
    report_dir = config.getoption("--report-dir")
    profile = config.getoption("--profile")
    settings.load_profile(f"conformance-{profile}")
    return RunOptions(
        profile=profile,
        seed=seed if seed is not None else 0,
        read_only=config.getoption("--read-only"),
        batch_size=max(1, config.getoption("--batch-size")),
        report_dir=Path(report_dir) if report_dir else None,
        # in the names of created objects; from the seed, so the same seed sends the same bodies
        run_id=f"ccrun{seed if seed is not None else 0}",
    )


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The server under test: ``--target URL``, or the embedded reference server with demo data."""
    config = request.config
    url = config.getoption("--target")
    if url:
        with ObservedTarget(url, credentials=config.stash[CREDENTIALS_KEY]) as client:
            yield client
            config.stash[REQUESTS_KEY], config.stash[ANSWERS_KEY] = client.requests_sent, dict(client.answers)
        return
    from conformance.server import ReferenceServer

    with (
        ReferenceServer(seed_data=True) as server,
        ObservedTarget(server.url, credentials=Credentials.bearer(server.token)) as client,
    ):
        yield client
        config.stash[REQUESTS_KEY], config.stash[ANSWERS_KEY] = client.requests_sent, dict(client.answers)


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
    elif violation is not None or (
        report.when == "call" and call.excinfo and call.excinfo.errisinstance(AssertionError)
    ):
        outcome, message = "failed", str(call.excinfo.value if call.excinfo else "")
    else:
        outcome, message = (
            "error",
            report.longreprtext.strip().splitlines()[-1] if report.longreprtext else "",
        )
    result = CaseResult(
        id=meta.id, protocol=meta.protocol, section=violation.section if violation else meta.section,
        # a case fails at the level of the check that failed (a MUST case may hold SEMANTIC checks)
        level=violation.level if violation else meta.level,
        item=meta.item, check=meta.check, outcome=outcome, message=message[:2000],
        duration_s=round(report.duration, 6), writes=meta.writes,
        expected=violation.expected if violation else "", actual=violation.actual if violation else "",
        evidence=tuple(Evidence(e.describe(), e.curl()) for e in violation.evidence) if violation else (),
    )  # fmt: skip
    item.config.stash[RESULTS_KEY].append(result)
    return report


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
        target=config.getoption("--target") or "embedded reference server",
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
        # a partial run proves nothing: Ctrl-C is an abort too
        aborted=config.stash.get(
            ABORTED_KEY, "interrupted" if exitstatus == pytest.ExitCode.INTERRUPTED else ""
        ),
    )
    run = Run(header, tuple(collapse_repeats(results) if repeat > 1 else results))
    report_dir = config.getoption("--report-dir", None)
    verdict = publish(run, Path(report_dir) if report_dir else None, config.stash[BASELINE_KEY])
    config.stash[VERDICT_KEY] = (run, verdict)


TONES = {"plain": {}, "good": {"green": True, "bold": True}, "bad": {"red": True, "bold": True},
         "warn": {"yellow": True, "bold": True}}  # fmt: skip


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if VERDICT_KEY not in config.stash:
        return
    terminalreporter.section("conformance")
    for line in summary_lines(*config.stash[VERDICT_KEY]):
        terminalreporter.write_line(line.text, **TONES[line.tone])
