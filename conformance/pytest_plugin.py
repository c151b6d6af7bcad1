"""The pytest plugin: run ``cases/`` against any target (``pytest cases/ --target URL``).

Registered through the ``pytest11`` entry point, so other projects get the options, fixtures and
markers by installing the package. Without ``--target`` the embedded reference server is started
for the session. With ``--report-dir`` the run writes ``results.json`` there.
"""

from __future__ import annotations

import datetime as dt
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
from conformance.results import CaseResult, Evidence, write_results
from conformance.target import Credentials, Target

PROFILES = {"quick": 1, "default": 10, "thorough": 100}  # Hypothesis examples per generated case
PROTOCOL_MARKERS = {
    "ms-wmcsom": "wmcsom",
    "ms-spwfcsom": "spwfcsom",
    "contactslaw-calendar": "calendar",
    "ms-csom": "csom",
}
RESULTS_KEY = pytest.StashKey[list[CaseResult]]()
REQUESTS_KEY = pytest.StashKey[int]()  # HTTP requests the session's Target sent
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


def _destructive_rank(item: pytest.Item) -> int:
    marker = item.get_closest_marker("destructive")
    return marker.args[0] if marker and marker.args else 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
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
    url = request.config.getoption("--target")
    token_env = request.config.getoption("--token-env")
    credentials = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise pytest.UsageError(f"--token-env {token_env}: that environment variable is not set")
        credentials = Credentials.bearer(token)
    if url:
        with Target(url, credentials=credentials) as client:
            yield client
            request.config.stash[REQUESTS_KEY] = client.requests_sent
        return
    from conformance.server import ReferenceServer

    with (
        ReferenceServer(seed_data=True) as server,
        Target(server.url, credentials=Credentials.bearer(server.token)) as client,
    ):
        yield client
        request.config.stash[REQUESTS_KEY] = client.requests_sent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
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
        level=meta.level, item=meta.item, check=meta.check, outcome=outcome, message=message[:2000],
        duration_s=round(report.duration, 6), writes=meta.writes,
        expected=violation.expected if violation else "", actual=violation.actual if violation else "",
        evidence=tuple(Evidence(e.describe(), e.curl()) for e in violation.evidence) if violation else (),
    )  # fmt: skip
    item.config.stash[RESULTS_KEY].append(result)
    return report


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = (dt.datetime.now(dt.UTC), time.perf_counter())


_STARTED = pytest.StashKey[tuple[dt.datetime, float]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    report_dir = config.getoption("--report-dir", None)
    results = config.stash.get(RESULTS_KEY, [])
    if not report_dir or not results:
        return
    started, clock = config.stash[_STARTED]
    folder = Path(report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    header = {
        "target": config.getoption("--target") or "embedded reference server",
        "started": started.isoformat(),
        "duration_s": round(time.perf_counter() - clock, 3),
        "seed": config.getoption("--seed") or 0,
        "suite_version": __version__,
        "profile": config.getoption("--profile"),
        "http_requests": config.stash.get(REQUESTS_KEY, 0),
        "checks_run": sum(CHECKS_RUN.values()),
    }
    write_results(folder / "results.json", header, results)
