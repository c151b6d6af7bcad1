"""The section-4 examples of MS-WMCSOM and MS-SPWFCSOM replayed over HTTP.

Each request gets a response of the example's shape: the same action ids in the same order, the
same ``_ObjectType_`` values, the same property names and the same kinds of values (the values
themselves may differ; null matches anything). ``_ObjectIdentity_`` is left out: the server
adds it to every object a client can name again (issue 4), and the examples' objects carry none.

Where an example cannot be honoured as printed, the test says which erratum of
specs/errata.toml it applies, and also checks what the server answers to the printed form.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from lxml import etree

from conformance.server import ReferenceServer
from conformance.server.csom.objects import ARGUMENT_NULL, INVALID_OPERATION, INVALID_QUERY
from conformance.server.wf.store import WorkflowStatus
from conformance.spec.data import load_csom, specs_dir
from conformance.spec.errata import load_errata
from conformance.spec.model import Example
from conformance.wire import NS, QuerySpec, RequestBuilder, encode_value
from tests.server.client import CsomClient, instance_service, query_web_and_tasks_list

ERRATA = {e.id for e in load_errata(specs_dir() / "errata.toml")}
SERVER_METADATA = frozenset({"_ObjectIdentity_"})
VALID_XAML = (
    '<Activity xmlns="http://schemas.microsoft.com/netfx/2009/xaml/activities">'
    '<Sequence><WriteLine Text="csomTest2" /></Sequence></Activity>'
)
# the recording server's objects (erratum ex-wf-4-recorded-ids)
RECORDED_WEB = "375160a8-0ab6-46f2-9b3d-b987684b30e3"
RECORDED_LIST = "96424cc8-dc44-409d-ad9e-87236ee608a2"
RECORDED_SUBSCRIPTION = "b72d25f3-8327-41d5-836d-ad956da3eb45"
RECORDED_DEFINITION = "3988dd69-2ffa-45b5-b3f0-5735d4150110"


def applies(erratum_id: str) -> str:
    """Name the erratum whose reading a replay applies (it must be in specs/errata.toml)."""
    assert erratum_id in ERRATA, erratum_id
    return erratum_id


def example(protocol: str, section: str) -> Example:
    return next(e for e in load_csom(protocol).examples if e.section == section)


@pytest.fixture(scope="module")
def server():
    with ReferenceServer() as running:
        yield running


def replay(client: CsomClient, xml: str) -> list[Any]:
    """The server's answer to a request, as plain JSON (what the examples print)."""
    answer = client.post(xml.encode("utf-8"))
    assert answer.status_code == 200, answer.text[:300]
    return json.loads(answer.content)


def _kind(value: Any) -> str:
    if isinstance(value, str) and value.startswith(("/Date(", "/Guid(")):
        return value[1:5]
    return type(value).__name__


def differences(ours: Any, theirs: Any, where: str, ignore: frozenset[str]) -> list[str]:
    """Where ``ours`` departs from the shape of ``theirs`` (the example's value)."""
    if ours is None or theirs is None:
        return []
    if isinstance(theirs, dict) and isinstance(ours, dict):
        mine = set(ours) - SERVER_METADATA - ignore
        found = [] if mine == set(theirs) else [f"{where}: {sorted(mine ^ set(theirs))} differ"]
        if ours.get("_ObjectType_") != theirs.get("_ObjectType_"):
            found.append(
                f"{where}: _ObjectType_ {ours.get('_ObjectType_')} is not {theirs.get('_ObjectType_')}"
            )
        for name in sorted(mine & set(theirs)):
            found += differences(ours[name], theirs[name], f"{where}.{name}", ignore)
        return found
    if isinstance(theirs, list) and isinstance(ours, list):
        if theirs and not ours:
            return [f"{where}: empty, the example has {len(theirs)} item(s)"]
        return [
            p for i, item in enumerate(ours) for p in differences(item, theirs[0], f"{where}[{i}]", ignore)
        ]
    return [] if _kind(ours) == _kind(theirs) else [f"{where}: {_kind(ours)} is not {_kind(theirs)}"]


