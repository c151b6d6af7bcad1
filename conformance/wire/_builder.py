"""Building a request the way JSOM does."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from ._nodes import (
    SELECT_ALL,
    Action,
    Constructor,
    ExceptionHandlingScopeSimple,
    Identity,
    Method,
    MethodAction,
    ObjectIdentityQuery,
    ObjectPath,
    ObjectPathAction,
    Property,
    Query,
    QuerySpec,
    Request,
    SetProperty,
    SetStaticProperty,
    StaticMethod,
    StaticMethodAction,
    StaticProperty,
)
from ._values import ObjectPathRef


class RequestBuilder:
    """Builds a :class:`Request` the way JSOM does: one id counter for actions and object paths.

    Path methods return an :class:`ObjectPathRef` (usable as a parameter); action methods return the
    action id. With ``jsom_style`` (default) every new path gets an ``<ObjectPath>`` action right after
    it, and a query with a child-item query uses up one extra id (JSOM numbers the ChildItemQuery but
    never writes its id), so JSOM captures are reproduced byte for byte. ::

        b = RequestBuilder()
        mgr = b.construct(USER_SETTINGS_MANAGER)
        settings = b.method(mgr, "GetUserSettings")
        b.query(settings, QuerySpec.select("DaysAfterCurrentDateTimelineEnds"))
        body = to_xml(b.build())
    """

    def __init__(
        self,
        *,
        schema_version: str = "15.0.0.0",
        library_version: str = "16.0.0.0",
        application_name: str | None = "Javascript Library",
        first_id: int = 0,
        jsom_style: bool = True,
        add_expando_field_type_suffix: bool = False,
    ) -> None:
        self._header = {
            "schema_version": schema_version,
            "library_version": library_version,
            "application_name": application_name,
            "add_expando_field_type_suffix": add_expando_field_type_suffix,
        }
        self._ids = itertools.count(first_id)
        self._jsom_style = jsom_style
        self._paths: list[ObjectPath] = []
        self._open: list[list[Action]] = [[]]  # action lists: the request's, then each open scope's

    def _path(self, path: ObjectPath) -> ObjectPathRef:
        self._paths.append(path)
        if self._jsom_style:
            self.instantiate(ObjectPathRef(path.id))
        return ObjectPathRef(path.id)

    def _action(self, action: Action) -> int:
        self._open[-1].append(action)
        return action.id

    def construct(self, type_id: UUID | str, *parameters: Any) -> ObjectPathRef:
        return self._path(Constructor(next(self._ids), type_id, parameters))

    def static_property(self, type_id: UUID | str, name: str) -> ObjectPathRef:
        return self._path(StaticProperty(next(self._ids), type_id, name))

    def static_method(self, type_id: UUID | str, name: str, *parameters: Any) -> ObjectPathRef:
        return self._path(StaticMethod(next(self._ids), type_id, name, parameters))

    def property(self, parent: ObjectPathRef, name: str) -> ObjectPathRef:
        return self._path(Property(next(self._ids), parent.path_id, name))

    def method(self, parent: ObjectPathRef, name: str, *parameters: Any) -> ObjectPathRef:
        return self._path(Method(next(self._ids), parent.path_id, name, parameters))

    def identity(self, name: str) -> ObjectPathRef:
        return self._path(Identity(next(self._ids), name))

    def instantiate(self, target: ObjectPathRef) -> int:
        return self._action(ObjectPathAction(next(self._ids), target.path_id))

    def query(
        self,
        target: ObjectPathRef,
        query: QuerySpec | None = SELECT_ALL,
        child_items: QuerySpec | None = None,
    ) -> int:
        action_id = self._action(Query(next(self._ids), target.path_id, query, child_items))
        if child_items is not None and self._jsom_style:
            next(self._ids)
        return action_id

    def call(self, target: ObjectPathRef, name: str, *parameters: Any, version: str | None = None) -> int:
        return self._action(MethodAction(next(self._ids), target.path_id, name, parameters, version))

    def call_static(self, type_id: UUID | str, name: str, *parameters: Any) -> int:
        return self._action(StaticMethodAction(next(self._ids), type_id, name, parameters))

    def set_property(self, target: ObjectPathRef, name: str, value: Any) -> int:
        return self._action(SetProperty(next(self._ids), target.path_id, name, value))

    def set_static_property(self, type_id: UUID | str, name: str, value: Any) -> int:
        return self._action(SetStaticProperty(next(self._ids), type_id, name, value))

    def object_identity_query(self, target: ObjectPathRef) -> int:
        return self._action(ObjectIdentityQuery(next(self._ids), target.path_id))

    @contextmanager
    def exception_scope(self) -> Iterator[int]:
        """``with b.exception_scope() as scope_id:`` — actions added inside go into an
        ``ExceptionHandlingScopeSimple`` (numbered before its body, as JSOM does)."""
        scope_id = next(self._ids)
        body: list[Action] = []
        self._open.append(body)
        try:
            yield scope_id
        finally:
            self._open.pop()
        self._action(ExceptionHandlingScopeSimple(scope_id, tuple(body)))

    def build(self) -> Request:
        if len(self._open) != 1:
            raise RuntimeError("build() inside an open exception_scope()")
        return Request(actions=tuple(self._open[0]), object_paths=tuple(self._paths), **self._header)
