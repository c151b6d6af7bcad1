"""What the workflow object model's per-web objects share.

- ``WebRecord``: a definition, subscription or instance, a row of one web in its ``table``;
  identity key ``<web guid>:<Id>``;
- ``DraftRecord``: a record a client edits before a service stores it (definitions,
  subscriptions); an identity naming one never stored resolves to a blank record with that
  ``Id``, so a client can keep using an object it constructed in an earlier request;
- ``RecordCollection``: definitions or subscriptions, sortable by name;
- ``WebService``: a service of one web whose ``Current`` is the service of the web the request
  was sent to, as an instance property and as a static property (erratum
  types-spwf-current-is-static).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from conformance.server.core import Web, ensure_web, web_by_id
from conformance.server.csom.objects import Context, ItemCollection, ServerObject
from conformance.server.wf.store import guid_text, iso


def identity_ids(ctx: Context, key: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(web id, record id) of an identity key whose web exists, else None."""
    web_key, _, record_key = key.partition(":")
    try:
        web_id, record_id = uuid.UUID(web_key), uuid.UUID(record_key)
    except ValueError:
        return None
    return (web_id, record_id) if web_by_id(ctx, web_id) is not None else None


class WebRecord(ServerObject):
    table: ClassVar[str]
    _web_id: uuid.UUID
    Id: uuid.UUID

    @classmethod
    def row(cls, ctx: Context, web_id: uuid.UUID, record_id: uuid.UUID) -> sqlite3.Row | None:
        return ctx.db.execute(
            f"SELECT * FROM {cls.table} WHERE web_id = ? AND id = ?",
            (guid_text(web_id), guid_text(record_id)),
        ).fetchone()

    @classmethod
    def store(cls, ctx: Context, web_id: uuid.UUID, record_id: uuid.UUID, columns: Mapping[str, Any]) -> None:
        """Insert the record with these columns (``created`` now), or update them when stored."""
        names = ", ".join([*columns, "created", "web_id", "id"])
        marks = ", ".join("?" * (len(columns) + 3))
        updates = ", ".join(f"{name} = excluded.{name}" for name in columns)
        ctx.db.execute(
            f"INSERT INTO {cls.table} ({names}) VALUES ({marks})"
            f" ON CONFLICT (web_id, id) DO UPDATE SET {updates}",
            (*columns.values(), iso(ctx.now), guid_text(web_id), guid_text(record_id)),
        )

    def identity_key(self) -> str:
        return f"{self._web_id}:{self.Id}"


class DraftRecord(WebRecord):
    def _init_blank(self, web_id: uuid.UUID, record_id: uuid.UUID) -> None:
        raise NotImplementedError

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Self:
        raise NotImplementedError

    @classmethod
    def blank(cls, web_id: uuid.UUID, record_id: uuid.UUID) -> Self:
        record = cls.__new__(cls)
        record._init_blank(web_id, record_id)
        return record

    @classmethod
    def from_identity(cls, ctx: Context, key: str) -> Self | None:
        ids = identity_ids(ctx, key)
        if ids is None:
            return None
        row = cls.row(ctx, *ids)
        return cls.from_row(row) if row is not None else cls.blank(*ids)


class RecordCollection(ItemCollection):
    """Records in creation order; ``Sort`` orders them by ``sort_name`` (case-insensitive), then Id."""

    sort_name: ClassVar[str]

    def Sort(self, ctx: Context) -> None:
        self._items.sort(
            key=lambda record: ((getattr(record, self.sort_name) or "").casefold(), str(record.Id))
        )


class WebService(ServerObject):
    def __init__(self, ctx: Context, web: Web) -> None:
        self._ctx = ctx
        self._web = web
        self._web_id = web.Id

    @property
    def Current(self) -> Self:
        return type(self)(self._ctx, ensure_web(self._ctx))

    @classmethod
    def static_Current(cls, ctx: Context) -> Self:
        return cls(ctx, ensure_web(ctx))
