"""JSON bodies as plain data, for faults to edit and write back as a server would.

``loads`` never raises (a body that is not JSON is simply not for a JSON fault); ``dumps`` writes
the CSOM special strings with the escaped solidus real servers use (``"\\/Date(…)\\/"``, every
``/`` of base64 as ``\\u002f``), so that an edited answer differs from the target's only where the
fault meant it to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SPECIAL = re.compile(r"^/(Date|Guid|Base64Binary)\((.*)\)/$", re.DOTALL)
# a whole JSON string token holding a special value: nothing in it needs escaping but the solidus
_SPECIAL_TOKEN = re.compile(r'"/(Date|Guid|Base64Binary)\(([^"\\]*)\)/"')


def loads(body: bytes) -> Any:
    """The decoded body, or None when it is not JSON (special strings stay ``/Date(…)/`` text)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def _escape(match: re.Match[str]) -> str:
    kind, inner = match.groups()
    if kind == "Base64Binary":
        inner = inner.replace("/", "\\u002f")
    return f'"\\/{kind}({inner})\\/"'


def dumps(
    value: Any, *, indent: int | None = None, ascii_only: bool = True, compact: bool = True,
    escaped: bool = True,
) -> bytes:  # fmt: skip
    """UTF-8 JSON; ``compact`` drops the blanks after ``,`` and ``:`` (CSOM answers), else Python's
    default separators (the REST calendar's); ``escaped=False`` leaves the special strings as a
    stock JSON encoder writes them (``"/Date(…)/"``)."""
    separators = (",", ":") if compact else ((",", ": ") if indent is not None else (", ", ": "))
    text = json.dumps(value, indent=indent, separators=separators, ensure_ascii=ascii_only, allow_nan=False)
    return (_SPECIAL_TOKEN.sub(_escape, text) if escaped else text).encode("utf-8")


def walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in ``value``, depth first, parents before children, in document order."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def typed_objects(value: Any) -> Iterator[dict[str, Any]]:
    """The objects carrying an ``_ObjectType_`` (server objects and value objects), in document order."""
    return (item for item in walk(value) if isinstance(item.get("_ObjectType_"), str))


def members(obj: dict[str, Any]) -> list[str]:
    """The property names of an object result, without CSOM's own ``_Name_`` members."""
    return [key for key in obj if not (key.startswith("_") and key.endswith("_"))]


@dataclass
class CsomAnswer:
    """A ProcessQuery answer ``[header, id, result, id, result, …]`` as plain JSON, to edit in place."""

    header: dict[str, Any]
    pairs: list[list[Any]]  # [action id, result]

    @classmethod
    def parse(cls, body: bytes) -> CsomAnswer | None:
        document = loads(body)
        if not isinstance(document, list) or len(document) % 2 == 0 or not isinstance(document[0], dict):
            return None
        ids = document[1::2]
        if not all(isinstance(key, int) and not isinstance(key, bool) for key in ids):
            return None
        return cls(document[0], [list(pair) for pair in zip(ids, document[2::2], strict=True)])

    @property
    def results(self) -> list[Any]:
        return [result for _, result in self.pairs]

    def result(self, action_id: int) -> Any:
        return next((result for key, result in self.pairs if key == action_id), None)

    def error_infos(self) -> Iterator[dict[str, Any]]:
        """The header's ErrorInfo, then those of exception-handling scopes, in document order."""
        if isinstance(self.header.get("ErrorInfo"), dict):
            yield self.header["ErrorInfo"]
        for result in self.results:
            failed = isinstance(result, dict) and result.get("HasException") is True
            if failed and isinstance(result.get("ErrorInfo"), dict):
                yield result["ErrorInfo"]

    def document(self) -> list[Any]:
        return [self.header, *(item for pair in self.pairs for item in pair)]

    def dumps(self, **options: Any) -> bytes:
        return dumps(self.document(), **options)