def assert_spec_shaped(answer: list[Any], expected: list[Any], ignore: frozenset[str] = frozenset()) -> None:
    assert answer[0]["ErrorInfo"] is None, answer[0]["ErrorInfo"]
    assert answer[1::2] == expected[1::2], "the same action ids, in the same order"
    problems = [
        problem
        for action, ours, theirs in zip(answer[1::2], answer[2::2], expected[2::2], strict=True)
        for problem in differences(ours, theirs, f"action {action}", ignore)
    ]
    assert problems == []


def error_of(answer: list[Any]) -> tuple[int, str]:
    info = answer[0]["ErrorInfo"]
    assert info is not None and answer[1:] == []
    return info["ErrorCode"], info["ErrorMessage"]


def _edit(xml: str, change) -> str:
    root = etree.fromstring(xml.encode("utf-8"))
    change(root)
    return etree.tostring(root, encoding="unicode")


def _find(root: etree._Element, tag: str, name: str) -> etree._Element:
    return root.find(f".//{{{NS}}}{tag}[@Name='{name}']")


# ---------------------------------------------------------------------------------------- MS-WMCSOM
def task_without_is_read_only() -> frozenset[str]:
    """The server's Task carries IsReadOnly, which the examples' Task objects leave out."""
    applies("ex-wm-task-isreadonly")
    return frozenset({"IsReadOnly"})


def test_wm_4_1_retrieving_active_tasks(server):
    wanted = example("ms-wmcsom", "4.1")
    with CsomClient(server.url) as client:
        answer = replay(client, wanted.request)
    assert_spec_shaped(answer, wanted.response, ignore=task_without_is_read_only())
    names = [task["Name"] for task in answer[-1]["_Child_Items_"]]
    assert names and "Draft campaign brief" not in names  # the completed task is filtered out


def test_wm_4_2_updating_a_task(server):
    wanted = example("ms-wmcsom", "4.2")
    with CsomClient(server.url) as client:
        assert_spec_shaped(replay(client, wanted.request), wanted.response)


def test_wm_4_3_creating_a_new_task(server):
    wanted = example("ms-wmcsom", "4.3")
    applies("ex-wm-4.3-createtask-params")
    with CsomClient(server.url) as client:
        # as printed: 6 arguments for 8 parameters; this server refuses the call
        code, message = error_of(replay(client, wanted.request))
        assert code == INVALID_QUERY[0] and "CreateTask takes 8 parameter(s)" in message

        # the reading the response supports: "11/23/2011" is the due date (StartDate is
        # MinValue, DueDate 2011-11-23), so localizedStartDate and editUrl were left out
        def eight_arguments(root: etree._Element) -> None:
            parameters = root.find(f".//{{{NS}}}Method[@Name='CreateTask']/{{{NS}}}Parameters")
            parameters.insert(2, encode_value(None))
            parameters.append(encode_value(None))

        answer = replay(client, _edit(wanted.request, eight_arguments))
    assert_spec_shaped(answer, wanted.response, ignore=task_without_is_read_only())
    task = answer[-1]
    assert (task["Name"], task["Description"], task["StartDate"]) == (
        "Go to concert",
        None,
        "/Date(1,0,1,0,0,0,0)/",
    )
    assert (
        task["DueDate"] == "/Date(2011,10,23,0,0,0,0)/"
        and task["EditUrl"] == f"EditTask.aspx?taskId={task['Id']}"
    )


# -------------------------------------------------------------------------------------- MS-SPWFCSOM
def _target_ids(client: CsomClient) -> dict[str, str]:
    """The target's web and Tasks list ids, to put in place of the recorded ones."""
    b = RequestBuilder()
    q_web, q_list = query_web_and_tasks_list(b)
    results = client.ok(b.build()).results
    return {RECORDED_WEB: str(results[q_web]["Id"]), RECORDED_LIST: str(results[q_list]["Id"])}


def on_target(xml: str, ids: dict[str, str]) -> str:
    applies("ex-wf-4-recorded-ids")
    for recorded, ours in ids.items():
        xml = xml.replace(recorded, ours)
    return xml


