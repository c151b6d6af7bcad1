"""The SharePoint core object model the workflow protocol needs (MS-CSOMSPT, not in either spec).

Just enough of ``RequestContext``, ``Site``, ``Web``, ``ListCollection``, ``List``, ``ListItem``
and ``AppInstance`` for a client to reach the MS-SPWFCSOM objects the way real clients do
(``RequestContext.Current.Web``, or an ``Identity`` path naming the web as in the MS-SPWFCSOM
section-4 examples) and to name the lists and items that workflows run on. Members use the
real SharePoint names: ``Web.Lists.GetById(guid)``, ``Lists.GetByTitle(title)``,
``Web.GetList(url)``, ``List.GetItemById(id)``, ``ListItem.ParentList``.

Member conventions of core types (see ``conformance.server.csom.typesystem``): scalar
properties are class-level ``@property`` (so ``SelectAllProperties`` finds them); object-path
properties and methods are methods taking ``ctx``.

State: one web per site URL, created on first use (``ensure_web``) with two lists,
"Documents" (a document library) and "Tasks" (a task list), each holding three items. The
ids are derived from the URL (UUID v5), so the same site URL always has the same web, list and
item GUIDs, and are stored in ``sp_webs`` / ``sp_lists`` / ``sp_list_items`` (``CORE_SCHEMA``).

TypeIds are SharePoint's own. Sources: karamem0/sp-client-core (``[ClientObject(Name="SP.Web",
Id="{a489add2-...}")]`` etc. for SP.RequestContext, SP.Site, SP.Web, SP.ListCollection, SP.List,
SP.ListItem, SP.AppInstance, SP.ContentTypeId) agreeing with the CsomInspector type map
(``{a489add2-...}`` = Microsoft.SharePoint.SPWeb, ``{d89f0b18-...}`` = SPList, ...) and, for
RequestContext, PnPjs sp-clientsvc (``StaticProperty TypeId="{3747adcd-...}" Name="Current"``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any, ClassVar, Self
from urllib.parse import unquote, urlsplit

from conformance.server.csom.objects import (
    ARGUMENT,
    ARGUMENT_OUT_OF_RANGE,
    INT32,
    SP_EXCEPTION,
    Context,
    CsomFault,
    ServerCollection,
    ServerObject,
    decimal_int,
    register,
)
from conformance.server.seed import is_demo

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS sp_webs (
    id TEXT PRIMARY KEY,                  -- web GUID (lower-case), UUID v5 of the URL
    url TEXT NOT NULL UNIQUE,             -- absolute URL, no trailing slash
    server_relative_url TEXT NOT NULL,
    site_id TEXT NOT NULL,                -- the site collection GUID (one web per site)
    title TEXT NOT NULL,
    created TEXT NOT NULL                 -- ISO-8601 UTC
);
CREATE TABLE IF NOT EXISTS sp_lists (
    id TEXT PRIMARY KEY,                  -- list GUID (lower-case)
    web_id TEXT NOT NULL REFERENCES sp_webs(id),
    title TEXT NOT NULL,
    url TEXT NOT NULL,                    -- server-relative URL of the root folder
    base_template INTEGER NOT NULL,
    UNIQUE (web_id, title)
);
CREATE TABLE IF NOT EXISTS sp_list_items (
    list_id TEXT NOT NULL REFERENCES sp_lists(id),
    id INTEGER NOT NULL CHECK (id >= 1),
    unique_id TEXT NOT NULL UNIQUE,       -- the item GUID (UniqueId / FieldValues["GUID"])
    title TEXT NOT NULL,
    content_type_id TEXT NOT NULL,
    PRIMARY KEY (list_id, id)
);
"""

# TypeIds (lower-case, no braces); SP.ContentTypeId is a value type, see ContentTypeId below
REQUEST_CONTEXT_TYPE_ID = "3747adcd-a3c3-41b9-bfab-4a64dd2f1e0a"
SITE_TYPE_ID = "e1bb82e8-0d1e-4e52-b90c-684802ab4ef6"
WEB_TYPE_ID = "a489add2-5d3a-4de8-9445-49259462dceb"
LIST_COLLECTION_TYPE_ID = "1e78b736-61f0-441c-a785-10fc25387c8d"
LIST_TYPE_ID = "d89f0b18-614e-4b4a-bac0-fd6142b55448"
LIST_ITEM_TYPE_ID = "53cc48c0-1777-47b7-99ca-729390f06602"
APP_INSTANCE_TYPE_ID = "211a55df-058b-4917-ac93-2b5e08b1a9fd"
CONTENT_TYPE_ID_TYPE_ID = "da0f1e90-296f-480e-bc27-cefe51eff241"

