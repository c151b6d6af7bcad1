"""Locations ([MS-WMCSOM] 3.1.5.10 Location, 3.1.5.12 LocationDisplaySetting, 3.1.5.13 LocationFilter):
the statements about them no generated case reaches (specs/traceability.toml names these cases).

- Location.ParentId MUST be -1 for a location without a parent (3.1.5.10.1.1.4): every ParentId
  of the user's locations is -1 or the Id of one of them, and some location is a root.
- LocationFilter.LocationKeys are the locations whose tasks SHOULD be included (3.1.5.13.1.1.1):
  for every location, ReadTasks filtered to it returns its tasks and none outside it (or, as a
  location may contain others, outside its descendants). The unfiltered read and the filtered
  ones share one request, so they see the same tasks.
- LocationDisplaySetting (3.1.5.12) has no constructor and nothing returns it: a client sends it
  by value in SetUserSettings' ``locationColorUpdates``. A new colour for one location is taken,
  read back as that location's Color, and leaves the others alone; the old colour is put back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.case import CaseMeta, Level, case
from conformance.drive.target import CsomReply, Target
from conformance.judge import checks
from conformance.judge.checks import Site, verify
from conformance.model.catalogue import WM, catalogue
from conformance.spec.model import SpecType
from conformance.wire import SELECT_ALL, ObjectPathRef, QuerySpec, RequestBuilder, ValueObject, scope_error

CATALOGUE = catalogue()
MAX_FILTERED = 25  # locations read one by one through the filter (a request stays small)
COLOURS = ("#C0FFEE", "#BADA55")  # a new colour for a location: the first that is not its own


def _type(name: str) -> SpecType:
    return CATALOGUE.types[WM + name]


def _meta(type_name: str, member: str, check: str, level: Level, writes: bool = False) -> CaseMeta:
    spec_type = _type(type_name)
    section = next((p.section for p in spec_type.properties if p.name == member), spec_type.section)
    item = CATALOGUE.item_id(spec_type, member)
    return CaseMeta(CATALOGUE.protocol_of[spec_type.name], section, item, check, level, writes)


@dataclass(frozen=True)
class Read:
    """A query in its own exception scope, and the request's reply."""

    reply: CsomReply
    scope: int
    query: int | None = None  # None: an action with no result to read

    def items(self) -> list[dict[str, Any]]:
        known = self.reply.response is not None and self.query is not None
        value = self.reply.response.results.get(self.query) if known else None
        items = value.get("_Child_Items_") if isinstance(value, dict) else None
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    def ok(self, section: str, level: Level = "must") -> None:
        verify(Site(section, level, (self.reply.exchange,)), checks.scope_ok, self.reply, self.scope)


def _locations(builder: RequestBuilder) -> tuple[int, int]:
    manager = builder.construct(_type("UserSettingsManager").type_id)
    with builder.exception_scope() as scope:
        query = builder.query(
            builder.method(manager, "GetAllLocations"),
            SELECT_ALL,
            QuerySpec.select("Id", "ParentId", "Color"),
        )
    return scope, query


def _read_tasks(builder: RequestBuilder, session: ObjectPathRef, keys: list[int] | None) -> tuple[int, int]:
    """ReadTasks with a LocationFilter of ``keys`` (no location filter at all for None)."""
    query = builder.construct(_type("TaskQuery").type_id)
    if keys is not None:
        location_filter = builder.construct(_type("LocationFilter").type_id)
        builder.set_property(location_filter, "LocationKeys", keys)
        builder.set_property(location_filter, "IncludeUncategorizedTasks", False)
        builder.set_property(query, "LocationFilter", location_filter)
    with builder.exception_scope() as scope:
        read = builder.query(
            builder.method(session, "ReadTasks", query), SELECT_ALL, QuerySpec.select("Id", "LocationId")
        )
    return scope, read


@pytest.fixture(scope="module")
def locations(target: Target) -> Read:
    builder = RequestBuilder()
    scope, query = _locations(builder)
    return Read(target.process_query(builder.build()), scope, query)


@dataclass(frozen=True)
class FilteredReads:
    every: Read  # ReadTasks without a location filter
    by_location: dict[int, Read]  # location id -> ReadTasks filtered to it


@pytest.fixture(scope="module")
def filtered_reads(target: Target, locations: Read) -> FilteredReads:
    ids = sorted({loc.get("Id") for loc in locations.items() if isinstance(loc.get("Id"), int)})[
        :MAX_FILTERED
    ]
    builder = RequestBuilder()
    session = builder.method(builder.construct(_type("UserOrderedSessionManager").type_id), "CreateSession")
    every = _read_tasks(builder, session, None)
    planned = {i: _read_tasks(builder, session, [i]) for i in ids}
    reply = target.process_query(builder.build())
    return FilteredReads(Read(reply, *every), {i: Read(reply, *p) for i, p in planned.items()})


PARENT = _meta("Location", "ParentId", "no-parent-is-minus-one", "must")


@pytest.mark.parametrize("meta", [case(PARENT, PARENT)])
def test_location_without_parent_is_minus_one(meta: CaseMeta, locations: Read) -> None:
    locations.ok(meta.section)
    found = locations.items()
    if not found:
        pytest.skip("the target has no locations for this user")
    ids = {loc.get("Id") for loc in found}
    orphans = sorted(
        (loc.get("Id"), loc.get("ParentId"))
        for loc in found
        if loc.get("ParentId") != -1
        and (loc.get("ParentId") not in ids or loc.get("ParentId") == loc.get("Id"))
    )
    at = Site(meta.section, evidence=(locations.reply.exchange,))
    what = "(Id, ParentId) of locations whose ParentId is neither -1 nor another of the user's locations"
    verify(at, checks.equals, orphans, [], what=what)
    parents = [loc.get("ParentId") for loc in found]
    verify(at, checks.contains, parents, -1, what="ParentIds (the hierarchy has a root)")


