"""Demo workflows, added to every web of a demo database (``--seed-data``) when the web is first
used. They are made through the object model, so they obey its rules:

- "Approval" (a list workflow with one activity), published and subscribed to the Tasks list as
  "Approve tasks" (WorkflowStart, ItemAdded), with an instance on each of the list's three
  items: item 1 Started (UserStatus "Waiting for Bob"), item 2 Suspended, item 3 Terminated;
- "Nightly cleanup" (a site workflow whose XAML holds no activity), published and subscribed to
  the web as "Clean up", with one instance, Completed at once (there is nothing to run);
- "Expense claim", saved as a draft and never published.
"""

from __future__ import annotations

import uuid

from conformance.server.core import DEMO_SEEDERS, Web
from conformance.server.csom.objects import Context
from conformance.server.wf.definitions import WorkflowDefinition, WorkflowDeploymentService
from conformance.server.wf.instances import WorkflowInstanceService
from conformance.server.wf.subscriptions import WorkflowSubscription, WorkflowSubscriptionService

_XAML_NS = 'xmlns="http://schemas.microsoft.com/netfx/2009/xaml/activities"'
APPROVAL_XAML = f'<Activity {_XAML_NS}><Sequence><WriteLine Text="Please approve" /></Sequence></Activity>'
NOTHING_TO_RUN_XAML = f"<Activity {_XAML_NS}><Activity.Members /></Activity>"


def _definition(
    ctx: Context, deployment: WorkflowDeploymentService, name: str, xaml: str, scope: str, *, publish: bool
) -> uuid.UUID:
    definition = WorkflowDefinition(ctx)
    definition.DisplayName, definition.Xaml, definition.RestrictToType = name, xaml, scope
    definition.Description = f"Demo workflow: {name.lower()}."
    definition_id = deployment.SaveDefinition(ctx, definition)
    if publish:
        deployment.PublishDefinition(ctx, definition_id)
    return definition_id


def _subscription(
    ctx: Context, definition_id: uuid.UUID, name: str, events: list[str]
) -> WorkflowSubscription:
    subscription = WorkflowSubscription(ctx)
    subscription.Name, subscription.DefinitionId, subscription.EventTypes = name, definition_id, events
    return subscription


def seed_web(ctx: Context, web: Web) -> None:
    deployment = WorkflowDeploymentService(ctx, web)
    subscriptions = WorkflowSubscriptionService(ctx, web)
    instances = WorkflowInstanceService(ctx, web)
    approval = _definition(ctx, deployment, "Approval", APPROVAL_XAML, "List", publish=True)
    cleanup = _definition(ctx, deployment, "Nightly cleanup", NOTHING_TO_RUN_XAML, "Site", publish=True)
    _definition(ctx, deployment, "Expense claim", APPROVAL_XAML, "List", publish=False)

    on_list = _subscription(ctx, approval, "Approve tasks", ["WorkflowStart", "ItemAdded"])
    subscriptions.PublishSubscriptionForList(ctx, on_list, web.Lists(ctx).GetByTitle(ctx, "Tasks").Id)
    started, suspended, terminated = (
        instances.GetInstance(ctx, instances.StartWorkflowOnListItem(ctx, on_list, item, {}))
        for item in (1, 2, 3)
    )
    started.UserStatus = "Waiting for Bob"
    instances.SuspendWorkflow(ctx, suspended)
    instances.TerminateWorkflow(ctx, terminated)

    on_web = _subscription(ctx, cleanup, "Clean up", ["WorkflowStart"])
    on_web.EventSourceId = web.Id
    instances.StartWorkflow(
        ctx, subscriptions.GetSubscription(ctx, subscriptions.PublishSubscription(ctx, on_web)), {}
    )


DEMO_SEEDERS.append(seed_web)
