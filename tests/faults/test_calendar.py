"""Every fault of ``GET api/Tasks/Calendar`` through a proxy in front of the reference server (its demo
calendar around TODAY): the answer differs from the direct one exactly where the fault says, in
JSON and in XML, and the change names the spec heading it breaks."""

from __future__ import annotations

import datetime as dt
import json

from conformance.faults import FaultProxy
from conformance.model.calendar_schema import parse_xml, xml_to_json
from conformance.server import ReferenceServer
from tests.faults.helpers import MISSING, TODAY, WEEK, Scenario, calendar, compare, diff, scenario_test

JSON, XML = "application/json", "application/xml"
CALENDAR = "contactslaw-calendar"


def _read(reference: ReferenceServer, fault: FaultProxy, params: dict[str, str], accept: str = JSON):
    return compare(reference.url, fault, calendar(params, accept, reference.token))


def _document(body: bytes, accept: str) -> dict:
    """The answer as JSON data (XML decoded into the same shape, names as sent)."""
    if accept == JSON:
        return json.loads(body)
    root = parse_xml(body)
    return {
        "Result": {
            group.tag: [{field.tag: field.text for field in item} for item in group]
            for group in root.find("Result")
        }
    }


def _first_entry_edit(reference: ReferenceServer, fault: FaultProxy, params: dict[str, str]) -> list[tuple]:
    """The diffs of one edited entry field, for a JSON and an XML read; both changes name the Body."""
    found = []
    for accept in (JSON, XML):
        outcome = _read(reference, fault, params, accept)
        assert outcome.direct.status_code == outcome.proxied.status_code == 200
        found.append(
            diff(_document(outcome.direct.content, accept), _document(outcome.proxied.content, accept))
        )
        assert [(c.protocol, c.section) for c in outcome.changes] == [(CALENDAR, "Body")]
    return found


def field_missing(reference: ReferenceServer, fault: FaultProxy) -> None:
    as_json, as_xml = _first_entry_edit(reference, fault, WEEK)
    assert as_json == [(("Result", "Items", 0, "Type"), 1, MISSING)]  # Tasks is empty: includeTasks false
    assert as_xml == [(("Result", "Items", 0, "Type"), "1", MISSING)]


def field_misnamed(reference: ReferenceServer, fault: FaultProxy) -> None:
    as_json, as_xml = _first_entry_edit(reference, fault, WEEK)
    where = ("Result", "Items", 0)
    assert as_json == [((*where, "Type"), 1, MISSING), ((*where, "type"), MISSING, 1)]
    assert as_xml == [((*where, "Type"), "1", MISSING), ((*where, "type"), MISSING, "1")]


def field_out_of_range(reference: ReferenceServer, fault: FaultProxy) -> None:
    """An item's Type (values listed in the Remarks) and, with tasks, a task's Style (in the Body)."""
    for params, path, was, now, heading in (
        (WEEK, ("Result", "Items", 0, "Type"), 1, 4, "Remarks"),
        ({**WEEK, "includeTasks": "true"}, ("Result", "Tasks", 0, "Style"), 0, 2, "Body"),
    ):
        for accept in (JSON, XML):
            outcome = _read(reference, fault, params, accept)
            before = _document(outcome.direct.content, accept)
            after = _document(outcome.proxied.content, accept)
            expected = (was, now) if accept == JSON else (str(was), str(now))
            assert diff(before, after) == [(path, *expected)]
            assert [(c.protocol, c.section) for c in outcome.changes] == [(CALENDAR, heading)]


def xml_disagrees_with_json(reference: ReferenceServer, fault: FaultProxy) -> None:
    as_json = _read(reference, fault, WEEK, JSON)
    assert as_json.proxied.content == as_json.direct.content and not as_json.changes
    as_xml = _read(reference, fault, WEEK, XML)
    before = xml_to_json(parse_xml(as_xml.direct.content))
    after = xml_to_json(parse_xml(as_xml.proxied.content))
    record = before["Result"]["Items"][0]["DBRecordID"]
    assert diff(before, after) == [(("Result", "Items", 0, "DBRecordID"), record, record + 1)]
    assert before["Result"] == as_json.direct.json()["Result"]  # so the proxied XML disagrees with the JSON
    assert [(c.protocol, c.section) for c in as_xml.changes] == [(CALENDAR, "Body")]


