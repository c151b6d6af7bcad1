"""Helpers of the workflow object-model tests: a ``Site`` whose ``request()`` plays one request."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from conformance.server import db as dbmod
from conformance.server import seed
from conformance.server.core import CORE_SCHEMA, ensure_web
from conformance.server.csom.objects import Context, CsomFault
from conformance.server.wf.definitions import WorkflowDefinition, WorkflowDeploymentService
from conformance.server.wf.instances import WorkflowInstance, WorkflowInstanceService
from conformance.server.wf.manager import WorkflowServicesManager
from conformance.server.wf.schema import SCHEMA
from conformance.server.wf.subscriptions import WorkflowSubscription, WorkflowSubscriptionService

SITE_URL = "http://127.0.0.1:8080/sites/wf"
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
NS = 'xmlns="http://schemas.microsoft.com/netfx/2009/xaml/activities"'
XAML = f'<Activity {NS}><Sequence><WriteLine Text="working" /></Sequence></Activity>'
EMPTY_XAML = f"<Activity {NS}><Activity.Members /></Activity>"


@dataclass
class Site:
    database: dbmod.Database
    url: str = SITE_URL
    clock: dt.datetime = T0

    @contextmanager
    def request(self, url: str | None = None) -> Iterator[Context]:
        """One request: its own transaction, correlation id and a clock one minute later."""
        self.clock += dt.timedelta(minutes=1)
        with self.database.transaction() as conn:
            yield Context(conn, 1, url or self.url, str(uuid.uuid4()), self.clock)


def new_site() -> Site:
    database = dbmod.Database()
    conn = database._connection()
    conn.executescript(CORE_SCHEMA)
    conn.executescript(SCHEMA)
    with database.transaction() as tx:
        seed.directory(tx)
    return Site(database)


def manager(ctx: Context) -> WorkflowServicesManager:
    return WorkflowServicesManager(ctx, ensure_web(ctx))


class Services(NamedTuple):
    wsm: WorkflowServicesManager
    deployment: WorkflowDeploymentService
    subscriptions: WorkflowSubscriptionService
    instances: WorkflowInstanceService


def services(ctx: Context) -> Services:
    """The manager of the request's web and the services it hands out."""
    wsm = manager(ctx)
    return Services(
        wsm,
        wsm.GetWorkflowDeploymentService(ctx),
        wsm.GetWorkflowSubscriptionService(ctx),
        wsm.GetWorkflowInstanceService(ctx),
    )


def started_instance(ctx: Context) -> tuple[WorkflowSubscription, WorkflowInstanceService, WorkflowInstance]:
    """A list subscription of a published definition, the instance service, and an instance of
    the subscription started on item 1."""
    subscription = list_subscription(ctx, published_definition(ctx))
    instances = manager(ctx).GetWorkflowInstanceService(ctx)
    return (
        subscription,
        instances,
        instances.GetInstance(ctx, instances.StartWorkflowOnListItem(ctx, subscription, 1, {})),
    )


def tasks_list(ctx: Context):
    return ensure_web(ctx).Lists(ctx).GetByTitle(ctx, "Tasks")


def fault(kind: tuple[int, str], call, *args) -> CsomFault:
    """Call and return the CsomFault it raises, checking its kind."""
    try:
        call(*args)
    except CsomFault as raised:
        assert (raised.code, raised.type_name) == kind, raised.message
        return raised
    raise AssertionError(f"{getattr(call, '__name__', call)} raised no CsomFault")


def new_definition(ctx: Context, **fields) -> WorkflowDefinition:
    definition = WorkflowDefinition(ctx)
    definition.DisplayName = "Approval"
    definition.Xaml = XAML
    for name, value in fields.items():
        setattr(definition, name, value)
    return definition


def published_definition(ctx: Context, xaml: str = XAML, **fields) -> uuid.UUID:
    deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
    definition = WorkflowDefinition(ctx)
    definition.DisplayName = fields.pop("DisplayName", "Approval")
    definition.Xaml = xaml
    for name, value in fields.items():
        setattr(definition, name, value)
    definition_id = deployment.SaveDefinition(ctx, definition)
    deployment.PublishDefinition(ctx, definition_id)
    return definition_id


def list_subscription(
    ctx: Context, definition_id: uuid.UUID, name: str = "Approve tasks", **fields
) -> WorkflowSubscription:
    service = manager(ctx).GetWorkflowSubscriptionService(ctx)
    subscription = WorkflowSubscription(ctx)
    subscription.Name = name
    subscription.DefinitionId = definition_id
    subscription.EventTypes = ["WorkflowStart"]
    for key, value in fields.items():
        setattr(subscription, key, value)
    service.PublishSubscriptionForList(ctx, subscription, tasks_list(ctx).Id)
    return subscription
