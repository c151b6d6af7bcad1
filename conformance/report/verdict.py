"""The verdict on a run: conformant or not, and why — the exit code of ``conformance run``.

Conformant means no ``must`` case failed, errored or flipped (``flaky``: the target failed a
MUST at least once) outside the baseline, and the run is not hollow. A run is hollow when it
proves too little to call anything conformant:

- more than half of the cases were skipped (a read-only run of today's cases skips about 45%);
- more than half of the target's HTTP answers were authentication refusals (401 or 403);
- more than half of its answers were empty (see conformance.runner.traffic.answer_kind);
- no case was judged at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from conformance.report.baseline import Baseline
from conformance.results import NOT_PASSED, Run

CONFORMANT, NONCONFORMANT, USAGE, UNREACHABLE = 0, 1, 2, 3
HOLLOW_SHARE = 0.5  # "most": strictly more than this share
UNREACHABLE_REASON = "target unreachable"  # how an aborted run's reason starts when the target went away


@dataclass(frozen=True)
class Verdict:
    exit_code: int  # CONFORMANT, NONCONFORMANT (also for an interrupted run) or UNREACHABLE
    conformant: bool
    hollow: tuple[str, ...]  # why the run proves too little (empty when it does not)
    blocking: tuple[str, ...]  # must cases not passed and not in the baseline
    known: tuple[str, ...]  # cases not passed that the baseline lists
    new_failures: tuple[str, ...]  # cases not passed (any level) that the baseline does not list
    newly_passing: tuple[str, ...]  # cases the baseline lists that passed
    flaky: tuple[str, ...]
    baseline: str = ""
    aborted: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.0f}%)"


def hollow_reasons(run: Run) -> tuple[str, ...]:
    cases = run.cases
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


def judge(run: Run, baseline: Baseline | None = None, today: dt.date | None = None) -> Verdict:
    known_ids = baseline.active(run.header.target, today or dt.date.today()) if baseline else {}
    not_passed = [c for c in run.cases if c.outcome in NOT_PASSED]
    blocking = tuple(c.id for c in not_passed if c.level == "must" and c.id not in known_ids)
    hollow = hollow_reasons(run)
    conformant = not blocking and not hollow and not run.header.aborted
    if run.header.aborted.startswith(UNREACHABLE_REASON):
        code = UNREACHABLE
    else:
        code = CONFORMANT if conformant else NONCONFORMANT
    return Verdict(
        exit_code=code, conformant=conformant, hollow=hollow, blocking=blocking,
        known=tuple(c.id for c in not_passed if c.id in known_ids),
        new_failures=tuple(c.id for c in not_passed if c.id not in known_ids),
        newly_passing=tuple(c.id for c in run.cases if c.outcome == "passed" and c.id in known_ids),
        flaky=tuple(c.id for c in run.cases if c.outcome == "flaky"),
        baseline=baseline.source if baseline else "", aborted=run.header.aborted,
    )  # fmt: skip
