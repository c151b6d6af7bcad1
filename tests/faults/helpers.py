"""Requests the fault tests send (Work Management, Workflow, calendar) and how they compare a direct
answer of the reference server with the one through a fault proxy: a structural diff of the JSON,
correlation ids (random per request) masked."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.faults import Change, FaultProxy
from conformance.faults.jsontext import walk
from conformance.server import ReferenceServer
from conformance.spec.data import load_csom
from conformance.wire import QuerySpec, RequestBuilder, to_xml
from tests.server.client import CsomClient, create_tasks, tasks_of, wm_type_id

TODAY = dt.date(2026, 11, 23)  # the demo calendar is seeded around it
WEEK = {"from": str(TODAY - dt.timedelta(days=2)), "to": str(TODAY + dt.timedelta(days=6))}
MISSING = "<missing>"
WSM_TYPE_ID = load_csom("ms-spwfcsom").type("SP.WorkflowServices.WorkflowServicesManager").type_id
TASK_FIELDS = ("Id", "Name", "DueDate", "PinAge", "IsCompleted")


def diff(before: Any, after: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any, Any]]:
    """Where two JSON values differ: (path, value before, value after), MISSING for an absent member
    or item; types count (14 is not "14", True is not 1)."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [*before, *(key for key in after if key not in before)]
        return [
            d for key in keys for d in diff(before.get(key, MISSING), after.get(key, MISSING), (*path, key))
        ]
    if isinstance(before, list) and isinstance(after, list):
        padded = max(len(before), len(after))
        before, after = before + [MISSING] * (padded - len(before)), after + [MISSING] * (padded - len(after))
        return [d for i, (b, a) in enumerate(zip(before, after, strict=True)) for d in diff(b, a, (*path, i))]
    same = before == after and type(before) is type(after)
    return [] if same else [(path, before, after)]


def masked(value: Any) -> Any:
    """A copy with every TraceCorrelationId (header, ErrorInfo) replaced by "*"."""
    copy = json.loads(json.dumps(value))
    for obj in walk(copy):
        if "TraceCorrelationId" in obj:
            obj["TraceCorrelationId"] = "*"
    return copy


def csom(body: bytes) -> dict[str, Any]:
    """A ProcessQuery answer as {"header": …, "pairs": [[id, result], …]}, correlation ids masked."""
    document = json.loads(body)
    pairs = [list(pair) for pair in zip(document[1::2], document[2::2], strict=True)]
    return masked({"header": document[0], "pairs": pairs})


def result_of(answer: dict[str, Any], action_id: int) -> Any:
    return next(result for key, result in answer["pairs"] if key == action_id)


def pair_index(answer: dict[str, Any], action_id: int) -> int:
    return next(i for i, (key, _) in enumerate(answer["pairs"]) if key == action_id)


@dataclass(frozen=True)
class Outcome:
    direct: httpx.Response  # the reference server's own answer
    proxied: httpx.Response  # the answer through the fault proxy
    changes: list[Change]  # what the fault did to this exchange


def compare(direct_url: str, proxy: FaultProxy, send: Callable[[str], httpx.Response]) -> Outcome:
    """The same request sent to the reference server, then through the proxy."""
    seen = len(proxy.changes)
    direct = send(direct_url)
    return Outcome(direct, send(proxy.url), proxy.changes[seen:])


def process_query(body: bytes, **options: Any) -> Callable[[str], httpx.Response]:
    """Sending ``body`` as a ProcessQuery (``options``: CsomClient.post's)."""

    def send(url: str) -> httpx.Response:
        with CsomClient(url) as client:
            return client.post(body, **options)

    return send


Scenario = Callable[[ReferenceServer, FaultProxy], None]


def scenario_test(scenarios: dict[str, Scenario]) -> Callable[..., None]:
    """One test per catalogue entry of ``scenarios``: its scenario, with a proxy applying it in front
    of the reference server."""

    @pytest.mark.parametrize("name", scenarios)
    def test(name: str, reference: ReferenceServer, proxy: Callable[..., FaultProxy]) -> None:
        scenarios[name](reference, proxy(name))

    return test


# ------------------------------------------------------------------------------------ requests


