"""Every method, constructor, enum value and read-only property of both CSOM specs (3.1.5 of each).

A method case sends, in one ProcessQuery, the typical call (provisioned objects, ordinary values)
and the run profile's number of calls with Hypothesis-generated arguments, each in its own
exception scope: every answer must be a well-formed result of the return type or an error.
Negative cases send wrong parameter types, too few parameters and unknown enum numbers.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.case import CaseMeta, case
from conformance.checks import verify
from conformance.generate import strategy_for
from conformance.probe import DESTRUCTIVE_VERBS, Arguments, follow, plan_routes, writes
from conformance.pytest_plugin import PROFILES, RunOptions
from conformance.shapes import catalogue
from conformance.snapshots import raw_results
from conformance.spec.model import Method, Parameter, SpecType
from conformance.target import CsomReply, Target
from conformance.wire import SELECT_ALL, CsomValue, RequestBuilder, scope_error

CATALOGUE = catalogue()
ROUTES = plan_routes(CATALOGUE)
CLASSES = [t for t in CATALOGUE.types.values() if t.kind == "class"]
ENUMS = [t for t in CATALOGUE.types.values() if t.kind == "enum"]


def _destructive_rank(method: Method) -> int:
    """Cases that destroy provisioned objects run last, deletions very last (the plugin sorts)."""
    if not method.name.startswith(DESTRUCTIVE_VERBS):
        return 0
    return 2 if method.name.startswith("Delete") else 1


def _method_meta(spec_type: SpecType, method: Method, check: str, level: str = "must") -> CaseMeta:
    route = ROUTES.get(spec_type.name, ())
    return CaseMeta(
        CATALOGUE.protocol_of[spec_type.name], method.section, f"{spec_type.short_name}.{method.name}", check,
        level=level, writes=writes(method.name) or any(hop.writes for hop in route),
    )  # fmt: skip


def _method_cases(check: str, level: str = "must", only: Any = None) -> list[Any]:
    return [
        case(_method_meta(t, m, check, level), t, m, marks=(pytest.mark.destructive(_destructive_rank(m)),))
        for t in CLASSES
        for m in t.methods
        if only is None or only(m)
    ]


def _owner(builder: RequestBuilder, spec_type: SpecType, arguments: Arguments) -> Any:
    if spec_type.name not in ROUTES:
        pytest.skip(
            "abstract class with no route in the spec tables; its methods are checked on its subclasses"
        )
    path, _ = follow(builder, ROUTES[spec_type.name], arguments)
    return path


def _call(builder: RequestBuilder, owner: Any, method: Method, args: list[Any]) -> int:
    """The call inside the current scope; returns the id whose result holds the return value."""
    if method.kind == "objectpath":
        result = CATALOGUE.types.get(method.return_type or "")
        collection = result is None or CATALOGUE.item_type(result) is not None
        return builder.query(
            builder.method(owner, method.name, *args), SELECT_ALL, SELECT_ALL if collection else None
        )
    return builder.call(owner, method.name, *args)


def _return_schema(method: Method) -> dict[str, Any] | None:
    if method.return_type is None:
        return None
    spec_type = CATALOGUE.types.get(method.return_type)
    if spec_type is not None and spec_type.kind == "class":
        return CATALOGUE.object_schema(spec_type)
    return CATALOGUE.schema_for(method.return_type)


def _generated_arguments(method: Method, arguments: Arguments) -> st.SearchStrategy[list[Any]]:
    """Provisioned parameters keep their value; the others are generated from their type."""
    parts = []
    for parameter in method.parameters:
        strategy = (
            None if parameter.name in arguments.provisioned else strategy_for(CATALOGUE, parameter.type)
        )
        parts.append(st.just(None) if strategy is None else strategy.map(lambda v: ("value", v)))
    return st.tuples(*parts).map(list)


def _send_calls(
    target: Target, spec_type: SpecType, method: Method, arguments: Arguments, calls: list[list[Any]]
) -> tuple[CsomReply, list[tuple[int, int]]]:
    builder = RequestBuilder()
    planned = []
    for generated in calls:
        with builder.exception_scope() as scope_id:
            owner = _owner(builder, spec_type, arguments)
            args = [
                given_value[1] if given_value is not None else arguments.value(builder, parameter)
                for parameter, given_value in zip(method.parameters, generated, strict=True)
            ]
            planned.append((scope_id, _call(builder, owner, method, args)))
    return target.process_query(builder.build()), planned


@pytest.mark.parametrize(("spec_type", "method"), _method_cases("call"))
# one example holding all the calls; no shrinking: it would resend (and re-write) many times
@settings(
    max_examples=1,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate],
)
@given(data=st.data())
def test_method_call(
    spec_type: SpecType,
    method: Method,
    data: st.DataObject,
    target: Target,
    arguments: Arguments,
    run_options: RunOptions,
) -> None:
    typical = [None] * len(method.parameters)
    extra = PROFILES[run_options.profile] - 1 if method.parameters else 0
    generated = data.draw(st.lists(_generated_arguments(method, arguments), min_size=extra, max_size=extra))
    reply, planned = _send_calls(target, spec_type, method, arguments, [typical, *generated])
    evidence = [reply.exchange]
    verify("no-error", reply, section=method.section, evidence=evidence)
    results = raw_results(reply.exchange)
    schema = _return_schema(method)
    for index, (scope_id, result_id) in enumerate(planned):
        if index == 0:  # the typical call must succeed; generated ones may be refused with an error
            verify("scope-ok", reply, scope_id, section=method.section, level="semantic", evidence=evidence)
        elif scope_error(reply.response.results.get(scope_id)) is not None:
            continue
        if schema is not None and method.return_type is not None:
            verify("result-present", reply, result_id, section=method.section, evidence=evidence)
            verify("json-schema", results[result_id], schema, section=method.section, evidence=evidence)


def _wrong_type(parameter: Parameter) -> Any:
    """A value of another wire type than the parameter's."""
    return (
        True
        if parameter.type in ("CSOM String", "CSOM GUID", "CSOM DateTime")
        else "not-a-" + parameter.type.split()[-1]
    )


