"""What an interop run measured, as typed records read from a driver's JSON output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.clientjudge.ledger import CoverageRow
from conformance.report.verdict import Verdict
from conformance.results import Run

ScenarioOutcome = Literal["passed", "failed", "error"]
SCENARIO_OUTCOMES: tuple[ScenarioOutcome, ...] = ("passed", "failed", "error")


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    expected: str
    actual: str


@dataclass(frozen=True)
class RoundTrip:
    """One HTTP round trip of a step, bodies as they crossed the wire (no headers)."""

    url: str
    request: str
    status: int
    response: str
    error: str | None = None


@dataclass(frozen=True)
class Step:
    """One executeQuery: the call's run-dependent arguments and what went over the wire."""

    label: str
    vars: dict[str, Any]
    client_error: dict[str, Any] | None
    exchanges: tuple[RoundTrip, ...]


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    outcome: ScenarioOutcome
    duration_s: float
    message: str
    checks: tuple[Check, ...]
    steps: tuple[Step, ...]

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)


@dataclass(frozen=True)
class JudgedRequests:
    """What the judge made of the requests the client sent (an embedded target judges them)."""

    run: Run
    coverage: tuple[CoverageRow, ...]
    report: str = ""  # the folder its report was written to
    verdict: Verdict | None = None  # once the report is written


@dataclass(frozen=True)
class ClientRun:
    """One driver process: a client (and JSOM build) against one target."""

    client: str
    package: str
    build: str | None
    target: str
    embedded: bool
    library_version: str | None = None
    duration_s: float = 0.0
    error: str | None = None
    scenarios: tuple[ScenarioResult, ...] = field(default_factory=tuple)
    requests: JudgedRequests | None = None

    @property
    def outcome(self) -> ScenarioOutcome:
        outcomes = {s.outcome for s in self.scenarios}
        if self.error or "error" in outcomes:
            return "error"
        return "failed" if "failed" in outcomes else "passed"

    @property
    def column(self) -> str:
        """Its column in a table: the JSOM build, else the client."""
        return self.build or self.client


def _outcome(value: Any) -> ScenarioOutcome:
    if value not in SCENARIO_OUTCOMES:
        raise ValueError(f"unknown outcome {value!r}")
    return value


def _round_trip(data: dict[str, Any]) -> RoundTrip:
    return RoundTrip(
        url=str(data["url"]),
        request=str(data.get("request") or ""),
        status=int(data.get("status") or 0),
        response=str(data.get("response") or ""),
        error=data.get("error"),
    )


def _scenario(data: dict[str, Any]) -> ScenarioResult:
    return ScenarioResult(
        name=str(data["name"]),
        outcome=_outcome(data["outcome"]),
        duration_s=float(data.get("duration_ms", 0)) / 1000,
        message=str(data.get("message") or ""),
        checks=tuple(
            Check(str(c["what"]), bool(c["ok"]), str(c["expected"]), str(c["actual"])) for c in data["checks"]
        ),
        steps=tuple(
            Step(
                str(s["label"]),
                dict(s.get("vars") or {}),
                s.get("error"),
                tuple(map(_round_trip, s["exchanges"])),
            )
            for s in data["steps"]
        ),
    )


def from_driver(data: Any, *, target: str, embedded: bool) -> ClientRun:
    """A driver's JSON output as a ClientRun; ValueError when it is not in the documented shape."""
    try:
        return ClientRun(
            client=str(data["client"]),
            package=str(data["package"]),
            build=data.get("build"),
            target=target,
            embedded=embedded,
            library_version=data.get("library_version"),
            duration_s=float(data.get("duration_ms", 0)) / 1000,
            error=data.get("error"),
            scenarios=tuple(map(_scenario, data["scenarios"])),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(
            f"driver output is not in the documented shape ({type(exc).__name__}: {exc})"
        ) from None
