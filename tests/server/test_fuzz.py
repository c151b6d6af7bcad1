"""The standing fuzz test of the reference server (issue 19): Hypothesis-generated requests, valid ones
built from the spec data and mutations of them (scopes nested past the limit, long object-path chains,
extreme numbers and dates, odd Unicode, broken references, wrong types), sent over HTTP. The server
never answers 5xx or the catch-all "Unexpected server error", and it keeps answering.

CI runs a short, derandomized budget (a few seconds); a campaign is
``CONFORMANCE_FUZZ_EXAMPLES=5000 CONFORMANCE_FUZZ_RANDOM=1 pytest tests/server/test_fuzz.py``
(README: "The reference server").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.model.catalogue import catalogue
from conformance.model.routes import Arguments, follow, plan_routes, web
from conformance.model.strategies import XML_TEXT, strategy_for
from conformance.server import ReferenceServer
from conformance.server.csom.engine import MAX_SCOPE_DEPTH
from conformance.spec.model import Method
from conformance.wire import CsomValue, RequestBuilder, parse_response, to_xml
from tests.server.client import CsomClient, read_tasks

CATALOGUE = catalogue()
ROUTES = plan_routes(CATALOGUE)
# (type, method) of every method the spec gives a class reached by a route to the object itself
CALLS = sorted(
    ((name, method) for name, route in ROUTES.items() if route[-1].kind != "items"
     for method in CATALOGUE.types[name].methods),
    key=lambda call: (call[0], call[1].name),
)  # fmt: skip
ARGUMENTS = Arguments(CATALOGUE, {})
CATCH_ALL = b"Unexpected server error"
SCALE = int(os.environ.get("CONFORMANCE_FUZZ_EXAMPLES", "0") or 0)


def budget(examples: int) -> settings:
    """``examples`` in CI, the same every run; a campaign's own number, drawn at random when asked."""
    return settings(
        max_examples=SCALE or examples,
        derandomize=not os.environ.get("CONFORMANCE_FUZZ_RANDOM"),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


UTC_EDGES = [
    dt.datetime(1, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=dt.timezone(dt.timedelta(hours=-14))),
    dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))),
    dt.datetime(9999, 12, 31, 23, 59, 59),
]
TEXT_DATES = ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "2/30/2026", "13/45/99", "9999-99-99"]
ODD_TEXT = ["²", "٣", "-0", " 7 ", "9" * 5000, str(10**30), "\u202e\u200b", "𝄞" * 200, "%00", "x" * 70000]
ODD_QUERY = [text for text in ODD_TEXT if len(text) < 10000]  # a client refuses a longer query part
HOSTILE = st.one_of(
    st.sampled_from(UTC_EDGES),
    st.sampled_from(TEXT_DATES + ODD_TEXT),
    st.sampled_from([2**31, -(2**31) - 1, 2**63 - 1, -(2**63)]).map(lambda n: CsomValue("Int64", n)),
    st.integers(-(2**31), 2**31 - 1),
    st.floats(allow_nan=False, allow_infinity=False),  # the wire cannot write the others
    st.booleans(),
    st.none(),
    st.uuids(),
    st.binary(max_size=64),
    st.lists(st.one_of(st.integers(-(2**31), 2**31 - 1), XML_TEXT), max_size=4),
    XML_TEXT,
)


def argument(type_name: str) -> st.SearchStrategy[object]:
    typed = strategy_for(CATALOGUE, type_name)
    return st.one_of(typed, HOSTILE) if typed is not None else HOSTILE


@st.composite
def call_arguments(draw: st.DrawFn, method: Method) -> list[object]:
    return [draw(argument(parameter.type)) for parameter in method.parameters]


# XML-level mutations of the built request: (attribute, replacements)
MUTATIONS = {
    "Type": ["String", "Int32", "Int64", "DateTime", "Guid", "Boolean", "Array", "Null", "Enum", "Nope"],
    "ObjectPathId": ["0", "999999", "-1", "99999999999999999999999"],
    "ParentId": ["0", "999999", "²"],
    "Name": ["Web", "Site", "__class__", "_ObjectType_", "𝄞", "Name\u202e"],
    "TypeId": ["{00000000-0000-0000-0000-000000000000}", "{3747adcd-a3c3-41b9-bfab-4a64dd2f1e0a}"],
}