@pytest.mark.parametrize(
    ("spec_type", "method"), _method_cases("negative", "semantic", lambda m: m.parameters)
)
def test_method_negative(spec_type: SpecType, method: Method, target: Target, arguments: Arguments) -> None:
    """Too few parameters, and each scalar parameter with a value of the wrong type, each in its
    own scope: a server that checks its input refuses them (neither spec nor MS-CSOM says MUST)."""
    builder = RequestBuilder()
    scopes = []
    variants: list[tuple[str, list[Any]]] = []
    for position, parameter in enumerate(method.parameters):
        if (
            parameter.type.startswith("CSOM ")
            and "array" not in parameter.type
            and "dictionary" not in parameter.type
        ):
            variants.append((f"{parameter.name} as a wrong type", [position, _wrong_type(parameter)]))
        enum = CATALOGUE.types.get(parameter.type)
        if enum is not None and enum.kind == "enum":
            unknown = max(v.value for v in enum.values) + 1000
            variants.append(
                (f"{parameter.name} = unknown enum number {unknown}", [position, CsomValue("Enum", unknown)])
            )
    variants.append(("one parameter too few", []))
    for description, change in variants:
        with builder.exception_scope() as scope_id:
            owner = _owner(builder, spec_type, arguments)
            args = arguments.all(builder, method.parameters)
            if change:
                args[change[0]] = change[1]
            else:
                args = args[:-1]
            _call(builder, owner, method, args)
        scopes.append((description, scope_id))
    reply = target.process_query(builder.build())
    for description, scope_id in scopes:
        verify(
            "scope-error",
            reply,
            scope_id,
            section=method.section,
            level="semantic",
            evidence=[reply.exchange],
        )
        del description


# ---------------------------------------------------------------------------------- constructors


@pytest.fixture(scope="session")
def constructed(target: Target, arguments: Arguments) -> tuple[CsomReply, dict[str, tuple[int, int]]]:
    """Every constructor in one request, each in its own scope, then the new object queried."""
    builder = RequestBuilder()
    planned = {}
    for spec_type in CLASSES:
        if spec_type.constructor is not None:
            with builder.exception_scope() as scope_id:
                path = builder.construct(
                    spec_type.type_id, *arguments.all(builder, spec_type.constructor.parameters)
                )
                planned[spec_type.name] = (scope_id, builder.query(path, SELECT_ALL))
    return target.process_query(builder.build()), planned


@pytest.mark.parametrize(
    "spec_type",
    [
        case(
            CaseMeta(
                CATALOGUE.protocol_of[t.name], t.constructor.section, f"{t.short_name}.ctor", "construct"
            ),
            t,
        )
        for t in CLASSES
        if t.constructor is not None
    ],
)
def test_constructor(spec_type: SpecType, constructed: tuple[CsomReply, dict[str, tuple[int, int]]]) -> None:
    reply, planned = constructed
    scope_id, query_id = planned[spec_type.name]
    section = spec_type.constructor.section
    verify("scope-ok", reply, scope_id, section=section, evidence=[reply.exchange])
    verify(
        "object-type",
        raw_results(reply.exchange).get(query_id),
        spec_type.short_name,
        section=section,
        evidence=[reply.exchange],
    )


