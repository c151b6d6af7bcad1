"""Every benign variation, through a proxy in front of the reference server: the answer's bytes change,
its meaning does not (read with the suite's own codec, or as JSON / decoded XML for the calendar),
and the change names the spec place that allows it."""

from __future__ import annotations

import json
from dataclasses import replace

from conformance.faults import FaultProxy
from conformance.faults.benign import VENDOR_MEMBER
from conformance.faults.jsontext import typed_objects, walk
from conformance.model.calendar_schema import parse_xml, xml_to_json
from conformance.server import ReferenceServer
from conformance.wire import Header, Response, parse_response
from tests.faults.helpers import (
    WEEK,
    Outcome,
    Scenario,
    calendar,
    compare,
    failing_call,
    process_query,
    read_tasks,
    scenario_test,
)

HEADER = ("ms-csom", "3.1.4.1.8.1.5")
STRUCTURE = ("ms-csom", "3.1.4.1.8.2")


def _unrelated(header: Header) -> Header:
    """The header without what differs between any two requests (their correlation ids)."""
    error = header.error_info and replace(header.error_info, trace_correlation_id=None)
    return replace(header, trace_correlation_id=None, error_info=error)


def same_meaning(direct: Response, proxied: Response) -> None:
    assert dict(proxied.results) == dict(direct.results)
    assert _unrelated(proxied.header) == _unrelated(direct.header)


def _tasks(reference: ReferenceServer, fault: FaultProxy) -> Outcome:
    outcome = compare(reference.url, fault, process_query(read_tasks()[0]))
    assert outcome.proxied.content != outcome.direct.content and outcome.changes
    return outcome


def vendor_extension_properties(reference: ReferenceServer, fault: FaultProxy) -> None:
    outcome = _tasks(reference, fault)
    document = json.loads(outcome.proxied.content)
    objects = list(typed_objects(document))
    assert objects and all(obj.pop(VENDOR_MEMBER) == "vendor data" for obj in objects)
    without = parse_response(json.dumps(document), require_escaped_solidus=False)
    same_meaning(parse_response(outcome.direct.content), without)
    assert {(c.protocol, c.section) for c in outcome.changes} == {("ms-wmcsom", "1.8")}


def _calendars(reference: ReferenceServer, fault: FaultProxy) -> None:
    """JSON and XML calendar answers: other bytes, the same content; the change names the Body."""
    for accept in ("application/json", "application/xml"):
        outcome = compare(
            reference.url, fault, calendar({**WEEK, "includeTasks": "true"}, accept, reference.token)
        )
        assert outcome.proxied.content != outcome.direct.content
        if accept == "application/json":
            assert outcome.proxied.json() == outcome.direct.json()
        else:
            assert xml_to_json(parse_xml(outcome.proxied.content)) == xml_to_json(
                parse_xml(outcome.direct.content)
            )
        assert [(c.protocol, c.section) for c in outcome.changes] == [("contactslaw-calendar", "Body")]


def reordered_members(reference: ReferenceServer, fault: FaultProxy) -> None:
    outcome = _tasks(reference, fault)
    same_meaning(parse_response(outcome.direct.content), parse_response(outcome.proxied.content))
    firsts = [next(iter(obj)) for obj in walk(json.loads(outcome.proxied.content))]
    assert firsts[0] == "TraceCorrelationId" and "_ObjectType_" not in firsts  # really reordered
    assert [(c.protocol, c.section) for c in outcome.changes] == [STRUCTURE]
    _calendars(reference, fault)


def extra_whitespace(reference: ReferenceServer, fault: FaultProxy) -> None:
    outcome = _tasks(reference, fault)
    same_meaning(parse_response(outcome.direct.content), parse_response(outcome.proxied.content))
    assert (
        b"\n  " in outcome.proxied.content and b'"\\/Date(' in outcome.proxied.content
    )  # dates still escaped
    assert [(c.protocol, c.section) for c in outcome.changes] == [STRUCTURE]
    _calendars(reference, fault)


def newer_library_version(reference: ReferenceServer, fault: FaultProxy) -> None:
    outcome = _tasks(reference, fault)
    direct, proxied = parse_response(outcome.direct.content), parse_response(outcome.proxied.content)
    assert (direct.header.library_version, proxied.header.library_version) == ("16.0.0.0", "16.0.10000.0")
    same_meaning(direct, replace(proxied, header=replace(proxied.header, library_version="16.0.0.0")))
    assert [(c.protocol, c.section) for c in outcome.changes] == [HEADER]


def other_trace_correlation_id(reference: ReferenceServer, fault: FaultProxy) -> None:
    for body in (read_tasks()[0], failing_call()[0]):
        seen = len(fault.changes)
        answer = process_query(body)(fault.url)
        proxied = parse_response(answer.content)
        [change] = fault.changes[seen:]
        target_id, other = change.detail.removeprefix("TraceCorrelationId ").split(" -> ")
        assert other != target_id and proxied.header.trace_correlation_id == other
        assert answer.headers["SPRequestGuid"] == other
        if proxied.header.error_info is not None:
            assert proxied.header.error_info.trace_correlation_id == other
        assert (change.protocol, change.section) == HEADER
    outcome = _tasks(reference, fault)
    same_meaning(parse_response(outcome.direct.content), parse_response(outcome.proxied.content))


def header_without_trace_correlation_id(reference: ReferenceServer, fault: FaultProxy) -> None:
    outcome = _tasks(reference, fault)
    direct, proxied = parse_response(outcome.direct.content), parse_response(outcome.proxied.content)
    assert direct.header.trace_correlation_id and proxied.header.trace_correlation_id is None
    same_meaning(direct, proxied)
    assert [(c.protocol, c.section) for c in outcome.changes] == [HEADER]


SCENARIOS: dict[str, Scenario] = {
    "vendor-extension-properties": vendor_extension_properties,
    "reordered-members": reordered_members,
    "extra-whitespace": extra_whitespace,
    "newer-library-version": newer_library_version,
    "other-trace-correlation-id": other_trace_correlation_id,
    "header-without-trace-correlation-id": header_without_trace_correlation_id,
}


test_the_variation_keeps_the_meaning = scenario_test(SCENARIOS)
