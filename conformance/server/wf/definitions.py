"""Workflow definitions: WorkflowDefinition, WorkflowDefinitionCollection, WorkflowDeploymentService.

A definition is saved on the site (``SaveDefinition``: a draft) and then published to the
workflow host (``PublishDefinition``); only published definitions can be subscribed to and
run. Rules the reference server applies:

- ``new WorkflowDefinition()`` gets a fresh random ``Id`` (SharePoint does the same: the
  MS-SPWFCSOM 4.3 example's new definition has the identity key 8290b9e3-... before the client
  sets ``Id``); ``SaveDefinition`` gives an empty ``Id`` a fresh one.
- Optimistic concurrency (3.1.5.1.1.1.14): when a definition with the same ``Id`` is already
  saved, the submitted ``DraftVersion`` MUST equal the saved one, else the save fails with
  ``Microsoft.SharePoint.SPException`` (the spec names no error; SharePoint reports save
  conflicts as SPException) and nothing changes. Every successful save issues a new
  ``DraftVersion`` (a GUID string) and writes it, the ``Id`` and generated form URLs back into
  the submitted object.
- ``RequiresAssociationForm`` / ``RequiresInitiationForm`` with no URL set: the save generates
  ``<web>/wfsvc/<id hex>/WorkflowAssociationForm.aspx`` / ``WorkflowInitiationForm.aspx``.
- ``RestrictToScope`` must be empty or a GUID; ``RestrictToType`` is free text ("List", "Site",
  empty or null are the documented values) and is enforced by PublishSubscription.
- ``PublishDefinition`` needs a non-empty ``DisplayName`` and well-formed XAML; it sets
  ``Published`` (which then stays true across later saves: a published copy exists) and
  clears a deprecation. ``DeprecateDefinition`` needs a published definition; deprecated
  definitions accept no new subscriptions or instances.
- ``DeleteDefinition`` refuses while subscriptions use the definition (delete them first).
- Unknown definition ids give ``System.IO.FileNotFoundException`` (NOT_FOUND).

Identity: kind ``wfdef``, key ``<web guid>:<definition id>``. An identity naming a definition
that was never saved (a client-constructed object) resolves to a blank definition with that
``Id``, so a client can keep using an object it constructed in an earlier request.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from typing import Any

from lxml import etree

from conformance.server.core import Web, ensure_web
from conformance.server.csom.objects import (
    ARGUMENT,
    ARGUMENT_NULL,
    INVALID_OPERATION,
    SP_EXCEPTION,
    Context,
    CsomFault,
    ServerObject,
    register,
)
from conformance.server.wf.scoped import DraftRecord, RecordCollection
from conformance.server.wf.store import (
    as_guid,
    dumps,
    guid_text,
    is_empty,
    iso,
    loads,
    not_found,
    parse_xaml,
    require_text,
)
from conformance.spec.data import load_csom

NS = load_csom("ms-spwfcsom").namespace

# GetActivitySignatures: activity name -> (last changed, signature XML)
_RTM = dt.datetime(2012, 10, 1, tzinfo=dt.UTC)
ACTIVITY_SIGNATURES: dict[str, tuple[dt.datetime, str]] = {
    "Microsoft.SharePoint.WorkflowServices.Activities.WriteToHistory": (
        _RTM,
        '<Activity Name="WriteToHistory"><Argument Name="Message" Type="System.String" '
        'Direction="In" /></Activity>',
    ),
    "Microsoft.SharePoint.WorkflowServices.Activities.SetField": (
        _RTM,
        '<Activity Name="SetField"><Argument Name="FieldName" Type="System.String" Direction="In" />'
        '<Argument Name="FieldValue" Type="System.Object" Direction="In" /></Activity>',
    ),
    "Microsoft.SharePoint.WorkflowServices.Activities.SetWorkflowStatus": (
        _RTM,
        '<Activity Name="SetWorkflowStatus"><Argument Name="Status" Type="System.String" '
        'Direction="In" /></Activity>',
    ),
}

DESIGNER_ACTIONS = (
    '<WorkflowInfo Language="en-us"><Actions>'
    '<Action Name="Log to History List" ClassName="Microsoft.SharePoint.WorkflowServices.Activities.'
    'WriteToHistory" Category="Core Actions" />'
    '<Action Name="Set Field in Current Item" ClassName="Microsoft.SharePoint.WorkflowServices.'
    'Activities.SetField" Category="List Actions" />'
    '<Action Name="Set Workflow Status" ClassName="Microsoft.SharePoint.WorkflowServices.Activities.'
    'SetWorkflowStatus" Category="Core Actions" />'
    "</Actions></WorkflowInfo>"
)


# -------------------------------------------------------------------------------- WorkflowDefinition
@register(NS + "WorkflowDefinition")
class WorkflowDefinition(DraftRecord):
    """A workflow definition: a client-editable record; the deployment service stores it."""

    identity_kind = "wfdef"
    table = "wf_definitions"

    def __init__(self, ctx: Context) -> None:
        """CSOM constructor (no parameters): a new, unsaved definition with a fresh Id."""
        self._init_blank(ensure_web(ctx).Id, uuid.uuid4())

    def _init_blank(self, web_id: uuid.UUID, definition_id: uuid.UUID) -> None:
        self._web_id = web_id
        self.Id: uuid.UUID = definition_id
        self.DisplayName: str | None = None
        self.Description: str | None = None
        self.Xaml: str | None = None
        self.AssociationUrl: str | None = None
        self.FormField: str | None = None
        self.InitiationUrl: str | None = None
        self.RequiresAssociationForm = False
        self.RequiresInitiationForm = False
        self.RestrictToScope: str | None = None
        self.RestrictToType: str | None = None
        self.DraftVersion: str | None = None
        self._properties: dict[str, Any] = {}
        self._published = False

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> WorkflowDefinition:
        obj = cls.blank(uuid.UUID(row["web_id"]), uuid.UUID(row["id"]))
        obj.DisplayName = row["display_name"]
        obj.Description = row["description"]
        obj.Xaml = row["xaml"]
        obj.AssociationUrl = row["association_url"]
        obj.FormField = row["form_field"]
        obj.InitiationUrl = row["initiation_url"]
        obj.RequiresAssociationForm = bool(row["requires_association_form"])
        obj.RequiresInitiationForm = bool(row["requires_initiation_form"])
        obj.RestrictToScope = row["restrict_to_scope"]
        obj.RestrictToType = row["restrict_to_type"]
        obj.DraftVersion = row["draft_version"]
        obj._properties = loads(row["properties"]) or {}
        obj._published = bool(row["published"])
        return obj

    @property
    def Properties(self) -> dict[str, Any]:
        return dict(self._properties)

    @property
    def Published(self) -> bool:
        return self._published

    def SetProperty(self, ctx: Context, propertyName: str, value: str | None) -> None:
        """Adds (or replaces) a key in the property bag; stored by the next SaveDefinition."""
        self._properties[require_text(propertyName, "propertyName")] = value


# ---------------------------------------------------------------------- WorkflowDefinitionCollection
@register(NS + "WorkflowDefinitionCollection")
class WorkflowDefinitionCollection(RecordCollection):
    sort_name = "DisplayName"


# ------------------------------------------------------------------------ WorkflowDeploymentService
@register(NS + "WorkflowDeploymentService")
class WorkflowDeploymentService(ServerObject):
    """Manages the definitions of one web (reached through WorkflowServicesManager)."""

    def __init__(self, ctx: Context, web: Web) -> None:
        self._web = web
        self._web_id = web.Id

    # ---- helpers
    def _require(self, ctx: Context, definition_id: Any, what: str = "definitionId") -> sqlite3.Row:
        definition_id = as_guid(definition_id, what)
        row = WorkflowDefinition.row(ctx, self._web_id, definition_id)
        if row is None:
            raise not_found(f"Workflow definition {definition_id} was not found on this site.")
        return row

    def _wfsvc_url(self, definition_id: uuid.UUID, leaf: str) -> str:
        return f"{self._web.ServerRelativeUrl.rstrip('/')}/wfsvc/{definition_id.hex}/{leaf}"

    # ---- definitions
    def SaveDefinition(self, ctx: Context, definition: WorkflowDefinition) -> uuid.UUID:
        if definition is None:
            raise CsomFault(ARGUMENT_NULL, "definition must not be null")
        if not isinstance(definition, WorkflowDefinition):
            raise CsomFault(ARGUMENT, "definition must be a WorkflowDefinition")
        if definition.RestrictToScope:
            try:
                uuid.UUID(definition.RestrictToScope)
            except ValueError:
                raise CsomFault(ARGUMENT, "RestrictToScope must be a GUID or empty") from None
        definition_id = uuid.uuid4() if is_empty(definition.Id) else definition.Id
        existing = WorkflowDefinition.row(ctx, self._web_id, definition_id)
        if existing is not None and definition.DraftVersion != existing["draft_version"]:
            raise CsomFault(
                SP_EXCEPTION,
                f"The workflow definition {definition_id} has been changed since it was read: its "
                f"DraftVersion is {existing['draft_version']!r}, the submitted one "
                f"{definition.DraftVersion!r}. "
                "Get the definition again and save the new copy.",
            )
        association_url, initiation_url = definition.AssociationUrl, definition.InitiationUrl
        if definition.RequiresAssociationForm and not association_url:
            association_url = self._wfsvc_url(definition_id, "WorkflowAssociationForm.aspx")
        if definition.RequiresInitiationForm and not initiation_url:
            initiation_url = self._wfsvc_url(definition_id, "WorkflowInitiationForm.aspx")
        draft_version = str(uuid.uuid4())
        WorkflowDefinition.store(
            ctx,
            self._web_id,
            definition_id,
            {
                "display_name": definition.DisplayName,
                "description": definition.Description,
                "xaml": definition.Xaml,
                "association_url": association_url,
                "form_field": definition.FormField,
                "initiation_url": initiation_url,
                "requires_association_form": int(bool(definition.RequiresAssociationForm)),
                "requires_initiation_form": int(bool(definition.RequiresInitiationForm)),
                "restrict_to_scope": definition.RestrictToScope,
                "restrict_to_type": definition.RestrictToType,
                "properties": dumps(definition.Properties),
                "draft_version": draft_version,
                "modified": iso(ctx.now),
            },
        )
        # the client's object now reflects what was saved
        definition._web_id = self._web_id
        definition.Id = definition_id
        definition.DraftVersion = draft_version
        definition.AssociationUrl = association_url
        definition.InitiationUrl = initiation_url
        definition._published = existing is not None and bool(existing["published"])
        return definition_id

    def PublishDefinition(self, ctx: Context, definitionId: uuid.UUID) -> None:
        row = self._require(ctx, definitionId)
        if not (row["display_name"] or "").strip():
            raise CsomFault(INVALID_OPERATION, f"Workflow definition {row['id']} has no DisplayName.")
        _, problem = parse_xaml(row["xaml"])
        if problem is not None:
            raise CsomFault(
                INVALID_OPERATION, f"Workflow definition {row['id']} cannot be published: {problem}"
            )
        ctx.db.execute(
            "UPDATE wf_definitions SET published = 1, deprecated = 0, published_xaml = xaml, modified = ?"
            " WHERE web_id = ? AND id = ?",
            (iso(ctx.now), row["web_id"], row["id"]),
        )

    def DeprecateDefinition(self, ctx: Context, definitionId: uuid.UUID) -> None:
        row = self._require(ctx, definitionId)
        if not row["published"]:
            raise CsomFault(
                INVALID_OPERATION,
                f"Workflow definition {row['id']} is not published, so it cannot be deprecated.",
            )
        ctx.db.execute(
            "UPDATE wf_definitions SET deprecated = 1, modified = ? WHERE web_id = ? AND id = ?",
            (iso(ctx.now), row["web_id"], row["id"]),
        )

    def DeleteDefinition(self, ctx: Context, definitionId: uuid.UUID) -> None:
        row = self._require(ctx, definitionId)
        (count,) = ctx.db.execute(
            "SELECT COUNT(*) FROM wf_subscriptions WHERE web_id = ? AND definition_id = ?",
            (row["web_id"], row["id"]),
        ).fetchone()
        if count:
            raise CsomFault(
                INVALID_OPERATION,
                f"Workflow definition {row['id']} is used by {count} subscription(s); delete them first.",
            )
        ctx.db.execute(
            "DELETE FROM wf_collateral WHERE web_id = ? AND definition_id = ?", (row["web_id"], row["id"])
        )
        ctx.db.execute("DELETE FROM wf_definitions WHERE web_id = ? AND id = ?", (row["web_id"], row["id"]))

    def GetDefinition(self, ctx: Context, definitionId: uuid.UUID) -> WorkflowDefinition:
        return WorkflowDefinition.from_row(self._require(ctx, definitionId))

    def EnumerateDefinitions(self, ctx: Context, publishedOnly: bool) -> WorkflowDefinitionCollection:
        if not isinstance(publishedOnly, bool):
            raise CsomFault(ARGUMENT, "publishedOnly must be a Boolean")
        sql = "SELECT * FROM wf_definitions WHERE web_id = ?"
        if publishedOnly:
            sql += " AND published = 1"
        rows = ctx.db.execute(sql + " ORDER BY rowid", (guid_text(self._web_id),)).fetchall()
        return WorkflowDefinitionCollection.of(WorkflowDefinition.from_row(r) for r in rows)

    # ---- activities and designer
    def GetActivitySignatures(self, ctx: Context, lastChanged: dt.datetime) -> dict[str, Any]:
        """Signatures changed at or after ``lastChanged`` (older ones are excluded)."""
        if lastChanged is None:
            raise CsomFault(ARGUMENT_NULL, "lastChanged must not be null")
        if not isinstance(lastChanged, dt.datetime):
            raise CsomFault(ARGUMENT, "lastChanged must be a DateTime")
        since = lastChanged if lastChanged.tzinfo else lastChanged.replace(tzinfo=dt.UTC)
        return {name: xml for name, (changed, xml) in ACTIVITY_SIGNATURES.items() if changed >= since}

    def GetDesignerActions(self, ctx: Context, web: Web) -> str:
        if web is None:
            raise CsomFault(ARGUMENT_NULL, "web must not be null")
        if not isinstance(web, Web):
            raise CsomFault(ARGUMENT, "web must be a Web")
        return DESIGNER_ACTIONS

    def ValidateActivity(self, ctx: Context, activityXaml: str) -> str | None:
        """None when the XAML is a well-formed activity, else the error message."""
        if activityXaml is None:
            raise CsomFault(ARGUMENT_NULL, "activityXaml must not be null")
        root, problem = parse_xaml(activityXaml)
        if root is None:
            return problem
        local = etree.QName(root).localname
        if local != "Activity":
            return f"the root element must be an Activity, found {local!r}"
        return None

    # ---- collateral files and packages
    def _leaf(self, leafFileName: Any) -> str:
        leaf = require_text(leafFileName, "leafFileName").strip()
        if any(c in leaf for c in '/\\:*?"<>|#%') or leaf in (".", ".."):
            raise CsomFault(ARGUMENT, f"leafFileName {leaf!r} is not a valid file name")
        return leaf

    def SaveCollateral(
        self, ctx: Context, workflowDefinitionId: uuid.UUID, leafFileName: str, fileContent: bytes | str
    ) -> None:
        row = self._require(ctx, workflowDefinitionId, "workflowDefinitionId")
        leaf = self._leaf(leafFileName)
        if fileContent is None:
            raise CsomFault(ARGUMENT_NULL, "fileContent must not be null")
        if isinstance(fileContent, str):
            fileContent = fileContent.encode("utf-8")
        if not isinstance(fileContent, bytes):
            raise CsomFault(ARGUMENT, "fileContent must be a stream")
        ctx.db.execute(
            "INSERT INTO wf_collateral (web_id, definition_id, leaf, content, modified)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (web_id, definition_id, leaf) DO UPDATE SET content = excluded.content,"
            " modified = excluded.modified",
            (row["web_id"], row["id"], leaf, fileContent, iso(ctx.now)),
        )

    def _collateral(self, ctx: Context, workflowDefinitionId: Any, leafFileName: Any) -> sqlite3.Row:
        row = self._require(ctx, workflowDefinitionId, "workflowDefinitionId")
        leaf = self._leaf(leafFileName)
        found = ctx.db.execute(
            "SELECT * FROM wf_collateral WHERE web_id = ? AND definition_id = ? AND leaf = ?",
            (row["web_id"], row["id"], leaf),
        ).fetchone()
        if found is None:
            raise not_found(f"Workflow definition {row['id']} has no collateral file {leaf!r}.")
        return found

    def GetCollateralUri(self, ctx: Context, workflowDefinitionId: uuid.UUID, leafFileName: str) -> str:
        found = self._collateral(ctx, workflowDefinitionId, leafFileName)
        return self._wfsvc_url(uuid.UUID(found["definition_id"]), found["leaf"])

    def DeleteCollateral(self, ctx: Context, workflowDefinitionId: uuid.UUID, leafFileName: str) -> None:
        found = self._collateral(ctx, workflowDefinitionId, leafFileName)
        ctx.db.execute(
            "DELETE FROM wf_collateral WHERE web_id = ? AND definition_id = ? AND leaf = ?",
            (found["web_id"], found["definition_id"], found["leaf"]),
        )

    def PackageDefinition(
        self,
        ctx: Context,
        definitionId: uuid.UUID,
        packageDefaultFilename: str,
        packageTitle: str,
        packageDescription: str,
    ) -> str:
        """The server-relative URL of the solution package (in the Site Assets library)."""
        self._require(ctx, definitionId)
        name = self._leaf(packageDefaultFilename)
        if packageTitle is not None and not isinstance(packageTitle, str):
            raise CsomFault(ARGUMENT, "packageTitle must be a string")
        if packageDescription is not None and not isinstance(packageDescription, str):
            raise CsomFault(ARGUMENT, "packageDescription must be a string")
        if not name.lower().endswith(".wsp"):
            name += ".wsp"
        return f"{self._web.ServerRelativeUrl.rstrip('/')}/SiteAssets/{name}"

    # ---- apps
    def IsIntegratedApp(self, ctx: Context) -> bool:
        return False

    def EnumerateIntegratedApps(self, ctx: Context) -> list[ServerObject]:
        return []  # the reference server installs no apps
