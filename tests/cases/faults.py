"""The broken variants the calendar and transport cases must catch, each with the cases that must
fail, the section they must name and the check whose violation they must report.

Every kind of check cases/test_calendar.py and cases/test_transport.py use appears in at least
one expectation (tests/cases/test_calendar_transport.py asserts that). A run of the cases costs
seconds, so :data:`RUNS` groups faults that touch disjoint cases into one broken server each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from conformance.server.auth import DEFAULT_USER
from conformance.server.seed import CALENDAR_ACCESS
from tests.cases.broken import CALENDAR, CSOM, Answer, Call, Fault, Upstream

CAL, MS_CSOM = "contactslaw-calendar", "ms-csom"
BODY, PARAMETERS, STATUS_CODES = "Body", "Parameters", "Status Codes"
HEADER, ERROR_VALUE, STRUCTURE = "3.1.4.1.8.1.5", "3.1.4.1.8.1.2", "3.1.4.1.8.2"
SCOPE, PROCESSING, DIGEST = "3.1.4.1.8.2.1.3", "3.1.4.1.1.1", "MS-CSOMSPT 2.2.1"


@dataclass(frozen=True)
class Expect:
    case_id: str
    section: str
    check: str  # the check named in the failure message
    says: str = ""  # and a phrase of it, where the check alone does not tell the fault


@dataclass(frozen=True)
class Broken:
    fault: Fault
    expect: tuple[Expect, ...]


# ------------------------------------------------------------------------------------ helpers


def _is(answer: Answer, media: str) -> bool:
    return answer.status == 200 and answer.headers.get("content-type", "").startswith(media)


def _edit_calendar_json(edit: Callable[[dict[str, Any]], None]) -> Callable[[Call, Answer], Answer]:
    def after(call: Call, answer: Answer) -> Answer:
        if not _is(answer, "application/json"):
            return answer
        document = answer.json()
        edit(document["Result"])
        return answer.with_json(document)

    return after


def _edit_csom(edit: Callable[[list[Any]], list[Any]]) -> Callable[[Call, Answer], Answer]:
    """Rewrite every ProcessQuery answer array."""

    def after(call: Call, answer: Answer) -> Answer:
        return answer.with_json(edit(answer.json())) if _is(answer, "application/json") else answer

    return after


def _objects(value: Any) -> list[dict[str, Any]]:
    """Every JSON object inside ``value`` (itself included)."""
    if isinstance(value, list):
        return [inner for item in value for inner in _objects(item)]
    if isinstance(value, dict):
        return [value, *(inner for item in value.values() for inner in _objects(item))]
    return []


def _with_params(call: Call, **params: str) -> Call:
    return replace(call, params={**call.params, **params})


# ---------------------------------------------------------------------------------- calendar


def _drop_venue(result: dict[str, Any]) -> None:
    for task in result["Tasks"]:
        task.pop("Venue")


def _priority_out_of_range(result: dict[str, Any]) -> None:
    for task in result["Tasks"]:
        task["Priority"] = 9


def _xml_without_item_dates(call: Call, answer: Answer) -> Answer:
    if not _is(answer, "application/xml"):
        return answer
    root = etree.fromstring(answer.body)
    for date in root.findall("Result/Items/Item/Date"):
        date.getparent().remove(date)
    return replace(answer, body=etree.tostring(root))


def _xml_as_html(call: Call, answer: Answer) -> Answer:
    if not _is(answer, "application/xml"):
        return answer
    return replace(answer, headers={**answer.headers, "content-type": "text/html; charset=utf-8"})


def _truncated_json(call: Call, answer: Answer) -> Answer:
    return (
        replace(answer, body=answer.body[: len(answer.body) // 2])
        if _is(answer, "application/json")
        else answer
    )


def _any_accept_is_json(call: Call, upstream: Upstream) -> Call:
    if call.headers.get("accept") in ("application/json", "application/xml"):
        return call
    return replace(call, headers={**call.headers, "accept": "application/json"})


def _token_for_everyone(call: Call, upstream: Upstream) -> Call:
    if "authorization" in call.headers:
        return call
    return replace(call, headers={**call.headers, "authorization": f"Bearer {upstream.token}"})


def _to_exclusive(call: Call, upstream: Upstream) -> Call:
    """`to` moved just before itself: a bare day ends the day before, a date-time a microsecond earlier."""
    to = call.params.get("to", "")
    try:
        if len(to) == 10:
            return _with_params(call, to=(dt.date.fromisoformat(to) - dt.timedelta(days=1)).isoformat())
        return _with_params(
            call, to=(dt.datetime.fromisoformat(to) - dt.timedelta(microseconds=1)).isoformat()
        )
    except ValueError:
        return call


def _tasks_by_default(call: Call, upstream: Upstream) -> Call:
    return call if "includeTasks" in call.params else _with_params(call, includeTasks="true")


def _another_members_calendar(call: Call, upstream: Upstream) -> Call:
    if "member" in call.params:
        return call
    viewable = next(member for viewer, member in CALENDAR_ACCESS if viewer == DEFAULT_USER)
    return _with_params(call, member=str(viewable))


def _default_period(call: Call, upstream: Upstream) -> Call:
    return call if "from" in call.params else _with_params(call, **{"from": "2000-01-01"})


def _cal(item: str, check_id: str, section: str, check: str) -> Expect:
    return Expect(f"{CAL}/Calendar.{item}/{check_id}", section, check)


CALENDAR_FAULTS = (
    Broken(
        Fault("json-task-without-venue", CALENDAR, after=_edit_calendar_json(_drop_venue)),
        (_cal("Result.Tasks[].Venue[json]", "field-type", BODY, "property-present"),
         _cal("GET[includeTasks=true;json]", "answer-shape", BODY, "json-schema")),
    ),
    Broken(
        Fault("json-priority-out-of-range", CALENDAR, after=_edit_calendar_json(_priority_out_of_range)),
        (_cal("Result.Tasks[].Priority[json]", "allowed-values", BODY, "json-schema"),),
    ),
    Broken(
        Fault("xml-item-without-date", CALENDAR, after=_xml_without_item_dates),
        (_cal("GET[defaults;xml]", "answer-shape", BODY, "xml-schema"),
         _cal("Result.Items[].Date[xml]", "field-type", BODY, "property-present")),
    ),
    Broken(
        Fault("xml-served-as-html", CALENDAR, after=_xml_as_html),
        (_cal("GET[defaults;xml]", "answer-shape", BODY, "content-type"),),
    ),
    Broken(
        Fault("json-truncated", CALENDAR, after=_truncated_json),
        (_cal("GET[defaults;json]", "answer-shape", BODY, "body-parses"),),
    ),
    Broken(
        Fault("unsupported-accept-answered-200", CALENDAR, before=_any_accept_is_json),
        (_cal("406", "not-acceptable", STATUS_CODES, "http-status"),),
    ),
    Broken(
        Fault("no-token-answered-200", CALENDAR, before=_token_for_everyone),
        (_cal("401[no-credentials]", "unauthorized", STATUS_CODES, "http-status"),),
    ),
    Broken(
        Fault("to-exclusive", CALENDAR, before=_to_exclusive),
        (_cal("to[exact].Items", "inclusive", PARAMETERS, "contains"),
         _cal("to[exact].Tasks", "inclusive", PARAMETERS, "contains")),
    ),
    Broken(
        Fault("include-tasks-defaults-to-true", CALENDAR, before=_tasks_by_default),
        (_cal("includeTasks[omitted]", "no-tasks", PARAMETERS, "equals"),),
    ),
    Broken(
        Fault("member-omitted-is-someone-else", CALENDAR, before=_another_members_calendar),
        (_cal("member[omitted]", "current-user", PARAMETERS, "equals"),
         # the caller's own calendar (member omitted) is now the viewable member's
         _cal("member[viewable]", "that-member", PARAMETERS, "differs")),
    ),
    Broken(
        Fault("missing-from-gets-a-default", CALENDAR, before=_default_period),
        (_cal("from[omitted]", "client-error", STATUS_CODES, "client-error"),),
    ),
)  # fmt: skip


# ------------------------------------------------------------------------------------ MS-CSOM


def _without_schema_version(array: list[Any]) -> list[Any]:
    array[0].pop("SchemaVersion")
    return array


def _dangling_element(array: list[Any]) -> list[Any]:
    return [*array, 0]


def _error_on_success(array: list[Any]) -> list[Any]:
    if array[0].get("ErrorInfo") is None:
        array[0]["ErrorInfo"] = {"ErrorMessage": "injected", "ErrorValue": None, "ErrorCode": -1,
                                 "ErrorTypeName": "Injected"}  # fmt: skip
    return array


def _errors_swallowed(array: list[Any]) -> list[Any]:
    array[0]["ErrorInfo"] = None
    return array


def _scope_errors_cleared(array: list[Any]) -> list[Any]:
    for value in _objects(array[1:]):
        if "HasException" in value:
            value["HasException"], value["ErrorInfo"] = False, None
    return array


def _last_pair_dropped(array: list[Any]) -> list[Any]:
    return array[:-2] if len(array) > 1 else array


def _object_types_renamed(array: list[Any]) -> list[Any]:
    for value in _objects(array[1:]):
        if isinstance(value.get("_ObjectType_"), str):
            value["_ObjectType_"] = value["_ObjectType_"].replace("SP.WorkManagement.OM.", "WM.")
    return array


def _error_value_dropped(array: list[Any]) -> list[Any]:
    for value in _objects(array):
        if "ErrorCode" in value:
            value.pop("ErrorValue", None)
    return array


def _pairs_reversed(array: list[Any]) -> list[Any]:
    pairs = [array[i : i + 2] for i in range(1, len(array), 2)]
    return [array[0], *(item for pair in reversed(pairs) for item in pair)]


def _malformed_accepted(call: Call, upstream: Upstream) -> Call | Answer:
    try:
        etree.fromstring(call.body, etree.XMLParser(resolve_entities=False, load_dtd=False))
    except etree.XMLSyntaxError:
        header = {"SchemaVersion": "15.0.0.0", "LibraryVersion": "16.0.0.0", "ErrorInfo": None}
        return Answer(200, {"content-type": "application/json"}).with_json([header])
    return call


def _digest_for_everyone(call: Call, upstream: Upstream) -> Call:
    if "x-requestdigest" in call.headers or "authorization" in call.headers:
        return call
    return replace(call, headers={**call.headers, "x-requestdigest": upstream.digest()})


def _csom(item: str, check_id: str, section: str, check: str) -> Expect:
    return Expect(f"{MS_CSOM}/{item}/{check_id}", section, check)


CSOM_FAULTS = (
    Broken(
        Fault("header-without-schema-version", CSOM, after=_edit_csom(_without_schema_version)),
        (_csom("Header.SchemaVersion", "header-member", HEADER, "property-present"),),
    ),
    Broken(
        Fault("dangling-array-element", CSOM, after=_edit_csom(_dangling_element)),
        (Expect(f"{MS_CSOM}/Response.ActionIds/ids-in-order", STRUCTURE, "no-error", "not id/result pairs"),),
    ),
    Broken(
        Fault("error-info-on-success", CSOM, after=_edit_csom(_error_on_success)),
        (_csom("Header.ErrorInfo", "header-member", HEADER, "json-schema"),
         _csom("Response.ActionIds", "ids-in-order", STRUCTURE, "no-error")),
    ),
    Broken(
        Fault("errors-swallowed", CSOM, after=_edit_csom(_errors_swallowed)),
        (_csom("Constructor.UnknownTypeId", "error-info", PROCESSING, "error-info"),),
    ),
    Broken(
        Fault("scope-errors-cleared", CSOM, after=_edit_csom(_scope_errors_cleared)),
        (_csom("Method.UnknownName", "scope-error", PROCESSING, "scope-error"),
         _csom("ExceptionHandlingScopeSimple", "scope-result", SCOPE, "json-schema")),
    ),
    Broken(
        Fault("last-result-dropped", CSOM, after=_edit_csom(_last_pair_dropped)),
        (_csom("ExceptionHandlingScopeSimple.Continue", "later-actions-run", SCOPE, "result-present"),),
    ),
    Broken(
        Fault("object-types-renamed", CSOM, after=_edit_csom(_object_types_renamed)),
        (_csom("SP.WorkManagement.OM.UserSettings._ObjectType_", "object-type", STRUCTURE, "object-type"),),
    ),
    Broken(
        Fault("error-value-dropped", CSOM, after=_edit_csom(_error_value_dropped)),
        (_csom("ErrorInfo.ErrorValue", "error-member", ERROR_VALUE, "property-present"),),
    ),
    Broken(
        Fault("results-reversed", CSOM, after=_edit_csom(_pairs_reversed)),
        (_csom("Response.ActionIds", "ids-in-order", STRUCTURE, "equals"),),
    ),
    Broken(
        Fault("malformed-xml-accepted", CSOM, before=_malformed_accepted),
        (_csom("Request[not-xml]", "refused", PROCESSING, "csom-refused"),),
    ),
    Broken(
        Fault("write-without-digest-accepted", CSOM, before=_digest_for_everyone),
        (_csom("X-RequestDigest[missing]", "write-refused", DIGEST, "error-info"),),
    ),
)  # fmt: skip


FAULTS = {broken.fault.name: broken for broken in (*CALENDAR_FAULTS, *CSOM_FAULTS)}
# Faults sharing a server. Within a group no fault changes what another one's expected cases see:
# a fault that breaks every JSON (or every ProcessQuery) answer goes with faults of the other
# representation (endpoint) only; faults of disjoint requests (an Accept, a missing token, a
# malformed body, an anonymous write) go anywhere.
RUNS: tuple[tuple[str, ...], ...] = (
    ("json-truncated", "xml-item-without-date", "no-token-answered-200", "header-without-schema-version"),
    ("xml-served-as-html", "to-exclusive", "missing-from-gets-a-default", "unsupported-accept-answered-200",
     "dangling-array-element"),
    ("json-task-without-venue", "include-tasks-defaults-to-true", "error-info-on-success"),
    ("json-priority-out-of-range", "member-omitted-is-someone-else", "errors-swallowed",
     "object-types-renamed", "malformed-xml-accepted", "last-result-dropped", "error-value-dropped"),
    # not with last-result-dropped: the digest case must see the task it created to delete it
    ("scope-errors-cleared", "write-without-digest-accepted", "results-reversed"),
)  # fmt: skip
assert sorted(n for run in RUNS for n in run) == sorted(FAULTS), "every fault in exactly one run"