DOCUMENT_CONTENT_TYPE = "0x0101"
TASK_CONTENT_TYPE = "0x0108"

# title, root-folder URL (relative to the web), base template, content type, item titles
SEED_LISTS = (
    (
        "Documents",
        "Shared Documents",
        101,
        DOCUMENT_CONTENT_TYPE,
        ("Welcome.docx", "Budget.xlsx", "Plan.pptx"),
    ),
    ("Tasks", "Lists/Tasks", 171, TASK_CONTENT_TYPE, ("Review contract", "Prepare hearing", "File defence")),
)


# -------------------------------------------------------------------------------------------- helpers
def normalize_url(url: str) -> str:
    """A site URL as stored: scheme and host lower-case, no trailing slash, no query."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if not parts.scheme:
        return path or "/"
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def _join(server_relative_url: str, leaf: str) -> str:
    return f"{server_relative_url.rstrip('/')}/{leaf}"


def parse_guid(value: Any, what: str) -> uuid.UUID:
    """A GUID argument sent to a core-type member (which arrive undecoded): UUID or GUID text."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            pass
    raise CsomFault(ARGUMENT, f"{what}: expected a GUID, got {value!r:.60}")


def parse_int(value: Any, what: str) -> int:
    """An Int32 argument sent to a core-type member: int or decimal text (JSOM may send either)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise CsomFault(ARGUMENT, f"{what}: expected an integer, got {value!r:.60}")
    number = value if isinstance(value, int) else decimal_int(value, INT32)
    if number is not None and INT32[0] <= number <= INT32[1]:
        return number
    digits = str(value).strip().removeprefix("-")
    if digits.isascii() and digits.isdigit():  # an integer, only too large
        raise CsomFault(ARGUMENT_OUT_OF_RANGE, f"{what}: {str(value).strip()[:30]} is outside Int32", what)
    raise CsomFault(ARGUMENT, f"{what}: expected an integer, got {value!r:.60}")


# Called with every web created in a demo database (--seed-data). The workflow model adds
# its demo here: it imports this module, so this module cannot import it.
DEMO_SEEDERS: list[Callable[[Context, Web], None]] = []

# Each site URL an anonymous client names creates a web, two lists and six items: without a bound,
# distinct URLs (or Host ports) grew the database without end. A run of the suite uses one or two.
MAX_WEBS = 500


def ensure_web(ctx: Context) -> Web:
    """The web of the site the request was sent to, created and seeded on first use."""
    url = normalize_url(ctx.web_url)
    found = Web.find(ctx, "url = ?", url)
    if found is not None:
        return found
    (webs,) = ctx.db.execute("SELECT COUNT(*) FROM sp_webs").fetchone()
    if webs >= MAX_WEBS:
        raise CsomFault(SP_EXCEPTION, f"This server holds at most {MAX_WEBS} sites; use one of those it has.")
    _create_web(ctx.db, url, ctx.now)
    web = Web.find(ctx, "url = ?", url)
    assert web is not None
    if is_demo(ctx.db):
        for seeder in DEMO_SEEDERS:
            seeder(ctx, web)
    return web


def web_by_id(ctx: Context, web_id: uuid.UUID | str) -> Web | None:
    return Web.find(ctx, "id = ?", str(web_id).lower())


def _create_web(conn: sqlite3.Connection, url: str, now: dt.datetime) -> None:
    web_id = uuid.uuid5(uuid.NAMESPACE_URL, url)
    site_id = uuid.uuid5(uuid.NAMESPACE_URL, url + "#site")
    path = unquote(urlsplit(url).path) or "/"
    title = path.rstrip("/").rsplit("/", 1)[-1] or "Home"
    conn.execute(
        "INSERT OR IGNORE INTO sp_webs (id, url, server_relative_url, site_id, title, created)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (str(web_id), url, path, str(site_id), title, now.astimezone(dt.UTC).isoformat()),
    )
    for title, leaf, template, content_type, items in SEED_LISTS:
        list_id = uuid.uuid5(web_id, title)
        conn.execute(
            "INSERT OR IGNORE INTO sp_lists (id, web_id, title, url, base_template) VALUES (?, ?, ?, ?, ?)",
            (str(list_id), str(web_id), title, _join(path, leaf), template),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO sp_list_items (list_id, id, unique_id, title, content_type_id)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (str(list_id), n, str(uuid.uuid5(list_id, str(n))), item_title, content_type)
                for n, item_title in enumerate(items, start=1)
            ],
        )


# ------------------------------------------------------------------------------------ RequestContext
@register(
    "Microsoft.SharePoint.Client.RequestContext",
    core=True,
    short_name="SP.RequestContext",
    type_id=REQUEST_CONTEXT_TYPE_ID,
)
class RequestContext(ServerObject):
    """``SP.RequestContext``: reached as the static property ``Current``."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @classmethod
    def static_Current(cls, ctx: Context) -> RequestContext:
        return cls(ctx)

    def Web(self, ctx: Context) -> Web:
        return ensure_web(ctx)

    def Site(self, ctx: Context) -> Site:
        return ensure_web(ctx).Site(ctx)


