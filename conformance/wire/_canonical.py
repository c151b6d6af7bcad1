"""The canonical form of a request: Ids renumbered in traversal order, so that two requests that do
the same thing compare equal."""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any

from ._nodes import Request, nested
from ._validate import REFERENCE_FIELDS, dependencies_first, referenced_paths, validate_request


def _renumber(node: Any, new_ids: Mapping[int, int]) -> Any:
    """``node`` with every own id and reference mapped through ``new_ids``."""
    if isinstance(node, tuple):
        return tuple(_renumber(item, new_ids) for item in node)
    if isinstance(node, dict):
        return {key: _renumber(item, new_ids) for key, item in node.items()}
    if is_dataclass(node) and not isinstance(node, type):
        changes = {}
        for f in fields(node):
            value = getattr(node, f.name)
            if f.name == "id" or f.name in REFERENCE_FIELDS:
                changes[f.name] = new_ids[value]
            else:
                changes[f.name] = _renumber(value, new_ids)
        return replace(node, **changes)
    return node


def canonical(request: Request) -> Request:
    """``request`` renumbered in a deterministic traversal order, object paths sorted by new Id.

    Two requests that do the same thing compare equal after this, whatever their Ids (JSOM 2013/2016 use
    a process-wide counter) and however their ObjectPaths are ordered. Traversal: actions in document
    order; before each action, the paths it refers to (parents and parameter paths first); then the
    action; then its nested actions. Paths no action reaches come last, ordered by their structure.
    """
    validate_request(request)
    paths = request.paths_by_id
    new_ids: dict[int, int] = {}
    numbered: set[int] = set()
    counter = itertools.count()

    def number_paths(start: Iterable[int]) -> None:
        for path_id in dependencies_first(paths, start, numbered):
            new_ids[path_id] = next(counter)

    def visit_action(node: Any) -> None:
        number_paths(referenced_paths(node))
        new_ids[node.id] = next(counter)
        for child in nested(node):
            visit_action(child)

    for action in request.actions:
        visit_action(action)
    # Paths no action reaches: start from those no other path refers to either, in order of their
    # structure (content with ids blanked, then that of the paths referred to), not document order.
    unreached = [path.id for path in request.object_paths if path.id not in numbered]
    shapes: dict[int, str] = {}
    for path_id in dependencies_first(paths, unreached, set()):
        blanked = repr(_renumber(paths[path_id], collections.defaultdict(int)))
        shapes[path_id] = repr((blanked, [shapes[ref] for ref in referenced_paths(paths[path_id])]))
    referenced = {reference for path_id in unreached for reference in referenced_paths(paths[path_id])}
    number_paths(sorted((p for p in unreached if p not in referenced), key=shapes.__getitem__))
    renumbered = _renumber(request, new_ids)
    return replace(renumbered, object_paths=tuple(sorted(renumbered.object_paths, key=lambda path: path.id)))
