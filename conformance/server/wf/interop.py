"""InteropService: starts and cancels workflows by association name and list item GUID.

In SharePoint this bridges to workflows of the previous platform; the reference server has
one workflow platform, so an "association" is a subscription of the web:

- ``StartWorkflow(associationName, correlationId, listId, itemGuid, workflowParameters)``
  starts the subscription named ``associationName`` (exact match; the oldest when several
  match) whose event source is the list ``listId``, on the item whose GUID is ``itemGuid``;
  with the empty GUID as ``listId`` it starts a site workflow (a subscription whose event
  source is the web) and ``itemGuid`` must be empty too. A list workflow needs an item. The
  usual start rules apply (see ``instances``); ``correlationId`` is recorded in the instance's
  debug history. Unknown association, list or item: NOT_FOUND.
- ``CancelWorkflow(instanceId)`` is WorkflowInstanceService.CancelWorkflow by id.
- ``DisableEvents`` / ``EnableEvents`` record or clear an event suppression for a list item,
  a whole list (empty ``itemGuid``) or the web (empty ``listId``); the list and item must
  exist. No workflow events are raised by the reference server, so the record has no other
  effect.
"""

from __future__ import annotations

import uuid
from typing import Any

from conformance.server.core import Web
from conformance.server.csom.objects import ARGUMENT, Context, CsomFault, register
from conformance.server.wf.definitions import NS
from conformance.server.wf.instances import WorkflowInstanceService
from conformance.server.wf.scoped import WebService
from conformance.server.wf.store import (
    EMPTY_GUID,
    as_guid,
    guid_text,
    is_empty,
    not_found,
    require_dictionary,
    require_text,
)
from conformance.server.wf.subscriptions import WorkflowSubscription, WorkflowSubscriptionService


@register(NS + "InteropService")
class InteropService(WebService):
    def __init__(self, ctx: Context, web: Web) -> None:
        super().__init__(ctx, web)
        self._subscriptions = WorkflowSubscriptionService(ctx, web)
        self._instances = WorkflowInstanceService(ctx, web)

    def _scope(self, ctx: Context, listId: Any, itemGuid: Any) -> tuple[uuid.UUID, Any, Any]:
        """(event source id, list or None, item or None) named by a listId / itemGuid pair."""
        list_id = as_guid(listId, "listId")
        item_guid = as_guid(itemGuid, "itemGuid")
        if is_empty(list_id):
            if not is_empty(item_guid):
                raise CsomFault(ARGUMENT, "itemGuid must be the empty GUID when listId is (site scope)")
            return self._web_id, None, None
        target = self._subscriptions.require_list(ctx, list_id)
        if is_empty(item_guid):
            return target.Id, target, None
        item = target.item_by_guid(ctx, item_guid)
        if item is None:
            raise not_found(f"No item of list {target.Title!r} has the GUID {item_guid}.")
        return target.Id, target, item

    def StartWorkflow(
        self,
        ctx: Context,
        associationName: str,
        correlationId: uuid.UUID,
        listId: uuid.UUID,
        itemGuid: uuid.UUID,
        workflowParameters: dict[str, Any],
    ) -> uuid.UUID:
        name = require_text(associationName, "associationName")
        correlation = as_guid(correlationId, "correlationId")
        parameters = require_dictionary(workflowParameters, "workflowParameters")
        source, target, item = self._scope(ctx, listId, itemGuid)
        if target is not None and item is None:
            raise CsomFault(ARGUMENT, "itemGuid must name an item of the list for a list workflow")
        row = ctx.db.execute(
            "SELECT id FROM wf_subscriptions WHERE web_id = ? AND event_source_id = ? AND name = ?"
            " ORDER BY rowid LIMIT 1",
            (guid_text(self._web_id), guid_text(source), name),
        ).fetchone()
        if row is None:
            raise not_found(f"No workflow association named {name!r} exists for this event source.")
        subscription: WorkflowSubscription = self._subscriptions.require(ctx, uuid.UUID(row["id"]))
        return self._instances.start(
            ctx, subscription, parameters, target, item, detail=f"InteropService correlation {correlation}"
        )

    def CancelWorkflow(self, ctx: Context, instanceId: uuid.UUID) -> None:
        instance_id = as_guid(instanceId, "instanceId")
        row = self._instances.instance_row(ctx, instance_id)
        if row is None:
            raise not_found(f"Workflow instance {instance_id} was not found on this site.")
        self._instances.command(ctx, row, "CancelWorkflow", None)

    def _suppression(self, ctx: Context, listId: Any, itemGuid: Any) -> tuple[str, str, str]:
        _, target, item = self._scope(ctx, listId, itemGuid)
        return (
            guid_text(self._web_id),
            guid_text(target.Id if target is not None else EMPTY_GUID),
            guid_text(item.unique_id if item is not None else EMPTY_GUID),
        )

    def DisableEvents(self, ctx: Context, listId: uuid.UUID, itemGuid: uuid.UUID) -> None:
        ctx.db.execute(
            "INSERT OR IGNORE INTO wf_disabled_events (web_id, list_id, item_guid) VALUES (?, ?, ?)",
            self._suppression(ctx, listId, itemGuid),
        )

    def EnableEvents(self, ctx: Context, listId: uuid.UUID, itemGuid: uuid.UUID) -> None:
        ctx.db.execute(
            "DELETE FROM wf_disabled_events WHERE web_id = ? AND list_id = ? AND item_guid = ?",
            self._suppression(ctx, listId, itemGuid),
        )

    def events_disabled(self, ctx: Context, list_id: uuid.UUID, item_guid: uuid.UUID) -> bool:
        """Whether events are suppressed for exactly this scope (server-side helper)."""
        return (
            ctx.db.execute(
                "SELECT 1 FROM wf_disabled_events WHERE web_id = ? AND list_id = ? AND item_guid = ?",
                (guid_text(self._web_id), guid_text(list_id), guid_text(item_guid)),
            ).fetchone()
            is not None
        )