# ------------------------------------------------------------------------------------- row objects
def _column(name: str, convert: Callable[[Any], Any] = lambda value: value) -> Any:
    """A read-only scalar property: a column of the object's row (``self._row``)."""
    return property(lambda self: convert(self._row[name]))


class _RowObject(ServerObject):
    """A core object that is one row of ``table``."""

    table: ClassVar[str]

    def __init__(self, ctx: Context, row: sqlite3.Row) -> None:
        self._ctx = ctx
        self._row = row

    @classmethod
    def find(cls, ctx: Context, where: str, *args: Any) -> Self | None:
        row = ctx.db.execute(f"SELECT * FROM {cls.table} WHERE {where}", args).fetchone()
        return cls(ctx, row) if row is not None else None


# ---------------------------------------------------------------------------------------------- Site
@register("Microsoft.SharePoint.Client.Site", core=True, short_name="SP.Site", type_id=SITE_TYPE_ID)
class Site(_RowObject):
    """``SP.Site``: the site collection; it holds exactly one web (its root web), whose row it is."""

    identity_kind = "site"
    table = "sp_webs"
    Id = _column("site_id", uuid.UUID)
    Url = _column("url")
    ServerRelativeUrl = _column("server_relative_url")

    def RootWeb(self, ctx: Context) -> Web:
        return Web(ctx, self._row)

    def identity_key(self) -> str:
        return str(self.Id)

    @classmethod
    def from_identity(cls, ctx: Context, key: str) -> Site | None:
        return cls.find(ctx, "site_id = ?", key.lower())


# ----------------------------------------------------------------------------------------------- Web
@register("Microsoft.SharePoint.Client.Web", core=True, short_name="SP.Web", type_id=WEB_TYPE_ID)
class Web(_RowObject):
    """``SP.Web``; identity ``740c6a0b-...:web:<web guid>`` as in the MS-SPWFCSOM examples."""

    identity_kind = "web"
    table = "sp_webs"
    Id = _column("id", uuid.UUID)
    Title = _column("title")
    Url = _column("url")
    ServerRelativeUrl = _column("server_relative_url")
    Created = _column("created", dt.datetime.fromisoformat)

    def Lists(self, ctx: Context) -> ListCollection:
        return ListCollection(ctx, self)

    def Site(self, ctx: Context) -> Site:
        return Site(ctx, self._row)

    def GetList(self, ctx: Context, strUrl: Any) -> List:
        """The list whose root folder is at ``strUrl`` (server-relative or absolute)."""
        if not isinstance(strUrl, str) or not strUrl.strip():
            raise CsomFault(ARGUMENT, "GetList: strUrl must be a non-empty URL")
        path = unquote(urlsplit(strUrl.strip()).path).rstrip("/").lower()
        for lst in self.lists(ctx):
            if lst.url.lower() == path:
                return lst
        raise CsomFault(ARGUMENT, f"List '{strUrl}' does not exist at site with URL '{self.Url}'.")

    # ---- server-side helpers (lower-case: not visible to clients)
    def lists(self, ctx: Context) -> list[List]:
        rows = ctx.db.execute(
            "SELECT * FROM sp_lists WHERE web_id = ? ORDER BY rowid", (self._row["id"],)
        ).fetchall()
        return [List(ctx, row) for row in rows]

    def list_by_id(self, ctx: Context, list_id: uuid.UUID) -> List | None:
        return List.find(ctx, "web_id = ? AND id = ?", self._row["id"], str(list_id).lower())

    def identity_key(self) -> str:
        return self._row["id"]

    @classmethod
    def from_identity(cls, ctx: Context, key: str) -> Web | None:
        try:
            web_id = uuid.UUID(key)
        except ValueError:
            return None
        return web_by_id(ctx, web_id)


