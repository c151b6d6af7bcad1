"""WorkflowInstanceService and WorkflowInstance: the full lifecycle and the instance state machine."""

from __future__ import annotations

import json
import uuid

import pytest

from conformance.server.core import ensure_web
from conformance.server.csom.objects import (
    ARGUMENT,
    ARGUMENT_NULL,
    ARGUMENT_OUT_OF_RANGE,
    INVALID_OPERATION,
    NOT_FOUND,
    CsomFault,
)
from conformance.server.wf.instances import ITEM_ID_PROPERTY, LIST_ID_PROPERTY, TRANSITIONS
from conformance.server.wf.store import WorkflowStatus as S
from conformance.server.wf.subscriptions import WorkflowSubscription
from tests.server.wf.helpers import (
    EMPTY_XAML,
    fault,
    list_subscription,
    manager,
    new_definition,
    published_definition,
    services,
    started_instance,
    tasks_list,
)


def test_full_lifecycle(site):
    """save draft -> DraftVersion check -> publish -> subscribe on a list -> start on an item ->
    suspend -> resume -> terminate -> delete subscription and definition."""
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        draft = new_definition(ctx)
        definition_id = deployment.SaveDefinition(ctx, draft)
        stale = deployment.GetDefinition(ctx, definition_id)
        draft.Description = "v2"
        deployment.SaveDefinition(ctx, draft)  # draft carries the DraftVersion the first save issued
        fault((-2146232832, "Microsoft.SharePoint.SPException"), deployment.SaveDefinition, ctx, stale)
        deployment.PublishDefinition(ctx, definition_id)
    with site.request() as ctx:
        wsm = manager(ctx)
        tasks = tasks_list(ctx)
        subscription = list_subscription(ctx, definition_id)
        instances = wsm.GetWorkflowInstanceService(ctx)
        instance_id = instances.StartWorkflowOnListItem(ctx, subscription, 2, {"Comment": "please"})
        assert isinstance(instance_id, uuid.UUID)
    with site.request() as ctx:
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        instance = instances.GetInstance(ctx, instance_id)
        assert instance.Status == S.Started and instance.WorkflowSubscriptionId == subscription.Id
        assert instance.Properties["Comment"] == "please"
        assert (
            instance.Properties[LIST_ID_PROPERTY] == str(tasks.Id)
            and instance.Properties[ITEM_ID_PROPERTY] == "2"
        )
        assert (
            instance.InstanceCreated == instance.LastUpdated and instance.InstanceCreated.tzinfo is not None
        )
        assert instance.FaultInfo is None and instance.UserStatus is None
        instances.SuspendWorkflow(ctx, instance)
        assert instance.Status == S.Suspended  # the object follows within the request
    with site.request() as ctx:
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        instance = instances.GetInstance(ctx, instance_id)
        assert instance.Status == S.Suspended and instance.LastUpdated > instance.InstanceCreated
        instances.ResumeWorkflow(ctx, instance)
        assert instances.GetInstance(ctx, instance_id).Status == S.Started
        instances.TerminateWorkflow(ctx, instance)
    with site.request() as ctx:
        wsm = manager(ctx)
        instances = wsm.GetWorkflowInstanceService(ctx)
        instance = instances.GetInstance(ctx, instance_id)
        assert instance.Status == S.Terminated
        history = json.loads(instances.GetDebugInfo(ctx, instance))
        assert [e["Name"] for e in history["Events"]] == ["Started", "Suspended", "Started", "Terminated"]
        assert history["Status"] == "Terminated"
        wsm.GetWorkflowSubscriptionService(ctx).DeleteSubscription(ctx, subscription.Id)
        wsm.GetWorkflowDeploymentService(ctx).DeleteDefinition(ctx, definition_id)
        # finished instances outlive their subscription
        assert instances.GetInstance(ctx, instance_id).WorkflowSubscriptionId == subscription.Id