# ----------------------------------------------------------------------------------- enum values


def _enum_carriers(enum: SpecType) -> list[tuple[SpecType, str]]:
    """Writable properties of this enum type on classes a client can construct."""
    return [
        (t, p.name)
        for t in CLASSES
        if t.constructor is not None and not t.constructor.parameters
        for p in t.properties
        if p.type == enum.name and p.access == "read-write"
    ]


def _enum_parameters(enum: SpecType) -> list[tuple[SpecType, Method, int]]:
    """Methods taking a parameter of this enum type, on classes with a route (by position)."""
    return [
        (t, m, i)
        for t in CLASSES
        if t.name in ROUTES
        for m in t.methods
        for i, p in enumerate(m.parameters)
        if p.type == enum.name
    ]


@pytest.fixture(scope="session")
def enum_round_trips(
    target: Target, arguments: Arguments, run_options: RunOptions
) -> dict[tuple[str, int], tuple[CsomReply, int, int | None, str | None]]:
    """Each enum value sent once: set on a property of a new object and read back (sent and
    decoded), else passed as a method parameter (sent)."""
    order = [(e, v) for e in ENUMS if _enum_carriers(e) or _enum_parameters(e) for v in e.values]
    replies: dict[tuple[str, int], tuple[CsomReply, int, int | None, str | None]] = {}
    for start in range(0, len(order), run_options.batch_size):
        builder = RequestBuilder()
        planned: dict[tuple[str, int], tuple[int, int | None, str | None]] = {}
        for enum, value in order[start : start + run_options.batch_size]:
            number = CsomValue("Enum", value.value)
            with builder.exception_scope() as scope_id:
                if _enum_carriers(enum):
                    carrier, prop = _enum_carriers(enum)[0]
                    path = builder.construct(carrier.type_id)
                    builder.set_property(path, prop, number)
                    planned[(enum.name, value.value)] = (scope_id, builder.query(path, SELECT_ALL), prop)
                else:
                    owner_type, method, position = _enum_parameters(enum)[0]
                    args = arguments.all(builder, method.parameters)
                    args[position] = number
                    _call(builder, _owner(builder, owner_type, arguments), method, args)
                    planned[(enum.name, value.value)] = (scope_id, None, None)
        reply = target.process_query(builder.build())
        for key, (scope_id, query_id, prop) in planned.items():
            replies[key] = (reply, scope_id, query_id, prop)
    return replies


@pytest.mark.parametrize(
    ("enum", "value"),
    [
        case(
            CaseMeta(
                CATALOGUE.protocol_of[e.name],
                v.section,
                f"{e.name.rsplit('.', 1)[-1]}.{v.name}",
                "enum-round-trip",
            ),
            e,
            v,
        )
        for e in ENUMS
        for v in e.values
    ],
)
def test_enum_value(enum: SpecType, value: Any, enum_round_trips: dict[tuple[str, int], Any]) -> None:
    if (enum.name, value.value) not in enum_round_trips:
        pytest.skip("no writable property or method parameter of this enum type: the value can only be "
                    "observed when the target produces it")  # fmt: skip
    reply, scope_id, query_id, prop = enum_round_trips[(enum.name, value.value)]
    evidence = [reply.exchange]
    verify("scope-ok", reply, scope_id, section=value.section, evidence=evidence)
    if query_id is None or prop is None:
        return  # sent as a parameter and accepted; nothing to read back
    read = raw_results(reply.exchange).get(query_id)
    verify("property-present", read, prop, section=value.section, evidence=evidence)
    verify(
        "equals",
        read[prop],
        value.value,
        f"{prop} read back as the number",
        section=value.section,
        evidence=evidence,
    )


# ------------------------------------------------------------------------------ read-only properties


@pytest.mark.parametrize(
    ("spec_type", "prop"),
    [
        case(
            CaseMeta(
                CATALOGUE.protocol_of[t.name], p.section, f"{t.short_name}.{p.name}", "read-only", "semantic"
            ),
            t,
            p,
        )
        for t in CLASSES
        for p in t.properties
        if p.access == "read-only" and p.kind == "scalar"
    ],
)
def test_read_only_property_not_settable(
    spec_type: SpecType, prop: Any, target: Target, arguments: Arguments
) -> None:
    builder = RequestBuilder()
    with builder.exception_scope() as scope_id:
        owner = _owner(builder, spec_type, arguments)
        builder.set_property(owner, prop.name, arguments.of_type(builder, prop.type))
    reply = target.process_query(builder.build())
    verify("scope-error", reply, scope_id, section=prop.section, level="semantic", evidence=[reply.exchange])
