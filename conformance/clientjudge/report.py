"""A client's judged traffic as a run, and its report files: those of a server run (``results.json``
with the role ``client``, ``report.html``, ``junit.xml``, the badge) and ``coverage.json``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from conformance import __version__
from conformance.clientjudge.ledger import CoverageRow, Ledger
from conformance.report import publish
from conformance.report.baseline import Baseline
from conformance.report.junit import write_junit
from conformance.report.verdict import DEFAULT_GATE, Verdict
from conformance.results import Run, RunHeader, invocation
from conformance.spec.data import spec_digests

COVERAGE = "coverage.json"


def client_run(
    ledger: Ledger, site: str, started: dt.datetime, fail_on: str = DEFAULT_GATE, stopped: str = ""
) -> Run:
    """The run a ledger holds, kept as a server run's results are (its role: client)."""
    header = RunHeader(
        target=f"client of {site}", started=started.isoformat(),
        duration_s=round((dt.datetime.now(dt.UTC) - started).total_seconds(), 3), seed=0,
        suite_version=__version__, http_requests=ledger.requests, checks_run=ledger.checks,
        answers={"total": ledger.judged}, spec_versions=spec_digests(), fail_on=fail_on, aborted=stopped,
        command=invocation(), role="client",
    )  # fmt: skip
    return Run(header, ledger.cases())


def write_reports(
    run: Run, coverage: Sequence[CoverageRow], folder: Path, baseline: Baseline | None = None
) -> Verdict:
    """Write the report files into ``folder``; the run's verdict."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [row.to_json() for row in coverage]
    (folder / COVERAGE).write_text(json.dumps({"coverage": rows}, indent=1) + "\n", encoding="utf-8")
    verdict = publish(run, folder, baseline)
    write_junit(folder / "junit.xml", run.cases, "csom-conformance-client")
    return verdict
