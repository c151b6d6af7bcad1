"""The verdict on a run: conformant or not, and why — the exit code of ``conformance run``.

The gate (``--fail-on``, the run's ``fail_on``) names the lowest level whose failures fail the run:
``must``; ``semantic`` (the default: a server that loses or corrupts what the spec describes, or
answers values its tables do not allow, fails too); or ``should`` (every level). Conformant means no
case at a gated level failed, errored or flipped (``flaky``) outside the baseline, no case ended in
the suite's own error, and the run is not hollow. A run is hollow when it proves too little to call
anything conformant:

- more than half of the cases were skipped (not counting those not applicable, the same on every
  target; a read-only run of today's cases skips about 45%);
- more than half of the target's HTTP answers were authentication refusals (401 or 403);
- more than half of its answers were empty (see conformance.runner.traffic.answer_kind);
- no case was judged at all;
- one of its protocols is inconclusive: none of its cases was judged, or more than half of the
  cases it could judge were skipped (cases the user left out with ``--read-only`` do not count).

Exit codes: 0 conformant; 1 not conformant (a gated failure, a hollow or interrupted run); 2 usage;
3 target unreachable; 4 suite error (no gated failure, but cases the suite itself could not run: a
defect of the suite, to be reported, never the target's fault).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from conformance.report.baseline import Baseline
from conformance.results import NOT_PASSED, SUITE_ERROR, CaseResult, Run

CONFORMANT, NONCONFORMANT, USAGE, UNREACHABLE, SUITE_ERRORS = 0, 1, 2, 3, 4
HOLLOW_SHARE = 0.5  # "most": strictly more than this share
UNREACHABLE_REASON = "target unreachable"  # how an aborted run's reason starts when the target went away
READ_ONLY_SKIP = "--read-only: this case writes to the target"  # the skip reason of such a case (left out)
# --fail-on: the levels whose failures fail the run
GATES: dict[str, tuple[str, ...]] = {
    "must": ("must",),
    "semantic": ("must", "semantic"),
    "should": ("must", "semantic", "should"),
}
DEFAULT_GATE = "semantic"


@dataclass(frozen=True)
class Verdict:
    exit_code: int  # CONFORMANT, NONCONFORMANT (also for an interrupted run), UNREACHABLE or SUITE_ERRORS
    conformant: bool
    hollow: tuple[str, ...]  # why the run proves too little (empty when it does not)
    blocking: tuple[str, ...]  # cases at a gated level not passed and not in the baseline
    known: tuple[str, ...]  # cases not passed that the baseline lists
    new_failures: tuple[str, ...]  # cases not passed (any level) that the baseline does not list
    newly_passing: tuple[str, ...]  # cases the baseline lists that passed
    flaky: tuple[str, ...]
    baseline: str = ""
    aborted: str = ""
    gate: tuple[str, ...] = GATES[DEFAULT_GATE]
    suite_errors: tuple[str, ...] = ()  # cases the suite could not run: its own errors
    inconclusive: dict[str, str] = field(default_factory=dict)  # protocol -> why it proves too little
    partial: bool = False  # the run was a partial selection of the suite (the header's selection)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.0f}%)"


def hollow_reasons(run: Run) -> tuple[str, ...]:
    cases = [c for c in run.cases if not c.not_applicable]  # the same on every target: no evidence
    skipped = sum(c.outcome == "skipped" for c in cases)
    answers = run.header.answers
    total = answers.get("total", 0)
    reasons = []
    if len(cases) == skipped:
        reasons.append("no case was judged")
    elif skipped > HOLLOW_SHARE * len(cases):
        reasons.append(f"{_share(skipped, len(cases))} cases were skipped")
    if total and answers.get("auth", 0) > HOLLOW_SHARE * total:
        reasons.append(f"{_share(answers['auth'], total)} HTTP answers refused the credentials (401/403)")
    if total and answers.get("empty", 0) > HOLLOW_SHARE * total:
        reasons.append(f"{_share(answers['empty'], total)} HTTP answers were empty")
    return tuple(reasons)


def _inconclusive_reason(cases: list[CaseResult]) -> str:
    """Why one protocol's cases prove too little ("" when they do not). Cases the user left out
    with --read-only, or that are not applicable, are not the target's doing and do not count."""
    chosen = [c for c in cases if not (c.outcome == "skipped" and c.skip_kind)]
    skipped = sum(c.outcome == "skipped" for c in chosen)
    judged = len(chosen) - skipped - sum(c.outcome == SUITE_ERROR for c in chosen)
    if chosen and not judged:
        return "none of its cases was judged"
    if skipped > HOLLOW_SHARE * len(chosen):
        return f"{_share(skipped, len(chosen))} of its cases were skipped"
    return ""


def inconclusive_protocols(run: Run) -> dict[str, str]:
    """Each protocol of the run that was exercised too little to be called conformant, and why."""
    by_protocol: dict[str, list[CaseResult]] = {}
    for case in run.cases:
        by_protocol.setdefault(case.protocol, []).append(case)
    reasons = {protocol: _inconclusive_reason(cases) for protocol, cases in sorted(by_protocol.items())}
    return {protocol: reason for protocol, reason in reasons.items() if reason}


def judge(run: Run, baseline: Baseline | None = None, today: dt.date | None = None) -> Verdict:
    known_ids = baseline.active(run.header.target, today or dt.date.today()) if baseline else {}
    gate = GATES[run.header.fail_on]
    not_passed = [c for c in run.cases if c.outcome in NOT_PASSED]
    blocking = tuple(c.id for c in not_passed if c.level in gate and c.id not in known_ids)
    suite_errors = tuple(c.id for c in run.cases if c.outcome == SUITE_ERROR)
    hollow = hollow_reasons(run)
    inconclusive = inconclusive_protocols(run)
    conformant = not (blocking or suite_errors or hollow or inconclusive or run.header.aborted)
    if run.header.aborted.startswith(UNREACHABLE_REASON):
        code = UNREACHABLE
    elif conformant:
        code = CONFORMANT
    else:  # the target's own failures first: a suite error hides no gated failure
        code = SUITE_ERRORS if suite_errors and not blocking else NONCONFORMANT
    return Verdict(
        exit_code=code, conformant=conformant, hollow=hollow, blocking=blocking,
        known=tuple(c.id for c in not_passed if c.id in known_ids),
        new_failures=tuple(c.id for c in not_passed if c.id not in known_ids),
        newly_passing=tuple(c.id for c in run.cases if c.outcome == "passed" and c.id in known_ids),
        flaky=tuple(c.id for c in run.cases if c.outcome == "flaky"),
        baseline=baseline.source if baseline else "", aborted=run.header.aborted,
        gate=gate, suite_errors=suite_errors, inconclusive=inconclusive,
        partial=bool(run.header.selection or baseline),
    )  # fmt: skip
