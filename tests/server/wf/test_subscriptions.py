"""WorkflowSubscriptionService and WorkflowSubscription: publish, enumerate, restrictions, interest."""

from __future__ import annotations

import uuid

from conformance.server.core import ensure_web
from conformance.server.csom.objects import ARGUMENT, ARGUMENT_NULL, INVALID_OPERATION, NOT_FOUND
from conformance.server.wf.subscriptions import WorkflowSubscription
from tests.server.wf.helpers import (
    fault,
    list_subscription,
    manager,
    new_definition,
    published_definition,
    tasks_list,
)


def subscription(ctx, definition_id, event_source, name="Sub", **fields) -> WorkflowSubscription:
    sub = WorkflowSubscription(ctx)
    sub.Name, sub.DefinitionId, sub.EventSourceId = name, definition_id, event_source
    for key, value in fields.items():
        setattr(sub, key, value)
    return sub


def test_a_new_subscription_is_blank_with_the_empty_id(site):
    with site.request() as ctx:
        sub = WorkflowSubscription(ctx)
        assert sub.Id == uuid.UUID(int=0)  # example 4.1: identity ...:00000000-0000-0000-0000-000000000000
        assert sub.Enabled is True and sub.EventTypes == [] and sub.PropertyDefinitions == {}


def test_publish_subscription_as_in_example_4_1(site):
    with site.request() as ctx:
        definition_id = published_definition(ctx)
        service = manager(ctx).GetWorkflowSubscriptionService(ctx)
        tasks = tasks_list(ctx)
        sub = subscription(
            ctx, definition_id, tasks.Id, "testWorkflowAssociation1", EventTypes=["WorkflowStart"]
        )
        sub.SetProperty(ctx, "TaskListId", str(tasks.Id))
        sub.SetExternalVariable(ctx, "Approver", "alice")
        new_id = service.PublishSubscription(ctx, sub)
        assert isinstance(new_id, uuid.UUID) and new_id != uuid.UUID(int=0) and sub.Id == new_id
    with site.request() as ctx:
        service = manager(ctx).GetWorkflowSubscriptionService(ctx)
        stored = service.GetSubscription(ctx, new_id)
        assert (stored.Name, stored.DefinitionId, stored.EventSourceId) == (
            "testWorkflowAssociation1",
            definition_id,
            tasks.Id,
        )
        assert stored.EventTypes == ["WorkflowStart"] and stored.Enabled is True
        assert stored.PropertyDefinitions == {"TaskListId": str(tasks.Id)}
        assert stored.GetExternalVariable(ctx, "Approver") == "alice"
        assert stored.GetExternalVariable(ctx, "Nobody") is None
        # publishing a stored subscription again updates it
        stored.Name, stored.Enabled = "renamed", False
        assert service.PublishSubscription(ctx, stored) == new_id
        assert service.GetSubscription(ctx, new_id).Name == "renamed"
        assert service.GetSubscription(ctx, new_id).Enabled is False
        assert len(service.EnumerateSubscriptions(ctx).items(ctx)) == 1


def test_publish_for_list_sets_the_source_status_field_and_interest(site):
    with site.request() as ctx:
        definition_id = published_definition(ctx)
        service = manager(ctx).GetWorkflowSubscriptionService(ctx)
        sub = list_subscription(
            ctx, definition_id, "Approve tasks!", EventTypes=["ItemAdded", "WorkflowStart"]
        )
        tasks = tasks_list(ctx)
        assert sub.EventSourceId == tasks.Id
        assert service.GetSubscription(ctx, sub.Id).StatusFieldName == "Approvetasks"
        assert service.interests(ctx, tasks.Id) == ["ItemAdded", "WorkflowStart"]
        kept = list_subscription(ctx, definition_id, "Other", StatusFieldName="MyStatus")
        assert service.GetSubscription(ctx, kept.Id).StatusFieldName == "MyStatus"
        fault(NOT_FOUND, service.PublishSubscriptionForList, ctx, WorkflowSubscription(ctx), uuid.uuid4())


