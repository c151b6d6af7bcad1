"""Workflow instances: WorkflowInstance, WorkflowInstanceCollection, WorkflowInstanceService.

The reference workflow host does not execute XAML activities; an instance is a state
machine over the WorkflowStatus values (3.1.5.12) driven by the service's commands::

    start ──> Started ──SuspendWorkflow──> Suspended ──ResumeWorkflow──> Started
    start ──> Completed          (the published XAML's root holds no activity: nothing to run)
    Started | Suspended ──CancelWorkflow──> Canceling ──(next request)──> Canceled
    Started | Suspended | Canceling ──TerminateWorkflow──> Terminated

- Canceling is what the client sees for the rest of the request that sent the cancel (the
  host "received a cancel command and is responding"); from any later request on the
  instance reads as Canceled (settled when first read, LastUpdated = that moment).
- Completed, Canceled and Terminated are final. Any command the diagram does not allow
  (e.g. ResumeWorkflow on a Started instance, SuspendWorkflow on a Terminated one) fails with
  ``System.InvalidOperationException`` naming the instance, its status and the command.
- NotStarted, NotSpecified and Invalid are never stored; NotSpecified is the "any status"
  filter of CountInstancesWithStatus.
- PublishCustomEvent delivers an event (recorded for GetDebugInfo) to a running instance
  (Started or Suspended: a suspended instance queues it); it does not change the status.
- Setting ``UserStatus`` stores it at once (there is no update method for instances).

Starting: the subscription must be published in the web and enabled, and its definition
published and not deprecated (InvalidOperationException otherwise). StartWorkflow starts
on the subscription's event source (a list subscription's instance belongs to the list, with
no item; a site subscription's instance is a site workflow instance). StartWorkflowOnListItem
(and ...BySubscriptionId) need a list subscription and an item of that list; unless the
subscription sets ``ManualStartBypassesActivationLimit``, an item can have only one running
instance per subscription. ``Properties`` of a new instance: the subscription's
PropertyDefinitions, overlaid by the payload, plus
``Microsoft.SharePoint.ActivationProperties.ListId`` / ``.ItemId`` (strings) when started on
a list / item. ``FaultInfo`` stays null (nothing runs, so nothing faults).

Enumerations return instances in creation order; the *WithOffset variants skip ``offset``
instances and return up to 100. Identity: kind ``wfinst``, key ``<web guid>:<instance id>``;
an unknown instance resolves to null.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from typing import Any

from conformance.server.core import List, ListItem, Web
from conformance.server.csom.objects import (
    ARGUMENT,
    ARGUMENT_NULL,
    ARGUMENT_OUT_OF_RANGE,
    INVALID_OPERATION,
    Context,
    CsomFault,
    ItemCollection,
    register,
)
from conformance.server.wf.definitions import NS, WorkflowDefinition
from conformance.server.wf.scoped import WebRecord, WebService, identity_ids
from conformance.server.wf.store import (
    PAGE_SIZE,
    WorkflowStatus,
    as_guid,
    dumps,
    from_iso,
    guid_text,
    has_child_activities,
    iso,
    loads,
    not_found,
    parse_xaml,
    require_dictionary,
    require_offset,
    require_text,
)
from conformance.server.wf.subscriptions import WorkflowSubscription, WorkflowSubscriptionService

S = WorkflowStatus
# command -> (statuses it applies to, resulting status)
TRANSITIONS: dict[str, tuple[frozenset[WorkflowStatus], WorkflowStatus]] = {
    "SuspendWorkflow": (frozenset({S.Started}), S.Suspended),
    "ResumeWorkflow": (frozenset({S.Suspended}), S.Started),
    "CancelWorkflow": (frozenset({S.Started, S.Suspended}), S.Canceling),
    "TerminateWorkflow": (frozenset({S.Started, S.Suspended, S.Canceling}), S.Terminated),
}
FINAL = frozenset({S.Completed, S.Canceled, S.Terminated})
RUNNING = frozenset({S.NotStarted, S.Started, S.Suspended, S.Canceling})

LIST_ID_PROPERTY = "Microsoft.SharePoint.ActivationProperties.ListId"
ITEM_ID_PROPERTY = "Microsoft.SharePoint.ActivationProperties.ItemId"


# ---------------------------------------------------------------------------------- WorkflowInstance
@register(NS + "WorkflowInstance")
class WorkflowInstance(WebRecord):
    identity_kind = "wfinst"
    table = "wf_instances"

    def __init__(self, ctx: Context, row: sqlite3.Row) -> None:
        self._ctx = ctx
        self._load(row)

    def _load(self, row: sqlite3.Row) -> None:
        self._web_id = uuid.UUID(row["web_id"])
        self.Id = uuid.UUID(row["id"])
        self.WorkflowSubscriptionId = uuid.UUID(row["subscription_id"])
        self.Status = int(row["status"])  # a WorkflowStatus value, as a plain int for the wire
        self._user_status: str | None = row["user_status"]
        self.Properties: dict[str, Any] = loads(row["properties"]) or {}
        self.FaultInfo: str | None = row["fault_info"]
        self.InstanceCreated: dt.datetime = from_iso(row["created"])
        self.LastUpdated: dt.datetime = from_iso(row["last_updated"])
        self.list_id = uuid.UUID(row["list_id"]) if row["list_id"] else None
        self.item_id: int | None = row["item_id"]

    @property
    def UserStatus(self) -> str | None:
        return self._user_status

    @UserStatus.setter
    def UserStatus(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise CsomFault(ARGUMENT, "UserStatus must be a string")
        ctx = self._ctx
        if WorkflowInstance.row(ctx, self._web_id, self.Id) is None:
            raise not_found(f"Workflow instance {self.Id} was not found on this site.")
        ctx.db.execute(
            "UPDATE wf_instances SET user_status = ?, last_updated = ? WHERE id = ?",
            (value, iso(ctx.now), guid_text(self.Id)),
        )
        _log(ctx, self.Id, "UserStatus", value or "", None)
        self._user_status = value
        self.LastUpdated = ctx.now

    @classmethod
    def from_identity(cls, ctx: Context, key: str) -> WorkflowInstance | None:
        ids = identity_ids(ctx, key)
        if ids is None:
            return None
        _settle(ctx, ids[0])
        row = cls.row(ctx, *ids)
        return cls(ctx, row) if row is not None else None


def _log(ctx: Context, instance_id: uuid.UUID, kind: str, name: str, detail: Any) -> None:
    ctx.db.execute(
        "INSERT INTO wf_instance_events (instance_id, at, kind, name, detail) VALUES (?, ?, ?, ?, ?)",
        (guid_text(instance_id), iso(ctx.now), kind, name, None if detail is None else str(detail)),
    )


def _settle(ctx: Context, web_id: uuid.UUID) -> None:
    """Canceling instances canceled by an earlier request are now Canceled."""
    rows = ctx.db.execute(
        "SELECT id FROM wf_instances WHERE web_id = ? AND status = ? AND cancel_correlation IS NOT ?",
        (guid_text(web_id), int(S.Canceling), ctx.correlation_id),
    ).fetchall()
    for row in rows:
        ctx.db.execute(
            "UPDATE wf_instances SET status = ?, last_updated = ?, cancel_correlation = NULL WHERE id = ?",
            (int(S.Canceled), iso(ctx.now), row["id"]),
        )
        _log(ctx, uuid.UUID(row["id"]), "Transition", S.Canceled.name, None)


# ------------------------------------------------------------------------ WorkflowInstanceCollection
@register(NS + "WorkflowInstanceCollection")
class WorkflowInstanceCollection(ItemCollection):
    pass


# --------------------------------------------------------------------------- WorkflowInstanceService
@register(NS + "WorkflowInstanceService")
class WorkflowInstanceService(WebService):
    """Starts, controls and reads the workflow instances of one web."""

    def __init__(self, ctx: Context, web: Web) -> None:
        super().__init__(ctx, web)
        self._subscriptions = WorkflowSubscriptionService(ctx, web)

    # ---- starting (also used by InteropService)
    def start(
        self,
        ctx: Context,
        subscription: WorkflowSubscription,
        payload: dict[str, Any],
        target_list: List | None,
        item: ListItem | None,
        detail: str | None = None,
    ) -> uuid.UUID:
        if not subscription.Enabled:
            raise CsomFault(
                INVALID_OPERATION,
                f"Workflow subscription {subscription.Id} is disabled; no instance can start.",
            )
        definition = WorkflowDefinition.row(ctx, self._web_id, subscription.DefinitionId)
        if definition is None or not definition["published"]:
            raise CsomFault(
                INVALID_OPERATION,
                f"Workflow definition {subscription.DefinitionId} of subscription {subscription.Id} is not "
                "published.",
            )
        if definition["deprecated"]:
            raise CsomFault(
                INVALID_OPERATION, f"Workflow definition {subscription.DefinitionId} is deprecated."
            )
        if item is not None and not subscription.ManualStartBypassesActivationLimit:
            (running,) = ctx.db.execute(
                f"SELECT COUNT(*) FROM wf_instances WHERE web_id = ? AND subscription_id = ? AND list_id = ?"
                f" AND item_id = ? AND status IN ({', '.join(str(int(s)) for s in RUNNING)})",
                (guid_text(self._web_id), guid_text(subscription.Id), guid_text(item.list_id), item.Id),
            ).fetchone()
            if running:
                raise CsomFault(
                    INVALID_OPERATION,
                    f"Workflow subscription {subscription.Id} already has a running instance on item "
                    f"{item.Id}.",
                )
        properties = dict(subscription.PropertyDefinitions)
        properties.update(payload)
        if target_list is not None:
            properties[LIST_ID_PROPERTY] = str(target_list.Id)
        if item is not None:
            properties[ITEM_ID_PROPERTY] = str(item.Id)
        root, _ = parse_xaml(definition["published_xaml"])
        status = S.Started if root is None or has_child_activities(root) else S.Completed
        instance_id = uuid.uuid4()
        ctx.db.execute(
            "INSERT INTO wf_instances (id, web_id, subscription_id, list_id, item_id, status, properties,"
            " created, last_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guid_text(instance_id),
                guid_text(self._web_id),
                guid_text(subscription.Id),
                guid_text(target_list.Id) if target_list is not None else None,
                item.Id if item is not None else None,
                int(status),
                dumps(properties),
                iso(ctx.now),
                iso(ctx.now),
            ),
        )
        _log(ctx, instance_id, "Transition", S.Started.name, detail)
        if status is S.Completed:
            _log(ctx, instance_id, "Transition", S.Completed.name, "the workflow holds no activity")
        return instance_id

    def _list_of(self, ctx: Context, subscription: WorkflowSubscription) -> List | None:
        return self._web.list_by_id(ctx, subscription.EventSourceId)

    def _start_on_item(
        self, ctx: Context, subscription: WorkflowSubscription, itemId: Any, payload: Any
    ) -> uuid.UUID:
        if isinstance(itemId, bool) or not isinstance(itemId, int):
            raise CsomFault(ARGUMENT, "itemId must be an integer")
        payload = require_dictionary(payload, "payload")
        target_list = self._list_of(ctx, subscription)
        if target_list is None:
            raise CsomFault(
                INVALID_OPERATION,
                f"Workflow subscription {subscription.Id} is not a list workflow: its event source "
                f"{subscription.EventSourceId} is not a list of this site.",
            )
        item = target_list.item_by_id(ctx, itemId)
        if item is None:
            raise not_found(f"Item {itemId} does not exist in list {target_list.Title!r}.")
        return self.start(ctx, subscription, payload, target_list, item)

    def StartWorkflow(
        self, ctx: Context, subscription: WorkflowSubscription, payload: dict[str, Any]
    ) -> uuid.UUID:
        _settle(ctx, self._web_id)
        stored = self._subscriptions.stored(ctx, subscription, "subscription")
        payload = require_dictionary(payload, "payload")
        return self.start(ctx, stored, payload, self._list_of(ctx, stored), None)

    def StartWorkflowOnListItem(
        self, ctx: Context, subscription: WorkflowSubscription, itemId: int, payload: dict[str, Any]
    ) -> uuid.UUID:
        _settle(ctx, self._web_id)
        stored = self._subscriptions.stored(ctx, subscription, "subscription")
        return self._start_on_item(ctx, stored, itemId, payload)

    def StartWorkflowOnListItemBySubscriptionId(
        self, ctx: Context, subscriptionId: uuid.UUID, itemId: int, payload: dict[str, Any]
    ) -> uuid.UUID:
        _settle(ctx, self._web_id)
        stored = self._subscriptions.require(ctx, subscriptionId)
        return self._start_on_item(ctx, stored, itemId, payload)

    # ---- commands
    def _instance(self, ctx: Context, instance: Any) -> sqlite3.Row:
        if instance is None:
            raise CsomFault(ARGUMENT_NULL, "instance must not be null")
        if not isinstance(instance, WorkflowInstance):
            raise CsomFault(ARGUMENT, "instance must be a WorkflowInstance")
        _settle(ctx, self._web_id)
        row = WorkflowInstance.row(ctx, self._web_id, instance.Id)
        if row is None:
            raise not_found(f"Workflow instance {instance.Id} was not found on this site.")
        return row

    def command(
        self, ctx: Context, row: sqlite3.Row, command: str, instance: WorkflowInstance | None
    ) -> None:
        """Apply a state-machine command to a stored instance (also used by InteropService)."""
        allowed, target = TRANSITIONS[command]
        current = WorkflowStatus(row["status"])
        if current not in allowed:
            raise CsomFault(
                INVALID_OPERATION,
                f"{command} is not allowed on workflow instance {row['id']}: its status is {current.name} "
                f"(allowed from {', '.join(sorted(s.name for s in allowed))}).",
            )
        ctx.db.execute(
            "UPDATE wf_instances SET status = ?, last_updated = ?, cancel_correlation = ? WHERE id = ?",
            (int(target), iso(ctx.now), ctx.correlation_id if target is S.Canceling else None, row["id"]),
        )
        _log(ctx, uuid.UUID(row["id"]), "Transition", target.name, command)
        if instance is not None:  # the client's object shows the new state for the rest of the request
            instance._load(WorkflowInstance.row(ctx, self._web_id, uuid.UUID(row["id"])))

    def instance_row(self, ctx: Context, instance_id: uuid.UUID) -> sqlite3.Row | None:
        _settle(ctx, self._web_id)
        return WorkflowInstance.row(ctx, self._web_id, instance_id)

    def SuspendWorkflow(self, ctx: Context, instance: WorkflowInstance) -> None:
        self.command(ctx, self._instance(ctx, instance), "SuspendWorkflow", instance)

    def ResumeWorkflow(self, ctx: Context, instance: WorkflowInstance) -> None:
        self.command(ctx, self._instance(ctx, instance), "ResumeWorkflow", instance)

    def CancelWorkflow(self, ctx: Context, instance: WorkflowInstance) -> None:
        self.command(ctx, self._instance(ctx, instance), "CancelWorkflow", instance)

    def TerminateWorkflow(self, ctx: Context, instance: WorkflowInstance) -> None:
        self.command(ctx, self._instance(ctx, instance), "TerminateWorkflow", instance)

    def PublishCustomEvent(
        self, ctx: Context, instance: WorkflowInstance, eventName: str, payload: str
    ) -> None:
        row = self._instance(ctx, instance)
        name = require_text(eventName, "eventName")
        if payload is not None and not isinstance(payload, str):
            raise CsomFault(ARGUMENT, "payload must be a string")
        status = WorkflowStatus(row["status"])
        if status not in (S.Started, S.Suspended):
            raise CsomFault(
                INVALID_OPERATION,
                f"Workflow instance {row['id']} is {status.name}; it cannot receive the event {name!r}.",
            )
        ctx.db.execute("UPDATE wf_instances SET last_updated = ? WHERE id = ?", (iso(ctx.now), row["id"]))
        _log(ctx, uuid.UUID(row["id"]), "CustomEvent", name, payload)
        instance._load(WorkflowInstance.row(ctx, self._web_id, uuid.UUID(row["id"])))

    def GetDebugInfo(self, ctx: Context, instance: WorkflowInstance) -> str:
        """JSON: the instance's id, status, subscription and its event history."""
        row = self._instance(ctx, instance)
        events = ctx.db.execute(
            "SELECT at, kind, name, detail FROM wf_instance_events WHERE instance_id = ? ORDER BY rowid",
            (row["id"],),
        ).fetchall()
        return json.dumps(
            {
                "InstanceId": row["id"],
                "WorkflowSubscriptionId": row["subscription_id"],
                "Status": WorkflowStatus(row["status"]).name,
                "UserStatus": row["user_status"],
                "InstanceCreated": row["created"],
                "LastUpdated": row["last_updated"],
                "Events": [
                    {"Time": e["at"], "Kind": e["kind"], "Name": e["name"], "Detail": e["detail"]}
                    for e in events
                ],
            }
        )

    # ---- reading
    def _query(
        self, ctx: Context, where: str, args: tuple[Any, ...], offset: int = 0, limit: int = -1
    ) -> list:
        _settle(ctx, self._web_id)
        rows = ctx.db.execute(
            f"SELECT * FROM wf_instances WHERE web_id = ? {where} ORDER BY rowid LIMIT ? OFFSET ?",
            (guid_text(self._web_id), *args, limit, offset),
        ).fetchall()
        return [WorkflowInstance(ctx, r) for r in rows]

    def GetInstance(self, ctx: Context, instanceId: uuid.UUID) -> WorkflowInstance:
        instance_id = as_guid(instanceId, "instanceId")
        row = self.instance_row(ctx, instance_id)
        if row is None:
            raise not_found(f"Workflow instance {instance_id} was not found on this site.")
        return WorkflowInstance(ctx, row)

    def Enumerate(self, ctx: Context, parentSubscription: WorkflowSubscription) -> WorkflowInstanceCollection:
        stored = self._subscriptions.stored(ctx, parentSubscription, "parentSubscription")
        return WorkflowInstanceCollection.of(
            self._query(ctx, "AND subscription_id = ?", (guid_text(stored.Id),))
        )

    def EnumerateWithOffset(
        self, ctx: Context, parentSubscription: WorkflowSubscription, offset: int
    ) -> WorkflowInstanceCollection:
        stored = self._subscriptions.stored(ctx, parentSubscription, "parentSubscription")
        skip = require_offset(offset)
        items = self._query(ctx, "AND subscription_id = ?", (guid_text(stored.Id),), skip, PAGE_SIZE)
        return WorkflowInstanceCollection.of(items)

    def _item_filter(self, ctx: Context, listId: Any, itemId: Any) -> tuple[str, tuple[Any, ...]]:
        target = self._subscriptions.require_list(ctx, listId)
        if isinstance(itemId, bool) or not isinstance(itemId, int):
            raise CsomFault(ARGUMENT, "itemId must be an integer")
        if target.item_by_id(ctx, itemId) is None:
            raise not_found(f"Item {itemId} does not exist in list {target.Title!r}.")
        return "AND list_id = ? AND item_id = ?", (guid_text(target.Id), itemId)

    def EnumerateInstancesForListItem(
        self, ctx: Context, listId: uuid.UUID, itemId: int
    ) -> WorkflowInstanceCollection:
        where, args = self._item_filter(ctx, listId, itemId)
        return WorkflowInstanceCollection.of(self._query(ctx, where, args))

    def EnumerateInstancesForListItemWithOffset(
        self, ctx: Context, listId: uuid.UUID, itemId: int, offset: int
    ) -> WorkflowInstanceCollection:
        where, args = self._item_filter(ctx, listId, itemId)
        return WorkflowInstanceCollection.of(self._query(ctx, where, args, require_offset(offset), PAGE_SIZE))

    def EnumerateInstancesForSite(self, ctx: Context) -> WorkflowInstanceCollection:
        return WorkflowInstanceCollection.of(self._query(ctx, "AND list_id IS NULL", ()))

    def EnumerateInstancesForSiteWithOffset(self, ctx: Context, offset: int) -> WorkflowInstanceCollection:
        skip = require_offset(offset)
        return WorkflowInstanceCollection.of(self._query(ctx, "AND list_id IS NULL", (), skip, PAGE_SIZE))

    def CountInstances(self, ctx: Context, parentSubscription: WorkflowSubscription) -> int:
        return self.CountInstancesWithStatus(ctx, parentSubscription, S.NotSpecified)

    def CountInstancesWithStatus(
        self, ctx: Context, parentSubscription: WorkflowSubscription, status: int
    ) -> int:
        stored = self._subscriptions.stored(ctx, parentSubscription, "parentSubscription")
        if isinstance(status, bool) or not isinstance(status, int):
            raise CsomFault(ARGUMENT, "status must be a WorkflowStatus value")
        if status not in WorkflowStatus._value2member_map_:
            raise CsomFault(ARGUMENT_OUT_OF_RANGE, f"status: {status} is not a value of WorkflowStatus")
        _settle(ctx, self._web_id)
        sql = "SELECT COUNT(*) FROM wf_instances WHERE web_id = ? AND subscription_id = ?"
        args: tuple[Any, ...] = (guid_text(self._web_id), guid_text(stored.Id))
        if status != S.NotSpecified:
            sql += " AND status = ?"
            args += (int(status),)
        return ctx.db.execute(sql, args).fetchone()[0]
