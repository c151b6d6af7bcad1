"""Every enum type of both CSOM specs as a whole (its own section, 3.1.5.N of each spec): the set of
values the section defines, in both directions.

- ``enum-decoded``: every value of the type the target returned this session — a property of any
  object the shape snapshots read (collection items and nested objects included), or the return
  value of a method of that type — is one of the type's values (a flag enum: a combination of
  its flags). No further requests for properties: the snapshots are the shape cases' own (the
  module is named to run after test_shapes.py: taken earlier, they could find the provisioned
  refresh job still pending, with no LocationUpdateResult to judge).
- ``enum-unknown-refused`` (semantic: neither spec nor MS-CSOM says a server must check): a
  number outside the type, set on a writable property of a new object or passed as a parameter,
  is refused in its exception scope.

A type is a case of a check only where the spec gives it a way there: a property of a class with
a route or a method returning it; a writable property of a class constructible without
arguments or a parameter of a method with a route. (PrivacyType has neither;
specs/traceability.toml lists it as unreachable.) Each enum *value* is sent by test_methods.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.case import CaseMeta, RunOptions, case
from conformance.drive.snapshots import Probe, ProbeOutcome, Snapshot, send_batched
from conformance.drive.target import Target
from conformance.judge import checks
from conformance.judge.checks import Site, verify
from conformance.model.catalogue import catalogue
from conformance.model.routes import Arguments, Route, follow, plan_routes, route_writes, writes
from conformance.spec.model import Method, SpecType
from conformance.wire import CsomValue, RequestBuilder

CATALOGUE = catalogue()
ROUTES = plan_routes(CATALOGUE)
ENUMS = [t for t in CATALOGUE.types.values() if t.kind == "enum"]
ROUTED = [CATALOGUE.types[name] for name in ROUTES]


@dataclass(frozen=True)
class Returner:
    """A method (on a class with a route) whose return value is of the enum type."""

    owner: SpecType
    method: Method

    @property
    def writes(self) -> bool:
        return writes(self.method.name) or route_writes(ROUTES[self.owner.name])


def _carriers(enum: SpecType) -> dict[str, list[str]]:
    """Wire type name -> the properties of that class which hold this enum, for classes with a route."""
    found: dict[str, list[str]] = {}
    for spec_type in ROUTED:
        names = [p.name for p in spec_type.properties if p.type == enum.name]
        if names and spec_type.short_name:
            found[spec_type.short_name] = names
    return found


def _returners(enum: SpecType) -> list[Returner]:
    return [Returner(t, m) for t in ROUTED for m in t.methods if m.return_type == enum.name]


def _setter(enum: SpecType) -> tuple[SpecType, str] | None:
    """A writable property of this type on a class constructible without arguments."""
    for spec_type in ROUTED:
        if spec_type.constructor is None or spec_type.constructor.parameters:
            continue
        for prop in spec_type.properties:
            if prop.type == enum.name and prop.access == "read-write":
                return spec_type, prop.name
    return None


def _taker(enum: SpecType) -> tuple[SpecType, Method, int] | None:
    """A method with a route taking a parameter of this type, and the parameter's position."""
    for spec_type in ROUTED:
        for method in spec_type.methods:
            for position, parameter in enumerate(method.parameters):
                if parameter.type == enum.name:
                    return spec_type, method, position
    return None


def _unknown(enum: SpecType) -> int:
    """A number outside the type: past the largest value, or a bit no flag has."""
    if enum.flag:
        combined = 0
        for value in enum.values:
            combined |= value.value
        return 1 << combined.bit_length()
    return max(v.value for v in enum.values) + 1000


def _meta(enum: SpecType, check: str, level: str, writes_: bool) -> CaseMeta:
    item = CATALOGUE.item_id(enum)
    return CaseMeta(CATALOGUE.protocol_of[enum.name], enum.section, item, check, level, writes_)


def _decoded_writes(enum: SpecType) -> bool:
    """Whether every way to a value of the type writes (then a --read-only run sees none)."""
    routes: list[Route] = [
        ROUTES[name] for name in ROUTES if CATALOGUE.types[name].short_name in _carriers(enum)
    ]
    return all(route_writes(r) for r in routes) and all(r.writes for r in _returners(enum))


