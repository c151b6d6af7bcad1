"""Case results: what a run measured, as records, and ``results.json`` (schema: results.schema.json).

A run is a :class:`RunHeader` and its :class:`CaseResult` records. ``results.json`` holds both,
the summary (always recomputed from the cases, never trusted from a file: counts, percentages and
the requirements of the spec data the cases verified, by ``specs/traceability.toml``) and, once
the report stage has judged the run, its verdict. :func:`load_run` reads a file back (for merges and
baselines), validating it against the shipped schema first.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import jsonschema

from conformance.bounds import bounded, writable
from conformance.spec.coverage import section_counts
from conformance.spec.trace import Trace, load_trace

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
# "error": the target's answer stopped the case (unreadable, too slow, gone); "suite-error": the suite
# itself failed (a Hypothesis health check, a bug in a case): never counted against the target
Outcome = Literal["passed", "failed", "skipped", "error", "flaky", "suite-error"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "skipped", "error", "flaky", "suite-error")
NOT_PASSED: frozenset[str] = frozenset({"failed", "error", "flaky"})  # count against conformance
SUITE_ERROR: Outcome = "suite-error"
PROTOCOLS = ("ms-wmcsom", "ms-spwfcsom", "contactslaw-calendar", "ms-csom")
RequirementStatus = Literal["verified", "failed", "unverified", "not-testable"]
REQUIREMENT_COUNTS = ("verified", "failed", "testable", "total")  # per protocol, in results.json's summary
# why a case was skipped, apart from a skip of the target's own ("": nothing to judge on this target, or
# not skipped): "not-applicable", the spec gives nothing to send (structural, the same on every target:
# counted apart, never as a skip); "left-out", the user's selection (--read-only) left it out
SkipKind = Literal["", "not-applicable", "left-out"]
NOT_APPLICABLE = "not-applicable"  # its count's key in the summary, beside the outcomes


# What one record keeps of each exchange shown as evidence (texts: conformance.bounds)
EVIDENCE_LIMIT = 12000  # characters of one exchange (its bodies are cut to 4000 each before)
MOST_EVIDENCE = 4  # exchanges per case


class ResultsError(ValueError):
    """A results file that cannot be read or does not match the schema: one line."""


@dataclass(frozen=True)
class Evidence:
    """One redacted HTTP exchange a case made: shown with its failure."""

    text: str
    curl: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", bounded(self.text, EVIDENCE_LIMIT))
        # a reproduce command is the suite's own request, whole or useless: never cut
        object.__setattr__(self, "curl", writable(self.curl))


@dataclass(frozen=True)
class CaseResult:
    id: str  # stable: protocol/item/check
    protocol: str
    section: str
    level: str  # must | should | semantic
    item: str
    check: str
    outcome: Outcome
    message: str = ""
    duration_s: float = 0.0
    writes: bool = False
    expected: str = ""
    actual: str = ""
    violated: str = ""  # the registered check (conformance.judge.checks) whose violation failed the case
    evidence: tuple[Evidence, ...] = ()
    outcomes: tuple[str, ...] = ()  # with --repeat: the outcome of every execution, in order
    skip_kind: SkipKind = ""

    @property
    def not_applicable(self) -> bool:
        return self.outcome == "skipped" and self.skip_kind == NOT_APPLICABLE

    def __post_init__(self) -> None:
        # every record bounded and writable, however it was made (the plugin, a merge, a file)
        for name in ("message", "expected", "actual"):
            object.__setattr__(self, name, bounded(getattr(self, name)))
        object.__setattr__(self, "evidence", self.evidence[:MOST_EVIDENCE])

    def to_json(self) -> dict[str, Any]:
        value = asdict(self)
        value["evidence"] = [asdict(e) for e in self.evidence]
        value["outcomes"] = list(self.outcomes)
        return value


@dataclass(frozen=True)
class RunHeader:
    """What was run, against what, and how the target answered on the whole."""

    target: str
    started: str  # ISO 8601
    duration_s: float
    seed: int
    suite_version: str
    profile: str = "default"
    http_requests: int = 0
    checks_run: int = 0
    answers: dict[str, int] = field(default_factory=dict)  # HTTP answers by kind: total, auth, empty
    spec_versions: dict[str, str] = field(default_factory=dict)  # protocol -> digest of its spec data
    repeat: int = 1
    aborted: str = ""  # why the run stopped early (the target became unreachable); "" when it did not
    fail_on: str = "semantic"  # the gate: the lowest level whose failures fail the run (report.verdict)
    # what narrowed the run to part of the suite (-k, -m, --read-only, --baseline): option -> value
    selection: dict[str, str] = field(default_factory=dict)
    command: str = ""  # the command line that ran it (secrets are never on it)
    role: str = "server"  # what was judged: a server's answers, or a client's requests (judge-client)

    def __post_init__(self) -> None:
        object.__setattr__(self, "aborted", bounded(self.aborted))


def invocation() -> str:
    """This process's command line, as the user would type it (the program by its name, a module
    run with -m as such): what produced a run, or a merge of shards (conformance run --workers N's
    own, not its workers')."""
    program = Path(sys.argv[0])
    words = ["python", "-m", program.parent.name] if program.name == "__main__.py" else [program.name]
    return shlex.join([*words, *sys.argv[1:]])


@dataclass(frozen=True)
class Run:
    header: RunHeader
    cases: tuple[CaseResult, ...]


@dataclass
class RunSummary:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    conformance_percent: float = 0.0
    by_level: dict[str, dict[str, int]] = field(default_factory=dict)
    flaky: int = 0
    by_protocol: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    # protocol -> verified, failed, testable, total requirements of its spec data
    requirements: dict[str, dict[str, int]] = field(default_factory=dict)
    suite_errors: int = 0
    not_applicable: int = 0  # skipped as not applicable: not in ``skipped``
    # CSOM protocol -> types | enum-values -> checked, failed, unreachable, skipped, total sections
    sections: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


def _counts(cases: list[CaseResult] | tuple[CaseResult, ...]) -> dict[str, dict[str, int]]:
    """Outcome counts by level (``error`` singular, as each case's outcome is spelled); a case not
    applicable is counted under ``not-applicable``, not as skipped."""
    by_level: dict[str, dict[str, int]] = {}
    for case in cases:
        level = by_level.setdefault(case.level, dict.fromkeys(("passed", "failed", "skipped", "error"), 0))
        key = NOT_APPLICABLE if case.not_applicable else case.outcome
        level[key] = level.get(key, 0) + 1
    return by_level


def totals(by_level: dict[str, dict[str, int]]) -> dict[str, int]:
    """Outcome counts over all levels."""
    return {outcome: sum(counts.get(outcome, 0) for counts in by_level.values()) for outcome in OUTCOMES}


def percent(counts: dict[str, int]) -> float | None:
    """Passed over judged (passed, failed, errors, flaky); None when nothing was judged."""
    judged = counts.get("passed", 0) + sum(counts.get(outcome, 0) for outcome in NOT_PASSED)
    return round(100.0 * counts.get("passed", 0) / judged, 2) if judged else None


def requirement_status(trace: Trace, outcomes: dict[str, str]) -> RequirementStatus:
    """Verified when every case the trace names ran (each of its entries matched a case of the
    run) and passed; failed when one of them failed, errored or was flaky; else unverified."""
    if not trace.testable:
        return "not-testable"
    matched = trace.matching(outcomes)
    judged = [outcomes[case_id] for ids in matched.values() for case_id in ids]
    if any(outcome in NOT_PASSED for outcome in judged):
        return "failed"
    if all(matched.values()) and all(outcome == "passed" for outcome in judged):
        return "verified"
    return "unverified"


def requirement_statuses(
    cases: list[CaseResult] | tuple[CaseResult, ...],
) -> list[tuple[Trace, RequirementStatus]]:
    """Every requirement of the spec data of the protocols the run has cases of, with its status in
    this run, in the data's order (a run of one protocol is not shown another's as unverified)."""
    outcomes = {case.id: case.outcome for case in cases}
    protocols = {case.protocol for case in cases}
    return [
        (trace, requirement_status(trace, outcomes))
        for trace in load_trace().traces
        if trace.protocol in protocols
    ]


def requirement_counts(statuses: list[tuple[Trace, RequirementStatus]]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for trace, status in statuses:
        tally = counts.setdefault(trace.protocol, dict.fromkeys(REQUIREMENT_COUNTS, 0))
        tally["total"] += 1
        tally["testable"] += trace.testable
        if status in ("verified", "failed"):
            tally[status] += 1
    return counts


def summarize(cases: list[CaseResult] | tuple[CaseResult, ...]) -> RunSummary:
    """Counts, and the conformance percentage: passed over judged ``must`` cases (skips do not
    count; SHOULD and semantic cases never lower it)."""
    counts = Counter(NOT_APPLICABLE if case.not_applicable else case.outcome for case in cases)
    by_level = _counts(cases)
    by_protocol = {
        p: _counts([c for c in cases if c.protocol == p]) for p in sorted({c.protocol for c in cases})
    }
    return RunSummary(
        passed=counts["passed"], failed=counts["failed"], skipped=counts["skipped"], errors=counts["error"],
        conformance_percent=percent(by_level.get("must", {})) or 0.0, by_level=by_level,
        flaky=counts["flaky"], by_protocol=by_protocol, suite_errors=counts[SUITE_ERROR],
        not_applicable=counts[NOT_APPLICABLE],
        requirements=requirement_counts(requirement_statuses(cases)),
        sections=section_counts(
            {c.protocol for c in cases},
            {(c.protocol, c.section) for c in cases if c.outcome == "passed"},
            {(c.protocol, c.section) for c in cases if c.outcome in NOT_PASSED},
        ),
    )  # fmt: skip


def collapse_repeats(executions: list[CaseResult]) -> list[CaseResult]:
    """One record per case id from the executions of a ``--repeat`` run: a case whose outcome
    flipped becomes ``flaky``, carrying the first execution that did not pass (and its evidence)."""
    by_id: dict[str, list[CaseResult]] = {}
    for result in executions:
        by_id.setdefault(result.id, []).append(result)
    collapsed = []
    for runs in by_id.values():
        outcomes = tuple(r.outcome for r in runs)
        first_bad = next((r for r in runs if r.outcome != "passed"), runs[0])
        flipped = len(set(outcomes)) > 1
        collapsed.append(
            replace(
                first_bad,
                outcome="flaky" if flipped else first_bad.outcome,
                message=f"outcome flipped ({', '.join(outcomes)}): {first_bad.message}"
                if flipped
                else first_bad.message,
                duration_s=round(sum(r.duration_s for r in runs), 6),
                outcomes=outcomes,
            )
        )
    return collapsed


def write_results(
    path: Path, header: dict[str, Any], cases: list[CaseResult] | tuple[CaseResult, ...]
) -> dict[str, Any]:
    """Write ``results.json``: the header's fields, the summary and the cases (sorted by id)."""
    document = {
        **header,
        "summary": asdict(summarize(cases)),
        "cases": [case.to_json() for case in sorted(cases, key=lambda c: c.id)],
    }
    # the records are writable already (bounded): backslashreplace only so that writing never fails
    path.write_text(
        json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8", errors="backslashreplace"
    )
    return document


JOURNAL = "results.journal.jsonl"  # in the report folder while a run goes; removed once results.json is


class Journal:
    """The cases of a run as they are judged, one JSON line each after a line of the run's header:
    a run that crashes or is killed keeps what it judged (:func:`read_journal`)."""

    def __init__(self, path: Path, header: RunHeader) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(header), ensure_ascii=False) + "\n", encoding="utf-8")

    def add(self, case: CaseResult) -> None:
        with self.path.open("a", encoding="utf-8", errors="backslashreplace") as out:
            out.write(json.dumps(case.to_json(), ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def read_journal(path: Path) -> Run:
    """The run a journal kept, marked aborted; ResultsError when there is none (a line cut short by
    the crash is left out)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        header = json.loads(lines[0])
    except (OSError, UnicodeDecodeError, ValueError, IndexError) as exc:
        raise ResultsError(f"{path}: no journal of the run ({type(exc).__name__})") from None
    cases = []
    for line in lines[1:]:
        try:
            cases.append(json.loads(line))
        except ValueError:
            break
    run = run_from_json({**header, "cases": cases})
    aborted = f"the run stopped before its end (crashed or killed): {len(cases)} case(s) kept from "
    aborted += path.name
    return Run(replace(run.header, aborted=aborted), run.cases)


def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_errors(document: Any) -> list[str]:
    """Where ``document`` departs from results.schema.json (empty when it validates)."""
    validator = jsonschema.Draft202012Validator(load_schema())
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:200]}"
        for e in validator.iter_errors(document)
    ]


def load_run(path: Path) -> Run:
    """A results file read back; ResultsError (one line) when unreadable or off-schema."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not a readable results file ({exc})") from None
    errors = schema_errors(document)
    if errors:
        raise ResultsError(f"{path}: does not match results.schema.json: {errors[0]}")
    try:
        dt.datetime.fromisoformat(document["started"])  # the schema's date-time format is not enforced
    except ValueError:
        raise ResultsError(f"{path}: started is not an ISO 8601 date-time: {document['started']!r}") from None
    return run_from_json(document)


def run_from_json(document: dict[str, Any]) -> Run:
    """The run in a schema-valid document (fields the records do not know are left out)."""
    header_fields = {f.name for f in fields(RunHeader)}
    case_fields = {f.name for f in fields(CaseResult)}
    header = RunHeader(**{k: v for k, v in document.items() if k in header_fields})
    cases = tuple(
        CaseResult(**{
            **{k: v for k, v in case.items() if k in case_fields},
            "evidence": tuple(Evidence(e["text"], e["curl"]) for e in case.get("evidence", ())),
            "outcomes": tuple(case.get("outcomes", ())),
        })
        for case in document["cases"]
    )  # fmt: skip
    return Run(header, cases)
