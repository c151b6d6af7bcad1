"""Combine the runs of several shards (``results.json`` each) into one run, for one report."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from conformance.results import Run, RunHeader, invocation


class MergeError(ValueError):
    """Runs that cannot be combined: one line."""


def merge_runs(runs: list[Run]) -> Run:
    """One run: all cases (a case id may appear in one shard only), the earliest start, the span
    until the last shard ended, summed requests, checks and answers; targets and seeds joined."""
    owner: dict[str, int] = {}
    for number, run in enumerate(runs, 1):
        for case in run.cases:
            if owner.setdefault(case.id, number) != number:
                raise MergeError(
                    f"case {case.id} is in results {owner[case.id]} and {number}: not shards of one run"
                )
    starts = [dt.datetime.fromisoformat(r.header.started) for r in runs]
    first = min(starts)
    end = max(s + dt.timedelta(seconds=r.header.duration_s) for s, r in zip(starts, runs, strict=True))
    answers: Counter[str] = Counter()
    for run in runs:
        answers.update(run.header.answers)
    headers = [r.header for r in runs]
    header = RunHeader(
        target=_joined(h.target for h in headers), started=first.isoformat(),
        duration_s=round((end - first).total_seconds(), 3), seed=headers[0].seed,
        suite_version=_joined(h.suite_version for h in headers), profile=headers[0].profile,
        http_requests=sum(h.http_requests for h in headers), checks_run=sum(h.checks_run for h in headers),
        answers=dict(answers), spec_versions=headers[0].spec_versions, repeat=headers[0].repeat,
        aborted="; ".join(h.aborted for h in headers if h.aborted), fail_on=headers[0].fail_on,
        selection={option: value for h in headers for option, value in h.selection.items()},
        command=invocation(),
    )  # fmt: skip
    return Run(header, tuple(case for run in runs for case in run.cases))


def _joined(values: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(values))
