"""The SharePoint core types: RequestContext, Site, Web, lists and items, identities, TypeIds."""

from __future__ import annotations

import uuid

import pytest

from conformance.server.core import (
    AppInstance,
    ContentTypeId,
    List,
    ListItem,
    RequestContext,
    Site,
    Web,
    ensure_web,
    normalize_url,
)
from conformance.server.csom.objects import ARGUMENT, IDENTITY_PREFIX, REGISTRY, CsomFault

CORE = {
    "Microsoft.SharePoint.Client.RequestContext": (
        "SP.RequestContext",
        "3747adcd-a3c3-41b9-bfab-4a64dd2f1e0a",
    ),
    "Microsoft.SharePoint.Client.Site": ("SP.Site", "e1bb82e8-0d1e-4e52-b90c-684802ab4ef6"),
    "Microsoft.SharePoint.Client.Web": ("SP.Web", "a489add2-5d3a-4de8-9445-49259462dceb"),
    "Microsoft.SharePoint.Client.ListCollection": (
        "SP.ListCollection",
        "1e78b736-61f0-441c-a785-10fc25387c8d",
    ),
    "Microsoft.SharePoint.Client.List": ("SP.List", "d89f0b18-614e-4b4a-bac0-fd6142b55448"),
    "Microsoft.SharePoint.Client.ListItem": ("SP.ListItem", "53cc48c0-1777-47b7-99ca-729390f06602"),
    "Microsoft.SharePoint.Client.AppInstance": ("SP.AppInstance", "211a55df-058b-4917-ac93-2b5e08b1a9fd"),
}


@pytest.mark.parametrize("name", sorted(CORE))
def test_core_types_are_registered_with_sharepoint_names(name):
    cls = REGISTRY[name]
    assert cls.core
    assert (cls.short_name, cls.type_id) == CORE[name]


def test_request_context_reaches_the_seeded_web(site):
    with site.request() as ctx:
        rc = RequestContext.static_Current(ctx)
        web = rc.Web(ctx)
        assert isinstance(web, Web)
        assert web.Url == site.url and web.ServerRelativeUrl == "/sites/wf" and web.Title == "wf"
        assert web.Id == uuid.uuid5(uuid.NAMESPACE_URL, site.url)
        assert isinstance(rc.Site(ctx), Site) and rc.Site(ctx).RootWeb(ctx).Id == web.Id
        titles = [lst.Title for lst in web.Lists(ctx).items(ctx)]
        assert titles == ["Documents", "Tasks"]
        for lst in web.Lists(ctx).items(ctx):
            assert lst.ItemCount == 3


def test_the_web_is_stable_per_url_and_distinct_per_site(site):
    with site.request() as ctx:
        first = ensure_web(ctx).Id
        first_lists = {lst.Id for lst in ensure_web(ctx).lists(ctx)}
    with site.request(site.url + "/") as ctx:
        assert ensure_web(ctx).Id == first
        assert ctx.db.execute("SELECT COUNT(*) FROM sp_webs").fetchone()[0] == 1
    with site.request("http://127.0.0.1:8080/sites/other") as ctx:
        other = ensure_web(ctx)
        assert other.Id != first
        assert {lst.Id for lst in other.lists(ctx)}.isdisjoint(first_lists)


def test_lists_and_items_by_real_sharepoint_members(site):
    with site.request() as ctx:
        web = ensure_web(ctx)
        tasks = web.Lists(ctx).GetByTitle(ctx, "tasks")
        assert web.Lists(ctx).GetById(ctx, tasks.Id).Title == "Tasks"
        assert web.Lists(ctx).GetById(ctx, str(tasks.Id).upper()).Id == tasks.Id
        assert web.GetList(ctx, "/sites/wf/Lists/Tasks").Id == tasks.Id
        assert web.GetList(ctx, site.url + "/Shared%20Documents/").Title == "Documents"
        item = tasks.GetItemById(ctx, 2)
        assert tasks.GetItemById(ctx, "2").Id == 2
        assert item.FieldValues["Title"] == "Prepare hearing"
        assert item.FieldValues["ContentTypeId"] == "0x0108"
        assert isinstance(item.FieldValues["GUID"], uuid.UUID)
        assert item.ParentList(ctx).Id == tasks.Id
        assert tasks.ParentWeb(ctx).Id == web.Id


