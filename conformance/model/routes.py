"""Routes to live objects: how a case obtains an instance of every class, planned from the spec data.

A class is reachable from its constructor or through an object-path property or method of a
reachable class (a collection's items through the collection). :func:`plan_routes` finds the
shortest route to every class, preferring routes that do not write and need fewer arguments;
:func:`follow` writes a route into a :class:`RequestBuilder`, taking each
argument from an :class:`Arguments` source. The only knowledge not in the spec data is how to
reach the current Web (MS-CSOM's ``RequestContext.Current.Web``), which workflow classes need.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from conformance.model.catalogue import ARRAY_OF, Catalogue
from conformance.spec.model import Parameter, SpecType
from conformance.wire import ObjectPathRef, RequestBuilder

WEB = "Microsoft.SharePoint.Client.Web"
REQUEST_CONTEXT_TYPE_ID = "3747adcd-a3c3-41b9-bfab-4a64dd2f1e0a"  # MS-CSOM SP.RequestContext
# Methods whose names start with these verbs change the target's state (the spec tables say
# what a method does in prose only; these are the verbs both specs use for changes).
WRITE_VERBS = (
    "Add", "Begin", "Cancel", "Create", "Delete", "Deprecate", "Disable", "Enable", "Move", "Opt",
    "Package", "Pin", "Promote", "Publish", "Refresh", "Register", "Remove", "Reorder", "Resume",
    "Save", "Set", "Start", "Suspend", "Terminate", "Unregister", "Update",
)  # fmt: skip


DESTRUCTIVE_VERBS = ("Cancel", "Delete", "Deprecate", "Disable", "Remove", "Terminate", "Unregister")


# The session factories of 3.1.5.32 and 3.1.5.42 return a view over the user's tasks; nothing is stored.
NOT_WRITING = frozenset({"CreateSession", "CreateLocationOrientedSession"})


def writes(method_name: str) -> bool:
    return method_name.startswith(WRITE_VERBS) and method_name not in NOT_WRITING


@dataclass(frozen=True)
class Hop:
    """One step of a route: construct ``result``, or follow member ``name`` of ``owner``, or take
    the items of a collection (``kind == "items"``)."""

    kind: Literal["construct", "property", "method", "items"]
    owner: str
    name: str
    result: str
    section: str
    parameters: tuple[Parameter, ...] = ()

    @property
    def writes(self) -> bool:
        return self.kind == "method" and writes(self.name)


Route = tuple[Hop, ...]


def route_writes(route: Route) -> bool:
    """Whether reaching the object along the route changes the target's state."""
    return any(hop.writes for hop in route)


def _edges(catalogue: Catalogue, spec_type: SpecType) -> list[Hop]:
    hops = []
    for prop in spec_type.properties:
        if prop.kind == "objectpath" and prop.type in catalogue.types and prop.type != spec_type.name:
            hops.append(Hop("property", spec_type.name, prop.name, prop.type, prop.section))
    for method in spec_type.methods:
        if method.kind == "objectpath" and method.return_type in catalogue.types:
            hops.append(
                Hop(
                    "method",
                    spec_type.name,
                    method.name,
                    method.return_type,
                    method.section,
                    method.parameters,
                )
            )
    item = catalogue.item_type(spec_type)
    if item is not None:
        hops.append(Hop("items", spec_type.name, "_Child_Items_", item.name, spec_type.section))
    return hops


def plan_routes(catalogue: Catalogue) -> dict[str, Route]:
    """The preferred route to every reachable class (Dijkstra over hops: a destructive call costs
    most, then any write, then each argument, then each hop)."""
    counter = itertools.count()
    queue: list[tuple[tuple[int, int, int, int], int, Route]] = []
    for spec_type in catalogue.types.values():
        if spec_type.kind == "class" and spec_type.constructor is not None:
            hop = Hop("construct", spec_type.name, "", spec_type.name, spec_type.constructor.section,
                      spec_type.constructor.parameters)  # fmt: skip
            heapq.heappush(queue, (_cost((hop,)), next(counter), (hop,)))
    routes: dict[str, Route] = {}
    while queue:
        _, _, route = heapq.heappop(queue)
        reached = route[-1].result
        if reached in routes:
            continue
        routes[reached] = route
        if route[-1].kind == "items":
            continue  # follow() reads items from the last path only
        for hop in _edges(catalogue, catalogue.types[reached]):
            if hop.result not in routes:
                heapq.heappush(queue, (_cost((*route, hop)), next(counter), (*route, hop)))
    return routes