# ------------------------------------------------------------------------------------ ListCollection
@register(
    "Microsoft.SharePoint.Client.ListCollection",
    core=True,
    short_name="SP.ListCollection",
    type_id=LIST_COLLECTION_TYPE_ID,
)
class ListCollection(ServerCollection):
    """``SP.ListCollection`` (``Web.Lists``)."""

    def __init__(self, ctx: Context, web: Web) -> None:
        self._web = web

    def items(self, ctx: Context) -> list[ServerObject]:
        return list(self._web.lists(ctx))

    def GetById(self, ctx: Context, id: Any) -> List:
        found = self._web.list_by_id(ctx, parse_guid(id, "GetById"))
        if found is None:
            raise CsomFault(
                ARGUMENT,
                "List does not exist. The page you selected contains a list that does not exist. "
                "It may have been deleted by another user.",
            )
        return found

    def GetByTitle(self, ctx: Context, title: Any) -> List:
        if not isinstance(title, str):
            raise CsomFault(ARGUMENT, "GetByTitle: title must be a string")
        for lst in self._web.lists(ctx):
            if lst.Title.lower() == title.lower():
                return lst
        raise CsomFault(ARGUMENT, f"List '{title}' does not exist at site with URL '{self._web.Url}'.")


# ---------------------------------------------------------------------------------------------- List
@register("Microsoft.SharePoint.Client.List", core=True, short_name="SP.List", type_id=LIST_TYPE_ID)
class List(_RowObject):
    """``SP.List``; identity kind ``list``, key the list GUID."""

    identity_kind = "list"
    table = "sp_lists"
    Id = _column("id", uuid.UUID)
    Title = _column("title")
    BaseTemplate = _column("base_template")

    def __init__(self, ctx: Context, row: sqlite3.Row) -> None:
        super().__init__(ctx, row)
        self._item_count = ctx.db.execute(
            "SELECT COUNT(*) FROM sp_list_items WHERE list_id = ?", (row["id"],)
        ).fetchone()[0]

    @property
    def ItemCount(self) -> int:
        return self._item_count

    def ParentWeb(self, ctx: Context) -> Web:
        found = web_by_id(ctx, self._row["web_id"])
        assert found is not None  # foreign key
        return found

    def GetItemById(self, ctx: Context, id: Any) -> ListItem:
        found = self.item_by_id(ctx, parse_int(id, "GetItemById"))
        if found is None:
            raise CsomFault(ARGUMENT, "Item does not exist. It may have been deleted by another user.")
        return found

    # ---- server-side helpers
    url = _column("url")
    web_id = _column("web_id", uuid.UUID)

    def item_by_id(self, ctx: Context, item_id: int) -> ListItem | None:
        return ListItem.find(ctx, "list_id = ? AND id = ?", self._row["id"], item_id)

    def item_by_guid(self, ctx: Context, unique_id: uuid.UUID) -> ListItem | None:
        return ListItem.find(ctx, "list_id = ? AND unique_id = ?", self._row["id"], str(unique_id).lower())

    def identity_key(self) -> str:
        return self._row["id"]

    @classmethod
    def from_identity(cls, ctx: Context, key: str) -> List | None:
        return cls.find(ctx, "id = ?", key.lower())