def settings_read() -> tuple[bytes, int]:
    """UserSettings (integer properties first) and the user's locations."""
    builder = RequestBuilder()
    manager = builder.construct(wm_type_id("UserSettingsManager"))
    query = builder.query(builder.method(manager, "GetUserSettings"))
    builder.query(builder.method(manager, "GetAllLocations"))
    return to_xml(builder.build()), query


def failing_call(scoped: bool = False) -> tuple[bytes, int]:
    """A call of a method no type has: refused in the header, or in its exception scope's result."""
    builder = RequestBuilder()
    manager = builder.construct(wm_type_id("UserSettingsManager"))
    if not scoped:
        call = builder.call(manager, "NoSuchMethod")
        return to_xml(builder.build()), call
    with builder.exception_scope() as scope:
        builder.call(manager, "NoSuchMethod")
    return to_xml(builder.build()), scope


def lone_result() -> bytes:
    """A request whose answer has a single result (a scalar)."""
    builder = RequestBuilder(jsom_style=False)
    builder.call(builder.construct(wm_type_id("UserSettingsManager")), "IsExchangeJobPending")
    return to_xml(builder.build())


def read_tasks(keyword: str | None = None, ids: list[int] | None = None) -> tuple[bytes, int]:
    """The caller's tasks (matching ``keyword``; only ``ids`` when given, by TaskFilter.IdsToFilterBy)."""
    builder = RequestBuilder()
    session = builder.method(builder.construct(wm_type_id("UserOrderedSessionManager")), "CreateSession")
    query = builder.construct(wm_type_id("TaskQuery"))
    builder.set_property(query, "KeywordFilter", keyword)
    if ids is not None:
        task_filter = builder.construct(wm_type_id("TaskFilter"))
        builder.set_property(task_filter, "IdsToFilterBy", tuple(ids))
        builder.set_property(query, "FieldFilter", task_filter)
    read = builder.query(
        builder.method(session, "ReadTasks", query), QuerySpec.select(), QuerySpec.select(*TASK_FIELDS)
    )
    return to_xml(builder.build()), read


def tasks(url: str, keyword: str, ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The caller's tasks matching ``keyword`` (and ``ids``), read from ``url``."""
    body, query = read_tasks(keyword, ids)
    with CsomClient(url) as client:
        return tasks_of(client.ok(body), query)


def task_ids(url: str, keyword: str, ids: list[int] | None = None) -> list[int]:
    return [task["Id"] for task in tasks(url, keyword, ids)]


def new_tasks(url: str, count: int) -> tuple[str, list[int]]:
    """``count`` tasks created directly on ``url``, named with a fresh keyword: (keyword, their ids)."""
    keyword = f"k{uuid.uuid4().hex[:12]}"
    request, queries = create_tasks([f"{keyword} {n}" for n in range(count)])
    with CsomClient(url) as client:
        answer = client.ok(request)
    return keyword, [answer.results[query]["Id"] for query in queries]


def session_call(method: str, *parameters: Any, result: QuerySpec | None = None) -> tuple[bytes, int]:
    """One call on a UserOrderedSession: a Method path queried with ``result``, or (None) a Method action."""
    builder = RequestBuilder()
    session = builder.method(builder.construct(wm_type_id("UserOrderedSessionManager")), "CreateSession")
    if result is None:
        call = builder.call(session, method, *parameters)
    else:
        call = builder.query(builder.method(session, method, *parameters), result)
    return to_xml(builder.build()), call


def definitions_read() -> tuple[bytes, int]:
    """The workflow definitions of the site's web, with their Id (a GUID)."""
    builder = RequestBuilder()
    service = builder.method(builder.static_property(WSM_TYPE_ID, "Current"), "GetWorkflowDeploymentService")
    definitions = builder.method(service, "EnumerateDefinitions", False)
    read = builder.query(definitions, QuerySpec.select(), QuerySpec.select("Id", "DisplayName"))
    return to_xml(builder.build()), read


def calendar(
    params: dict[str, str], accept: str = "application/json", token: str = ""
) -> Callable[[str], httpx.Response]:
    """Sending ``GET api/Tasks/Calendar`` with ``params`` as the bearer of ``token``."""

    def send(url: str) -> httpx.Response:
        headers = {"Accept": accept, "Authorization": f"Bearer {token}"}
        return httpx.get(f"{url}/api/Tasks/Calendar", params=params, headers=headers)

    return send
