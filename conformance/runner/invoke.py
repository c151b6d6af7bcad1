"""Run the cases in-process with pytest and the conformance plugin, and turn the outcome into
``conformance run``'s exit code: 0 conformant, 1 not, 2 usage or configuration error, 3 target
unreachable (see conformance.report.verdict)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from conformance.pytest_plugin import PROTOCOL_MARKERS, VERDICT_KEY
from conformance.report.verdict import NONCONFORMANT, UNREACHABLE, USAGE, Verdict
from conformance.spec.data import specs_dir
from conformance.target import Target, TargetUnreachable

PACKAGED_CASES = Path(__file__).resolve().parent.parent / "_cases"
MARKERS = {**PROTOCOL_MARKERS, **{m: m for m in PROTOCOL_MARKERS.values()}}  # full or short name
INTERRUPTED = 130  # Ctrl-C, as shells report it
REACH_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RunSettings:
    target: str | None = None  # None: the embedded reference server
    token_env: str | None = None
    protocols: tuple[str, ...] = ()  # markers; empty: all
    profile: str = "default"
    report_dir: Path = Path("reports")
    seed: int | None = None
    keyword: str | None = None  # pytest -k
    baseline: Path | None = None
    read_only: bool = False
    repeat: int = 1


class RunError(Exception):
    """The run could not start or finish; ``code`` is the exit code, the message one line (empty when
    pytest has printed the reason already)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def cases_dir() -> Path:
    """The cases that go with the spec data in use: a checkout's cases/, else the packaged copy."""
    specs = specs_dir()
    found = specs.parent / "cases" if specs.name == "specs" else PACKAGED_CASES
    if not (found / "conftest.py").is_file():
        raise RunError(f"the conformance cases are missing ({found})", USAGE)
    return found


def pytest_args(settings: RunSettings, cases: Path) -> list[str]:
    """The pytest command line for the settings: quiet progress, no tracebacks (report.html and the
    summary carry the details), JUnit next to the other reports. No ini file: the settings of whatever
    project the package is installed in must not leak into the run."""
    args = [
        str(cases), "-c", os.devnull, "--rootdir", str(cases), "--strict-markers", "-p", "no:cacheprovider",
        "-q", "--tb=no", "-rN", "--no-header",
        # the command imported hypothesis before pytest started: nothing of ours needs rewriting there
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
        "-o", "junit_suite_name=csom-conformance", f"--junitxml={settings.report_dir / 'junit.xml'}",
        "--profile", settings.profile, "--report-dir", str(settings.report_dir),
        "--repeat", str(settings.repeat),
    ]  # fmt: skip
    optional = {"--target": settings.target, "--token-env": settings.token_env, "-k": settings.keyword,
                "--baseline": settings.baseline, "--seed": settings.seed}  # fmt: skip
    for flag, value in optional.items():
        if value is not None:
            args += [flag, str(value)]
    if settings.protocols:
        args += ["-m", " or ".join(MARKERS[p] for p in settings.protocols)]
    if settings.read_only:
        args.append("--read-only")
    return args


def check_reachable(url: str) -> None:
    """Fail fast, in one line, when nothing answers at ``url`` (any HTTP answer will do)."""
    try:
        with Target(url, timeout=REACH_TIMEOUT_S) as probe:
            probe.send("GET", probe.site_url or url)
    except TargetUnreachable as exc:
        raise RunError(f"target unreachable: {exc}", UNREACHABLE) from None


class _Capture:
    """Receives the plugin's judged run when the session ends."""

    verdict: Verdict | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        judged = session.config.stash.get(VERDICT_KEY, None)
        self.verdict = judged[1] if judged else None


def run(settings: RunSettings) -> int:
    """Run the cases and judge them: the exit code (RunError when there is no verdict to give)."""
    cases = cases_dir()
    if settings.target:
        check_reachable(settings.target)
    settings.report_dir.mkdir(parents=True, exist_ok=True)
    # Hypothesis keeps caches; next to the reports rather than in whatever folder the user is in
    set_hypothesis_home_dir(settings.report_dir / ".hypothesis")
    capture = _Capture()
    status = pytest.main(pytest_args(settings, cases), plugins=[capture])
    verdict = capture.verdict
    if status == pytest.ExitCode.USAGE_ERROR:
        raise RunError("", USAGE)  # pytest has said why, in one line
    if status == pytest.ExitCode.NO_TESTS_COLLECTED or (verdict is None and status == pytest.ExitCode.OK):
        raise RunError("no conformance case matches the selection (--protocol, -k)", USAGE)
    if verdict is not None and verdict.exit_code == UNREACHABLE:
        raise RunError(verdict.aborted, UNREACHABLE)
    if status == pytest.ExitCode.INTERRUPTED:
        raise RunError("interrupted", INTERRUPTED)
    if verdict is not None:
        return verdict.exit_code
    raise RunError(f"the run did not complete (pytest exit status {int(status)})", NONCONFORMANT)
