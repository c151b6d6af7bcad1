"""What the engine knows about each type: the spec's members joined to the registered class.

Spec types come from specs/ (both CSOM protocols); core types (Web, List, ...) only from
their registered classes, whose public PascalCase attributes are their members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from uuid import UUID

from conformance.server.csom.objects import REGISTRY, ServerObject
from conformance.spec.data import load_csom
from conformance.spec.model import Constructor, Method, Property, SpecType

PROTOCOLS = ("ms-wmcsom", "ms-spwfcsom")


@dataclass(frozen=True)
class TypeInfo:
    name: str
    short_name: str
    cls: type[ServerObject]
    spec: SpecType | None  # None for core types
    properties: dict[str, Property] = field(default_factory=dict)
    methods: dict[str, Method] = field(default_factory=dict)

    @property
    def constructor(self) -> Constructor | None:
        return self.spec.constructor if self.spec else None

    @cached_property  # asked by every query of an object: worked out once per type
    def default_properties(self) -> tuple[str, ...]:
        """What `SelectAllProperties="true"` returns: the scalar properties (all public
        attributes for core types)."""
        if self.spec is None:
            return tuple(
                n for n in dir(self.cls) if n[:1].isupper() and not callable(getattr(self.cls, n, None))
            )
        return tuple(p.name for p in self.spec.properties if p.kind == "scalar")


@dataclass(frozen=True)
class TypeSystem:
    by_name: dict[str, TypeInfo]
    by_type_id: dict[UUID, TypeInfo]
    enums: dict[str, SpecType]  # full name -> enum type

    def of(self, obj: ServerObject) -> TypeInfo:
        return self.by_name[obj.type_name]


@cache
def type_system() -> TypeSystem:
    # importing the object models registers their classes
    import conformance.server.core
    import conformance.server.wf
    import conformance.server.wm  # noqa: F401

    by_name: dict[str, TypeInfo] = {}
    by_type_id: dict[UUID, TypeInfo] = {}
    enums: dict[str, SpecType] = {}
    for protocol in PROTOCOLS:
        for spec in load_csom(protocol).types:
            if spec.kind == "enum":
                enums[spec.name] = spec
                continue
            cls = REGISTRY.get(spec.name)
            if cls is None:
                continue  # reported by the completeness tests, not at request time
            info = TypeInfo(
                spec.name,
                spec.short_name or spec.name,
                cls,
                spec,
                {p.name: p for p in spec.properties},
                {m.name: m for m in spec.methods},
            )
            by_name[spec.name] = info
            if spec.type_id:
                by_type_id[UUID(spec.type_id)] = info
    for name, cls in REGISTRY.items():
        if cls.core:
            info = TypeInfo(name, cls.short_name or name, cls, None)
            by_name[name] = info
            if cls.type_id:
                by_type_id[UUID(cls.type_id)] = info
    return TypeSystem(by_name, by_type_id, enums)