@dataclass(frozen=True)
class Mutation:
    attribute: str
    occurrence: int
    value: str

    def apply(self, body: bytes) -> bytes:
        found = list(re.finditer(rf' {self.attribute}="[^"]*"'.encode(), body))
        if not found:
            return body
        hit = found[self.occurrence % len(found)]
        return body[: hit.start()] + f' {self.attribute}="{self.value}"'.encode() + body[hit.end() :]


MUTATION = st.sampled_from(sorted(MUTATIONS)).flatmap(
    lambda attribute: st.builds(
        Mutation, st.just(attribute), st.integers(0, 50), st.sampled_from(MUTATIONS[attribute])
    )
)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """A request calling one spec method (reached by its route) with drawn arguments, in scopes
    nested a drawn depth, maybe after a chain of Property paths, maybe mutated as XML."""
    type_name, method = draw(st.sampled_from(CALLS))
    b = RequestBuilder()
    depth = draw(st.sampled_from([0, 0, 1, 2, MAX_SCOPE_DEPTH, MAX_SCOPE_DEPTH + 1, 120]))
    with contextlib.ExitStack() as scopes:
        for _ in range(depth):
            scopes.enter_context(b.exception_scope())
        links = draw(st.sampled_from([0, 0, 3, 400, 1500]))
        if links:
            path = web(b)
            for n in range(links):
                path = b.property(path, "Site" if n % 2 == 0 else "RootWeb")
            b.query(path)
        target, _ = follow(b, ROUTES[type_name], ARGUMENTS)
        b.call(target, method.name, *draw(call_arguments(method)))
    body = to_xml(b.build())
    for mutation in draw(st.lists(MUTATION, max_size=2)):
        body = mutation.apply(body)
    return body


def assert_answered(answer: httpx.Response) -> None:
    """A 4xx or a 200 whose JSON parses (a ProcessQuery answer as MS-CSOM's array); never a 5xx or
    the catch-all."""
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert CATCH_ALL not in answer.content, answer.text[:500]
    if answer.status_code == 200 and answer.headers["content-type"].startswith("application/json"):
        parse_response(answer.content) if answer.url.path.endswith("ProcessQuery") else answer.json()


@pytest.fixture(scope="module")
def fuzzed():
    """One server (demo data) for every example of the module, and a client with its digest."""
    with ReferenceServer(seed_data=True) as running, CsomClient(running.url, timeout=20) as client:
        yield running, client


@budget(200)
@given(requests())
def test_process_query_never_reaches_the_catch_all(fuzzed, body: bytes) -> None:
    _, client = fuzzed
    assert_answered(client.post(body))


WHEN = st.one_of(
    st.dates().map(str),
    st.datetimes(timezones=st.sampled_from([dt.UTC, *(edge.tzinfo for edge in UTC_EDGES[:3])])).map(
        lambda moment: moment.isoformat()
    ),
    st.sampled_from(
        ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "9999-12-31", "0001-01-01", ""]
    ),
    st.sampled_from(ODD_QUERY),
    XML_TEXT,
)
CALENDAR_PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "from": WHEN,
        "to": WHEN,
        "member": st.one_of(st.integers().map(str), st.sampled_from(ODD_QUERY), XML_TEXT),
        "includeTasks": st.one_of(st.sampled_from(["true", "false", "1", "0", "TRUE", "²"]), XML_TEXT),
    },
)
ACCEPT = st.sampled_from(
    ["application/json", "application/xml", "*/*", "text/html", "application/json;q=x", ""]
)


@budget(100)
@given(CALENDAR_PARAMS, ACCEPT)
def test_the_calendar_never_answers_5xx(fuzzed, params: dict[str, str], accept: str) -> None:
    server, _ = fuzzed
    headers = {**server.auth_headers, "Accept": accept}
    assert_answered(httpx.get(f"{server.url}/api/Tasks/Calendar", params=params, headers=headers, timeout=20))


def test_the_server_still_answers_a_plain_request(fuzzed) -> None:
    _, client = fuzzed
    request, loaded = read_tasks()
    assert client.ok(request).results[loaded]["_Child_Items_"] is not None
