"""Every behaviour fault of the CSOM side, through a proxy in front of the reference server: what the
target ends up storing or returning shows the broken behaviour, the same request sent directly
shows the right one, and the change names the spec section of the member it breaks."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from conformance.drive.world_wf import new_definition, service
from conformance.faults import Change, FaultProxy
from conformance.model.catalogue import WF, catalogue
from conformance.server import ReferenceServer
from conformance.spec.data import load_csom
from conformance.wire import QueryProperty, QuerySpec, RequestBuilder, parse_response, scope_error, to_xml
from tests.faults.helpers import (
    Scenario,
    compare,
    new_tasks,
    process_query,
    read_tasks,
    scenario_test,
    session_call,
    task_ids,
    tasks,
)
from tests.server.client import CsomClient, create_tasks, wm_type_id

WM = load_csom("ms-wmcsom")
DIGEST_MISSING = -2146232832  # [MS-CSOMSPT] 2.2.1
WRITE_RESULT = QuerySpec(
    False,
    (
        QueryProperty("Error", select_all=True),
        QueryProperty("ErrorMessage", select_all=True),
        QueryProperty("Result", select_all=True, query=QuerySpec.select("Id", "Name")),
    ),
)


def method_section(short_name: str, method: str) -> tuple[str, str]:
    return "ms-wmcsom", next(m.section for m in WM.type(short_name).methods if m.name == method)


def sections(changes: list[Change]) -> set[tuple[str, str]]:
    return {(change.protocol, change.section) for change in changes}


def enum_number(enum: str, name: str) -> int:
    return next(v.value for v in WM.type(f"SP.WorkManagement.OM.{enum}").values if v.name == name)


def _ok(url: str, body: bytes):
    with CsomClient(url) as client:
        return client.ok(body)


def write_ignored_update(reference: ReferenceServer, fault: FaultProxy) -> None:
    keyword, [task] = new_tasks(reference.url, 1)
    renamed = f"{keyword} renamed"
    body, query = session_call(
        "UpdateTaskWithLocalizedValue",
        task,
        enum_number("WritableTaskField", "Title"),
        renamed,
        result=WRITE_RESULT,
    )
    seen = len(fault.changes)
    answered = _ok(fault.url, body).results[query]
    assert (answered["Error"], answered["ErrorMessage"]) == (
        0,
        None,
    )  # success, as far as the client can tell
    assert [t["Name"] for t in tasks(reference.url, keyword)] == [f"{keyword} 0"]  # but nothing was written
    assert sections(fault.changes[seen:]) == {
        method_section("SP.WorkManagement.OM.UserOrderedSession", "UpdateTaskWithLocalizedValue")
    }
    direct = _ok(reference.url, body).results[query]  # the same request, sent directly, writes
    assert (direct["Error"], direct["Result"]["Name"]) == (0, renamed)
    assert [t["Name"] for t in tasks(reference.url, keyword)] == [renamed]


def write_ignored_create(reference: ReferenceServer, fault: FaultProxy) -> None:
    keyword = f"k{uuid.uuid4().hex[:12]}"
    request, [query] = create_tasks([f"{keyword} ghost"])
    outcome = compare(reference.url, fault, process_query(to_xml(request)))
    direct, proxied = parse_response(outcome.direct.content), parse_response(outcome.proxied.content)
    assert proxied.header.error_info is None and list(proxied.results) == list(direct.results)
    created = proxied.results[query]
    assert created["Name"] == f"{keyword} ghost" and isinstance(created["Id"], int)  # "created, with an Id"
    assert task_ids(reference.url, keyword) == [direct.results[query]["Id"]]  # only the direct one stays
    [change] = outcome.changes
    assert (change.protocol, change.section) == method_section(
        "SP.WorkManagement.OM.SortableSession", "CreateTask"
    )
    assert str(created["Id"]) in change.detail


def _settings(url: str) -> int:
    builder = RequestBuilder()
    query = builder.query(
        builder.method(builder.construct(wm_type_id("UserSettingsManager")), "GetUserSettings"),
        QuerySpec.select("DaysAfterCurrentDateTimelineEnds"),
    )
    return _ok(url, to_xml(builder.build())).results[query]["DaysAfterCurrentDateTimelineEnds"]


def _save_settings(days: int) -> bytes:
    """SetUserSettings with a new UserSettings object carrying one property (as JSOM sends it)."""
    builder = RequestBuilder()
    manager = builder.construct(wm_type_id("UserSettingsManager"))
    settings = builder.construct(wm_type_id("UserSettings"))
    builder.set_property(settings, "DaysAfterCurrentDateTimelineEnds", days)
    builder.call(manager, "SetUserSettings", settings, ())
    return to_xml(builder.build())


def write_ignored_set_property(reference: ReferenceServer, fault: FaultProxy) -> None:
    before = _settings(reference.url)
    seen = len(fault.changes)
    _ok(fault.url, _save_settings(before + 1))  # accepted
    assert _settings(reference.url) == before  # but not saved
    [change] = fault.changes[seen:]
    assert (change.protocol, change.section) == method_section(
        "SP.WorkManagement.OM.UserSettingsManager", "SetUserSettings"
    )
    assert "DaysAfterCurrentDateTimelineEnds" in change.detail
    _ok(reference.url, _save_settings(before + 1))  # the same request, sent directly, saves
    assert _settings(reference.url) == before + 1
    _ok(reference.url, _save_settings(before))


def _task_order(
    reference: ReferenceServer, fault: FaultProxy, count: int
) -> tuple[list[int], list[int], list[Change]]:
    """Ids of ``count`` new tasks read directly (user order: as created) and through ``fault``."""
    keyword, created = new_tasks(reference.url, count)
    seen = len(fault.changes)
    direct, proxied = task_ids(reference.url, keyword), task_ids(fault.url, keyword)
    assert direct == created
    changes = fault.changes[seen:]
    assert sections(changes) <= {method_section("SP.WorkManagement.OM.UserOrderedSession", "ReadTasks")}
    return direct, proxied, changes


def wrong_sort_order(reference: ReferenceServer, fault: FaultProxy) -> None:
    direct, proxied, changes = _task_order(reference, fault, 3)
    assert proxied == direct[::-1] and len(changes) == 1
    assert _task_order(reference, fault, 1)[2] == []  # one task: no order to get wrong


def paging_skips(reference: ReferenceServer, fault: FaultProxy) -> None:
    direct, proxied, changes = _task_order(reference, fault, 3)
    assert proxied == [direct[0], direct[2]] and len(changes) == 1
    one, through, none = _task_order(reference, fault, 1)
    assert through == one and none == []


def paging_repeats(reference: ReferenceServer, fault: FaultProxy) -> None:
    direct, proxied, changes = _task_order(reference, fault, 3)
    assert proxied == [direct[0], *direct] and len(changes) == 1


def deleted_task_returned(reference: ReferenceServer, fault: FaultProxy) -> None:
    keyword, [kept, gone] = new_tasks(reference.url, 2)
    last_copy = next(task for task in tasks(fault.url, keyword) if task["Id"] == gone)  # the proxy sees both
    body, query = session_call("DeleteTask", gone, result=WRITE_RESULT)
    assert _ok(fault.url, body).results[query]["Error"] == 0
    assert task_ids(reference.url, keyword) == [kept]  # deleted on the target
    seen = len(fault.changes)
    assert tasks(fault.url, keyword) == [*tasks(reference.url, keyword), last_copy]  # read back anyway
    [change] = fault.changes[seen:]
    assert (change.protocol, change.section) == method_section(
        "SP.WorkManagement.OM.UserOrderedSession", "DeleteTask"
    )
    assert task_ids(fault.url, keyword, ids=[kept]) == [
        kept
    ]  # not where TaskFilter.IdsToFilterBy leaves it out
    assert task_ids(fault.url, keyword, ids=[kept, gone]) == [kept, gone]


def digest_not_required(reference: ReferenceServer, fault: FaultProxy) -> None:
    keyword = f"k{uuid.uuid4().hex[:12]}"
    request, [query] = create_tasks([f"{keyword} unsigned"])
    outcome = compare(reference.url, fault, process_query(to_xml(request), digest=False))
    refused = parse_response(outcome.direct.content).header.error_info
    assert refused is not None and refused.error_code == DIGEST_MISSING
    accepted = parse_response(outcome.proxied.content)
    assert accepted.header.error_info is None
    assert task_ids(reference.url, keyword) == [accepted.results[query]["Id"]]  # the write happened
    assert sections(outcome.changes) == {("ms-csom", "MS-CSOMSPT 2.2.1")}
    signed = compare(reference.url, fault, process_query(to_xml(request)))  # a digest sent: nothing to do
    assert signed.changes == []


def wrong_types_accepted(reference: ReferenceServer, fault: FaultProxy) -> None:
    builder = RequestBuilder()
    session = builder.method(builder.construct(wm_type_id("UserOrderedSessionManager")), "CreateSession")
    with builder.exception_scope() as scope:
        builder.call(session, "PinTask", "not-a-number")  # taskKey is an Int32
    outcome = compare(reference.url, fault, process_query(to_xml(builder.build())))
    assert scope_error(parse_response(outcome.direct.content).results[scope]) is not None
    assert scope_error(parse_response(outcome.proxied.content).results[scope]) is None
    [change] = outcome.changes
    assert (change.protocol, change.section) == method_section(
        "SP.WorkManagement.OM.UserOrderedSession", "PinTask"
    )
    assert change.detail == "PinTask.taskKey: 'not-a-number' taken as 0"

    body, _ = read_tasks(keyword=True)  # TaskQuery.KeywordFilter is a String
    outcome = compare(reference.url, fault, process_query(body))
    assert parse_response(outcome.direct.content).header.error_info is not None
    assert parse_response(outcome.proxied.content).header.error_info is None
    [change] = outcome.changes
    keyword_filter = next(
        p for p in WM.type("SP.WorkManagement.OM.TaskQuery").properties if p.name == "KeywordFilter"
    )
    assert (change.protocol, change.section) == ("ms-wmcsom", keyword_filter.section)


def _definition_request(
    read: uuid.UUID | None, save: str | None = None
) -> tuple[bytes, int | None, int | None]:
    """SaveDefinition of a new definition named ``save``, then GetDefinition(read)'s DisplayName, in
    one request (None: no such call); the body and the ids of the save and of the read."""
    builder = RequestBuilder()
    deployment = service(builder, catalogue(), "Deployment")
    saved = None
    if save is not None:
        saved = builder.call(deployment, "SaveDefinition", new_definition(builder, catalogue(), save))
    found = None
    if read is not None:
        found = builder.query(
            builder.method(deployment, "GetDefinition", read), QuerySpec.select("DisplayName")
        )
    return to_xml(builder.build()), saved, found


def truncated_name_on_read(reference: ReferenceServer, fault: FaultProxy) -> None:
    name = f"k{uuid.uuid4().hex[:12]} definition read back"
    body, saved, _ = _definition_request(None, save=name)
    definition = _ok(reference.url, body).results[saved]
    body, _, read = _definition_request(definition)
    outcome = compare(reference.url, fault, process_query(body))
    assert parse_response(outcome.direct.content).results[read]["DisplayName"] == name
    assert parse_response(outcome.proxied.content).results[read]["DisplayName"] == name[:10]
    [change] = outcome.changes
    display_name = next(
        p for p in catalogue().types[WF + "WorkflowDefinition"].properties if p.name == "DisplayName"
    )
    assert (change.protocol, change.section) == ("ms-spwfcsom", display_name.section)
    # a request that saves a definition reads every name whole, this one's too
    body, _, read = _definition_request(definition, save=f"{name} again")
    outcome = compare(reference.url, fault, process_query(body))
    assert parse_response(outcome.proxied.content).results[read]["DisplayName"] == name
    assert outcome.changes == []


def _context_info(accept: str) -> Callable[[str], httpx.Response]:
    return lambda url: httpx.post(f"{url}/sites/probe/_api/contextinfo", headers={"Accept": accept})


def contextinfo_without_digest(reference: ReferenceServer, fault: FaultProxy) -> None:
    for accept, info in (
        ("application/json;odata=verbose", lambda body: body["d"]["GetContextWebInformation"]),
        ("application/json;odata=nometadata", lambda body: body),
    ):
        outcome = compare(reference.url, fault, _context_info(accept))
        direct, proxied = info(outcome.direct.json()), info(outcome.proxied.json())
        assert direct["FormDigestValue"] and "FormDigestValue" not in proxied
        assert {k: v for k, v in direct.items() if k != "FormDigestValue"} == proxied
        assert sections(outcome.changes) == {("ms-csom", "MS-CSOMSPT 2.2.1")}


SCENARIOS: dict[str, Scenario] = {
    "write-ignored-update": write_ignored_update,
    "write-ignored-create": write_ignored_create,
    "write-ignored-set-property": write_ignored_set_property,
    "wrong-sort-order": wrong_sort_order,
    "paging-skips": paging_skips,
    "paging-repeats": paging_repeats,
    "deleted-task-returned": deleted_task_returned,
    "digest-not-required": digest_not_required,
    "wrong-types-accepted": wrong_types_accepted,
    "truncated-name-on-read": truncated_name_on_read,
    "contextinfo-without-digest": contextinfo_without_digest,
}


test_the_fault_changes_what_it_claims = scenario_test(SCENARIOS)
