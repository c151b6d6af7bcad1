"""`--seed-data`: a demo for all three protocols, read through the protocols themselves; a server
without it has none of the demo content (so the flag is what puts it there)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from conformance.server import ReferenceServer
from conformance.server.wf.store import WorkflowStatus
from conformance.wire import QuerySpec, RequestBuilder, child_items
from tests.server import serve
from tests.server.client import (
    WSM_TYPE_ID,
    CsomClient,
    instance_service,
    query_web_and_tasks_list,
    read_tasks,
    tasks_of,
    wm_type_id,
)

S = WorkflowStatus


@pytest.fixture(scope="module", params=[True, False], ids=["seeded", "plain"])
def server(request):
    with ReferenceServer(seed_data=request.param) as running:
        yield running, request.param


def _workflows(client: CsomClient) -> dict:
    """Definitions, subscriptions and instances of the site's web, through MS-SPWFCSOM."""
    b = RequestBuilder()
    wsm = b.static_property(WSM_TYPE_ID, "Current")
    definitions = b.method(b.method(wsm, "GetWorkflowDeploymentService"), "EnumerateDefinitions", False)
    q_definitions = b.query(definitions, QuerySpec.select(), QuerySpec.select("DisplayName", "Published"))
    subscriptions = b.method(b.method(wsm, "GetWorkflowSubscriptionService"), "EnumerateSubscriptions")
    q_subscriptions = b.query(subscriptions, QuerySpec.select(), QuerySpec.select("Name", "EventTypes"))
    instances = b.method(wsm, "GetWorkflowInstanceService")
    q_site = b.query(b.method(instances, "EnumerateInstancesForSite"), QuerySpec.select(), QuerySpec(True))
    _, q_list = query_web_and_tasks_list(b)
    first = client.ok(b.build()).results
    b = RequestBuilder()
    instances = instance_service(b)
    per_item = {
        item: b.query(
            b.method(instances, "EnumerateInstancesForListItem", first[q_list]["Id"], item),
            QuerySpec.select(),
            QuerySpec(True),
        )
        for item in (1, 2, 3)
    }
    second = client.ok(b.build()).results
    return {
        "definitions": {d["DisplayName"]: d["Published"] for d in child_items(first[q_definitions])},
        "subscriptions": {s["Name"]: s["EventTypes"] for s in child_items(first[q_subscriptions])},
        "site": [(i["Status"], i["UserStatus"]) for i in child_items(first[q_site])],
        "items": {
            n: [(i["Status"], i["UserStatus"]) for i in child_items(second[q])] for n, q in per_item.items()
        },
    }


def test_workflow_demo_on_every_web(server):
    running, seeded = server
    for site in ("/sites/demo", "/sites/other"):
        with CsomClient(running.url, site=site) as client:
            found = _workflows(client)
        if not seeded:
            assert found == {
                "definitions": {},
                "subscriptions": {},
                "site": [],
                "items": {1: [], 2: [], 3: []},
            }
            continue
        assert found["definitions"] == {"Approval": True, "Nightly cleanup": True, "Expense claim": False}
        assert found["subscriptions"] == {
            "Approve tasks": ["WorkflowStart", "ItemAdded"],
            "Clean up": ["WorkflowStart"],
        }
        assert found["site"] == [(S.Completed, None)]
        assert found["items"] == {
            1: [(S.Started, "Waiting for Bob")],
            2: [(S.Suspended, None)],
            3: [(S.Terminated, None)],
        }


def test_work_management_demo(server):
    running, seeded = server
    with CsomClient(running.url) as client:
        request, query = read_tasks()
        tasks = {t["Name"]: t for t in tasks_of(client.ok(request), query)}
        b = RequestBuilder()
        session = b.method(b.construct(wm_type_id("UserOrderedSessionManager")), "CreateSession")
        data = b.method(session, "ReadAllNonTaskData")
        q_locations = b.query(b.property(data, "AllLocatons"), QuerySpec.select(), QuerySpec.select("Name"))
        q_settings = b.query(b.property(data, "UserSettings"))
        shown = "Call the client back" if seeded else "Review quarterly report"
        q_shown = b.query(b.identity(tasks[shown]["_ObjectIdentity_"]))
        results = client.ok(b.build()).results
    aggregated = {"Review quarterly report", "Write project charter", "Draft campaign brief"}
    personal = {"Call the client back", "Book the train to Leeds", "Renew the bar membership"}
    assert set(tasks) == (aggregated | personal if seeded else aggregated)
    assert len(child_items(results[q_locations])) == 6
    assert results[q_settings]["ImportantTasksLimit"] == 7
    task = results[q_shown]
    if seeded:  # a pinned, tagged personal task
        assert task["PinAge"] == 1 and task["CustomAttributes"] == ["follow-up"] and task["IsPersonal"]
        assert task["EditUrl"] == f"EditTask.aspx?taskId={task['Id']}"
    else:
        assert task["PinAge"] == 0 and task["CustomAttributes"] == [] and not task["IsPersonal"]


def test_calendar_demo(server):
    running, seeded = server
    today = dt.date.today()
    week = {
        "from": str(today - dt.timedelta(days=2)),
        "to": str(today + dt.timedelta(days=6)),
        "includeTasks": "true",
    }
    answer = httpx.get(f"{running.url}/api/Tasks/Calendar", params=week, headers=running.auth_headers)
    result = answer.json()["Result"]
    counts = (len(result["Items"]), len(result["Tasks"]))
    assert counts == ((3, 2) if seeded else (0, 0))


def test_serve_seed_data_flag(tmp_path):
    with serve.served("--seed-data", "--db", str(tmp_path / "demo.sqlite")) as url, CsomClient(url) as client:
        assert _workflows(client)["definitions"]["Approval"] is True
