"""cases/test_workflow_lifecycle.py (and the shape cases that need the provisioned workflow
objects of conformance/drive/world_wf.py), run as a user runs them: pytest in a subprocess, outcomes
read from its results.json.

- On the embedded reference server every lifecycle case passes, and the WorkflowInstance shape
  cases run (not skipped).
- Against a reference server without demo data, behind a proxy that silently ignores
  SuspendWorkflow (tests/cases/broken.py), the lifecycle fails exactly the SuspendWorkflow status
  case, naming its section; the WorkflowInstance shape cases pass there on the site workflow
  instance the run provisioned (there is no other), and afterwards that server holds none of the
  workflow objects the run made.

Both runs are independent, so they go in parallel, once per module.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import pytest

from cases.test_workflow_lifecycle import COMMANDS, FINISHED, SITES
from conformance.drive.target import Target
from conformance.drive.world_wf import children, result, service
from conformance.model.catalogue import catalogue
from conformance.server import ReferenceServer
from conformance.spec.data import load_csom
from conformance.wire import (
    ExceptionHandlingScopeSimple,
    MethodAction,
    QuerySpec,
    RequestBuilder,
    parse_request,
    to_xml,
)
from tests.cases.broken import CSOM, Call, Fault, Upstream, broken_server
from tests.cases.runner import Run, run_cases

LIFECYCLE, SHAPES = "cases/test_workflow_lifecycle.py", "cases/test_shapes.py"
SPWFCSOM = load_csom("ms-spwfcsom")
CATALOGUE = catalogue()
INSTANCE = "SP.WorkflowServices.WorkflowInstance"
SHAPE_CHECKS = ("object-type", "property-shape", "object-schema")  # cases/test_shapes.py


def _suspend_ignored(actions: tuple[Any, ...]) -> tuple[Any, ...]:
    """SuspendWorkflow sent on as GetDebugInfo (the same parameter, no effect): the server answers
    as if it had suspended, and the instance runs on. Into exception scopes, where the cases call."""
    return tuple(
        replace(action, name="GetDebugInfo")
        if isinstance(action, MethodAction) and action.name == "SuspendWorkflow"
        else replace(action, actions=_suspend_ignored(action.actions))
        if isinstance(action, ExceptionHandlingScopeSimple)
        else action
        for action in actions
    )


def _ignore_suspend(call: Call, upstream: Upstream) -> Call:
    request = parse_request(call.body)
    return replace(call, body=to_xml(replace(request, actions=_suspend_ignored(request.actions))))


SUSPEND_IGNORED = Fault("suspend-ignored", CSOM, before=_ignore_suspend)


@dataclass(frozen=True)
class Runs:
    embedded: Run
    broken: Run  # against the server that ignores SuspendWorkflow
    left: dict[str, list[Any]]  # the workflow objects on that server after the run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    with ReferenceServer() as plain, broken_server(Upstream(plain.url, plain.token), SUSPEND_IGNORED) as url:
        jobs = {"embedded": (), "suspend-ignored": ("--target", url)}
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = {
                name: pool.submit(run_cases, tmp_path_factory.mktemp(name), (LIFECYCLE, SHAPES), *args)
                for name, args in jobs.items()
            }
            done = {name: future.result() for name, future in futures.items()}
        with Target(plain.url) as target:
            return Runs(done["embedded"], done["suspend-ignored"], _workflow_objects(target))


def _workflow_objects(target: Target) -> dict[str, list[Any]]:
    """Every definition and subscription of the web, and its running site workflow instances."""
    builder = RequestBuilder()
    reads = {
        "definitions": ("Deployment", "EnumerateDefinitions", (False,), "DisplayName"),
        "subscriptions": ("Subscription", "EnumerateSubscriptions", (), "Name"),
        "site instances": ("Instance", "EnumerateInstancesForSite", (), "Status"),
    }
    queries = {
        what: builder.query(
            builder.method(service(builder, CATALOGUE, kind), method, *args),
            QuerySpec.select(),
            QuerySpec.select(field),
        )
        for what, (kind, method, args, field) in reads.items()
    }
    reply = target.process_query(builder.build())
    found = {
        what: [item[reads[what][3]] for item in children(result(reply, query))]
        for what, query in queries.items()
    }
    finished = {
        v.value for v in SPWFCSOM.type("SP.WorkflowServices.WorkflowStatus").values if v.name in FINISHED
    }
    found["site instances"] = [status for status in found["site instances"] if status not in finished]
    return found


def _instance_shapes(run: Run) -> dict[str, str]:
    """Outcomes of the shape cases of WorkflowInstance (the class and each property)."""
    return {
        case_id: c["outcome"]
        for case_id, c in run.cases.items()
        if c["check"] in SHAPE_CHECKS and c["item"].split(".")[:3] == INSTANCE.split(".")
    }


def test_every_lifecycle_case_passes_on_the_reference_server(runs: Runs) -> None:
    run = runs.embedded
    assert run.returncode == 0, run.output
    assert {site.id: run.cases[site.id]["outcome"] for site in SITES} == {site.id: "passed" for site in SITES}
    assert {c["outcome"] for c in run.cases.values()} <= {"passed", "skipped"}


def test_the_workflow_instance_shape_cases_run_on_provisioned_instances(runs: Runs) -> None:
    for run in (runs.embedded, runs.broken):  # the latter has no demo data: only what the run made
        shapes = _instance_shapes(run)
        assert len(shapes) == len(SHAPE_CHECKS) - 1 + len(SPWFCSOM.type(INSTANCE).properties)
        assert set(shapes.values()) == {"passed"}, shapes


def test_a_server_that_ignores_suspend_fails_the_suspend_status_case(runs: Runs) -> None:
    run = runs.broken
    assert run.returncode == 1, run.output
    suspend = COMMANDS["SuspendWorkflow"]
    lifecycle = {site.id for site in SITES}
    # exactly this one: the model then follows the target, so nothing after it is blamed
    assert {i for i, c in run.cases.items() if c["outcome"] in ("failed", "error")} & lifecycle == {
        suspend.status.id
    }, run.output
    failed = run.cases[suspend.status.id]
    methods = SPWFCSOM.type("SP.WorkflowServices.WorkflowInstanceService").methods
    section = next(m.section for m in methods if m.name == "SuspendWorkflow")  # from the spec data
    assert (failed["section"], failed["level"]) == (section, "semantic")
    assert f"[SEMANTIC {section}] one-of: expected Status of " in failed["message"]
    assert "one of ['Suspended']; got 'Started'" in failed["message"] and failed["evidence"]
    # the accepts case passes: the call itself came back without an error
    assert run.cases[suspend.accepts.id]["outcome"] == "passed"


def test_the_run_removes_the_workflow_objects_it_created(runs: Runs) -> None:
    """The server had no workflow objects before the run (no demo data): none are left, and no
    instance still runs (the provisioned ones and the state machine's are all terminated)."""
    assert runs.left == {"definitions": [], "subscriptions": [], "site instances": []}