def error_as_http_200(reference: ReferenceServer, fault: FaultProxy) -> None:
    for params, status in (({**WEEK, "member": "3"}, 403), ({"from": WEEK["from"]}, 400)):
        outcome = _read(reference, fault, params)
        assert (outcome.direct.status_code, outcome.proxied.status_code) == (status, 200)
        assert outcome.proxied.content == outcome.direct.content
        assert [(c.protocol, c.section) for c in outcome.changes] == [(CALENDAR, "Status Codes")]
    assert not _read(reference, fault, WEEK).changes


def wrong_content_type(reference: ReferenceServer, fault: FaultProxy) -> None:
    for accept in (JSON, XML):
        outcome = _read(reference, fault, WEEK, accept)
        assert outcome.direct.headers["content-type"].startswith(accept)
        assert outcome.proxied.headers["content-type"] == "text/plain; charset=utf-8"
        assert outcome.proxied.content == outcome.direct.content
        assert [(c.protocol, c.section) for c in outcome.changes] == [(CALENDAR, "Body")]


def _items(response) -> list[str]:
    return [item["Description"] for item in response.json()["Result"]["Items"]]


def to_exclusive(reference: ReferenceServer, fault: FaultProxy) -> None:
    day = str(TODAY + dt.timedelta(days=5))  # the demo's "Client visit" is at 13:00 that day
    whole_day = _read(reference, fault, {"from": day, "to": day})
    assert (_items(whole_day.direct), _items(whole_day.proxied)) == (["Client visit"], [])
    at_13 = _read(reference, fault, {"from": day, "to": f"{day}T13:00:00"})
    assert (_items(at_13.direct), _items(at_13.proxied)) == (["Client visit"], [])
    details = [c.detail for c in whole_day.changes + at_13.changes]
    previous = str(TODAY + dt.timedelta(days=4))
    assert details == [
        f"to={day} forwarded as to={previous}",
        f"to={day}T13:00:00 forwarded as to={day}T12:59:59.999999",
    ]
    assert {(c.protocol, c.section) for c in whole_day.changes + at_13.changes} == {(CALENDAR, "Parameters")}


def include_tasks_by_default(reference: ReferenceServer, fault: FaultProxy) -> None:
    omitted = _read(reference, fault, WEEK)
    assert omitted.direct.json()["Result"]["Tasks"] == []
    titles = {task["Title"] for task in omitted.proxied.json()["Result"]["Tasks"]}
    assert titles == {"File defence", "Hearing"}  # alice's due tasks that week
    assert [(c.protocol, c.section) for c in omitted.changes] == [(CALENDAR, "Parameters")]
    explicit = _read(reference, fault, {**WEEK, "includeTasks": "false"})
    assert explicit.proxied.content == explicit.direct.content and not explicit.changes


def member_ignored(reference: ReferenceServer, fault: FaultProxy) -> None:
    bobs = _read(reference, fault, {**WEEK, "member": "2"})
    assert (_items(bobs.direct), _items(bobs.proxied)[:1]) == (["Annual leave"], ["Office closed"])
    forbidden = _read(reference, fault, {**WEEK, "member": "3"})
    assert (forbidden.direct.status_code, forbidden.proxied.status_code) == (403, 200)
    assert [c.detail for c in bobs.changes + forbidden.changes] == [
        "member=2 not forwarded",
        "member=3 not forwarded",
    ]


SCENARIOS: dict[str, Scenario] = {
    "calendar-field-missing": field_missing,
    "calendar-field-misnamed": field_misnamed,
    "calendar-field-out-of-range": field_out_of_range,
    "calendar-xml-disagrees-with-json": xml_disagrees_with_json,
    "calendar-error-as-http-200": error_as_http_200,
    "calendar-wrong-content-type": wrong_content_type,
    "calendar-to-exclusive": to_exclusive,
    "calendar-include-tasks-by-default": include_tasks_by_default,
    "calendar-member-ignored": member_ignored,
}


test_the_fault_changes_what_it_claims = scenario_test(SCENARIOS)
