"""One shape for the suite's registries: the checks, the faults and the reference server's types.

Each is filled by decorators as its modules are imported, so a name registered twice is a mistake
in the code (two functions under one name, the second silently winning): it is refused at import.
Imports nothing of ours, so both the suite and the reference server may use it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

T = TypeVar("T")


class Registry(Mapping[str, T]):
    """Items by name, each name once, in the order they were registered (read as a Mapping)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # what an item is, for the error: "check", "fault", "server type"
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item
        return item

    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