def _descendants(found: list[dict[str, Any]], root: int) -> set[int]:
    """The location and every location under it, by ParentId."""
    children: dict[Any, list[Any]] = {}
    for loc in found:
        children.setdefault(loc.get("ParentId"), []).append(loc.get("Id"))
    seen, todo = set(), [root]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(children.get(current, []))
    return seen


KEYS = _meta("LocationFilter", "LocationKeys", "only-listed-locations", "should")


@pytest.mark.parametrize("meta", [case(KEYS, KEYS)])
def test_location_filter_keeps_the_listed_locations(
    meta: CaseMeta, locations: Read, filtered_reads: FilteredReads
) -> None:
    filtered_reads.every.ok(meta.section, "should")
    tasks = {t.get("Id"): t.get("LocationId") for t in filtered_reads.every.items()}
    if not {location for location in tasks.values() if location in filtered_reads.by_location}:
        pytest.skip("no task of this user is in one of its locations")
    at = Site(meta.section, "should", (filtered_reads.every.reply.exchange,))
    for location, read in filtered_reads.by_location.items():
        read.ok(meta.section, "should")
        returned = {t.get("Id") for t in read.items()}
        inside = _descendants(locations.items(), location)
        dropped = sorted(t for t, where in tasks.items() if where == location and t not in returned)
        outside = sorted(t for t in returned if tasks.get(t) not in inside)
        verify(at, checks.equals, dropped, [], what=f"tasks of location {location} missing from its filter")
        verify(at, checks.equals, outside, [], what=f"tasks outside location {location} in its filter")


# ---------------------------------------------------------------------------------- colour updates


@dataclass(frozen=True)
class ColourUpdate:
    location: int
    colour: str
    update: Read  # SetUserSettings with one LocationDisplaySetting, in its scope
    after: Read  # GetAllLocations after it, in the same request
    before: dict[Any, Any]  # location id -> colour before


def _set_colour(builder: RequestBuilder, location: int, colour: str) -> int:
    """SetUserSettings(the user's own settings, [one LocationDisplaySetting]): only a colour changes."""
    manager = builder.construct(_type("UserSettingsManager").type_id)
    setting = ValueObject(_type("LocationDisplaySetting").type_id, {"Id": location, "Color": colour})
    with builder.exception_scope() as scope:
        builder.call(manager, "SetUserSettings", builder.method(manager, "GetUserSettings"), [setting])
    return scope


@pytest.fixture(scope="module")
def colour_update(target: Target, locations: Read) -> Iterator[ColourUpdate]:
    found = [
        loc
        for loc in locations.items()
        if isinstance(loc.get("Id"), int) and isinstance(loc.get("Color"), str)
    ]
    if not found:
        pytest.skip("the target has no locations with a colour for this user")
    first = found[0]
    old = first["Color"]
    colour = next(c for c in COLOURS if c.lower() != old.lower())
    colour = colour if old.startswith("#") else colour[1:]  # as the target writes its colours
    builder = RequestBuilder()
    scope = _set_colour(builder, first["Id"], colour)
    after = _locations(builder)
    reply = target.process_query(builder.build())
    before = {loc.get("Id"): loc.get("Color") for loc in found}
    yield ColourUpdate(first["Id"], colour, Read(reply, scope), Read(reply, *after), before)
    restore = RequestBuilder()
    scope = _set_colour(restore, first["Id"], old)
    restored = target.process_query(restore.build())
    if restored.response is None or scope_error(restored.response.results.get(scope)) is not None:
        print(f"\nconformance: could not put back colour {old} of location {first['Id']}")


SENT = _meta("LocationDisplaySetting", "", "sent-by-value", "semantic", writes=True)
COLOUR = _meta("LocationDisplaySetting", "Color", "colour-applied", "semantic", writes=True)
ID = _meta("LocationDisplaySetting", "Id", "only-that-location", "semantic", writes=True)


@pytest.mark.parametrize("meta", [case(SENT, SENT)])
def test_display_setting_is_taken(meta: CaseMeta, colour_update: ColourUpdate) -> None:
    colour_update.update.ok(meta.section, "semantic")


@pytest.mark.parametrize("meta", [case(COLOUR, COLOUR)])
def test_display_setting_colour_applies(meta: CaseMeta, colour_update: ColourUpdate) -> None:
    colour_update.after.ok(meta.section, "semantic")
    colours = {loc.get("Id"): loc.get("Color") for loc in colour_update.after.items()}
    verify(
        Site(meta.section, "semantic", (colour_update.after.reply.exchange,)),
        checks.equals,
        colours.get(colour_update.location),
        colour_update.colour,
        what=f"Color of location {colour_update.location} after SetUserSettings",
    )


@pytest.mark.parametrize("meta", [case(ID, ID)])
def test_display_setting_changes_only_its_location(meta: CaseMeta, colour_update: ColourUpdate) -> None:
    colour_update.after.ok(meta.section, "semantic")
    colours = {loc.get("Id"): loc.get("Color") for loc in colour_update.after.items()}
    others = {i: c for i, c in colour_update.before.items() if i != colour_update.location}
    verify(
        Site(meta.section, "semantic", (colour_update.after.reply.exchange,)),
        checks.equals,
        {i: colours.get(i) for i in others},
        others,
        what="colours of the other locations",
    )
