"""InteropService: start by association name and item GUID, cancel by id, event suppression."""

from __future__ import annotations

import json
import uuid

from conformance.server.core import ensure_web
from conformance.server.csom.objects import ARGUMENT, ARGUMENT_NULL, INVALID_OPERATION, NOT_FOUND
from conformance.server.wf.store import WorkflowStatus as S
from conformance.server.wf.subscriptions import WorkflowSubscription
from tests.server.wf.helpers import fault, list_subscription, manager, published_definition, tasks_list

EMPTY = uuid.UUID(int=0)


def test_start_and_cancel_by_association_name(site):
    with site.request() as ctx:
        wsm = manager(ctx)
        interop = wsm.GetWorkflowInteropService(ctx)
        instances = wsm.GetWorkflowInstanceService(ctx)
        tasks = tasks_list(ctx)
        item = tasks.GetItemById(ctx, 3)
        subscription = list_subscription(ctx, published_definition(ctx), "Approve")
        correlation = uuid.uuid4()
        instance_id = interop.StartWorkflow(ctx, "Approve", correlation, tasks.Id, item.unique_id, {"a": 1})
        instance = instances.GetInstance(ctx, instance_id)
        assert instance.WorkflowSubscriptionId == subscription.Id and instance.Properties["a"] == 1
        assert [i.Id for i in instances.EnumerateInstancesForListItem(ctx, tasks.Id, 3).items(ctx)] == [
            instance_id
        ]
        assert str(correlation) in json.loads(instances.GetDebugInfo(ctx, instance))["Events"][0]["Detail"]
        interop.CancelWorkflow(ctx, instance_id)
        assert instances.GetInstance(ctx, instance_id).Status == S.Canceling
        fault(INVALID_OPERATION, interop.CancelWorkflow, ctx, instance_id)
        fault(NOT_FOUND, interop.CancelWorkflow, ctx, uuid.uuid4())
    with site.request() as ctx:
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        assert instances.GetInstance(ctx, instance_id).Status == S.Canceled


def test_site_workflow_by_association_name(site):
    with site.request() as ctx:
        wsm = manager(ctx)
        web = ensure_web(ctx)
        site_sub = WorkflowSubscription(ctx)
        site_sub.Name, site_sub.DefinitionId, site_sub.EventSourceId = (
            "Nightly",
            published_definition(ctx),
            web.Id,
        )
        wsm.GetWorkflowSubscriptionService(ctx).PublishSubscription(ctx, site_sub)
        interop = wsm.GetWorkflowInteropService(ctx)
        instance_id = interop.StartWorkflow(ctx, "Nightly", uuid.uuid4(), EMPTY, EMPTY, None)
        site_instances = wsm.GetWorkflowInstanceService(ctx).EnumerateInstancesForSite(ctx).items(ctx)
        assert [i.Id for i in site_instances] == [instance_id]


def test_start_errors(site):
    with site.request() as ctx:
        interop = manager(ctx).GetWorkflowInteropService(ctx)
        tasks = tasks_list(ctx)
        item_guid = tasks.GetItemById(ctx, 1).unique_id
        list_subscription(ctx, published_definition(ctx), "Approve")
        start = interop.StartWorkflow
        fault(NOT_FOUND, start, ctx, "Nope", uuid.uuid4(), tasks.Id, item_guid, {})
        fault(NOT_FOUND, start, ctx, "Approve", uuid.uuid4(), EMPTY, EMPTY, {})  # not a site association
        fault(NOT_FOUND, start, ctx, "Approve", uuid.uuid4(), uuid.uuid4(), item_guid, {})
        fault(NOT_FOUND, start, ctx, "Approve", uuid.uuid4(), tasks.Id, uuid.uuid4(), {})
        fault(ARGUMENT, start, ctx, "Approve", uuid.uuid4(), tasks.Id, EMPTY, {})
        fault(ARGUMENT, start, ctx, "Approve", uuid.uuid4(), EMPTY, item_guid, {})
        fault(ARGUMENT_NULL, start, ctx, None, uuid.uuid4(), tasks.Id, item_guid, {})
        fault(ARGUMENT_NULL, start, ctx, "Approve", None, tasks.Id, item_guid, {})
        fault(ARGUMENT, start, ctx, "Approve", uuid.uuid4(), tasks.Id, item_guid, [])


def test_disable_and_enable_events(site):
    with site.request() as ctx:
        interop = manager(ctx).GetWorkflowInteropService(ctx)
        tasks = tasks_list(ctx)
        item = tasks.GetItemById(ctx, 1)
        interop.DisableEvents(ctx, tasks.Id, item.unique_id)
        interop.DisableEvents(ctx, tasks.Id, EMPTY)
        interop.DisableEvents(ctx, EMPTY, EMPTY)
        assert interop.events_disabled(ctx, tasks.Id, item.unique_id)
        assert interop.events_disabled(ctx, tasks.Id, EMPTY) and interop.events_disabled(ctx, EMPTY, EMPTY)
        interop.EnableEvents(ctx, tasks.Id, item.unique_id)
        interop.EnableEvents(ctx, tasks.Id, item.unique_id)  # already enabled: no-op
        assert not interop.events_disabled(ctx, tasks.Id, item.unique_id)
        assert interop.events_disabled(ctx, tasks.Id, EMPTY)
        fault(NOT_FOUND, interop.DisableEvents, ctx, uuid.uuid4(), EMPTY)
        fault(NOT_FOUND, interop.DisableEvents, ctx, tasks.Id, uuid.uuid4())
        fault(ARGUMENT, interop.EnableEvents, ctx, EMPTY, item.unique_id)