def test_cancel_is_canceling_for_the_request_then_canceled(site):
    with site.request() as ctx:
        subscription, instances, instance = started_instance(ctx)
        instances.CancelWorkflow(ctx, instance)
        assert instance.Status == S.Canceling
        assert instances.GetInstance(ctx, instance.Id).Status == S.Canceling
        assert instances.CountInstancesWithStatus(ctx, subscription, S.Canceling) == 1
        fault(INVALID_OPERATION, instances.CancelWorkflow, ctx, instance)
        fault(INVALID_OPERATION, instances.SuspendWorkflow, ctx, instance)
    with site.request() as ctx:
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        assert instances.GetInstance(ctx, instance.Id).Status == S.Canceled
        assert instances.CountInstancesWithStatus(ctx, subscription, S.Canceled) == 1


def test_terminate_while_canceling(site):
    with site.request() as ctx:
        _, instances, instance = started_instance(ctx)
        instances.CancelWorkflow(ctx, instance)
        instances.TerminateWorkflow(ctx, instance)
        assert instance.Status == S.Terminated
    with site.request() as ctx:
        assert (
            manager(ctx).GetWorkflowInstanceService(ctx).GetInstance(ctx, instance.Id).Status == S.Terminated
        )


@pytest.mark.parametrize(
    ("prepare", "command"),
    [
        ([], "ResumeWorkflow"),
        (["SuspendWorkflow"], "SuspendWorkflow"),
        (["TerminateWorkflow"], "ResumeWorkflow"),
        (["TerminateWorkflow"], "SuspendWorkflow"),
        (["TerminateWorkflow"], "CancelWorkflow"),
        (["TerminateWorkflow"], "TerminateWorkflow"),
    ],
)
def test_invalid_transitions_are_invalid_operations(site, prepare, command):
    with site.request() as ctx:
        _, instances, instance = started_instance(ctx)
        for step in prepare:
            getattr(instances, step)(ctx, instance)
        before = instance.Status
        error = fault(INVALID_OPERATION, getattr(instances, command), ctx, instance)
        assert command in error.message and S(before).name in error.message
        assert instances.GetInstance(ctx, instance.Id).Status == before


def test_transition_table_is_the_documented_state_machine():
    assert {k: (sorted(v[0]), v[1]) for k, v in TRANSITIONS.items()} == {
        "SuspendWorkflow": ([S.Started], S.Suspended),
        "ResumeWorkflow": ([S.Suspended], S.Started),
        "CancelWorkflow": ([S.Started, S.Suspended], S.Canceling),
        "TerminateWorkflow": ([S.Started, S.Suspended, S.Canceling], S.Terminated),
    }


def test_an_empty_workflow_completes_at_once(site):
    with site.request() as ctx:
        subscription = list_subscription(ctx, published_definition(ctx, EMPTY_XAML))
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        instance = instances.GetInstance(ctx, instances.StartWorkflowOnListItem(ctx, subscription, 1, {}))
        assert instance.Status == S.Completed
        fault(INVALID_OPERATION, instances.SuspendWorkflow, ctx, instance)
        # a completed instance does not count against the activation limit
        instances.StartWorkflowOnListItem(ctx, subscription, 1, {})


def test_activation_limit_and_bypass(site):
    with site.request() as ctx:
        definition_id = published_definition(ctx)
        limited = list_subscription(ctx, definition_id, "limited")
        free = list_subscription(ctx, definition_id, "free", ManualStartBypassesActivationLimit=True)
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        first = instances.StartWorkflowOnListItem(ctx, limited, 1, {})
        fault(INVALID_OPERATION, instances.StartWorkflowOnListItem, ctx, limited, 1, {})
        instances.StartWorkflowOnListItem(ctx, limited, 2, {})  # another item is fine
        instances.StartWorkflowOnListItem(ctx, free, 1, {})
        instances.StartWorkflowOnListItem(ctx, free, 1, {})
        instances.TerminateWorkflow(ctx, instances.GetInstance(ctx, first))
        instances.StartWorkflowOnListItemBySubscriptionId(ctx, limited.Id, 1, None)
        assert instances.CountInstances(ctx, limited) == 3
        assert instances.CountInstances(ctx, free) == 2


