"""The interop table in report.html: real JSOM runs written to interop.json beside a run's results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conformance.interop.cli import client_report
from conformance.interop.report import write_report
from conformance.report import publish
from conformance.results import CaseResult, Run, RunHeader


def test_report_shows_the_interop_table(tmp_path: Path, jsom_runs) -> None:
    write_report(tmp_path, [client_report(r, tmp_path) for r in jsom_runs.values()])
    case = CaseResult("ms-csom/header/x", "ms-csom", "3.1.4.1.8.1.5", "must", "header", "x", "passed")
    header = RunHeader("http://target", dt.datetime.now(dt.UTC).isoformat(), 1.0, 0, "test")
    publish(Run(header, [case]), tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Interop: real clients against the target" in html
    for build in jsom_runs:
        assert f"<th>jsom {build}</th>" in html
    assert html.count('<td class="passed">passed</td>') == sum(len(r.scenarios) for r in jsom_runs.values())

    # the embedded servers judged each build's requests: conformant, each with its report
    assert html.count('<td class="passed">conformant (') == len(jsom_runs)
