"""The end-of-run summary on the terminal: a table by protocol, the verdict, and loud warnings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from conformance.case import LEVELS
from conformance.report.verdict import Verdict
from conformance.results import NOT_APPLICABLE, OUTCOMES, Run, percent, summarize, totals

Tone = Literal["plain", "good", "bad", "warn"]
COLUMNS = {"suite-error": "suite err", NOT_APPLICABLE: "n/a"}  # headings that would not fit their column
SHOWN_BLOCKING = 15  # blocking cases listed by id; the rest are in the report
SHOWN_TRACE = 25  # lines of the first suite error's traceback


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
    return f"{name:<22}" + "".join(f"{c:>10}" for c in counts) + "".join(f"{p:>11}" for p in percents)


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
            f"conformance: {h.target} — "
            # a client run generates nothing: no profile or seed of its own
            + (f"profile {h.profile}, seed {h.seed}, " if h.role != "client" else "")
            + f"{len(run.cases)} cases, {h.http_requests} HTTP requests, {h.checks_run} checks, "
            f"{h.duration_s:.1f} s"
        ),
        Line(
            _row(
                "protocol",
                [COLUMNS.get(o, o) for o in (*OUTCOMES, NOT_APPLICABLE)],
                [f"{level} %" for level in LEVELS],
            )
        ),
    ]
    for protocol, by_level in [*summary.by_protocol.items(), ("all", summary.by_level)]:
        counts = [str(n) for n in _counts(by_level).values()]
        pcts = [f"{p:g}" if (p := percent(by_level.get(level, {}))) is not None else "–" for level in LEVELS]
        lines.append(Line(_row(protocol, counts, pcts)))
    if summary.requirements and h.role != "client":  # the requirements are what a server does
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
    for protocol, reason in verdict.inconclusive.items():
        lines.append(
            Line(f"WARNING: {protocol} INCONCLUSIVE — {reason}; it is not reported conformant", "warn")
        )
    if verdict.partial:
        lines.append(Line(f"partial selection ({selection_text(run)}): the verdict covers these cases only"))
    headline = verdict_line(verdict, summary.conformance_percent)
    lines.append(headline)
    listed = verdict.blocking or verdict.suite_errors
    lines.extend(Line(f"  {case_id}", headline.tone) for case_id in listed[:SHOWN_BLOCKING])
    if len(listed) > SHOWN_BLOCKING:
        lines.append(Line(f"  … and {len(listed) - SHOWN_BLOCKING} more (see report.html)", headline.tone))
    if verdict.suite_errors and not verdict.blocking:  # what a bug report needs: the first one's traceback
        first = next(c for c in run.cases if c.id == verdict.suite_errors[0])
        lines.extend(Line(f"  | {text}") for text in first.message.splitlines()[-SHOWN_TRACE:])
    return lines


def _counts(by_level: dict[str, dict[str, int]]) -> dict[str, int]:
    """Counts by outcome, and the cases not applicable (apart from the skipped)."""
    return {**totals(by_level), NOT_APPLICABLE: sum(c.get(NOT_APPLICABLE, 0) for c in by_level.values())}


def closing_line(run: Run) -> str:
    """pytest's closing line, for the merged run of several workers (each of which is silent)."""
    counts = _counts(summarize(run.cases).by_level)
    said = [f"{n} {outcome.replace('-', ' ')}" for outcome, n in counts.items() if n]
    return f"{', '.join(said) or 'no cases'} in {run.header.duration_s:.2f}s"


def selection_text(run: Run) -> str:
    return ", ".join(f"{option} {value}" for option, value in run.header.selection.items()) or "baseline"


def verdict_line(verdict: Verdict, must_percent: float) -> Line:
    """The verdict in one line; the same words head the HTML report."""
    gate = ", ".join(level.upper() for level in verdict.gate)
    if verdict.aborted:
        return Line(f"ABORTED: {verdict.aborted}", "bad")
    if verdict.blocking:
        return Line(
            f"NOT CONFORMANT: {len(verdict.blocking)} case(s) at a gated level ({gate}) did not pass", "bad"
        )
    if verdict.suite_errors:
        return Line(
            f"SUITE ERROR: {len(verdict.suite_errors)} case(s) could not be run because of the suite's own "
            "errors (not the target's; please report them): no verdict on those cases",
            "warn",
        )
    if verdict.hollow or verdict.inconclusive:
        return Line(
            "INCONCLUSIVE: the run proved too little to call the target conformant (see above)", "warn"
        )
    return Line(f"CONFORMANT: no case at a gated level ({gate}) failed (must: {must_percent:g}%)", "good")
