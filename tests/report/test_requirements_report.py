"""Requirements in a run's reports: the status of a requirement from its cases' outcomes, the counts
per protocol in results.json (schema-valid; older files without them still load), the table in
report.html and the line in the terminal summary."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from conformance.report import publish
from conformance.report.html import render
from conformance.report.terminal import summary_lines
from conformance.report.verdict import judge
from conformance.results import (
    CaseResult,
    Run,
    RunHeader,
    load_run,
    requirement_status,
    schema_errors,
    summarize,
)
from conformance.spec.model import Requirement
from conformance.spec.trace import Trace, load_trace

HEADER = RunHeader("http://sp.example", "2026-01-02T03:04:05+00:00", 1.5, 7, "0.1.0", answers={"total": 3})
REQUIREMENT = Requirement("wm-00000001", "3.1.5.2.1.2", "SHOULD", "The result SHOULD be <true>.")
TRACE = Trace("ms-wmcsom", REQUIREMENT, ("p/A/check", "p/B*/check"))
FORBIDDEN = "contactslaw-calendar/Calendar.403/forbidden"  # the one case of cal-c322b954 (403)


def _case(case_id: str, outcome: str = "passed") -> CaseResult:
    protocol, item, check = case_id.split("/")
    return CaseResult(case_id, protocol, "Status Codes", "must", item, check, outcome)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ({"p/A/check": "passed", "p/B1/check": "passed", "p/B2/check": "passed"}, "verified"),
        ({"p/A/check": "passed", "p/B1/check": "failed", "p/B2/check": "passed"}, "failed"),
        ({"p/A/check": "error", "p/B1/check": "skipped"}, "failed"),
        ({"p/A/check": "passed", "p/B1/check": "flaky"}, "failed"),
        ({"p/A/check": "passed", "p/B1/check": "skipped"}, "unverified"),  # a case did not run
        ({"p/A/check": "passed", "p/Z/check": "passed"}, "unverified"),  # no case of B* in the run
        ({}, "unverified"),
    ],
)
def test_status_from_the_outcomes_of_its_cases(outcomes: dict[str, str], status: str) -> None:
    assert requirement_status(TRACE, outcomes) == status


def test_not_testable_stays_so_whatever_ran() -> None:
    untestable = Trace("ms-wmcsom", REQUIREMENT, not_testable="about a user interface")
    assert requirement_status(untestable, {"p/A/check": "failed"}) == "not-testable"


def _totals() -> dict[str, dict[str, int]]:
    """The counts of a run that verified nothing: the traceability data's testable and total."""
    counts: dict[str, dict[str, int]] = {}
    for trace in load_trace().traces:
        c = counts.setdefault(trace.protocol, {"verified": 0, "failed": 0, "testable": 0, "total": 0})
        c["total"] += 1
        c["testable"] += trace.testable
    return counts


def test_counts_per_protocol() -> None:
    expected = {"contactslaw-calendar": _totals()["contactslaw-calendar"]}  # only the run's protocols
    assert summarize([]).requirements == {}
    expected["contactslaw-calendar"]["verified"] = 1
    assert summarize([_case(FORBIDDEN)]).requirements == expected
    expected["contactslaw-calendar"].update(verified=0, failed=1)
    assert summarize([_case(FORBIDDEN, "failed")]).requirements == expected


def test_results_json_carries_them_and_loads_with_or_without(tmp_path: Path) -> None:
    run = Run(HEADER, (_case(FORBIDDEN),))
    publish(run, tmp_path)
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert document["summary"]["requirements"]["contactslaw-calendar"]["verified"] == 1
    assert schema_errors(document) == []
    assert load_run(tmp_path / "results.json").cases == run.cases
    del document["summary"]["requirements"]  # a results.json written before requirements were counted
    older = tmp_path / "older.json"
    older.write_text(json.dumps(document), encoding="utf-8")
    assert load_run(older).cases == run.cases
    assert summarize(load_run(older).cases).requirements == summarize(run.cases).requirements  # recomputed


@pytest.mark.parametrize(
    "counts",
    [
        {"verified": -1, "testable": 1, "total": 1},
        {"verified": 0, "total": 1},
        {"verified": 0, "testable": 0, "total": 0, "extra": 1},
    ],
)
def test_schema_refuses_malformed_counts(tmp_path: Path, counts: dict[str, int]) -> None:
    publish(Run(HEADER, (_case(FORBIDDEN),)), tmp_path)
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    document["summary"]["requirements"]["ms-wmcsom"] = counts
    assert schema_errors(document)


def test_report_html_shows_the_table_and_what_is_not_verified() -> None:
    run = Run(HEADER, (_case(FORBIDDEN, "failed"),))
    html = render(run, judge(run))
    start = html.index('<h2 id="requirements">Requirements</h2>')
    table = html[start : html.index("<h2", start + 1)]
    totals = _totals()["contactslaw-calendar"]
    assert '<th>contactslaw-calendar</th><td class="num">0</td><td class="num">1</td>' in table
    assert f'<td class="num">{totals["testable"]}</td><td class="num">{totals["total"]}</td>' in table
    assert "<code>cal-c322b954</code> Status Codes MUST — failed:" in table
    assert "403 Forbidden: User does not have permission to view the calendar." in table
    assert start < html.index('<h2 id="matrix">Matrix</h2>')  # near the top


def test_report_html_escapes_statements() -> None:
    run = Run(HEADER, (_case(FORBIDDEN),))
    html = render(run, judge(run))
    assert "Content type specified in the Accept header isn&#x27;t supported." in html  # 406, not verified
    assert "isn't" not in html


def test_terminal_line() -> None:
    passed = Run(HEADER, (_case(FORBIDDEN),))
    lines = summary_lines(passed, judge(passed))
    line = next(line for line in lines if line.text.startswith("requirements verified/testable (total):"))
    testable, total = (
        _totals()["contactslaw-calendar"]["testable"],
        _totals()["contactslaw-calendar"]["total"],
    )
    assert f"contactslaw-calendar 1/{testable} ({total})" in line.text and line.tone == "plain"
    failed = Run(HEADER, (_case(FORBIDDEN, "failed"),))
    line = next(line for line in summary_lines(failed, judge(failed)) if line.text.startswith("requirements"))
    assert f"contactslaw-calendar 0/{testable} ({total}), 1 failed" in line.text and line.tone == "warn"


def test_a_client_run_shows_no_requirements_profile_or_seed() -> None:
    """A judge-client run judges requests: the specs' requirements (what a server does) and the
    generation's profile and seed are no facts of it (they read '0/10 verified' and 'seed 0')."""
    client = Run(
        dataclasses.replace(HEADER, role="client"), (_case("ms-wmcsom/Task.Title/client-type-known"),)
    )
    lines = [line.text for line in summary_lines(client, judge(client))]
    assert not any(text.startswith("requirements") for text in lines)
    assert "profile" not in lines[0] and "seed" not in lines[0]
    html = render(client, judge(client))
    assert 'id="requirements"' not in html and 'href="#requirements"' not in html
    server = Run(HEADER, (_case("ms-wmcsom/Task.Title/client-type-known"),))
    assert any(line.text.startswith("requirements") for line in summary_lines(server, judge(server)))
    assert 'id="requirements"' in render(server, judge(server))
