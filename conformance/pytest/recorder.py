"""The record of a run: each case's outcome as a CaseResult (failed: the target is wrong; error: its
answer stopped the case; suite-error: the suite's own bug, never counted against the target),
pytest's counts in the same terms, and at the end the run judged (conformance.report.verdict),
published (``--report-dir``) and summarized on the terminal."""

from __future__ import annotations

import datetime as dt
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from conformance import __version__
from conformance.bounds import TEXT_LIMIT, bounded
from conformance.case import KindOfSkip, meta_of
from conformance.drive.target import BadAnswer, CaseTimeout, TargetUnreachable
from conformance.judge.checks import CHECKS_RUN, Violation
from conformance.pytest._keys import ANSWERS_KEY, REQUESTS_KEY, SESSION_KEY
from conformance.report import publish
from conformance.report.baseline import Baseline
from conformance.report.terminal import summary_lines
from conformance.report.verdict import UNREACHABLE_REASON, Verdict
from conformance.results import (
    JOURNAL,
    NOT_APPLICABLE,
    SUITE_ERROR,
    CaseResult,
    Evidence,
    Journal,
    Run,
    RunHeader,
    SkipKind,
    collapse_repeats,
    invocation,
)
from conformance.runner.handover import Handover
from conformance.spec.data import spec_digests
from conformance.wire import WireError

# exceptions by which the target's answer stopped a case (outcome "error"); any other exception is
# the suite's own ("suite-error"), never counted against the target
TARGET_ERRORS = (WireError, CaseTimeout, BadAnswer, TargetUnreachable, httpx.HTTPError)
SUITE_TRACE = 3000  # characters of a suite error's traceback kept with the case
LONGREPR_LIMIT = SUITE_TRACE + TEXT_LIMIT  # characters of pytest's own report of a case kept
FAILURES = (AssertionError, pytest.fail.Exception)  # a case that found the target wrong, or said so


