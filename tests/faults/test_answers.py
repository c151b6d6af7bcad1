"""Every fault of a ProcessQuery answer, through a proxy in front of the reference server: the answer
differs from the direct one exactly where the fault says (correlation ids masked), and the change
names the spec section of what it hit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from conformance.faults import Change, FaultProxy
from conformance.faults.jsontext import members
from conformance.server import ReferenceServer
from conformance.spec.data import load_csom
from conformance.wire import parse_response
from tests.faults.helpers import (
    MISSING,
    Scenario,
    compare,
    csom,
    definitions_read,
    diff,
    failing_call,
    lone_result,
    pair_index,
    process_query,
    read_tasks,
    result_of,
    scenario_test,
    settings_read,
)

CSOM = ("ms-csom", "3.1.4.1.8.2")


def section(protocol: str, short_name: str, member: str | None = None) -> str:
    """A type's (or its property's) section, from the spec data."""
    spec_type = load_csom(protocol).type(short_name)
    return (
        spec_type.section
        if member is None
        else next(p.section for p in spec_type.properties if p.name == member)
    )


def _settings(reference: ReferenceServer, fault: FaultProxy) -> tuple[dict, dict, tuple, int]:
    """The settings read through ``fault``: the answers, the path of UserSettings' first property
    and its value; the fault made one change, named by that property's section."""
    body, query = settings_read()
    outcome = compare(reference.url, fault, process_query(body))
    before, after = csom(outcome.direct.content), csom(outcome.proxied.content)
    settings = result_of(before, query)
    first = members(settings)[0]
    assert first == "DaysAfterCurrentDateTimelineEnds"  # the spec's first property of UserSettings
    [change] = outcome.changes
    expected = section("ms-wmcsom", "SP.WorkManagement.OM.UserSettings", first)
    assert (change.protocol, change.section) == ("ms-wmcsom", expected)
    return before, after, ("pairs", pair_index(before, query), 1, first), settings[first]


def drop_property(reference: ReferenceServer, fault: FaultProxy) -> None:
    before, after, path, value = _settings(reference, fault)
    assert diff(before, after) == [(path, value, MISSING)]


def rename_property(reference: ReferenceServer, fault: FaultProxy) -> None:
    before, after, path, value = _settings(reference, fault)
    renamed = "d" + path[-1][1:]
    assert diff(before, after) == [(path, value, MISSING), ((*path[:-1], renamed), MISSING, value)]
    old_keys, new_keys = (list(answer["pairs"][path[1]][1]) for answer in (before, after))
    assert new_keys.index(renamed) == old_keys.index(path[-1])  # in the same place


def wrong_json_type(reference: ReferenceServer, fault: FaultProxy) -> None:
    before, after, path, value = _settings(reference, fault)
    assert isinstance(value, int) and diff(before, after) == [(path, value, str(value))]


def wrong_object_type(reference: ReferenceServer, fault: FaultProxy) -> None:
    body, query = settings_read()
    outcome = compare(reference.url, fault, process_query(body))
    before, after = csom(outcome.direct.content), csom(outcome.proxied.content)
    path = ("pairs", pair_index(before, query), 1, "_ObjectType_")
    expected = "Microsoft.SharePoint.WorkManagement.Client.UserSettings"
    assert diff(before, after) == [(path, "SP.WorkManagement.OM.UserSettings", expected)]
    [change] = outcome.changes
    assert change.section == section("ms-wmcsom", "SP.WorkManagement.OM.UserSettings")


def _first_task(reference: ReferenceServer, fault: FaultProxy, member: str) -> tuple[list, Change]:
    """The demo tasks read through ``fault``: the diff and the change (on the first task's ``member``)."""
    body, query = read_tasks()
    outcome = compare(reference.url, fault, process_query(body))
    before, after = csom(outcome.direct.content), csom(outcome.proxied.content)
    [change] = outcome.changes
    assert change.section == section("ms-wmcsom", "SP.WorkManagement.OM.Task", member)
    differences = diff(before, after)
    assert [path for path, _, _ in differences] == [
        ("pairs", pair_index(before, query), 1, "_Child_Items_", 0, member)
    ]
    return differences, change


def enum_out_of_range(reference: ReferenceServer, fault: FaultProxy) -> None:
    [(_, was, now)], _ = _first_task(reference, fault, "PinAge")
    pin_age = load_csom("ms-wmcsom").type("SP.WorkManagement.OM.PinAge")
    assert was in {v.value for v in pin_age.values} and now == max(v.value for v in pin_age.values) + 1


def malformed_date(reference: ReferenceServer, fault: FaultProxy) -> None:
    [(_, was, now)], _ = _first_task(reference, fault, "DueDate")
    # The demo's dates follow the server's clock: the ISO text is derived from the numbers sent
    # (JavaScript's zero-based month), whatever day the test runs on.
    numbers = re.fullmatch(r"/Date\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+),0\)/", was)
    assert numbers, was
    year, month, day, hour, minute, second = map(int, numbers.groups())
    assert now == f"/Date({dt.datetime(year, month + 1, day, hour, minute, second).isoformat()})/"


def malformed_guid(reference: ReferenceServer, fault: FaultProxy) -> None:
    body, query = definitions_read()
    outcome = compare(reference.url, fault, process_query(body))
    before, after = csom(outcome.direct.content), csom(outcome.proxied.content)
    path = ("pairs", pair_index(before, query), 1, "_Child_Items_", 0, "Id")
    [(where, was, now)] = diff(before, after)
    assert where == path and was.startswith("/Guid(") and now == was[:-3] + ")/" and len(now) == len(was) - 1
    [change] = outcome.changes
    assert change.section == section("ms-spwfcsom", "SP.WorkflowServices.WorkflowDefinition", "Id")
    assert b'"\\/Guid(' in outcome.proxied.content  # written as servers write it