@pytest.mark.parametrize(
    "call",
    [
        lambda ctx, web: web.Lists(ctx).GetById(ctx, uuid.uuid4()),
        lambda ctx, web: web.Lists(ctx).GetById(ctx, "not-a-guid"),
        lambda ctx, web: web.Lists(ctx).GetByTitle(ctx, "Nope"),
        lambda ctx, web: web.GetList(ctx, "/sites/wf/Lists/Nope"),
        lambda ctx, web: web.Lists(ctx).GetByTitle(ctx, "Tasks").GetItemById(ctx, 99),
        lambda ctx, web: web.Lists(ctx).GetByTitle(ctx, "Tasks").GetItemById(ctx, "x"),
        lambda ctx, web: web.Lists(ctx).GetByTitle(ctx, "Tasks").GetItemById(ctx, True),
    ],
)
def test_unknown_lists_and_items_are_argument_errors(site, call):
    with site.request() as ctx, pytest.raises(CsomFault) as err:
        call(ctx, ensure_web(ctx))
    assert (err.value.code, err.value.type_name) == ARGUMENT


def test_identities_round_trip(site):
    with site.request() as ctx:
        web = ensure_web(ctx)
        tasks = web.Lists(ctx).GetByTitle(ctx, "Tasks")
        item = tasks.GetItemById(ctx, 3)
        assert web.identity() == f"{IDENTITY_PREFIX}:web:{web.Id}"
        for obj in (web, web.Site(ctx), tasks, item):
            kind, key = obj.identity().removeprefix(IDENTITY_PREFIX + ":").split(":", 1)
            assert kind == type(obj).identity_kind
            again = type(obj).from_identity(ctx, key)
            assert type(again) is type(obj) and again.Id == obj.Id
        assert Web.from_identity(ctx, str(uuid.uuid4())) is None
        assert Web.from_identity(ctx, "garbage") is None
        assert List.from_identity(ctx, str(uuid.uuid4())) is None
        assert ListItem.from_identity(ctx, f"{tasks.Id}:42") is None
        assert ListItem.from_identity(ctx, f"{tasks.Id}:x") is None


def test_the_example_web_identity_shape_parses():
    # MS-SPWFCSOM 4.x: 740c6a0b-85e2-48a0-a494-e0f1759d4aa7:web:375160a8-0ab6-46f2-9b3d-b987684b30e3
    assert IDENTITY_PREFIX == "740c6a0b-85e2-48a0-a494-e0f1759d4aa7"


def test_content_type_id_value():
    assert ContentTypeId.coerce("0x0108").StringValue == "0x0108"
    assert ContentTypeId.coerce({"StringValue": "0x0101"}) == ContentTypeId("0x0101")
    assert ContentTypeId.coerce(None) is None
    assert ContentTypeId("0x01").is_parent_of("0x0108")
    assert not ContentTypeId("0x0101").is_parent_of("0x0108")
    for bad in ("0x", "0108", "0xZZ", 5, {"StringValue": None}):
        with pytest.raises(CsomFault):
            ContentTypeId.coerce(bad)


def test_app_instance_has_its_members(site):
    with site.request() as ctx:
        app = AppInstance(ctx, uuid.uuid4(), "App")
        assert app.Title == "App" and isinstance(app.Id, uuid.UUID) and app.Status == 1


def test_normalize_url():
    assert normalize_url("HTTP://Host:80/sites/A/") == "http://host:80/sites/A"
    assert normalize_url("http://host") == "http://host"
