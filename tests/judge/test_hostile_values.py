"""Every registered check judges whatever a target sends: given any JSON value, header, status or
body where a target's answer goes, a check passes or raises a Violation, never another exception
(which would be filed as the suite's own error, #18). A check missing from :data:`HOSTILE` fails
the first test: a new check is fuzzed from the day it is registered."""

from __future__ import annotations

import json
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from conformance.bounds import TEXT_LIMIT, bounded
from conformance.drive.target import Exchange, reply_of
from conformance.judge import checks
from conformance.judge.checks import CHECKS, Violation
from conformance.model.calendar_schema import parse_xml, xml_schema
from conformance.model.catalogue import catalogue
from conformance.wire import RequestBuilder

# what a target's JSON can hold once parsed: json.loads makes lone surrogates of "\ud800", keeps
# floats whole (NaN and infinities too) and integers of up to 4300 digits
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(), max_size=8)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10,
) | st.builds(lambda depth: json.loads("[" * depth + "]" * depth), st.integers(1, 900))

bodies = (
    st.binary(max_size=64)
    | values.map(lambda v: json.dumps(v).encode())
    | st.builds(
        lambda header, pairs: json.dumps([header, *(x for pair in pairs for x in pair)]).encode(),
        values
        | st.fixed_dictionaries({"SchemaVersion": st.just("15.0.0.0")}, optional={"ErrorInfo": values}),
        st.lists(st.tuples(values, values), max_size=3),
    )
)


def exchange(status: int, content_type: str, body: bytes) -> Exchange:
    return Exchange("POST", "http://127.0.0.1/_vti_bin/client.svc/ProcessQuery", {}, b"", status,
                    {"content-type": content_type}, body, 0.0)  # fmt: skip


exchanges = st.builds(exchange, st.integers(0, 999), st.text(max_size=30), bodies)
replies = exchanges.map(lambda answer: reply_of(RequestBuilder().build(), answer))
ids = st.integers(-2, 5) | st.just(2**63)
names = st.text(max_size=8)


def _schemas() -> list[dict[str, Any]]:
    """The schemas of a dozen of the catalogue's types (objects and values), spread over both specs."""
    types = [catalogue().types[name] for name in sorted(catalogue().types)]
    return [
        catalogue().object_schema(spec_type)
        if spec_type.kind != "enum"
        else catalogue().schema_for(spec_type.name)
        for spec_type in types[:: max(1, len(types) // 12)]
    ]


def _document(text: str) -> Any:
    """A calendar answer's XML with ``text`` as an item's content (escaped as XML)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    try:
        return parse_xml(f"<Tasks><Item>{escaped}</Item></Tasks>".encode("utf-8", "surrogatepass"))
    except ValueError:  # characters XML cannot carry: the body would not have parsed
        return parse_xml(b"<Tasks/>")


# per registered check: its arguments, a target's answer wherever one goes
HOSTILE: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "http-status": st.tuples(exchanges, st.just((200, 204))),
    "content-type": st.tuples(exchanges, st.just("application/json")),
    "no-error": st.tuples(replies),
    "error-info": st.tuples(replies, st.lists(names, max_size=2), st.lists(st.integers(), max_size=2)),
    "scope-ok": st.tuples(replies, ids),
    "scope-error": st.tuples(replies, ids, st.lists(names, max_size=2), st.lists(st.integers(), max_size=2)),
    "result-present": st.tuples(replies, ids),
    "json-schema": st.tuples(values, st.sampled_from(_schemas())),
    "object-type": st.tuples(values, names),
    "property-present": st.tuples(values, names),
    "equals": st.tuples(values, values),
    "escaped-solidus": st.tuples(values, st.lists(st.text(max_size=12), max_size=3)),
    "ordered": st.tuples(st.lists(values, max_size=5), st.booleans()),
    "contains": st.tuples(st.lists(values, max_size=4), values, st.booleans()),
    "differs": st.tuples(values, values),
    "one-of": st.tuples(values, st.lists(scalars, max_size=3)),
    "body-parses": st.tuples(exchanges, st.sampled_from(["json", "xml"])),
    "xml-schema": st.text(max_size=20).map(_document).map(lambda root: (root, xml_schema(root))),
    "client-error": st.tuples(exchanges),
    "csom-refused": st.tuples(exchanges),
}


def test_every_registered_check_is_fuzzed_here() -> None:
    assert sorted(HOSTILE) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(HOSTILE))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_check_passes_or_finds_a_violation_whatever_the_target_sent(name: str, data: st.DataObject) -> None:
    arguments = data.draw(HOSTILE[name])
    try:
        CHECKS[name](*arguments)
    except Violation as violation:
        assert len(violation.expected) < 2 * TEXT_LIMIT and len(violation.actual) < 2 * TEXT_LIMIT


def test_a_violation_holds_a_cut_copy_that_keeps_the_original_length() -> None:
    # a target's 10 MB ErrorMessage, copied whole into each violation, took a run past 8 GB (#18)
    message = "é" * 10_000_000
    actual = f"ErrorInfo -1 SomeError: {message}"
    violation = Violation("no ErrorInfo", actual)
    assert len(violation.actual) < TEXT_LIMIT + 60 and len(str(violation)) < 2 * TEXT_LIMIT + 200
    assert violation.actual.endswith(f"(cut at {TEXT_LIMIT} of {len(actual)} characters)")
    assert bounded(violation.actual) == violation.actual  # what a record keeps: the same, its note intact


def test_items_of_types_that_do_not_compare_are_a_violation_of_order() -> None:
    with pytest.raises(Violation, match="do not compare"):
        checks.ordered(["Task 2", None, 3])
