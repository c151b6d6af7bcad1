"""Microsoft's JSOM (four builds) and PnPjs through the judge: the embedded servers of the interop runs
judge every request the clients send. Each conforms: no case fails but the one the scenarios break on
purpose (conformance/interop/deliberate.toml), and the report of each is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.interop.cli import DELIBERATE, client_report
from conformance.interop.results import ClientRun
from conformance.interop.runner import BUILDS
from conformance.report.baseline import load_baseline
from conformance.results import load_run

ON_PURPOSE = {known.id for known in load_baseline(DELIBERATE).entries}


def _failed(run: ClientRun) -> set[str]:
    assert run.requests is not None, "an embedded target judges the client's requests"
    return {c.id for c in run.requests.run.cases if c.outcome != "passed"}


@pytest.mark.parametrize("build", BUILDS)
def test_jsom_requests_conform(jsom_runs: dict[str, ClientRun], build: str) -> None:
    run = jsom_runs[build]
    assert run.requests is not None and run.requests.run.header.http_requests > 50
    assert (
        _failed(run) == ON_PURPOSE
    )  # the scenario faults sends WritableTaskField 99, and nothing else is wrong


def test_pnp_requests_conform(pnp_run: ClientRun) -> None:
    assert pnp_run.requests is not None and pnp_run.requests.run.header.http_requests > 5
    assert _failed(pnp_run) == set()


def test_each_client_gets_its_report(
    jsom_runs: dict[str, ClientRun], pnp_run: ClientRun, tmp_path: Path
) -> None:
    for run in [*jsom_runs.values(), pnp_run]:
        written = client_report(run, tmp_path)
        assert written.requests is not None and written.requests.verdict is not None
        assert written.requests.verdict.conformant, written.requests.verdict
        folder = Path(written.requests.report)
        assert folder.parent == tmp_path / "clients"
        assert load_run(folder / "results.json").header.role == "client"
        assert {p.name for p in folder.iterdir()} >= {
            "report.html",
            "junit.xml",
            "badge.svg",
            "coverage.json",
        }


def test_the_coverage_names_what_the_scenarios_call(jsom_runs: dict[str, ClientRun]) -> None:
    judged = jsom_runs["spo"].requests
    assert judged is not None
    methods = next(r for r in judged.coverage if (r.protocol, r.kind) == ("ms-wmcsom", "methods"))
    assert "SP.WorkManagement.OM.UserOrderedSession.CreateTask" in methods.exercised
    assert "SP.WorkManagement.OM.UserOrderedSession.PinTask" in methods.exercised
    assert methods.missing, "JSOM's scenarios do not call every method"