# ------------------------------------------------------------------------------------------ ListItem
@register(
    "Microsoft.SharePoint.Client.ListItem", core=True, short_name="SP.ListItem", type_id=LIST_ITEM_TYPE_ID
)
class ListItem(_RowObject):
    """``SP.ListItem``; identity kind ``item``, key ``<list guid>:<item id>``."""

    identity_kind = "item"
    table = "sp_list_items"
    Id = _column("id")

    @property
    def FieldValues(self) -> dict[str, Any]:
        return {
            "ID": self._row["id"],
            "Title": self._row["title"],
            "GUID": uuid.UUID(self._row["unique_id"]),
            "ContentTypeId": self._row["content_type_id"],
        }

    def ParentList(self, ctx: Context) -> List:
        found = List.from_identity(ctx, self._row["list_id"])
        assert found is not None  # foreign key
        return found

    # ---- server-side helpers
    list_id = _column("list_id", uuid.UUID)
    unique_id = _column("unique_id", uuid.UUID)
    content_type_id = _column("content_type_id")

    def identity_key(self) -> str:
        return f"{self._row['list_id']}:{self._row['id']}"

    @classmethod
    def from_identity(cls, ctx: Context, key: str) -> ListItem | None:
        list_key, _, item_key = key.partition(":")
        item_id = decimal_int(item_key)
        if item_id is None:
            return None
        return cls.find(ctx, "list_id = ? AND id = ?", list_key.lower(), item_id)


# --------------------------------------------------------------------------------------- AppInstance
@register(
    "Microsoft.SharePoint.Client.AppInstance",
    core=True,
    short_name="SP.AppInstance",
    type_id=APP_INSTANCE_TYPE_ID,
)
class AppInstance(ServerObject):
    """``SP.AppInstance`` (the items of WorkflowDeploymentService.EnumerateIntegratedApps).

    The reference server installs no apps, so no instance is ever returned; the class exists
    so the type is known and its members are defined.
    """

    def __init__(self, ctx: Context, app_id: uuid.UUID | None = None, title: str = "") -> None:
        self._id = app_id or uuid.UUID(int=0)
        self._title = title

    @property
    def Id(self) -> uuid.UUID:
        return self._id

    @property
    def Title(self) -> str:
        return self._title

    @property
    def Status(self) -> int:
        return 1  # AppInstanceStatus.Installed

    @property
    def ProductId(self) -> uuid.UUID:
        return uuid.UUID(int=0)

    @property
    def WebId(self) -> uuid.UUID:
        return uuid.UUID(int=0)

    @property
    def SiteId(self) -> uuid.UUID:
        return uuid.UUID(int=0)

    @property
    def AppPrincipalId(self) -> str:
        return ""

    @property
    def AppWebFullUrl(self) -> str:
        return ""

    @property
    def RemoteAppUrl(self) -> str:
        return ""

    @property
    def StartPage(self) -> str:
        return ""


# ------------------------------------------------------------------------------------- ContentTypeId
class ContentTypeId:
    """``SP.ContentTypeId`` (TypeId ``CONTENT_TYPE_ID_TYPE_ID``): a client *value* type with one
    member, ``StringValue`` ("0x0101..."). Not registered as a server object: the engine hands
    a value-object parameter over as sent (a dict of its members), and ``coerce`` accepts that,
    a bare string, or an instance of this class."""

    def __init__(self, string_value: str) -> None:
        self.StringValue = string_value

    @classmethod
    def coerce(cls, value: Any, what: str = "ContentTypeId") -> ContentTypeId | None:
        if value is None or isinstance(value, ContentTypeId):
            return value
        if isinstance(value, dict):
            value = value.get("StringValue")
        if isinstance(value, str) and _is_content_type_id(value):
            return cls(value)
        raise CsomFault(ARGUMENT, f"{what}: expected a content type id such as 0x0101, got {value!r:.60}")

    def is_parent_of(self, other: str) -> bool:
        """True when ``other`` is this content type or derives from it (SharePoint content type
        ids extend their parent's id)."""
        return other.upper().startswith(self.StringValue.upper())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContentTypeId) and other.StringValue.upper() == self.StringValue.upper()

    def __hash__(self) -> int:
        return hash(self.StringValue.upper())

    def __repr__(self) -> str:
        return f"ContentTypeId({self.StringValue!r})"


def _is_content_type_id(text: str) -> bool:
    body = text[2:]
    return text[:2].lower() == "0x" and len(body) > 0 and all(c in "0123456789abcdefABCDEF" for c in body)
