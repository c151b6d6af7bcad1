"""What changed between two runs (``conformance diff OLD NEW``), case by case id.

A regression is a case that passed before and does not now (failed, error or flaky); a fix the
reverse. Cases only in one run are new or removed; a case whose level changed (the spec data or
the suite moved it between must, should and semantic) is listed apart, as is any other change of
outcome (for example passed → skipped: no longer judged).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from conformance.results import NOT_PASSED, CaseResult, Run

SECTIONS = {
    "regressions": "Regressions (passed before, not now)",
    "fixes": "Fixes (not passed before, passed now)",
    "new_cases": "New cases",
    "removed": "Removed cases",
    "level_changes": "Level changes",
    "outcome_changes": "Other outcome changes",
}
MESSAGE_LIMIT = 300  # characters of a message shown in the text form


@dataclass(frozen=True)
class Change:
    id: str
    section: str
    level: str  # the newer run's level (the older one's for a removed case)
    before: str  # outcome (level, for a level change); "" for a new case
    after: str  # outcome (level, for a level change); "" for a removed case
    message: str = ""  # the newer run's message, for a case that does not pass now


@dataclass(frozen=True)
class RunDiff:
    old: str  # "target, started" of each run
    new: str
    regressions: tuple[Change, ...]
    fixes: tuple[Change, ...]
    new_cases: tuple[Change, ...]
    removed: tuple[Change, ...]
    level_changes: tuple[Change, ...]
    outcome_changes: tuple[Change, ...]

    def sections(self) -> Iterable[tuple[str, tuple[Change, ...]]]:
        return ((name, getattr(self, name)) for name in SECTIONS)

    def to_json(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new} | {
            name: [asdict(change) for change in changes] for name, changes in self.sections()
        }


def _change(case: CaseResult, before: str, after: str) -> Change:
    message = case.message if after and case.outcome in NOT_PASSED else ""
    return Change(case.id, case.section, case.level, before, after, message)


def _label(run: Run) -> str:
    return f"{run.header.target}, {run.header.started}"


def diff_runs(old: Run, new: Run) -> RunDiff:
    before = {c.id: c for c in old.cases}
    after = {c.id: c for c in new.cases}
    both = sorted(before.keys() & after.keys())
    moved = [i for i in both if before[i].outcome != after[i].outcome]
    regressed = [i for i in moved if before[i].outcome == "passed" and after[i].outcome in NOT_PASSED]
    fixed = [i for i in moved if before[i].outcome in NOT_PASSED and after[i].outcome == "passed"]

    def outcomes(ids: Iterable[str]) -> tuple[Change, ...]:
        return tuple(_change(after[i], before[i].outcome, after[i].outcome) for i in ids)

    added = sorted(after.keys() - before.keys())
    gone = sorted(before.keys() - after.keys())
    relevelled = [i for i in both if before[i].level != after[i].level]
    return RunDiff(
        old=_label(old),
        new=_label(new),
        regressions=outcomes(regressed),
        fixes=outcomes(fixed),
        new_cases=tuple(_change(after[i], "", after[i].outcome) for i in added),
        removed=tuple(_change(before[i], before[i].outcome, "") for i in gone),
        level_changes=tuple(_change(after[i], before[i].level, after[i].level) for i in relevelled),
        outcome_changes=outcomes(i for i in moved if i not in regressed and i not in fixed),
    )


def diff_lines(diff: RunDiff) -> list[str]:
    """The text form: both runs, every non-empty section, and one line of counts."""
    lines = [f"old: {diff.old}", f"new: {diff.new}"]
    for name, changes in diff.sections():
        if changes:
            lines += ["", f"{SECTIONS[name]}: {len(changes)}"]
        for c in changes:
            lines.append(f"  {c.id}  {c.before or '(none)'} → {c.after or '(none)'}  [{c.level} {c.section}]")
            if c.message:
                lines.append(f"      {' '.join(c.message.split())[:MESSAGE_LIMIT]}")
    counts = ", ".join(f"{len(changes)} {name.replace('_', ' ')}" for name, changes in diff.sections())
    return [*lines, "", counts]