def unescaped_solidus(reference: ReferenceServer, fault: FaultProxy) -> None:
    """Dates (tasks) and GUIDs (workflow definitions) written as a stock encoder writes them: the same
    JSON document, every special value without the escaped solidus, one change each at MS-CSOM 2.2.5."""
    for body, _ in (read_tasks(), definitions_read()):
        outcome = compare(reference.url, fault, process_query(body))
        direct, proxied = outcome.direct.content, outcome.proxied.content
        assert csom(proxied) == csom(direct)  # nothing changed but the raw text
        specials = parse_response(proxied).unescaped
        assert specials and parse_response(direct).unescaped == ()
        assert b"\\/" not in proxied and all(f'"{value}"'.encode() in proxied for value in specials)
        assert [(c.protocol, c.section) for c in outcome.changes] == [("ms-csom", "2.2.5")] * len(specials)
        assert all(value in c.detail for value, c in zip(specials, outcome.changes, strict=True))


def _error_info_without_code(reference: ReferenceServer, fault: FaultProxy, scoped: bool) -> None:
    body, scope = failing_call(scoped)
    outcome = compare(reference.url, fault, process_query(body))
    before, after = csom(outcome.direct.content), csom(outcome.proxied.content)
    where = ("pairs", pair_index(before, scope), 1) if scoped else ("header",)
    code = (result_of(before, scope) if scoped else before["header"])["ErrorInfo"]["ErrorCode"]
    assert diff(before, after) == [((*where, "ErrorInfo", "ErrorCode"), code, MISSING)]
    assert [(c.protocol, c.section) for c in outcome.changes] == [("ms-csom", "3.1.4.1.8.1.2")]


def error_info_without_code(reference: ReferenceServer, fault: FaultProxy) -> None:
    for scoped in (False, True):
        _error_info_without_code(reference, fault, scoped)


def _header_without(member: str) -> Callable[[ReferenceServer, FaultProxy], None]:
    def scenario(reference: ReferenceServer, fault: FaultProxy) -> None:
        outcome = compare(reference.url, fault, process_query(settings_read()[0]))
        before, after = csom(outcome.direct.content), csom(outcome.proxied.content)
        assert diff(before, after) == [(("header", member), before["header"][member], MISSING)]
        assert [(c.protocol, c.section) for c in outcome.changes] == [("ms-csom", "3.1.4.1.8.1.5")]

    return scenario


def results_under_wrong_ids(reference: ReferenceServer, fault: FaultProxy) -> None:
    outcome = compare(reference.url, fault, process_query(settings_read()[0]))
    before, after = csom(outcome.direct.content), csom(outcome.proxied.content)
    ids = [key for key, _ in before["pairs"]]
    assert [key for key, _ in after["pairs"]] == [ids[1], ids[0], *ids[2:]]
    assert [result for _, result in after["pairs"]] == [result for _, result in before["pairs"]]
    lone = compare(reference.url, fault, process_query(lone_result()))
    [(key, value)] = csom(lone.direct.content)["pairs"]
    assert csom(lone.proxied.content)["pairs"] == [[key + 1, value]]
    assert [(c.protocol, c.section) for c in outcome.changes + lone.changes] == [CSOM, CSOM]


def csom_error_as_http_500(reference: ReferenceServer, fault: FaultProxy) -> None:
    refused = compare(reference.url, fault, process_query(failing_call()[0]))
    assert (refused.direct.status_code, refused.proxied.status_code) == (200, 500)
    assert csom(refused.direct.content) == csom(refused.proxied.content)
    fine = compare(reference.url, fault, process_query(settings_read()[0]))
    assert fine.proxied.status_code == 200 and not fine.changes
    assert [(c.protocol, c.section) for c in refused.changes] == [CSOM]


def csom_wrong_content_type(reference: ReferenceServer, fault: FaultProxy) -> None:
    outcome = compare(reference.url, fault, process_query(settings_read()[0]))
    assert outcome.direct.headers["content-type"] == "application/json; charset=utf-8"
    assert outcome.proxied.headers["content-type"] == "text/html; charset=utf-8"
    assert csom(outcome.direct.content) == csom(outcome.proxied.content)
    parse_response(outcome.proxied.content)  # the body itself is untouched and valid
    assert [(c.protocol, c.section) for c in outcome.changes] == [CSOM]


SCENARIOS: dict[str, Scenario] = {
    "drop-property": drop_property,
    "rename-property": rename_property,
    "wrong-json-type": wrong_json_type,
    "wrong-object-type": wrong_object_type,
    "enum-out-of-range": enum_out_of_range,
    "malformed-date": malformed_date,
    "malformed-guid": malformed_guid,
    "unescaped-solidus": unescaped_solidus,
    "error-info-without-code": error_info_without_code,
    "header-without-schema-version": _header_without("SchemaVersion"),
    "header-without-library-version": _header_without("LibraryVersion"),
    "results-under-wrong-ids": results_under_wrong_ids,
    "csom-error-as-http-500": csom_error_as_http_500,
    "csom-wrong-content-type": csom_wrong_content_type,
}


test_the_fault_changes_what_it_claims = scenario_test(SCENARIOS)
