"""``interop.json`` (shape: ``interop.schema.json``, described in the package docstring) and the
text table the command prints."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance.interop.results import SCENARIO_OUTCOMES, ClientRun, JudgedRequests, ScenarioResult

FORMAT = "csom-conformance/interop/1"
SCHEMA_PATH = Path(__file__).with_name("interop.schema.json")
REPORT_NAME = "interop.json"
CUT = 4000  # characters of a body kept as evidence
CELLS = {"passed": "pass", "failed": "FAIL", "error": "ERROR"}


def _cut(text: str, limit: int = CUT) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


def _evidence(scenario: ScenarioResult) -> list[dict[str, Any]]:
    return [
        {
            "step": step.label,
            "client_error": step.client_error,
            "url": exchange.url,
            "request": _cut(exchange.request),
            "status": exchange.status,
            "response": _cut(exchange.response),
        }
        for step in scenario.steps
        for exchange in step.exchanges
    ]


def _scenario_json(scenario: ScenarioResult) -> dict[str, Any]:
    failures = scenario.failures
    return {
        "name": scenario.name,
        "outcome": scenario.outcome,
        "duration_s": round(scenario.duration_s, 3),
        "message": scenario.message,
        "checks_passed": len(scenario.checks) - len(failures),
        "checks_failed": len(failures),
        "failures": [{"what": c.what, "expected": c.expected, "actual": c.actual} for c in failures],
        "evidence": [] if scenario.outcome == "passed" else _evidence(scenario),
    }


def run_json(run: ClientRun) -> dict[str, Any]:
    return {
        "client": run.client,
        "package": run.package,
        "build": run.build,
        "target": run.target,
        "embedded": run.embedded,
        "library_version": run.library_version,
        "outcome": run.outcome,
        "error": run.error,
        "duration_s": round(run.duration_s, 3),
        "scenarios": [_scenario_json(s) for s in run.scenarios],
        "requests": _requests_json(run.requests),
    }


def _requests_json(judged: JudgedRequests | None) -> dict[str, Any] | None:
    """The judge's verdict on the requests the client sent, and where its report is."""
    if judged is None or judged.verdict is None:
        return None
    verdict = judged.verdict
    return {
        "report": judged.report, "conformant": verdict.conformant, "exit_code": verdict.exit_code,
        "cases": len(judged.run.cases), "requests": judged.run.header.http_requests,
        "failed": list(verdict.new_failures), "known": list(verdict.known),
    }  # fmt: skip


def report_json(runs: Sequence[dict[str, Any]], generated: dt.datetime) -> dict[str, Any]:
    counts = Counter(s["outcome"] for r in runs for s in r["scenarios"])
    return {
        "format": FORMAT,
        "generated": generated.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "runs": list(runs),
        "totals": {
            "runs": len(runs),
            "scenarios": sum(counts.values()),
            **{o: counts[o] for o in SCENARIO_OUTCOMES},
        },
    }


def _kept_runs(path: Path, replaced: set[str]) -> list[dict[str, Any]]:
    """Runs of other clients in an earlier report at `path` (none if it is missing or foreign)."""
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(earlier, dict) or earlier.get("format") != FORMAT:
        return []
    return [r for r in earlier.get("runs", []) if isinstance(r, dict) and r.get("client") not in replaced]


def write_report(report_dir: Path, runs: Sequence[ClientRun], *, now: dt.datetime | None = None) -> Path:
    """Writes `report_dir`/interop.json: these runs, plus an earlier report's runs of other clients."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / REPORT_NAME
    kept = _kept_runs(path, {r.client for r in runs})
    report = report_json([*kept, *map(run_json, runs)], now or dt.datetime.now(dt.UTC))
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def render_table(runs: Sequence[ClientRun], *, details: int = 5) -> str:
    """Scenarios down, builds across, and below it what failed (at most `details` checks each)."""
    if not runs:
        return "no runs"
    first = runs[0]
    target = "embedded reference servers" if all(r.embedded for r in runs) else first.target
    columns = [r.column for r in runs]
    names = list(dict.fromkeys(s.name for r in runs for s in r.scenarios))
    cells = {(r.column, s.name): CELLS[s.outcome] for r in runs for s in r.scenarios}
    width = max([len("scenario"), *map(len, names)]) + 2
    lines = [
        f"{first.client} ({first.package}) against {target}",
        "scenario".ljust(width) + "".join(c.ljust(8) for c in columns),
    ]
    lines += [
        name.ljust(width) + "".join(cells.get((c, name), "-").ljust(8) for c in columns) for name in names
    ]
    lines.append("time (s)".ljust(width) + "".join(f"{r.duration_s:.1f}".ljust(8) for r in runs))
    judged = [_requests_cell(r.requests) for r in runs]
    if any(judged):
        lines.append("requests".ljust(width) + "".join(cell.ljust(8) for cell in judged))
    for run in runs:
        if run.requests and run.requests.verdict and run.requests.verdict.new_failures:
            lines.append(
                f"[{run.column}] requests not conformant: {', '.join(run.requests.verdict.new_failures)}"
            )
        if run.error:
            lines.append(f"[{run.column}] could not run: {run.error}")
        for scenario in run.scenarios:
            if scenario.outcome == "passed":
                continue
            lines.append(f"[{run.column}] {scenario.name}: {_cut(scenario.message, 300)}")
            lines += [
                f"    {c.what}: expected {_cut(c.expected, 200)}, got {_cut(c.actual, 200)}"
                for c in scenario.failures[:details]
            ]
    return "\n".join(lines)


def _requests_cell(judged: JudgedRequests | None) -> str:
    """The judge's word on a client's requests, in a column of the table."""
    if judged is None or judged.verdict is None:
        return ""
    return "ok" if judged.verdict.conformant else "FAIL"
