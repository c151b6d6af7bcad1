"""PnPjs @pnp/sp-clientsvc drives the reference server: Work Management and Workflow calls made with
its generic object-path builder, and the codec reads what it sends."""

from __future__ import annotations

import pytest

from conformance.drive.target import PROCESS_QUERY
from conformance.wire import canonical, parse_request, to_xml
from tests.interop.conftest import explain

SCENARIOS = ("wm_settings", "wm_tasks", "workflow")  # interop/pnp/scenarios.js


def test_driver_runs_every_scenario(pnp_run):
    assert pnp_run.error is None, pnp_run.error
    assert tuple(s.name for s in pnp_run.scenarios) == SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_passes(pnp_run, scenario):
    result = next((s for s in pnp_run.scenarios if s.name == scenario), None)
    assert result is not None and result.outcome == "passed", explain(pnp_run, scenario)
    assert result.checks


def test_codec_reads_pnp_requests(pnp_run):
    """PnPjs writes its own XML (``<Query SelectAllProperties="true" >``, ``</Query >``, Method actions
    with Id before Name, ApplicationName "PnPjs"): the codec parses it and writes it back to the same
    request."""
    bodies = [
        x.request
        for s in pnp_run.scenarios
        for step in s.steps
        for x in step.exchanges
        if PROCESS_QUERY in x.url
    ]
    assert len(bodies) >= 8
    for body in bodies:
        request = parse_request(body.encode())
        assert request.application_name == "PnPjs"
        assert canonical(parse_request(to_xml(request))) == canonical(request)
