"""Workflow subscriptions (associations): WorkflowSubscription, its collection and service.

A subscription binds a published definition to an event source: a list of the web (a list
workflow; ``EventSourceId`` is the list id) or the web itself (a site workflow;
``EventSourceId`` is the web id) or any other GUID a client uses as a logical source.
Rules the reference server applies:

- ``new WorkflowSubscription()`` has the empty GUID as ``Id`` (the MS-SPWFCSOM 4.1 example
  publishes an object whose identity key is 00000000-...), ``Enabled`` true, no event types.
  Property changes stay on the object until ``PublishSubscription``, which creates the
  subscription (fresh ``Id`` when empty) or, when the ``Id`` is already stored in the web,
  replaces it; the ``Id`` is written back into the object and returned.
- Publishing needs a non-empty ``Name``, a ``DefinitionId`` naming a definition of the web
  that is published and not deprecated (NOT_FOUND / InvalidOperationException), a non-empty
  ``EventSourceId``, event types that are non-empty strings and a ``ParentContentTypeId`` that
  is empty or a content type id (0x...). The definition's ``RestrictToType`` is enforced:
  "List" needs a list of the web as event source (and the ``RestrictToScope`` list when set),
  "Site" needs the web itself.
- ``PublishSubscriptionForList`` sets ``EventSourceId`` to the list, registers interest in
  the list for each event type, and names a status field when ``StatusFieldName`` is empty
  (the subscription name without non-alphanumerics, at most 32 characters).
- ``DeleteSubscription`` refuses while instances of the subscription are still running
  (NotStarted, Started, Suspended or Canceling); finished instances keep their
  ``WorkflowSubscriptionId``.
- ``EnumerateSubscriptionsByList`` and the other list-taking members need a list of the web
  (NOT_FOUND otherwise). ``EnumerateSubscriptionsByListAndParentContentType`` returns the
  list's subscriptions whose ``ParentContentTypeId`` is the given content type or one of its
  parents (content type ids extend their parent's id), plus, when
  ``includeNoContentTypeSpecified``, those without one. ``...ByListWithContentType`` returns
  the list's subscriptions, leaving out those with a ``ParentContentTypeId`` unless
  ``includeContentTypeSpecified``.
- External variables (``SetExternalVariable`` / ``GetExternalVariable``) are a name -> value
  map of the subscription, stored with it by ``PublishSubscription``; an unknown name reads
  as null.
- Collections list subscriptions in creation order; ``Sort`` orders by Name, then Id.

Identity: kind ``wfsub``, key ``<web guid>:<subscription id>``; an identity naming a
subscription never published resolves to a blank subscription with that ``Id``.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from typing import Any

from conformance.server.core import ContentTypeId, List, ensure_web
from conformance.server.csom.objects import (
    ARGUMENT,
    ARGUMENT_NULL,
    INVALID_OPERATION,
    Context,
    CsomFault,
    register,
)
from conformance.server.wf.definitions import NS, WorkflowDefinition
from conformance.server.wf.scoped import DraftRecord, RecordCollection, WebService
from conformance.server.wf.store import (
    EMPTY_GUID,
    WorkflowStatus,
    as_guid,
    dumps,
    guid_text,
    is_empty,
    iso,
    loads,
    not_found,
    require_text,
)

ACTIVE_STATUSES = (
    WorkflowStatus.NotStarted,
    WorkflowStatus.Started,
    WorkflowStatus.Suspended,
    WorkflowStatus.Canceling,
)


# ------------------------------------------------------------------------------ WorkflowSubscription
@register(NS + "WorkflowSubscription")
class WorkflowSubscription(DraftRecord):
    identity_kind = "wfsub"
    table = "wf_subscriptions"

    def __init__(self, ctx: Context) -> None:
        """CSOM constructor (no parameters): a new subscription, not yet published."""
        self._init_blank(ensure_web(ctx).Id, EMPTY_GUID)

    def _init_blank(self, web_id: uuid.UUID, subscription_id: uuid.UUID) -> None:
        self._web_id = web_id
        self.Id: uuid.UUID = subscription_id
        self.DefinitionId: uuid.UUID = EMPTY_GUID
        self.EventSourceId: uuid.UUID = EMPTY_GUID
        self.Name: str | None = None
        self.Enabled = True
        self.StatusFieldName: str | None = None
        self.EventTypes: list[str] = []
        self.ManualStartBypassesActivationLimit = False
        self.ParentContentTypeId: str | None = None
        self._property_definitions: dict[str, Any] = {}
        self._external_variables: dict[str, Any] = {}

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> WorkflowSubscription:
        obj = cls.blank(uuid.UUID(row["web_id"]), uuid.UUID(row["id"]))
        obj.DefinitionId = uuid.UUID(row["definition_id"])
        obj.EventSourceId = uuid.UUID(row["event_source_id"])
        obj.Name = row["name"]
        obj.Enabled = bool(row["enabled"])
        obj.StatusFieldName = row["status_field_name"]
        obj.EventTypes = loads(row["event_types"]) or []
        obj.ManualStartBypassesActivationLimit = bool(row["manual_start_bypasses_activation_limit"])
        obj.ParentContentTypeId = row["parent_content_type_id"]
        obj._property_definitions = loads(row["property_definitions"]) or {}
        obj._external_variables = loads(row["external_variables"]) or {}
        return obj

    @property
    def PropertyDefinitions(self) -> dict[str, Any]:
        return dict(self._property_definitions)

    def SetProperty(self, ctx: Context, name: str, value: str | None) -> None:
        """Adds (or replaces) an entry of PropertyDefinitions; stored by PublishSubscription."""
        self._property_definitions[require_text(name, "name")] = value

    def GetExternalVariable(self, ctx: Context, name: str) -> str | None:
        return self._external_variables.get(require_text(name, "name"))

    def SetExternalVariable(self, ctx: Context, name: str, value: str | None) -> None:
        self._external_variables[require_text(name, "name")] = value


# -------------------------------------------------------------------- WorkflowSubscriptionCollection
@register(NS + "WorkflowSubscriptionCollection")
class WorkflowSubscriptionCollection(RecordCollection):
    sort_name = "Name"


# ----------------------------------------------------------------------- WorkflowSubscriptionService
@register(NS + "WorkflowSubscriptionService")
class WorkflowSubscriptionService(WebService):
    """Manages the subscriptions of one web."""

    # ---- helpers (also used by the instance and interop services)
    def require_list(self, ctx: Context, list_id: Any, what: str = "listId") -> List:
        list_id = as_guid(list_id, what)
        found = self._web.list_by_id(ctx, list_id)
        if found is None:
            raise not_found(f"List {list_id} does not exist in the site {self._web.Url}.")
        return found

    def load(self, ctx: Context, subscription_id: uuid.UUID) -> WorkflowSubscription | None:
        row = WorkflowSubscription.row(ctx, self._web_id, subscription_id)
        return WorkflowSubscription.from_row(row) if row is not None else None

    def require(
        self, ctx: Context, subscription_id: Any, what: str = "subscriptionId"
    ) -> WorkflowSubscription:
        subscription_id = as_guid(subscription_id, what)
        found = self.load(ctx, subscription_id)
        if found is None:
            raise not_found(f"Workflow subscription {subscription_id} was not found on this site.")
        return found

    def stored(self, ctx: Context, subscription: Any, what: str) -> WorkflowSubscription:
        """The stored state of a subscription object passed as an argument."""
        if subscription is None:
            raise CsomFault(ARGUMENT_NULL, f"{what} must not be null")
        if not isinstance(subscription, WorkflowSubscription):
            raise CsomFault(ARGUMENT, f"{what} must be a WorkflowSubscription")
        found = self.load(ctx, subscription.Id)
        if found is None:
            raise not_found(f"Workflow subscription {subscription.Id} has not been published on this site.")
        return found

    def _query(self, ctx: Context, where: str = "", args: tuple[Any, ...] = ()) -> list[WorkflowSubscription]:
        rows = ctx.db.execute(
            f"SELECT * FROM wf_subscriptions WHERE web_id = ? {where} ORDER BY rowid",
            (guid_text(self._web_id), *args),
        ).fetchall()
        return [WorkflowSubscription.from_row(r) for r in rows]

    # ---- publish and delete
    def PublishSubscription(self, ctx: Context, subscription: WorkflowSubscription) -> uuid.UUID:
        return self._publish(ctx, subscription)

    def PublishSubscriptionForList(
        self, ctx: Context, subscription: WorkflowSubscription, listId: uuid.UUID
    ) -> uuid.UUID:
        target = self.require_list(ctx, listId)
        if subscription is None:
            raise CsomFault(ARGUMENT_NULL, "subscription must not be null")
        if not isinstance(subscription, WorkflowSubscription):
            raise CsomFault(ARGUMENT, "subscription must be a WorkflowSubscription")
        subscription.EventSourceId = target.Id
        if not subscription.StatusFieldName and isinstance(subscription.Name, str):
            subscription.StatusFieldName = (
                re.sub(r"[^0-9A-Za-z]", "", subscription.Name)[:32] or "WorkflowStatus"
            )
        subscription_id = self._publish(ctx, subscription)
        for event_name in subscription.EventTypes:
            self._interest(ctx, target.Id, event_name, host_web=False, register=True)
        return subscription_id

    def _publish(self, ctx: Context, subscription: WorkflowSubscription) -> uuid.UUID:
        if subscription is None:
            raise CsomFault(ARGUMENT_NULL, "subscription must not be null")
        if not isinstance(subscription, WorkflowSubscription):
            raise CsomFault(ARGUMENT, "subscription must be a WorkflowSubscription")
        name = require_text(subscription.Name, "Name")
        if is_empty(subscription.DefinitionId):
            raise CsomFault(ARGUMENT, "DefinitionId must be set to the id of a published workflow definition")
        definition = WorkflowDefinition.row(ctx, self._web_id, subscription.DefinitionId)
        if definition is None:
            raise not_found(f"Workflow definition {subscription.DefinitionId} was not found on this site.")
        if not definition["published"]:
            raise CsomFault(
                INVALID_OPERATION,
                f"Workflow definition {subscription.DefinitionId} is not published; publish it before "
                "subscribing to it.",
            )
        if definition["deprecated"]:
            raise CsomFault(
                INVALID_OPERATION, f"Workflow definition {subscription.DefinitionId} is deprecated."
            )
        if is_empty(subscription.EventSourceId):
            raise CsomFault(
                ARGUMENT, "EventSourceId must be set (a list id, or the web id for a site workflow)"
            )
        self._check_restriction(ctx, definition, subscription.EventSourceId)
        event_types = subscription.EventTypes or []
        if not isinstance(event_types, list) or not all(
            isinstance(t, str) and t.strip() for t in event_types
        ):
            raise CsomFault(ARGUMENT, "EventTypes must be an array of non-empty strings")
        if subscription.ParentContentTypeId:
            ContentTypeId.coerce(subscription.ParentContentTypeId, "ParentContentTypeId")
        subscription_id = uuid.uuid4() if is_empty(subscription.Id) else subscription.Id
        WorkflowSubscription.store(
            ctx,
            self._web_id,
            subscription_id,
            {
                "definition_id": guid_text(subscription.DefinitionId),
                "event_source_id": guid_text(subscription.EventSourceId),
                "name": name,
                "enabled": int(bool(subscription.Enabled)),
                "status_field_name": subscription.StatusFieldName,
                "event_types": dumps(list(event_types)),
                "manual_start_bypasses_activation_limit": int(
                    bool(subscription.ManualStartBypassesActivationLimit)
                ),
                "parent_content_type_id": subscription.ParentContentTypeId or None,
                "property_definitions": dumps(subscription.PropertyDefinitions),
                "external_variables": dumps(subscription._external_variables),
                "modified": iso(ctx.now),
            },
        )
        subscription._web_id = self._web_id
        subscription.Id = subscription_id
        return subscription_id

    def _check_restriction(self, ctx: Context, definition: sqlite3.Row, event_source_id: uuid.UUID) -> None:
        restrict_type = (definition["restrict_to_type"] or "").strip().lower()
        if restrict_type == "list":
            if self._web.list_by_id(ctx, event_source_id) is None:
                raise CsomFault(
                    ARGUMENT,
                    f"Workflow definition {definition['id']} is a list workflow: EventSourceId must be "
                    "a list of this site.",
                )
            scope = definition["restrict_to_scope"]
            if scope and uuid.UUID(scope) != event_source_id:
                raise CsomFault(
                    ARGUMENT,
                    f"Workflow definition {definition['id']} can only be associated to list {scope}.",
                )
        elif restrict_type == "site" and event_source_id != self._web_id:
            raise CsomFault(
                ARGUMENT,
                f"Workflow definition {definition['id']} is a site workflow: EventSourceId must be the "
                f"web id {self._web_id}.",
            )

    def DeleteSubscription(self, ctx: Context, subscriptionId: uuid.UUID) -> None:
        found = self.require(ctx, subscriptionId)
        (running,) = ctx.db.execute(
            f"SELECT COUNT(*) FROM wf_instances WHERE web_id = ? AND subscription_id = ?"
            f" AND status IN ({', '.join(str(int(s)) for s in ACTIVE_STATUSES)})",
            (guid_text(self._web_id), guid_text(found.Id)),
        ).fetchone()
        if running:
            raise CsomFault(
                INVALID_OPERATION,
                f"Workflow subscription {found.Id} has {running} running instance(s); terminate or cancel "
                "them first.",
            )
        ctx.db.execute(
            "DELETE FROM wf_subscriptions WHERE web_id = ? AND id = ?",
            (guid_text(self._web_id), guid_text(found.Id)),
        )

    # ---- event receivers
    def _interest(
        self, ctx: Context, list_id: uuid.UUID, event_name: str, *, host_web: bool, register: bool
    ) -> None:
        args = (guid_text(self._web_id), guid_text(list_id), event_name, int(host_web))
        if register:
            ctx.db.execute(
                "INSERT OR IGNORE INTO wf_list_interest (web_id, list_id, event_name, host_web)"
                " VALUES (?, ?, ?, ?)",
                args,
            )
        else:
            ctx.db.execute(
                "DELETE FROM wf_list_interest"
                " WHERE web_id = ? AND list_id = ? AND event_name = ? AND host_web = ?",
                args,
            )

    def interests(self, ctx: Context, list_id: uuid.UUID, *, host_web: bool = False) -> list[str]:
        """The events registered for a list (server-side helper)."""
        rows = ctx.db.execute(
            "SELECT event_name FROM wf_list_interest WHERE web_id = ? AND list_id = ? AND host_web = ?"
            " ORDER BY event_name",
            (guid_text(self._web_id), guid_text(list_id), int(host_web)),
        ).fetchall()
        return [r[0] for r in rows]

    def _change_interest(
        self, ctx: Context, listId: Any, eventName: Any, *, host_web: bool, register: bool
    ) -> None:
        target = self.require_list(ctx, listId)
        self._interest(
            ctx, target.Id, require_text(eventName, "eventName"), host_web=host_web, register=register
        )

    def RegisterInterestInList(self, ctx: Context, listId: uuid.UUID, eventName: str) -> None:
        self._change_interest(ctx, listId, eventName, host_web=False, register=True)

    def UnregisterInterestInList(self, ctx: Context, listId: uuid.UUID, eventName: str) -> None:
        self._change_interest(ctx, listId, eventName, host_web=False, register=False)

    def RegisterInterestInHostWebList(self, ctx: Context, listId: uuid.UUID, eventName: str) -> None:
        """As RegisterInterestInList; the reference server has no app webs, so the host web is the web."""
        self._change_interest(ctx, listId, eventName, host_web=True, register=True)

    def UnregisterInterestInHostWebList(self, ctx: Context, listId: uuid.UUID, eventName: str) -> None:
        self._change_interest(ctx, listId, eventName, host_web=True, register=False)

    # ---- reading
    def GetSubscription(self, ctx: Context, subscriptionId: uuid.UUID) -> WorkflowSubscription:
        return self.require(ctx, subscriptionId)

    def EnumerateSubscriptions(self, ctx: Context) -> WorkflowSubscriptionCollection:
        return WorkflowSubscriptionCollection.of(self._query(ctx))

    def EnumerateSubscriptionsByDefinition(
        self, ctx: Context, definitionId: uuid.UUID
    ) -> WorkflowSubscriptionCollection:
        definition_id = as_guid(definitionId, "definitionId")
        return WorkflowSubscriptionCollection.of(
            self._query(ctx, "AND definition_id = ?", (guid_text(definition_id),))
        )

    def EnumerateSubscriptionsByEventSource(
        self, ctx: Context, eventSourceId: uuid.UUID
    ) -> WorkflowSubscriptionCollection:
        source = as_guid(eventSourceId, "eventSourceId")
        return WorkflowSubscriptionCollection.of(
            self._query(ctx, "AND event_source_id = ?", (guid_text(source),))
        )

    def _by_list(self, ctx: Context, list_id: Any) -> list[WorkflowSubscription]:
        target = self.require_list(ctx, list_id)
        return self._query(ctx, "AND event_source_id = ?", (guid_text(target.Id),))

    def EnumerateSubscriptionsByList(self, ctx: Context, listId: uuid.UUID) -> WorkflowSubscriptionCollection:
        return WorkflowSubscriptionCollection.of(self._by_list(ctx, listId))

    def EnumerateSubscriptionsByListAndParentContentType(
        self, ctx: Context, listId: uuid.UUID, parentContentTypeId: Any, includeNoContentTypeSpecified: bool
    ) -> WorkflowSubscriptionCollection:
        subscriptions = self._by_list(ctx, listId)
        content_type = ContentTypeId.coerce(parentContentTypeId, "parentContentTypeId")
        if content_type is None:
            raise CsomFault(ARGUMENT_NULL, "parentContentTypeId must not be null")
        if not isinstance(includeNoContentTypeSpecified, bool):
            raise CsomFault(ARGUMENT, "includeNoContentTypeSpecified must be a Boolean")
        chosen = [
            s
            for s in subscriptions
            if (
                s.ParentContentTypeId
                and ContentTypeId(s.ParentContentTypeId).is_parent_of(content_type.StringValue)
            )
            or (not s.ParentContentTypeId and includeNoContentTypeSpecified)
        ]
        return WorkflowSubscriptionCollection.of(chosen)

    def EnumerateSubscriptionsByListWithContentType(
        self, ctx: Context, listId: uuid.UUID, includeContentTypeSpecified: bool
    ) -> WorkflowSubscriptionCollection:
        subscriptions = self._by_list(ctx, listId)
        if not isinstance(includeContentTypeSpecified, bool):
            raise CsomFault(ARGUMENT, "includeContentTypeSpecified must be a Boolean")
        chosen = [s for s in subscriptions if includeContentTypeSpecified or not s.ParentContentTypeId]
        return WorkflowSubscriptionCollection.of(chosen)
