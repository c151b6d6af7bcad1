"""Run the cases in-process with pytest and the conformance plugin, and turn the outcome into
``conformance run``'s exit code: 0 conformant, 1 not, 2 usage or configuration error, 3 target
unreachable, refusing the credentials or not a CSOM server (see conformance.report.verdict).

SIGTERM stops a run as Ctrl-C does (conformance.runner.signals), so the session's teardown still
removes what the run created on the target."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from conformance.cache import user_cache
from conformance.case import PROTOCOL_MARKERS
from conformance.drive.target import BadAnswer, Connection, Target, TargetUnreachable
from conformance.report.junit import relabel
from conformance.report.verdict import DEFAULT_GATE, NONCONFORMANT, UNREACHABLE, USAGE
from conformance.runner.access import Access, AccessError
from conformance.runner.config import Config
from conformance.runner.handover import Handover, hand_over
from conformance.spec.data import specs_dir
from conformance.wire import RequestBuilder

PACKAGED_CASES = Path(__file__).resolve().parent.parent / "_cases"
MARKERS = {**PROTOCOL_MARKERS, **{m: m for m in PROTOCOL_MARKERS.values()}}  # full or short name
CSOM_MARKERS = frozenset({"wmcsom", "spwfcsom", "csom"})  # the protocols riding on ProcessQuery
INTERRUPTED = 130  # Ctrl-C, as shells report it
INTERRUPTED_REASON = "interrupted"  # an interrupted run's report says it was aborted so
REFUSED = frozenset({401, 403})


@dataclass(frozen=True)
class RunSettings:
    target: str | None = None  # None: the embedded reference server
    token_env: str | None = None
    protocols: tuple[str, ...] = ()  # markers; empty: all
    skip_protocols: tuple[str, ...] = ()
    profile: str = "default"
    report_dir: Path = Path("reports")
    seed: int | None = None
    keyword: str | None = None  # pytest -k
    markers: str | None = None  # pytest -m, with the protocols' selection
    max_failures: int | None = None  # pytest --maxfail
    baseline: Path | None = None
    read_only: bool = False
    repeat: int = 1
    fail_on: str = DEFAULT_GATE
    # how to reach the target beyond its URL and token_env (runner.config)
    access: Config = field(default_factory=Config)

    def target_config(self) -> Config:
        """The target's settings (the ``target``, ``tls`` and ``transport`` tables) as one layer."""
        return replace(self.access, url=self.target, token_env=self.token_env or self.access.token_env)

    def selected(self) -> set[str]:
        """The protocol markers that run."""
        chosen = {MARKERS[p] for p in self.protocols} or set(PROTOCOL_MARKERS.values())
        return chosen - {MARKERS[p] for p in self.skip_protocols}


class RunError(Exception):
    """The run could not start or finish; ``code`` is the exit code, the message one line (empty when
    pytest has printed the reason already)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def hypothesis_home() -> Path:
    """Where Hypothesis keeps its caches: per user and across runs, never in the user's folder. A
    fresh one costs each run (each worker) seconds and about 180 MB to rebuild its Unicode tables."""
    return user_cache("hypothesis")


def cases_dir() -> Path:
    """The cases that go with the spec data in use: a checkout's cases/, else the packaged copy."""
    specs = specs_dir()
    found = specs.parent / "cases" if specs.name == "specs" else PACKAGED_CASES
    if not (found / "conftest.py").is_file():
        raise RunError(f"the conformance cases are missing ({found})", USAGE)
    return found


def pytest_args(settings: RunSettings, cases: Path, *, terminal: bool = True) -> list[str]:
    """The pytest command line for the settings but the target's and the gate (a :class:`Handover`
    in process, runner.handover.handover_args in a worker): quiet progress, no tracebacks
    (report.html and the summary carry the details), JUnit next to the other reports; without
    ``terminal`` (a worker, whose progress the parent shows), no terminal output at all. No ini
    file: the settings of whatever project the package is installed in must not leak into the run."""
    shown = ["-q", "--tb=no", "-rN", "--no-header"] if terminal else ["-p", "no:terminal"]
    args = [
        str(cases), "-c", os.devnull, "--rootdir", str(cases), "--strict-markers", "-p", "no:cacheprovider",
        *shown,
        # the command imported hypothesis before pytest started: nothing of ours needs rewriting there
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
        "-o", "junit_suite_name=csom-conformance", f"--junitxml={settings.report_dir / 'junit.xml'}",
        "--profile", settings.profile, "--report-dir", str(settings.report_dir),
        "--repeat", str(settings.repeat),
    ]  # fmt: skip
    optional = {"--baseline": settings.baseline, "--seed": settings.seed, "--maxfail": settings.max_failures}
    for flag, value in optional.items():
        if value is not None:
            args += [flag, str(value)]
    args += selection_args(settings)
    if settings.read_only:
        args.append("--read-only")
    return args


def selection_args(settings: RunSettings) -> list[str]:
    """pytest's -k and -m for the settings' keyword, markers and protocols."""
    terms = [f"({' or '.join(MARKERS[p] for p in settings.protocols)})"] if settings.protocols else []
    if settings.skip_protocols:
        terms.append(f"not ({' or '.join(MARKERS[p] for p in settings.skip_protocols)})")
    if settings.markers:
        terms.append(f"({settings.markers})")
    return (["-k", settings.keyword] if settings.keyword else []) + (
        ["-m", " and ".join(terms)] if terms else []
    )