class Recorder:
    """Registered by the plugin as ``conformance-recorder``; leaves the verdict on ``handover``."""

    def __init__(self, handover: Handover, baseline: Baseline | None) -> None:
        self.handover = handover
        self.baseline = baseline
        self.results: list[CaseResult] = []
        self.aborted = ""  # why the session stopped early
        self.started: tuple[dt.datetime, float] | None = None
        self.judged: tuple[Run, Verdict] | None = None
        self.journal: Journal | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        report = yield
        meta = meta_of(item)
        session = item.config.stash.get(SESSION_KEY, None)
        if meta is None and (session is None or session.client is None):
            return report  # another project's test in a run without a target open: not ours to touch
        redact = _redactor(item.config)
        longtext = report.longreprtext if report.longrepr is not None else ""
        # pytest keeps every report (its summary, JUnit): a target's 10 MB message in each is not, nor
        # a secret it echoed (checks quote values as decoded: a "\/" is a "/" there); a skip's
        # (location, reason) tuple is pytest's own
        if (
            not isinstance(report.longrepr, tuple)
            and (kept := redact(bounded(longtext, LONGREPR_LIMIT))) != longtext
        ):
            report.longrepr = kept
        if call.excinfo is not None and call.excinfo.errisinstance(TargetUnreachable):
            # nothing more can be learnt: stop, and say why once (conformance run: exit 3)
            self.aborted = f"{UNREACHABLE_REASON}: {call.excinfo.value}"
            item.session.shouldstop = self.aborted
        if meta is None or not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return report
        violation = call.excinfo.value if call.excinfo and isinstance(call.excinfo.value, Violation) else None
        skip_kind: SkipKind = ""
        if report.passed:
            outcome, message = "passed", ""
        elif report.skipped:
            outcome = "skipped"
            message = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
            skip_kind = _skip_kind(item, call, meta.writes)
        elif violation is not None or (report.when == "call" and _caused_by(call, FAILURES)):
            outcome, message = "failed", str(call.excinfo.value if call.excinfo else "")
        else:
            outcome = "error" if _caused_by(call, TARGET_ERRORS, every=True) else SUITE_ERROR
            message = longtext.strip().splitlines()[-1] if longtext.strip() else ""
            if outcome == "error" and call.excinfo is not None:  # what the target did, whatever --tb says
                message = f"{call.excinfo.typename}: {call.excinfo.value}"
            if (
                outcome == SUITE_ERROR and call.excinfo is not None
            ):  # whatever --tb says: a bug report needs it
                message = f"suite error (not the target's fault; please report it):\n{_trace(call.excinfo)}"
        result = CaseResult(
            id=meta.id, protocol=meta.protocol, section=violation.section if violation else meta.section,
            # a case fails at the level of the check that failed (a MUST case may hold SEMANTIC checks)
            level=violation.level if violation else meta.level,
            item=meta.item, check=meta.check, outcome=outcome, message=redact(bounded(message)),
            duration_s=round(report.duration, 6), writes=meta.writes,
            expected=redact(bounded(violation.expected)) if violation else "",
            actual=redact(bounded(violation.actual)) if violation else "",
            violated=violation.check if violation else "", skip_kind=skip_kind,
            evidence=tuple(Evidence(e.describe(), e.curl()) for e in violation.evidence) if violation else (),
        )  # fmt: skip
        self.results.append(result)
        if self.journal is not None:
            self.journal.add(result)
        report.conformance_outcome = outcome  # type: ignore[attr-defined]  # for pytest_report_teststatus
        report.conformance_skip_kind = skip_kind  # type: ignore[attr-defined]
        # JUnit's testcase carries the case's own outcome, section and level (<properties>)
        item.user_properties.extend(
            [("outcome", outcome), ("section", result.section), ("level", result.level)]
        )
        return report

    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        """pytest's own counts agree with the summary's: an error of the target's answer is an error
        in any phase, and the suite's own errors and the cases not applicable are counted apart."""
        outcome = getattr(report, "conformance_outcome", None)
        if outcome == SUITE_ERROR:
            return "suite error", "S", "SUITE ERROR"
        if getattr(report, "conformance_skip_kind", "") == NOT_APPLICABLE:  # not among the run's skips
            return "not applicable", "n", "NOT APPLICABLE"
        if outcome == "error" and report.when == "call":
            return "error", "E", "ERROR"
        return None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.started = (dt.datetime.now(dt.UTC), time.perf_counter())

    @pytest.hookimpl(trylast=True)  # once the plugin has chosen the report folder
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The journal, when conformance cases are to run (another project's tests leave no file)."""
        report_dir = session.config.getoption("--report-dir", None)
        if report_dir and any(meta_of(item) for item in session.items):
            self.journal = Journal(Path(report_dir) / JOURNAL, self._header(session.config, 0.0))

    def _header(self, config: pytest.Config, exitstatus: int) -> RunHeader:
        assert self.started is not None
        started, clock = self.started
        way_in = self.handover.access
        return RunHeader(
            target=way_in.url if way_in else "embedded reference server",
            started=started.isoformat(),
            duration_s=round(time.perf_counter() - clock, 3),
            seed=config.getoption("--seed") or 0,
            suite_version=__version__,
            profile=config.getoption("--profile"),
            http_requests=config.stash.get(REQUESTS_KEY, 0),
            checks_run=sum(CHECKS_RUN.values()),
            answers=config.stash.get(ANSWERS_KEY, {}),
            spec_versions=spec_digests(),
            repeat=config.getoption("--repeat"),
            fail_on=self.handover.fail_on,
            selection=_selection(config, self.results),
            command=_redactor(config)(invocation()),
            # a partial run proves nothing: Ctrl-C is an abort too
            aborted=self.aborted or ("interrupted" if exitstatus == pytest.ExitCode.INTERRUPTED else ""),
        )

    # after pytest's own, which tears the session fixtures down when Ctrl-C cut the run short: the
    # target's tally (left by the session's teardown) is in the report then too
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        if not self.results or self.started is None:
            if self.journal is not None:
                self.journal.close()
            return
        repeat = config.getoption("--repeat")
        header = self._header(config, exitstatus)
        run = Run(header, tuple(collapse_repeats(self.results) if repeat > 1 else self.results))
        report_dir = config.getoption("--report-dir", None)
        verdict = publish(run, Path(report_dir) if report_dir else None, self.baseline)
        if self.journal is not None:
            self.journal.close()  # results.json holds it all now
        self.judged = (run, verdict)
        self.handover.verdict = verdict

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """A last pass over every file the run wrote (JUnit too, written at the session's end):
        any secret left in any form is redacted, and the run says so."""
        report_dir = config.getoption("--report-dir", None)
        if not report_dir or not Path(report_dir).is_dir():
            return
        redact = _redactor(config)
        for path in sorted(p for p in Path(report_dir).glob("*") if p.is_file()):
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            if (clean := redact(text)) != text:
                path.write_text(clean, encoding="utf-8", errors="surrogateescape")
                print(f"conformance: a secret was left in {path.name}: redacted now (please report it)")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.judged is None:
            return
        terminalreporter.section("conformance")
        for line in summary_lines(*self.judged):
            markup = {line.colour: True, "bold": True} if line.colour else {}
            terminalreporter.write_line(line.text, **markup)


def _redactor(config: pytest.Config) -> Callable[[str], str]:
    """The session target's redaction (nothing to redact before it was opened)."""
    session = config.stash.get(SESSION_KEY, None)
    client = session.client if session is not None else None
    return client.redact if client is not None else str


def _skip_kind(item: pytest.Item, call: pytest.CallInfo[None], writes: bool) -> SkipKind:
    """The kind a case's skip said it was; a writing case skipped at its set-up by --read-only was
    left out by the user (the plugin's mark skips it, raising pytest's plain skip)."""
    if call.excinfo is not None and isinstance(call.excinfo.value, KindOfSkip):
        return call.excinfo.value.kind  # type: ignore[no-any-return]
    if call.when == "setup" and writes and item.config.getoption("--read-only"):
        return "left-out"
    return ""


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


def _selection(config: pytest.Config, results: list[CaseResult]) -> dict[str, str]:
    """What narrowed the run to part of the suite (a shard is part of a whole run, not a selection),
    and --maxfail (conformance run --max-failures) once it stopped the run."""
    maxfail = config.getoption("maxfail", 0)
    stopped = maxfail and sum(r.outcome not in ("passed", "skipped") for r in results) >= maxfail
    chosen = {
        "-k": config.getoption("keyword", ""),
        "-m": config.getoption("markexpr", ""),
        "--read-only": "yes" if config.getoption("--read-only") else "",
        "--baseline": config.getoption("--baseline", None) or "",
        "--max-failures": maxfail if stopped else "",
    }
    return {option: str(value) for option, value in chosen.items() if value}