def valid_xaml(xml: str) -> str:
    """4.3 with a well-formed definition in place of the printed abbreviation."""
    applies("ex-wf-4.3-xaml")
    return _edit(xml, lambda root: setattr(_find(root, "SetProperty", "Xaml")[0], "text", VALID_XAML))


def event_types(xml: str) -> str:
    """4.1 with the table's EventTypes in place of the EventSource / EventType the table lacks."""
    applies("ex-wf-4.1-subscription-props")

    def change(root: etree._Element) -> None:
        source = _find(root, "SetProperty", "EventSource")
        source.getparent().remove(source)
        event_type = _find(root, "SetProperty", "EventType")
        event_type.set("Name", "EventTypes")
        event_type.replace(event_type[0], encode_value([event_type[0].text]))

    return _edit(xml, change)


def test_wf_examples_as_printed_name_a_web_this_server_does_not_have(server):
    applies("ex-wf-4-recorded-ids")
    with CsomClient(server.url, site="/sites/printed") as client:
        for section in ("4.2", "4.3", "4.4"):
            code, message = error_of(replay(client, example("ms-spwfcsom", section).request))
            assert code == ARGUMENT_NULL[0] and "web must not be null" in message, section
        # 4.1 fails earlier, on its first SetProperty of a property the table lacks
        code, message = error_of(replay(client, example("ms-spwfcsom", "4.1").request))
        assert code == INVALID_QUERY[0] and '"EventSource"' in message


def test_wf_examples_on_this_servers_web_without_the_other_readings(server):
    with CsomClient(server.url, site="/sites/ids-only") as client:
        ids = _target_ids(client)
        saved = replay(client, on_target(example("ms-spwfcsom", "4.3").request, ids))
        assert_spec_shaped(saved, example("ms-spwfcsom", "4.3").response)
        # the printed XAML is an abbreviation: saved as a draft, it cannot be published
        code, message = error_of(replay(client, on_target(example("ms-spwfcsom", "4.2").request, ids)))
        assert code == INVALID_OPERATION[0] and "XAML" in message
        # EventSource is not a property of WorkflowSubscription: this server refuses it
        code, message = error_of(replay(client, on_target(example("ms-spwfcsom", "4.1").request, ids)))
        assert code == INVALID_QUERY[0] and '"EventSource"' in message


def test_wf_examples_replay_as_one_session(server):
    with CsomClient(server.url, site="/sites/examples") as client:
        ids = _target_ids(client)
        saved = replay(client, on_target(valid_xaml(example("ms-spwfcsom", "4.3").request), ids))
        assert_spec_shaped(saved, example("ms-spwfcsom", "4.3").response)
        assert saved[-1] == f"/Guid({RECORDED_DEFINITION})/"  # the Id the client set
        published = replay(client, on_target(example("ms-spwfcsom", "4.2").request, ids))
        assert_spec_shaped(published, example("ms-spwfcsom", "4.2").response)
        associated = replay(client, on_target(event_types(example("ms-spwfcsom", "4.1").request), ids))
        assert_spec_shaped(associated, example("ms-spwfcsom", "4.1").response)
        ids[RECORDED_SUBSCRIPTION] = associated[-1].removeprefix("/Guid(").removesuffix(")/")
        started = replay(client, on_target(example("ms-spwfcsom", "4.4").request, ids))
        assert_spec_shaped(started, example("ms-spwfcsom", "4.4").response)
        instance_id = started[-1].removeprefix("/Guid(").removesuffix(")/")
        b = RequestBuilder()
        instances = instance_service(b)
        q = b.query(b.method(instances, "GetInstance", instance_id), QuerySpec(True))
        instance = client.ok(b.build()).results[q]
    assert instance["Status"] == WorkflowStatus.Started
    assert str(instance["WorkflowSubscriptionId"]) == ids[RECORDED_SUBSCRIPTION]
    assert instance["Properties"]["ListId"] == uuid.UUID(ids[RECORDED_LIST])  # 4.4's payload