def test_enumerations_by_list_event_source_definition(site):
    with site.request() as ctx:
        web = ensure_web(ctx)
        service = manager(ctx).GetWorkflowSubscriptionService(ctx)
        documents = web.Lists(ctx).GetByTitle(ctx, "Documents")
        tasks = tasks_list(ctx)
        d1, d2 = published_definition(ctx, DisplayName="one"), published_definition(ctx, DisplayName="two")
        on_tasks = list_subscription(ctx, d1, "b-tasks")
        on_docs = service.PublishSubscriptionForList(
            ctx, subscription(ctx, d2, uuid.UUID(int=0), "a-docs"), documents.Id
        )
        on_site = service.PublishSubscription(ctx, subscription(ctx, d1, web.Id, "c-site"))
        custom_source = uuid.uuid4()
        on_custom = service.PublishSubscription(ctx, subscription(ctx, d2, custom_source, "d-custom"))

        def ids(collection):
            return [s.Id for s in collection.items(ctx)]

        assert ids(service.EnumerateSubscriptions(ctx)) == [on_tasks.Id, on_docs, on_site, on_custom]
        assert ids(service.EnumerateSubscriptionsByList(ctx, tasks.Id)) == [on_tasks.Id]
        assert ids(service.EnumerateSubscriptionsByList(ctx, documents.Id)) == [on_docs]
        assert ids(service.EnumerateSubscriptionsByEventSource(ctx, web.Id)) == [on_site]
        assert ids(service.EnumerateSubscriptionsByEventSource(ctx, custom_source)) == [on_custom]
        assert ids(service.EnumerateSubscriptionsByEventSource(ctx, uuid.uuid4())) == []
        assert ids(service.EnumerateSubscriptionsByDefinition(ctx, d1)) == [on_tasks.Id, on_site]
        assert ids(service.EnumerateSubscriptionsByDefinition(ctx, uuid.uuid4())) == []
        fault(NOT_FOUND, service.EnumerateSubscriptionsByList, ctx, uuid.uuid4())
        collection = service.EnumerateSubscriptions(ctx)
        collection.Sort(ctx)
        assert [s.Name for s in collection.items(ctx)] == ["a-docs", "b-tasks", "c-site", "d-custom"]


def test_enumerations_by_content_type(site):
    with site.request() as ctx:
        service = manager(ctx).GetWorkflowSubscriptionService(ctx)
        tasks = tasks_list(ctx)
        definition_id = published_definition(ctx)
        plain = list_subscription(ctx, definition_id, "plain")
        on_items = list_subscription(ctx, definition_id, "items", ParentContentTypeId="0x01")
        on_docs = list_subscription(ctx, definition_id, "docs", ParentContentTypeId="0x0101")

        def ids(collection):
            return {s.Id for s in collection.items(ctx)}

        by_ct = service.EnumerateSubscriptionsByListAndParentContentType
        assert ids(by_ct(ctx, tasks.Id, {"StringValue": "0x0108"}, False)) == {on_items.Id}
        assert ids(by_ct(ctx, tasks.Id, "0x0108", True)) == {on_items.Id, plain.Id}
        assert ids(by_ct(ctx, tasks.Id, "0x010100AB", False)) == {on_items.Id, on_docs.Id}
        fault(ARGUMENT_NULL, by_ct, ctx, tasks.Id, None, True)
        fault(ARGUMENT, by_ct, ctx, tasks.Id, "nope", True)
        with_ct = service.EnumerateSubscriptionsByListWithContentType
        assert ids(with_ct(ctx, tasks.Id, True)) == {plain.Id, on_items.Id, on_docs.Id}
        assert ids(with_ct(ctx, tasks.Id, False)) == {plain.Id}
        fault(
            ARGUMENT,
            service.PublishSubscription,
            ctx,
            subscription(ctx, definition_id, tasks.Id, ParentContentTypeId="x"),
        )


