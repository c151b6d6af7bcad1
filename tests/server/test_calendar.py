import datetime as dt

import httpx
import pytest
from lxml import etree

from tests.server.conftest import TODAY

WEEK = {"from": str(TODAY - dt.timedelta(days=2)), "to": str(TODAY + dt.timedelta(days=6))}


def get(server, params, accept="application/json", auth=True):
    headers = {"Accept": accept, **(server.auth_headers if auth else {})}
    return httpx.get(f"{server.url}/api/Tasks/Calendar", params=params, headers=headers)


def test_without_or_with_a_wrong_token_is_401(server):
    assert get(server, WEEK, auth=False).status_code == 401
    r = httpx.get(f"{server.url}/api/Tasks/Calendar", params=WEEK, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["Message"]


@pytest.mark.parametrize("accept", ["text/html", "application/pdf", "application/json;q=0"])
def test_unsupported_accept_is_406(server, accept):
    assert get(server, WEEK, accept=accept).status_code == 406


@pytest.mark.parametrize("accept", ["", "*/*", "application/json", "text/html, application/json;q=0.5"])
def test_json_for_json_or_anything(server, accept):
    r = get(server, WEEK, accept=accept)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert set(r.json()) == {"Result", "Message"}


def test_include_tasks_defaults_to_false(server):
    body = get(server, WEEK).json()
    assert body["Result"]["Tasks"] == [] and body["Result"]["Items"]
    tasks = get(server, {**WEEK, "includeTasks": "true"}).json()["Result"]["Tasks"]
    assert {t["Title"] for t in tasks} == {"File defence", "Hearing"}


def test_to_is_inclusive_for_a_whole_day(server):
    # the demo has an alice item at TODAY+5 13:00 ("Client visit")
    day = str(TODAY + dt.timedelta(days=5))
    items = get(server, {"from": day, "to": day}).json()["Result"]["Items"]
    assert [i["Description"] for i in items] == ["Client visit"]
    before = str(TODAY + dt.timedelta(days=4))
    assert get(server, {"from": before, "to": before}).json()["Result"]["Items"] == []


def test_member_omitted_is_the_caller_and_visibility_is_enforced(server):
    mine = {i["Description"] for i in get(server, WEEK).json()["Result"]["Items"]}
    assert "Office closed" in mine and "Annual leave" not in mine
    bobs = {i["Description"] for i in get(server, {**WEEK, "member": 2}).json()["Result"]["Items"]}
    assert bobs == {"Annual leave"}
    assert get(server, {**WEEK, "member": 3}).status_code == 403
    assert get(server, {**WEEK, "member": 999}).status_code == 403


def test_field_values_are_in_range(server):
    result = get(server, {**WEEK, "includeTasks": "true"}).json()["Result"]
    for task in result["Tasks"]:
        assert task["Style"] in (0, 1) and 0 <= task["Priority"] <= 4 and task["SequenceNo"] >= 1
        assert isinstance(task["IsDue"], bool) and isinstance(task["Duration"], float)
    assert {i["Type"] for i in result["Items"]} <= {1, 2, 3}


def test_xml_has_the_same_content_as_json(server):
    params = {**WEEK, "includeTasks": "true"}
    as_json = get(server, params).json()["Result"]
    root = etree.fromstring(get(server, params, accept="application/xml").content)
    assert root.tag == "Response"
    xml_tasks = root.findall("Result/Tasks/Item")
    assert [t.findtext("Title") for t in xml_tasks] == [t["Title"] for t in as_json["Tasks"]]
    assert [int(i.findtext("Type")) for i in root.findall("Result/Items/Item")] == [
        i["Type"] for i in as_json["Items"]
    ]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"from": "2026-01-01"},
        {"from": "yesterday", "to": "2026-01-01"},
        {**WEEK, "includeTasks": "maybe"},
        {"from": "0001-01-01T00:00:00+01:00", "to": "2026-01-01"},  # year 0 in UTC
        {**WEEK, "member": "99999999999999999999999"},  # beyond SQLite's integers
        {**WEEK, "member": "\u00b2"},  # '²'.isdigit(), yet int('²') fails
    ],
)
def test_bad_parameters_are_400_with_a_message_and_the_server_keeps_serving(server, params):
    r = get(server, params)
    assert r.status_code == 400 and r.json()["Message"]
    assert get(server, WEEK).status_code == 200


def test_the_last_day_there_is_is_a_whole_day(server):
    # the end of 9999-12-31 was computed as the next day's start, which does not exist (500)
    assert get(server, {"from": "9999-12-01", "to": "9999-12-31"}).json() == {
        "Result": {"Tasks": [], "Items": []},
        "Message": None,
    }