DECODABLE = [e for e in ENUMS if _carriers(e) or _returners(e)]
SENDABLE = [e for e in ENUMS if _setter(e) or _taker(e)]


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a value, nested ones and collection items included."""
    if isinstance(value, dict):
        yield value
        for member in value.values():
            yield from _objects(member)
    elif isinstance(value, list):
        for member in value:
            yield from _objects(member)


@pytest.fixture(scope="session")
def enum_returns(
    target: Target, arguments: Arguments, run_options: RunOptions
) -> dict[Any, list[ProbeOutcome]]:
    """One call of every method returning an enum type (those that write only in a writing run)."""

    def probe(returner: Returner) -> Probe:
        def write(builder: RequestBuilder) -> int:
            owner, _ = follow(builder, ROUTES[returner.owner.name], arguments)
            args = arguments.all(builder, returner.method.parameters, returner.method.name)
            return builder.call(owner, returner.method.name, *args)

        return Probe(returner.method.return_type, write)

    wanted = [r for e in DECODABLE for r in _returners(e) if not (run_options.read_only and r.writes)]
    return send_batched(target, [probe(r) for r in wanted], run_options.batch_size)


@pytest.mark.parametrize(
    "enum", [case(_meta(e, "enum-decoded", "must", _decoded_writes(e)), e) for e in DECODABLE]
)
def test_enum_values_decoded(
    enum: SpecType, snapshots: dict[str, Snapshot], enum_returns: dict[Any, list[ProbeOutcome]]
) -> None:
    schema = CATALOGUE.schema_for(enum.name)
    carriers = _carriers(enum)
    judged = 0
    for snapshot in snapshots.values():
        for obj in _objects(snapshot.outcome.raw()):
            for name in carriers.get(obj.get("_ObjectType_"), ()):
                if name in obj:
                    verify(
                        Site(enum.section, evidence=(snapshot.exchange,)),
                        checks.json_schema,
                        obj[name],
                        schema,
                    )
                    judged += 1
    for outcome in enum_returns.get(enum.name, []):
        value = outcome.raw()
        if value is not None:
            verify(Site(enum.section, evidence=(outcome.exchange,)), checks.json_schema, value, schema)
            judged += 1
    if not judged:
        pytest.skip(f"the target returned no value of {enum.short_name} in this session")


@pytest.fixture(scope="session")
def unknown_sent(
    target: Target, arguments: Arguments, run_options: RunOptions
) -> dict[Any, list[ProbeOutcome]]:
    def probe(enum: SpecType) -> Probe:
        number = CsomValue("Enum", _unknown(enum))
        setter, taker = _setter(enum), _taker(enum)

        def write(builder: RequestBuilder) -> None:
            if setter is not None:
                builder.set_property(builder.construct(setter[0].type_id), setter[1], number)
                return
            assert taker is not None
            owner_type, method, position = taker
            owner, _ = follow(builder, ROUTES[owner_type.name], arguments)
            args = arguments.all(builder, method.parameters, method.name)
            builder.call(owner, method.name, *args[:position], number, *args[position + 1 :])

        return Probe(enum.name, write)

    wanted = [e for e in SENDABLE if not (run_options.read_only and _sending_writes(e))]
    return send_batched(target, [probe(e) for e in wanted], run_options.batch_size)


def _sending_writes(enum: SpecType) -> bool:
    if _setter(enum) is not None:
        return False  # a property of a new client object: nothing stored
    owner_type, method, _ = _taker(enum)
    return writes(method.name) or route_writes(ROUTES[owner_type.name])


@pytest.mark.parametrize(
    "enum", [case(_meta(e, "enum-unknown-refused", "semantic", _sending_writes(e)), e) for e in SENDABLE]
)
def test_unknown_enum_number_refused(enum: SpecType, unknown_sent: dict[Any, list[ProbeOutcome]]) -> None:
    (outcome,) = unknown_sent[enum.name]
    verify(
        Site(enum.section, "semantic", (outcome.exchange,)),
        checks.scope_refused,
        outcome.reply,
        outcome.scope_id,
    )
