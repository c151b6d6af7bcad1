"""Locations: the sources tasks are aggregated from (sites, lists, projects, mail folders).

- ``ParentId`` is -1 for a location without a parent (the spec's MUST, 3.1.5.10.1.1.4).
- ``Important`` is the same fact as ``UserSettings.ImportantLocationIds`` (one column).
- A client-constructed ``Location`` (the spec gives it a constructor) is a detached value:
  Id 0, ParentId -1, nothing stored; setting its properties changes only that object.
- Locations belong to one user and are numbered per user (see ``seed``); an id the user does
  not have is "invalid" (``WriteFieldErrorType.LocationInvalid`` in write results).
"""

from __future__ import annotations

import sqlite3

from conformance.server.csom.objects import Context, ItemCollection, ServerObject, register
from conformance.server.wm.common import NS


@register(NS + "Location")
class Location(ServerObject):
    def __init__(self, ctx: Context) -> None:
        self.Color: str | None = None
        self.Id = 0
        self.Name: str | None = None
        self.ParentId = -1
        self.RootProviderKey: str | None = None
        self.Url: str | None = None
        self.Important = False

    @classmethod
    def _from_row(cls, ctx: Context, row: sqlite3.Row) -> Location:
        loc = cls(ctx)
        loc.Color, loc.Id, loc.Name = row["color"], row["id"], row["name"]
        loc.ParentId = -1 if row["parent_id"] is None else row["parent_id"]
        loc.RootProviderKey, loc.Url, loc.Important = row["provider_key"], row["url"], bool(row["important"])
        return loc


@register(NS + "LocationClientCollection")
class LocationClientCollection(ItemCollection):
    pass


@register(NS + "LocationDisplaySetting")
class LocationDisplaySetting(ServerObject):
    """The colour of one location (``SetUserSettings``' ``locationColorUpdates``). No CSOM
    constructor in the spec; a Python caller may give ``Id``/``Color``."""

    def __init__(self, ctx: Context | None = None, Id: int = 0, Color: str | None = None) -> None:
        self.Color, self.Id = Color, Id


# ---- store --------------------------------------------------------------------------------


def location_rows(ctx: Context) -> list[sqlite3.Row]:
    return ctx.db.execute(
        "SELECT * FROM wm_locations WHERE user_id = ? ORDER BY id", (ctx.user_id,)
    ).fetchall()


def location_row(ctx: Context, location_id: int | None) -> sqlite3.Row | None:
    if location_id is None:
        return None
    return ctx.db.execute(
        "SELECT * FROM wm_locations WHERE user_id = ? AND id = ?", (ctx.user_id, location_id)
    ).fetchone()


def all_locations(ctx: Context) -> LocationClientCollection:
    return LocationClientCollection.of(Location._from_row(ctx, r) for r in location_rows(ctx))


def with_descendants(ctx: Context, ids: set[int]) -> set[int]:
    """The given locations and every location below them."""
    children: dict[int, list[int]] = {}
    for row in location_rows(ctx):
        if row["parent_id"] is not None:
            children.setdefault(row["parent_id"], []).append(row["id"])
    result, todo = set(), list(ids)
    while todo:
        current = todo.pop()
        if current not in result:
            result.add(current)
            todo.extend(children.get(current, ()))
    return result


def root_of(rows: list[sqlite3.Row], location_id: int) -> int:
    parents = {r["id"]: r["parent_id"] for r in rows}
    current, seen = location_id, set()
    while parents.get(current) is not None and current not in seen:
        seen.add(current)
        current = parents[current]
    return current
