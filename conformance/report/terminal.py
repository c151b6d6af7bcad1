"""The end-of-run summary on the terminal: a table by protocol, the verdict, and loud warnings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from conformance.checks import LEVELS
from conformance.report.verdict import Verdict
from conformance.results import OUTCOMES, Run, percent, summarize, totals

Tone = Literal["plain", "good", "bad", "warn"]
SHOWN_BLOCKING = 15  # blocking cases listed by id; the rest are in the report


COLOURS: dict[Tone, str | None] = {"plain": None, "good": "green", "bad": "red", "warn": "yellow"}


@dataclass(frozen=True)
class Line:
    text: str
    tone: Tone = "plain"

    @property
    def colour(self) -> str | None:
        """The terminal colour of the tone (bold when there is one)."""
        return COLOURS[self.tone]


def _row(name: str, counts: list[str], percents: list[str]) -> str:
    return f"{name:<22}" + "".join(f"{c:>9}" for c in counts) + "".join(f"{p:>11}" for p in percents)


def _requirements(counts: dict[str, dict[str, int]]) -> Line:
    """Verified of testable (and total) requirements of each protocol's spec data."""
    parts = [
        f"{protocol} {c['verified']}/{c['testable']} ({c['total']})"
        + (f", {c['failed']} failed" if c["failed"] else "")
        for protocol, c in counts.items()
    ]
    failed = any(c["failed"] for c in counts.values())
    return Line("requirements verified/testable (total): " + "; ".join(parts), "warn" if failed else "plain")


def summary_lines(run: Run, verdict: Verdict) -> list[Line]:
    summary = summarize(run.cases)
    h = run.header
    lines = [
        Line(
            f"conformance: {h.target} — profile {h.profile}, seed {h.seed}, {len(run.cases)} cases, "
            f"{h.http_requests} HTTP requests, {h.checks_run} checks, {h.duration_s:.1f} s"
        ),
        Line(_row("protocol", list(OUTCOMES), [f"{level} %" for level in LEVELS])),
    ]
    for protocol, by_level in [*summary.by_protocol.items(), ("all", summary.by_level)]:
        counts = [str(n) for n in totals(by_level).values()]
        pcts = [f"{p:g}" if (p := percent(by_level.get(level, {}))) is not None else "–" for level in LEVELS]
        lines.append(Line(_row(protocol, counts, pcts)))
    lines.append(_requirements(summary.requirements))
    if verdict.baseline:
        lines.append(
            Line(
                f"baseline {verdict.baseline}: {len(verdict.known)} known failures, "
                f"{len(verdict.new_failures)} new failures, {len(verdict.newly_passing)} newly passing"
                + (" (tighten the baseline)" if verdict.newly_passing else "")
            )
        )
    if verdict.flaky:
        lines.append(Line(f"flaky (outcome flipped between repetitions): {len(verdict.flaky)}", "warn"))
        lines.extend(Line(f"  {case_id}", "warn") for case_id in verdict.flaky[:SHOWN_BLOCKING])
    for reason in verdict.hollow:
        lines.append(Line(f"WARNING: HOLLOW RUN — {reason}; the target is not reported conformant", "warn"))
    if verdict.aborted:
        lines.append(Line(f"ABORTED: {verdict.aborted}", "bad"))
    elif verdict.conformant:
        lines.append(
            Line(f"CONFORMANT: no MUST case failed (must: {summary.conformance_percent:g}%)", "good")
        )
    else:
        lines.append(Line(f"NOT CONFORMANT: {len(verdict.blocking)} MUST case(s) did not pass", "bad"))
        lines.extend(Line(f"  {case_id}", "bad") for case_id in verdict.blocking[:SHOWN_BLOCKING])
        if len(verdict.blocking) > SHOWN_BLOCKING:
            lines.append(
                Line(f"  … and {len(verdict.blocking) - SHOWN_BLOCKING} more (see report.html)", "bad")
            )
    return lines
