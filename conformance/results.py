"""Case results: what a run measured, as records, and ``results.json`` (schema: results.schema.json)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
Outcome = Literal["passed", "failed", "skipped", "error"]
PROTOCOLS = ("ms-wmcsom", "ms-spwfcsom", "contactslaw-calendar", "ms-csom")


@dataclass(frozen=True)
class Evidence:
    """One redacted HTTP exchange a case made: shown with its failure."""

    text: str
    curl: str


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
    evidence: tuple[Evidence, ...] = ()

    def to_json(self) -> dict[str, Any]:
        value = asdict(self)
        value["evidence"] = [asdict(e) for e in self.evidence]
        return value


@dataclass
class RunSummary:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    conformance_percent: float = 0.0
    by_level: dict[str, dict[str, int]] = field(default_factory=dict)


def summarize(cases: list[CaseResult]) -> RunSummary:
    """Counts, and the conformance percentage: passed over passed + failed + errors of ``must``
    cases (skips do not count; SHOULD and semantic cases never lower it)."""
    counts = Counter(case.outcome for case in cases)
    by_level: dict[str, dict[str, int]] = {}
    for case in cases:
        level = by_level.setdefault(case.level, {"passed": 0, "failed": 0, "skipped": 0, "error": 0})
        level[case.outcome] += 1
    must = by_level.get("must", {})
    judged = must.get("passed", 0) + must.get("failed", 0) + must.get("error", 0)
    percent = round(100.0 * must.get("passed", 0) / judged, 2) if judged else 0.0
    return RunSummary(
        counts["passed"], counts["failed"], counts["skipped"], counts["error"], percent, by_level
    )


def write_results(path: Path, header: dict[str, Any], cases: list[CaseResult]) -> dict[str, Any]:
    summary = summarize(cases)
    document = {
        **header,
        "summary": asdict(summary),
        "cases": [case.to_json() for case in sorted(cases, key=lambda c: c.id)],
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    return document


def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