def preflight(access: Access, *, csom: bool) -> None:
    """Fail fast, in one line (exit 3), before any case: when nothing answers a GET of the site URL
    (DNS, refused, TLS, timeout); when the first request of every CSOM client, POST contextinfo, is
    answered 401 (the credentials are refused); and, with CSOM protocols selected, when ProcessQuery
    answers an empty request with something that is no CSOM response (a JSON array opening with its
    header; a refusal there is left to the run, which reports it as hollow). A target that answers
    the GET and then drops requests is left to the run, which ends where it stops answering."""
    check_reachable(access.url, access.connection)
    with access.target() as probe:
        try:
            info = probe.context_info()
            answer = probe.process_query(RequestBuilder().build()).exchange if csom else None
        except (TargetUnreachable, BadAnswer):  # an answer too large or unreadable: the cases say so
            return
    if info.status == 401:
        raise RunError(
            f"target refused the credentials (auth {access.mode}): POST {info.url} answered 401", UNREACHABLE
        )
    if answer is not None and answer.status not in REFUSED and not _csom_shaped(answer.response_body):
        raise RunError(
            f"not a CSOM server: POST {answer.url} answered HTTP {answer.status} "
            f"({answer.content_type or 'no content type'}), not a CSOM response",
            UNREACHABLE,
        )


def check_reachable(url: str, connection: Connection | None = None) -> None:
    """Fail fast, in one line (exit 3), when nothing answers a GET of ``url`` (any HTTP answer will do)."""
    try:
        with Target(url, connection=connection) as probe:
            probe.send("GET", probe.site_url)
    except BadAnswer:
        pass  # an answer too large or unreadable came: something is there
    except TargetUnreachable as exc:
        raise RunError(f"target unreachable: {exc}", UNREACHABLE) from None


def check_target(settings: RunSettings) -> Handover:
    """The settings' way in to the target, checked before any case: their secrets' sources (exit 2),
    and with a target URL, the target (:func:`preflight`, exit 3)."""
    try:
        handover = hand_over(settings.target_config(), settings.fail_on)
    except AccessError as exc:
        raise RunError(str(exc), USAGE) from None
    if (way_in := handover.access) is not None:
        preflight(way_in, csom=bool(settings.selected() & CSOM_MARKERS))
        if not settings.read_only and settings.selected() & CSOM_MARKERS:
            _warn_of_namesakes(way_in, settings.seed or 0)
    return handover


def _warn_of_namesakes(way_in: Access, seed: int) -> None:
    """A warning when the target already has objects named as this run will name its own: another
    run with the same seed under way (the two would sweep each other's objects at their end) or one
    that could not clean up. A warning, not a refusal: a target whose deletes fail would otherwise
    be refused every later run with that seed."""
    from conformance.drive.world import named, seed_pattern
    from conformance.model.catalogue import catalogue

    with way_in.target() as probe:
        try:
            found = named(probe, catalogue(), seed_pattern(seed))
        except Exception:  # only a warning: an odd answer is the cases' to judge, not a crash here
            return
    if found:
        shown = ", ".join(found[:5]) + (" …" if len(found) > 5 else "")
        print(
            f"conformance: warning: the target already has {len(found)} object(s) named like this "
            f"run's (ccrun{seed}): another run with --seed {seed} is under way (a run removes what "
            f"carries its run id when it ends: give concurrent runs different seeds), or one could "
            f"not clean up (conformance cleanup --run-id): {shown}",
            file=sys.stderr,
        )


def _csom_shaped(body: bytes) -> bool:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested past what the parser takes
        return False
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def interrupted_message(report_dir: Path, *, written: bool) -> str:
    """The last word of a run stopped by Ctrl-C or SIGTERM (what it removed from the target was said
    as it went)."""
    if written:
        return f"interrupted: the cases judged before are in a partial report in {report_dir}/ (marked so)"
    return "interrupted before any case was judged: no report"


def run(settings: RunSettings) -> int:
    """Run the cases and judge them: the exit code (RunError when there is no verdict to give)."""
    cases = cases_dir()
    handover = check_target(settings)
    settings.report_dir.mkdir(parents=True, exist_ok=True)
    set_hypothesis_home_dir(hypothesis_home())
    status = pytest.main(pytest_args(settings, cases), plugins=[handover])
    verdict = handover.verdict
    if (junit := settings.report_dir / "junit.xml").is_file():
        relabel(junit)
    if status == pytest.ExitCode.USAGE_ERROR:
        raise RunError("", USAGE)  # pytest has said why, in one line
    if status == pytest.ExitCode.NO_TESTS_COLLECTED or (verdict is None and status == pytest.ExitCode.OK):
        raise RunError("no conformance case matches the selection (--protocol, -k, -m)", USAGE)
    if verdict is not None and verdict.exit_code == UNREACHABLE:
        raise RunError(verdict.aborted, UNREACHABLE)
    if status == pytest.ExitCode.INTERRUPTED:
        raise RunError(interrupted_message(settings.report_dir, written=verdict is not None), INTERRUPTED)
    if verdict is not None:
        return verdict.exit_code
    raise RunError(f"the run did not complete (pytest exit status {int(status)})", NONCONFORMANT)