def test_start_rules(site):
    with site.request() as ctx:
        _, deployment, subscriptions, instances = services(ctx)
        definition_id = published_definition(ctx)
        subscription = list_subscription(ctx, definition_id)
        start = instances.StartWorkflowOnListItem
        fault(ARGUMENT_NULL, start, ctx, None, 1, {})
        fault(NOT_FOUND, start, ctx, WorkflowSubscription(ctx), 1, {})  # never published
        fault(NOT_FOUND, start, ctx, subscription, 99, {})
        fault(ARGUMENT, start, ctx, subscription, "1", {})
        fault(ARGUMENT, start, ctx, subscription, 1, "payload")
        fault(NOT_FOUND, instances.StartWorkflowOnListItemBySubscriptionId, ctx, uuid.uuid4(), 1, {})
        site_sub = WorkflowSubscription(ctx)
        site_sub.Name, site_sub.DefinitionId, site_sub.EventSourceId = (
            "site",
            definition_id,
            ensure_web(ctx).Id,
        )
        subscriptions.PublishSubscription(ctx, site_sub)
        assert "not a list workflow" in fault(INVALID_OPERATION, start, ctx, site_sub, 1, {}).message
        subscription.Enabled = False
        subscriptions.PublishSubscription(ctx, subscription)
        assert "disabled" in fault(INVALID_OPERATION, start, ctx, subscription, 1, {}).message
        deployment.DeprecateDefinition(ctx, definition_id)
        assert "deprecated" in fault(INVALID_OPERATION, instances.StartWorkflow, ctx, site_sub, {}).message


def test_start_workflow_as_in_example_4_4_and_site_instances(site):
    with site.request() as ctx:
        wsm = manager(ctx)
        web = ensure_web(ctx)
        instances = wsm.GetWorkflowInstanceService(ctx)
        definition_id = published_definition(ctx)
        on_list = list_subscription(ctx, definition_id)
        tasks = tasks_list(ctx)
        list_instance = instances.StartWorkflow(ctx, on_list, {"ListId": tasks.Id})
        got = instances.GetInstance(ctx, list_instance)
        assert got.Properties["ListId"] == tasks.Id and got.Properties[LIST_ID_PROPERTY] == str(tasks.Id)
        site_sub = WorkflowSubscription(ctx)
        site_sub.Name, site_sub.DefinitionId, site_sub.EventSourceId = "site", definition_id, web.Id
        site_sub.SetProperty(ctx, "Greeting", "hello")
        wsm.GetWorkflowSubscriptionService(ctx).PublishSubscription(ctx, site_sub)
        site_ids = [instances.StartWorkflow(ctx, site_sub, {"n": n}) for n in range(3)]
        assert instances.GetInstance(ctx, site_ids[0]).Properties == {"Greeting": "hello", "n": 0}
        assert [i.Id for i in instances.EnumerateInstancesForSite(ctx).items(ctx)] == site_ids
        assert [i.Id for i in instances.EnumerateInstancesForSiteWithOffset(ctx, 1).items(ctx)] == site_ids[
            1:
        ]
        assert instances.EnumerateInstancesForSiteWithOffset(ctx, 5).items(ctx) == []
        fault(ARGUMENT_OUT_OF_RANGE, instances.EnumerateInstancesForSiteWithOffset, ctx, -1)
        assert [i.Id for i in instances.Enumerate(ctx, on_list).items(ctx)] == [list_instance]


def test_enumerate_and_count(site):
    with site.request() as ctx:
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        tasks = tasks_list(ctx)
        subscription = list_subscription(
            ctx, published_definition(ctx), ManualStartBypassesActivationLimit=True
        )
        ids = [instances.StartWorkflowOnListItem(ctx, subscription, 1 + n % 2, {}) for n in range(5)]
        instances.SuspendWorkflow(ctx, instances.GetInstance(ctx, ids[0]))
        assert [i.Id for i in instances.Enumerate(ctx, subscription).items(ctx)] == ids
        assert [i.Id for i in instances.EnumerateWithOffset(ctx, subscription, 3).items(ctx)] == ids[3:]
        on_item_1 = [ids[0], ids[2], ids[4]]
        assert [
            i.Id for i in instances.EnumerateInstancesForListItem(ctx, tasks.Id, 1).items(ctx)
        ] == on_item_1
        offset = instances.EnumerateInstancesForListItemWithOffset(ctx, tasks.Id, 1, 1)
        assert [i.Id for i in offset.items(ctx)] == on_item_1[1:]
        assert instances.EnumerateInstancesForListItem(ctx, tasks.Id, 3).items(ctx) == []
        assert instances.CountInstances(ctx, subscription) == 5
        assert instances.CountInstancesWithStatus(ctx, subscription, S.Started) == 4
        assert instances.CountInstancesWithStatus(ctx, subscription, S.Suspended) == 1
        assert instances.CountInstancesWithStatus(ctx, subscription, S.NotSpecified) == 5
        assert instances.CountInstancesWithStatus(ctx, subscription, S.Invalid) == 0
        fault(ARGUMENT_OUT_OF_RANGE, instances.CountInstancesWithStatus, ctx, subscription, 9)
        fault(NOT_FOUND, instances.EnumerateInstancesForListItem, ctx, uuid.uuid4(), 1)
        fault(NOT_FOUND, instances.EnumerateInstancesForListItem, ctx, tasks.Id, 42)
        fault(ARGUMENT_NULL, instances.Enumerate, ctx, None)
        fault(NOT_FOUND, instances.CountInstances, ctx, WorkflowSubscription(ctx))


