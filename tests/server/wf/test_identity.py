"""Identities of definitions, subscriptions and instances, and the spec examples' identity strings."""

from __future__ import annotations

import uuid

from conformance.server.core import ensure_web
from conformance.server.csom.objects import IDENTITY_PREFIX
from conformance.server.wf.definitions import WorkflowDefinition
from conformance.server.wf.identity import resolve_spec_identity
from conformance.server.wf.instances import WorkflowInstance
from conformance.server.wf.manager import WorkflowServicesManager
from conformance.server.wf.subscriptions import WorkflowSubscription
from tests.server.wf.helpers import list_subscription, manager, published_definition


def split(identity: str) -> tuple[str, str]:
    prefix, kind, key = identity.split(":", 2)
    assert prefix == IDENTITY_PREFIX
    return kind, key


def test_stored_objects_round_trip(site):
    with site.request() as ctx:
        wsm = manager(ctx)
        definition_id = published_definition(ctx)
        subscription = list_subscription(ctx, definition_id)
        instance_id = wsm.GetWorkflowInstanceService(ctx).StartWorkflowOnListItem(ctx, subscription, 1, {})
        objects = [
            wsm.GetWorkflowDeploymentService(ctx).GetDefinition(ctx, definition_id),
            wsm.GetWorkflowSubscriptionService(ctx).GetSubscription(ctx, subscription.Id),
            wsm.GetWorkflowInstanceService(ctx).GetInstance(ctx, instance_id),
        ]
        identities = [o.identity() for o in objects]
    with site.request() as ctx:
        web_id = ensure_web(ctx).Id
        for obj, identity, kind in zip(objects, identities, ("wfdef", "wfsub", "wfinst"), strict=True):
            got_kind, key = split(identity)
            assert got_kind == kind == type(obj).identity_kind
            assert key == f"{web_id}:{obj.Id}"
            again = type(obj).from_identity(ctx, key)
            assert type(again) is type(obj) and again.Id == obj.Id
        assert WorkflowDefinition.from_identity(ctx, split(identities[0])[1]).Published is True


def test_unsaved_objects_resolve_to_blank_records_and_instances_to_none(site):
    with site.request() as ctx:
        web_id = ensure_web(ctx).Id
        new_subscription = WorkflowSubscription(ctx)
        kind, key = split(new_subscription.identity())
        assert (kind, key) == ("wfsub", f"{web_id}:{uuid.UUID(int=0)}")
        blank = WorkflowSubscription.from_identity(ctx, key)
        assert blank.Id == uuid.UUID(int=0) and blank.Name is None
        new_definition = WorkflowDefinition(ctx)
        again = WorkflowDefinition.from_identity(ctx, split(new_definition.identity())[1])
        assert again.Id == new_definition.Id and again.DraftVersion is None
        assert WorkflowInstance.from_identity(ctx, f"{web_id}:{uuid.uuid4()}") is None
        for cls in (WorkflowDefinition, WorkflowSubscription, WorkflowInstance):
            assert cls.from_identity(ctx, f"{uuid.uuid4()}:{uuid.uuid4()}") is None  # unknown web
            assert cls.from_identity(ctx, "garbage") is None
            assert cls.from_identity(ctx, f"{web_id}:garbage") is None


def test_services_and_manager_have_no_identity(site):
    with site.request() as ctx:
        wsm = WorkflowServicesManager.static_Current(ctx)
        assert wsm.identity() is None
        for getter in (
            "GetWorkflowDeploymentService",
            "GetWorkflowInstanceService",
            "GetWorkflowSubscriptionService",
        ):
            assert getattr(wsm, getter)(ctx).identity() is None


def test_example_identity_strings_resolve(site):
    """4.1 publishes ``50e607f0-...:00000000-...`` (a new subscription); 4.3 saves
    ``98b53367-...:<id>`` (a definition); 4.4 starts on ``50e607f0-...:<subscription id>``."""
    with site.request() as ctx:
        matched, blank = resolve_spec_identity(
            ctx, "50e607f0-ceab-4a8c-90c5-81e2f2ba78d9:00000000-0000-0000-0000-000000000000"
        )
        assert matched and isinstance(blank, WorkflowSubscription) and blank.Id == uuid.UUID(int=0)
        matched, definition = resolve_spec_identity(
            ctx, "98b53367-9eab-45ad-ae5a-6e041f4b3be8:8290b9e3-2772-45fb-8bee-e502ed37cef3"
        )
        assert matched and isinstance(definition, WorkflowDefinition)
        assert definition.Id == uuid.UUID("8290b9e3-2772-45fb-8bee-e502ed37cef3")
        subscription = list_subscription(ctx, published_definition(ctx))
        matched, stored = resolve_spec_identity(
            ctx, f"50e607f0-ceab-4a8c-90c5-81e2f2ba78d9:{subscription.Id}"
        )
        assert matched and stored.Name == subscription.Name
        assert resolve_spec_identity(ctx, "50e607f0-ceab-4a8c-90c5-81e2f2ba78d9:nope") == (True, None)
        assert resolve_spec_identity(ctx, f"{IDENTITY_PREFIX}:web:{ensure_web(ctx).Id}") == (False, None)