def _cost(route: Route) -> tuple[int, int, int, int]:
    destructive = sum(h.kind == "method" and h.name.startswith(DESTRUCTIVE_VERBS) for h in route)
    return (destructive, sum(h.writes for h in route), sum(len(h.parameters) for h in route), len(route))


# ------------------------------------------------------------------------------------- arguments

Provider = Callable[[RequestBuilder], Any]


@dataclass
class Arguments:
    """Where argument values come from: values the run provisioned on the target (by parameter
    name: ``taskKey``, ``subscriptionId`` …, or a function that builds an object path), else a
    plain value of the parameter's type."""

    catalogue: Catalogue
    provisioned: Mapping[str, Any | Provider]
    text: str = "conformance"

    def value(self, builder: RequestBuilder, parameter: Parameter, method: str = "") -> Any:
        """``Method.parameter`` keys win over plain parameter names: a call that needs an object in
        a particular state (ResumeWorkflow needs a suspended instance) gets one of its own."""
        known = self.provisioned.get(f"{method}.{parameter.name}", self.provisioned.get(parameter.name))
        if known is not None:
            return known(builder) if callable(known) else known
        return self.of_type(builder, parameter.type)

    def of_type(self, builder: RequestBuilder, type_name: str) -> Any:
        if type_name == WEB:
            return web(builder)
        if type_name.startswith(ARRAY_OF):
            return []
        spec_type = self.catalogue.types.get(type_name)
        if spec_type is not None and spec_type.kind == "enum":
            return min(v.value for v in spec_type.values if v.value) if len(spec_type.values) > 1 else 0
        if spec_type is not None and spec_type.constructor is not None:
            return builder.construct(spec_type.type_id, *self.all(builder, spec_type.constructor.parameters))
        return typical(type_name, self.text)

    def all(self, builder: RequestBuilder, parameters: tuple[Parameter, ...], method: str = "") -> list[Any]:
        return [self.value(builder, parameter, method) for parameter in parameters]


def typical(type_name: str, text: str = "conformance") -> Any:
    """An ordinary value of a CSOM scalar type (what a client would typically send)."""
    return {
        "CSOM String": text,
        "CSOM Int32": 0,
        "CSOM UInt32": 0,
        "CSOM Int64": 0,
        "CSOM Boolean": False,
        "CSOM DateTime": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "CSOM GUID": uuid.UUID(int=0),
        "CSOM dictionary": {},
        "CSOM Stream": b"",
    }.get(type_name)


def web(builder: RequestBuilder) -> ObjectPathRef:
    """``RequestContext.Current.Web``, as JSOM's ``ctx.get_web()`` sends it."""
    return builder.property(builder.static_property(REQUEST_CONTEXT_TYPE_ID, "Current"), "Web")


def follow(builder: RequestBuilder, route: Route, arguments: Arguments) -> tuple[ObjectPathRef, bool]:
    """Write the route's object paths; returns the path of the last object and whether the result
    is the first item of that (collection) path rather than the path itself."""
    catalogue = arguments.catalogue
    path: ObjectPathRef | None = None
    items = False
    for hop in route:
        if hop.kind == "construct":
            path = builder.construct(
                catalogue.types[hop.result].type_id, *arguments.all(builder, hop.parameters)
            )
        elif hop.kind == "property":
            assert path is not None
            path = builder.property(path, hop.name)
        elif hop.kind == "method":
            assert path is not None
            path = builder.method(path, hop.name, *arguments.all(builder, hop.parameters))
        else:
            items = True  # always the last hop (plan_routes does not go on from items)
    assert path is not None
    return path, items
