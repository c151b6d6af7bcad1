"""Microsoft's JSOM (four builds of sp-jsom-node) drives the reference server: every scenario passes,
and JSOM parses every response type the server produces."""

from __future__ import annotations

import json

import pytest

from conformance.drive.target import CONTEXT_INFO, PROCESS_QUERY
from conformance.interop.runner import BUILDS
from conformance.spec.data import load_csom
from tests.interop.conftest import explain
from tests.server.test_jsom_captures import _object_types
from tests.wire.test_captures import BUILDS as LIBRARY_VERSIONS

# interop/jsom.js, in the order it runs them
SCENARIOS = (
    "user_settings", "locations", "exchange_sync", "create", "update", "delete", "pin", "attributes", "order",
    "sessions", "query", "refresh_jobs", "callout", "client_objects", "faults", "exception_scope",
)  # fmt: skip
# MS-WMCSOM classes the reference server never sends, and why
NEVER_SENT = {
    "SP.WorkManagement.OM.BaseSession": "abstract: it has no constructor and no method returns it",
    "SP.WorkManagement.OM.TaskQueryResult": "no method returns it",
    "SP.WorkManagement.OM.TaskQueryByLocationResult": "no method returns it",
    "SP.WorkManagement.OM.LocationDisplaySetting": "a SetUserSettings parameter only; JSOM cannot make one",
    "SP.WorkManagement.OM.ProviderErrorInfo": "the reference server's providers never fail",
}


@pytest.mark.parametrize("build", BUILDS)
def test_driver_runs_every_scenario(jsom_runs, build):
    run = jsom_runs[build]
    assert run.error is None, run.error
    assert run.library_version == LIBRARY_VERSIONS[build]
    assert tuple(s.name for s in run.scenarios) == SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("build", BUILDS)
def test_scenario_passes(jsom_runs, build, scenario):
    run = jsom_runs[build]
    result = next((s for s in run.scenarios if s.name == scenario), None)
    assert result is not None and result.outcome == "passed", explain(run, scenario)
    assert result.checks, "a scenario checks something"


def process_queries(step):
    return [x for x in step.exchanges if PROCESS_QUERY in x.url]


@pytest.mark.parametrize("build", BUILDS)
def test_every_step_went_over_the_wire(jsom_runs, build):
    """One ProcessQuery POST per executeQuery, answered 200 with a JSON array; JSOM itself fetched
    the form digest from /_api/contextinfo once, before its first request."""
    steps = [step for scenario in jsom_runs[build].scenarios for step in scenario.steps]
    for step in steps:
        (exchange,) = process_queries(step)
        assert exchange.status == 200 and isinstance(json.loads(exchange.response), list)
    digests = [x for step in steps for x in step.exchanges if x.url.endswith(CONTEXT_INFO)]
    assert len(digests) == 1 and digests[0] is steps[0].exchanges[0] and digests[0].status == 200


@pytest.mark.parametrize("build", BUILDS)
def test_jsom_parses_every_response_type(jsom_runs, build):
    sent = {
        object_type
        for scenario in jsom_runs[build].scenarios
        for step in scenario.steps
        if step.client_error is None
        for exchange in process_queries(step)
        for object_type in _object_types(json.loads(exchange.response))
    }
    classes = {t.short_name for t in load_csom("ms-wmcsom").types if t.kind == "class"}
    assert sent == classes - set(NEVER_SENT)


@pytest.mark.parametrize("build", BUILDS)
def test_jsom_reports_faults_as_sent(jsom_runs, build):
    """The fault steps really faulted: JSOM rejected them with the server's ErrorInfo."""
    faults = next(s for s in jsom_runs[build].scenarios if s.name == "faults")
    for step in faults.steps:
        sent = json.loads(process_queries(step)[0].response)[0]["ErrorInfo"]
        assert step.client_error is not None and sent is not None
        assert step.client_error["type"] == sent["ErrorTypeName"]