def test_more_than_a_page(site):
    with site.request() as ctx:
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        subscription = list_subscription(
            ctx, published_definition(ctx), ManualStartBypassesActivationLimit=True
        )
        for _ in range(105):
            instances.StartWorkflowOnListItem(ctx, subscription, 1, {})
        assert len(instances.EnumerateWithOffset(ctx, subscription, 0).items(ctx)) == 100
        assert len(instances.EnumerateWithOffset(ctx, subscription, 100).items(ctx)) == 5
        assert len(instances.Enumerate(ctx, subscription).items(ctx)) == 105


def test_user_status_custom_events_and_debug_info(site):
    with site.request() as ctx:
        _, instances, instance = started_instance(ctx)
        instance.UserStatus = "Waiting for approval"
        instances.PublishCustomEvent(ctx, instance, "Approved", '{"by": "bob"}')
        instances.SuspendWorkflow(ctx, instance)
        instances.PublishCustomEvent(ctx, instance, "Reminder", None)  # queued while suspended
        fault(ARGUMENT, instances.PublishCustomEvent, ctx, instance, "", "x")
        fault(ARGUMENT, instances.PublishCustomEvent, ctx, instance, "x", 5)
    with site.request() as ctx:
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        instance = instances.GetInstance(ctx, instance.Id)
        assert instance.UserStatus == "Waiting for approval"
        info = json.loads(instances.GetDebugInfo(ctx, instance))
        kinds = [(e["Kind"], e["Name"]) for e in info["Events"]]
        assert kinds == [
            ("Transition", "Started"),
            ("UserStatus", "Waiting for approval"),
            ("CustomEvent", "Approved"),
            ("Transition", "Suspended"),
            ("CustomEvent", "Reminder"),
        ]
        assert info["Events"][2]["Detail"] == '{"by": "bob"}'
        instances.TerminateWorkflow(ctx, instance)
        fault(INVALID_OPERATION, instances.PublishCustomEvent, ctx, instance, "Late", "x")
        with pytest.raises(CsomFault):
            instance.UserStatus = 5


def test_instances_are_scoped_and_unknown_ids_not_found(site):
    with site.request() as ctx:
        subscription = list_subscription(ctx, published_definition(ctx))
        instance_id = (
            manager(ctx).GetWorkflowInstanceService(ctx).StartWorkflowOnListItem(ctx, subscription, 1, {})
        )
    with site.request("http://127.0.0.1:8080/sites/other") as ctx:
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        fault(NOT_FOUND, instances.GetInstance, ctx, instance_id)
    with site.request() as ctx:
        instances = manager(ctx).GetWorkflowInstanceService(ctx)
        fault(NOT_FOUND, instances.GetInstance, ctx, uuid.uuid4())
        fault(ARGUMENT, instances.GetInstance, ctx, "nope")
        for command in (
            "SuspendWorkflow",
            "ResumeWorkflow",
            "CancelWorkflow",
            "TerminateWorkflow",
            "GetDebugInfo",
        ):
            fault(ARGUMENT_NULL, getattr(instances, command), ctx, None)
            fault(ARGUMENT, getattr(instances, command), ctx, subscription)
