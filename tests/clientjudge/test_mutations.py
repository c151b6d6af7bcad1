"""Broken clients are caught, each at its section; benign variations are never flagged.

Each broken client is a real JSOM request (../shared/captures/jsom/spo/) changed in one way, sent over
HTTP to the reference server in judging mode; the case the change breaks must fail, at the section
and level it names, with the request as evidence and the offending element marked. The benign
variations (.NET's typing, pretty-printing, attribute order, a newer LibraryVersion, a bearer token
instead of a digest) must fail no case. Every check of the judge is failed by some broken client.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from lxml import etree

from conformance.clientjudge.ledger import EXPECTED
from conformance.clientjudge.serve import JudgingServer
from conformance.results import CaseResult
from conformance.wire import RequestBuilder, to_xml

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "captures" / "jsom" / "spo"
PROCESS_QUERY = "/sites/judged/_vti_bin/client.svc/ProcessQuery"
JSOM_HEADERS = {"Content-Type": "text/xml", "X-RequestDigest": "0x00,01 Jan 2026 00:00:00 -0000"}
USER_SETTINGS_MANAGER = "73b6f1d6-c69c-4787-8413-2bb14d336410"
TASK_QUERY = "70c9591d-9a78-404a-9fe8-b50b1e02cd93"
WORKFLOW_DEFINITION = "60320d36-4b4d-4bac-a092-8f8b5610edcd"

pytestmark = pytest.mark.skipif(not CAPTURES.is_dir(), reason=f"JSOM captures not found at {CAPTURES}")


@dataclass(frozen=True)
class Client:
    """One request a client sends: a capture, changed by ``change`` (body) and ``headers``."""

    name: str
    capture: str
    change: Callable[[bytes], bytes] = lambda body: body
    headers: dict[str, str | None] = field(default_factory=dict)  # None: the header is left out
    method: str = "POST"
    body: bytes | None = None  # instead of a capture
    path: str = PROCESS_QUERY

    def request(self) -> tuple[str, bytes, dict[str, str]]:
        body = (
            self.body
            if self.body is not None
            else self.change((CAPTURES / f"{self.capture}.xml").read_bytes())
        )
        headers = {k: v for k, v in {**JSOM_HEADERS, **self.headers}.items() if v is not None}
        return self.method, body, headers


@dataclass(frozen=True)
class Broken:
    client: Client
    caught: str  # the case that must fail
    section: str
    level: str = "must"
    control: Client | None = None  # the request unbroken (default: the capture as it is)


def _sub(pattern: str, replacement: str) -> Callable[[bytes], bytes]:
    def change(body: bytes) -> bytes:
        changed, count = re.subn(pattern.encode(), replacement.encode(), body, count=1)
        assert count == 1, f"{pattern!r} is not in the capture"
        return changed

    return change


def _write(name: str, value: object) -> bytes:
    """A workflow definition made client-side, one property set (the .NET library's way: JSOM has no
    workflow script)."""
    builder = RequestBuilder()
    builder.set_property(builder.construct(WORKFLOW_DEFINITION), name, value)
    return to_xml(builder.build())


def _reordered(body: bytes) -> bytes:
    """Every element's attributes in reverse order, and the whole pretty-printed (as .NET and the spec's
    examples write requests)."""
    root = etree.fromstring(body)
    for element in root.iter():
        attributes = list(element.attrib.items())
        element.attrib.clear()
        for name, value in reversed(attributes):
            element.set(name, value)
    etree.indent(root)
    return etree.tostring(root)


WM = "ms-wmcsom/SP.WorkManagement.OM."
CSOM = "ms-csom/ProcessQuery/"
BROKEN = [
    Broken(
        Client(
            "unknown TypeId",
            "usm_ctor_getAllLocations_load",
            _sub(USER_SETTINGS_MANAGER, "0badc0de-0000-4000-8000-000000000000"),
        ),
        CSOM + "client-type-known",
        "3.1.4.1.1.1",
    ),
    Broken(
        Client(
            "another type's TypeId", "usm_ctor_getAllLocations_load", _sub(USER_SETTINGS_MANAGER, TASK_QUERY)
        ),
        WM + "TaskQuery/client-member-known",
        "3.1.5.39",
    ),
    Broken(
        Client("unknown method", "session_deleteTask", _sub('Name="DeleteTask"', 'Name="DeleteTasks"')),
        WM + "UserOrderedSession/client-member-known",
        "3.1.5.41",
    ),
    Broken(
        Client(
            "missing parameter",
            "session_createTask",
            _sub('<Parameter Type="String">http://edit/url</Parameter>', ""),
        ),
        WM + "UserOrderedSession.CreateTask/client-parameter-count",
        "3.1.5.41.2.2.3",
    ),
    Broken(
        Client(
            "a String where an Int32 belongs",
            "session_deleteTask",
            _sub('Type="Number">42', 'Type="String">42'),
        ),
        WM + "UserOrderedSession.DeleteTask/client-parameter-types",
        "3.1.5.41.2.2.4",
    ),
    Broken(
        Client(
            "an Int32 out of range",
            "session_deleteTask",
            _sub('Type="Number">42', 'Type="Number">4294967296'),
        ),
        WM + "UserOrderedSession.DeleteTask/client-parameter-types",
        "3.1.5.41.2.2.4",
    ),
    Broken(
        Client(
            "parameters in the wrong order",
            "session_updateTaskWithLocalizedValue_enum",
            _sub(
                '<Parameter Type="Number">21</Parameter><Parameter Type="String">New title</Parameter>',
                '<Parameter Type="String">New title</Parameter><Parameter Type="Number">21</Parameter>',
            ),
        ),
        WM + "UserOrderedSession.UpdateTaskWithLocalizedValue/client-parameter-types",
        "3.1.5.41.2.2.11",
    ),
    Broken(
        Client(
            "an enum number outside its set",
            "session_updateTaskWithLocalizedValue_enum",
            _sub('Type="Number">21<', 'Type="Number">99<'),
        ),
        WM + "WritableTaskField/client-enum-value",
        "3.1.5.46",
    ),
    Broken(
        Client(
            "another object as a parameter",
            "usm_setUserSettings_new_object_empty_array",
            _sub("bea67fb5-fb82-4388-b0e7-174baa0eb51a", TASK_QUERY),
        ),
        WM + "UserSettingsManager.SetUserSettings/client-parameter-types",
        "3.1.5.44.2.1.1",
    ),
    Broken(
        Client(
            "a dangling ObjectPath reference",
            "session_deleteTask",
            _sub('<ObjectPath Id="5" ObjectPathId="4" />', '<ObjectPath Id="5" ObjectPathId="40" />'),
        ),
        CSOM + "client-references",
        "3.1.4.1.1.1",
    ),
    Broken(
        Client("a duplicate id", "session_deleteTask", _sub('<ObjectPath Id="3"', '<ObjectPath Id="1"')),
        CSOM + "client-ids-unique",
        "3.1.4.1.1.1",
    ),
    Broken(
        Client("a write without a digest", "session_deleteTask", headers={"X-RequestDigest": None}),
        CSOM + "client-form-digest",
        "MS-CSOMSPT 2.2.1",
    ),
    Broken(
        Client("a wrong namespace", "session_deleteTask", _sub("clientquery/2009", "clientquery/2010")),
        CSOM + "client-namespace",
        "3.1.4.1.1.1",
    ),
    Broken(
        Client(
            "a bad date encoding",
            "session_getRefreshHistory_datetime",
            _sub("2026-01-15T08:30:00.000", "15/01/2026 08:30"),
        ),
        CSOM + "client-value-encoding",
        "3.1.4.1.1.1",
    ),
    Broken(
        Client("not well-formed", "session_deleteTask", _sub("</Request>", "</Requests>")),
        CSOM + "client-well-formed",
        "3.1.4.1.1.1",
    ),
    Broken(
        Client(
            "an unknown schema version",
            "session_deleteTask",
            _sub('SchemaVersion="15.0.0.0"', 'SchemaVersion="16.0.0.0"'),
        ),
        CSOM + "client-schema-version",
        "3.1.4.1.1.1",
    ),
    Broken(
        Client("no LibraryVersion", "session_deleteTask", _sub(' LibraryVersion="16.0.0.0"', "")),
        CSOM + "client-library-version",
        "3.1.4.1.1.1",
    ),
    Broken(
        Client("no ApplicationName", "session_deleteTask", _sub(' ApplicationName="Javascript Library"', "")),
        CSOM + "client-application-name",
        "3.1.4.1.1.1",
        "should",
    ),
    Broken(
        Client(
            "a Query without its query",
            "session_deleteTask",
            _sub('<Query SelectAllProperties="true"><Properties /></Query>', "<Properties />"),
        ),
        CSOM + "client-request-shape",
        "3.1.4.1.1.1",
    ),
    Broken(
        Client("sent as JSON", "session_deleteTask", headers={"Content-Type": "application/json"}),
        CSOM + "client-content-type",
        "3.1.4.1.1.1",
        "should",
    ),
    Broken(
        Client("sent with PUT", "session_deleteTask", method="PUT"),
        CSOM + "client-http-method",
        "3.1.4.1.1.1",
    ),
    Broken(
        Client("a read-only property set", "", body=_write("Published", True)),
        "ms-spwfcsom/SP.WorkflowServices.WorkflowDefinition.Published/client-property-access",
        "3.1.5.1.1.1.11",
        control=Client("unbroken", "", body=_write("DisplayName", "ccjudge")),
    ),
]
CALENDAR = "/sites/judged/api/Tasks/Calendar"
CALENDAR_HEADERS = {"Accept": "application/json", "Authorization": "Bearer {token}", "X-RequestDigest": None,
                    "Content-Type": None}  # fmt: skip


def _calendar(name: str, query: str, **headers: str | None) -> Client:
    return Client(name, "", body=b"", method="GET", path=f"{CALENDAR}?{query}",
                  headers={**CALENDAR_HEADERS, **headers})  # fmt: skip


GOOD_PERIOD = "from=2026-01-01&to=2026-01-31&includeTasks=true"
CAL = "contactslaw-calendar/Calendar"
BROKEN += [
    Broken(_calendar("no to", "from=2026-01-01"), CAL + ".to/client-parameter-required", "Parameters"),
    Broken(
        _calendar("a date as the US writes it", "from=01/31/2026&to=2026-02-01"),
        CAL + ".from/client-parameter-format",
        "Parameters",
        "should",
    ),
    Broken(
        _calendar("a parameter the table lacks", GOOD_PERIOD + "&fields=all"),
        CAL + "/client-parameter-known",
        "Parameters",
        "should",
    ),
    Broken(
        _calendar("an Accept the spec cannot satisfy", GOOD_PERIOD, Accept="image/png"),
        CAL + "/client-accept",
        "Body",
    ),
    Broken(
        _calendar("no credentials", GOOD_PERIOD, Authorization=None),
        CAL + "/client-credentials",
        "Status Codes",
    ),
]
BENIGN = [
    Client(
        ".NET's Int32 and Enum typing",
        "session_updateTaskWithLocalizedValue_enum",
        lambda b: _sub('Type="Number">21', 'Type="Enum">21')(_sub('Type="Number">42', 'Type="Int32">42')(b)),
    ),
    Client(
        "pretty-printed, attributes in another order",
        "locationuserordered_reorder_movePersonalTask",
        _reordered,
    ),
    Client(
        "a newer LibraryVersion",
        "usm_getLocations_int_array",
        _sub('LibraryVersion="16.0.0.0"', 'LibraryVersion="16.0.24914.12000"'),
    ),
    Client(
        "a bearer token instead of a digest",
        "session_createTask_nulls",
        headers={"X-RequestDigest": None, "Authorization": "Bearer {token}"},
    ),
    Client(
        "text/xml with a charset",
        "taskquery_property_sets_only",
        headers={"Content-Type": "text/xml; charset=utf-8"},
    ),
    Client(
        "SchemaVersion 14.0.0.0 of SharePoint 2010's clients",
        "usm_getUserSettings_load_props",
        _sub('SchemaVersion="15.0.0.0"', 'SchemaVersion="14.0.0.0"'),
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[JudgingServer]:
    with JudgingServer() as judging:
        yield judging


def _judged(server: JudgingServer, client: Client) -> dict[str, CaseResult]:
    ledger = server.reset()
    method, body, headers = client.request()
    headers = {k: v.replace("{token}", server.token or "") for k, v in headers.items()}
    httpx.request(method, server.url + client.path, content=body, headers=headers, timeout=10)
    assert ledger.requests == 1  # judged before the answer's last byte: nothing to wait for
    return {case.id: case for case in ledger.cases()}


@pytest.mark.parametrize("broken", [pytest.param(b, id=b.client.name) for b in BROKEN])
def test_a_broken_client_is_caught_at_its_section(server: JudgingServer, broken: Broken) -> None:
    unbroken = broken.control or Client("unbroken", broken.client.capture)
    if broken.client.path.startswith(CALENDAR):
        unbroken = _calendar("unbroken", GOOD_PERIOD)
    control = _judged(server, unbroken)
    assert not [c.id for c in control.values() if c.outcome != "passed"], "the unbroken request must pass"
    case = _judged(server, broken.client)[broken.caught]
    assert (case.outcome, case.section, case.level) == ("failed", broken.section, broken.level), case.message
    assert case.violated == broken.caught.rsplit("/", 1)[1] and case.actual
    (shown,) = case.evidence
    assert shown.text.startswith(f"{broken.client.method} {broken.client.path}") and "curl" in shown.curl
    assert "0x00,01 Jan" not in shown.text + shown.curl, "the form digest is a secret"
    assert server.token not in shown.text + shown.curl, "so is the bearer token"


@pytest.mark.parametrize("client", [pytest.param(c, id=c.name) for c in BENIGN])
def test_a_benign_variation_is_never_flagged(server: JudgingServer, client: Client) -> None:
    cases = _judged(server, client)
    assert len(cases) > 12  # the request-wide cases and the members'
    assert not [f"{c.id}: {c.message}" for c in cases.values() if c.outcome != "passed"]


def test_every_check_of_the_judge_is_failed_by_a_broken_client() -> None:
    caught = {b.caught.rsplit("/", 1)[1] for b in BROKEN}
    assert caught == set(EXPECTED)


def test_the_offending_element_is_marked_in_the_evidence(server: JudgingServer) -> None:
    broken = next(b for b in BROKEN if b.client.name == "an enum number outside its set")
    (shown,) = _judged(server, broken.client)[broken.caught].evidence
    marked = shown.text.split("▶", 1)[1].split("◀", 1)[0]
    assert "client-enum-value: 99 is not a value of SP.WorkManagement.OM.WritableTaskField" in marked
    assert '<Parameter Type="Number">99</Parameter>' in marked and "42" not in marked