def test_publish_rules(site):
    with site.request() as ctx:
        web = ensure_web(ctx)
        service = manager(ctx).GetWorkflowSubscriptionService(ctx)
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        tasks = tasks_list(ctx)
        definition_id = published_definition(ctx)
        publish = service.PublishSubscription
        fault(ARGUMENT_NULL, publish, ctx, None)
        fault(ARGUMENT, publish, ctx, "subscription")
        fault(ARGUMENT_NULL, publish, ctx, subscription(ctx, definition_id, tasks.Id, None))
        fault(ARGUMENT, publish, ctx, subscription(ctx, definition_id, tasks.Id, ""))
        fault(ARGUMENT, publish, ctx, subscription(ctx, uuid.UUID(int=0), tasks.Id))
        fault(NOT_FOUND, publish, ctx, subscription(ctx, uuid.uuid4(), tasks.Id))
        fault(ARGUMENT, publish, ctx, subscription(ctx, definition_id, uuid.UUID(int=0)))
        fault(ARGUMENT, publish, ctx, subscription(ctx, definition_id, tasks.Id, EventTypes=["", "x"]))
        fault(ARGUMENT, publish, ctx, subscription(ctx, definition_id, tasks.Id, EventTypes="WorkflowStart"))
        draft = deployment.SaveDefinition(ctx, new_definition(ctx))
        assert (
            "not published"
            in fault(INVALID_OPERATION, publish, ctx, subscription(ctx, draft, tasks.Id)).message
        )
        deployment.DeprecateDefinition(ctx, definition_id)
        assert (
            "deprecated"
            in fault(INVALID_OPERATION, publish, ctx, subscription(ctx, definition_id, tasks.Id)).message
        )
        # RestrictToType / RestrictToScope
        list_only = published_definition(ctx, RestrictToType="List")
        fault(ARGUMENT, publish, ctx, subscription(ctx, list_only, web.Id))
        publish(ctx, subscription(ctx, list_only, tasks.Id))
        scoped = published_definition(ctx, RestrictToType="List", RestrictToScope=str(tasks.Id))
        documents = web.Lists(ctx).GetByTitle(ctx, "Documents")
        fault(ARGUMENT, publish, ctx, subscription(ctx, scoped, documents.Id))
        publish(ctx, subscription(ctx, scoped, tasks.Id))
        site_only = published_definition(ctx, RestrictToType="Site")
        fault(ARGUMENT, publish, ctx, subscription(ctx, site_only, tasks.Id))
        publish(ctx, subscription(ctx, site_only, web.Id))


def test_get_and_delete(site):
    with site.request() as ctx:
        service = manager(ctx).GetWorkflowSubscriptionService(ctx)
        sub = list_subscription(ctx, published_definition(ctx))
        service.DeleteSubscription(ctx, sub.Id)
        fault(NOT_FOUND, service.GetSubscription, ctx, sub.Id)
        fault(NOT_FOUND, service.DeleteSubscription, ctx, sub.Id)
        fault(ARGUMENT, service.GetSubscription, ctx, "x")


def test_interest_registration(site):
    with site.request() as ctx:
        service = manager(ctx).GetWorkflowSubscriptionService(ctx)
        tasks = tasks_list(ctx)
        service.RegisterInterestInList(ctx, tasks.Id, "ItemAdded")
        service.RegisterInterestInList(ctx, tasks.Id, "ItemAdded")  # idempotent
        service.RegisterInterestInHostWebList(ctx, tasks.Id, "ItemUpdated")
        assert service.interests(ctx, tasks.Id) == ["ItemAdded"]
        assert service.interests(ctx, tasks.Id, host_web=True) == ["ItemUpdated"]
        service.UnregisterInterestInList(ctx, tasks.Id, "ItemAdded")
        service.UnregisterInterestInList(ctx, tasks.Id, "ItemAdded")  # absent: no-op
        service.UnregisterInterestInHostWebList(ctx, tasks.Id, "ItemUpdated")
        assert (
            service.interests(ctx, tasks.Id) == [] and service.interests(ctx, tasks.Id, host_web=True) == []
        )
        fault(NOT_FOUND, service.RegisterInterestInList, ctx, uuid.uuid4(), "ItemAdded")
        fault(ARGUMENT, service.RegisterInterestInList, ctx, tasks.Id, " ")
        fault(ARGUMENT_NULL, service.UnregisterInterestInHostWebList, ctx, tasks.Id, None)


def test_subscription_members_reject_bad_names(site):
    with site.request() as ctx:
        sub = WorkflowSubscription(ctx)
        fault(ARGUMENT, sub.SetProperty, ctx, "", "v")
        fault(ARGUMENT_NULL, sub.GetExternalVariable, ctx, None)
        fault(ARGUMENT, sub.SetExternalVariable, ctx, "", "v")
