"""The one Id space of a request: what each node refers to, paths in dependency order, and
:func:`validate_request`, which rejects duplicate Ids, references to no object path and path cycles."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import fields, is_dataclass
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from ._errors import MalformedRequest, snippet
from ._nodes import ACTION_TAGS, PATH_TAGS, ObjectPath, Request, walk_scoped
from ._values import CsomValue, Null

# Field names holding ids, all in the one Id space: a node's own id and its references.
REFERENCE_FIELDS = frozenset({"object_path_id", "parent_id", "path_id"})
_NESTED_FIELDS = frozenset({"actions", "try_scope", "catch_scope", "finally_scope", "if_true", "if_false"})


# Values that hold no reference, skipped without looking inside.
_LEAVES = frozenset({str, int, bool, float, bytes, UUID, type(None), datetime, Null, CsomValue})


@cache
def _reference_fields(cls: type) -> tuple[tuple[str, bool], ...]:
    """The fields of a model class that may hold references: (name, is itself a reference)."""
    return tuple((f.name, f.name in REFERENCE_FIELDS) for f in fields(cls) if f.name not in _NESTED_FIELDS)


def referenced_paths(node: Any) -> Iterator[int]:
    """Object path ids that ``node`` refers to itself (not through nested actions), in field order."""
    if isinstance(node, tuple | list):
        for item in node:
            if type(item) not in _LEAVES:
                yield from referenced_paths(item)
    elif is_dataclass(node):  # before Mapping: an isinstance check against an ABC is slow
        for name, is_reference in _reference_fields(type(node)):
            value = getattr(node, name)
            if is_reference:
                yield value
            elif type(value) not in _LEAVES:
                yield from referenced_paths(value)
    elif isinstance(node, Mapping):
        for item in node.values():
            if type(item) not in _LEAVES:
                yield from referenced_paths(item)


def _describe(node: Any) -> str:
    tag = ACTION_TAGS.get(type(node)) or PATH_TAGS.get(type(node)) or "scope body"
    return f'<{tag} Id="{node.id}">'


def validate_request(request: Request) -> None:
    """Raise :class:`MalformedRequest` for duplicate Ids, references to no object path, or path cycles."""
    owners: dict[int, Any] = {}
    for node in itertools.chain(request.object_paths, walk_scoped(request.actions)):
        if node.id in owners:
            raise MalformedRequest(
                f"duplicate Id {node.id}: {_describe(owners[node.id])} and {_describe(node)}"
            )
        owners[node.id] = node
    paths = request.paths_by_id
    for node in itertools.chain(request.object_paths, walk_scoped(request.actions)):
        for reference in referenced_paths(node):
            if reference not in paths:
                what = f"the {_describe(owners[reference])}" if reference in owners else "nothing"
                raise MalformedRequest(
                    f"{_describe(node)} refers to object path {reference}, but that Id is {what}"
                )
    dependencies_first(paths, paths, set())


def dependencies_first(paths: Mapping[int, ObjectPath], start: Iterable[int], done: set[int]) -> list[int]:
    """The paths reachable from ``start`` and not yet ``done``, each after the paths it refers to.

    Iterative, so that a long chain of Property/Method paths cannot exhaust the Python stack; adds what
    it returns to ``done``. Raises :class:`MalformedRequest` on a cycle.
    """
    order: list[int] = []
    for root in start:
        if root in done:
            continue
        stack = [(root, referenced_paths(paths[root]))]
        on_stack = {root}
        while stack:
            path_id, references = stack[-1]
            for reference in references:
                if reference in on_stack:
                    trail = [entry[0] for entry in stack]
                    cycle = " -> ".join(str(i) for i in (*trail[trail.index(reference) :], reference))
                    raise MalformedRequest(
                        f"object paths refer to each other in a cycle: {snippet(cycle, 120)}"
                    )
                if reference not in done:
                    stack.append((reference, referenced_paths(paths[reference])))
                    on_stack.add(reference)
                    break
            else:
                stack.pop()
                on_stack.remove(path_id)
                done.add(path_id)
                order.append(path_id)
    return order


def excerpt(request: Request, action_ids: Iterable[int]) -> Request:
    """``request`` cut down to the top-level actions ``action_ids`` (a scope whole) and the object
    paths they need, in their document order: one probe of a batch, sent alone, shows its answer alone.
    The request must be valid (:func:`validate_request`)."""
    wanted = set(action_ids)
    actions = tuple(action for action in request.actions if action.id in wanted)
    needed: set[int] = set()
    start = [ref for node in walk_scoped(actions) for ref in referenced_paths(node)]
    dependencies_first(request.paths_by_id, start, needed)
    paths = tuple(path for path in request.object_paths if path.id in needed)
    return dataclasses.replace(request, actions=actions, object_paths=paths)
