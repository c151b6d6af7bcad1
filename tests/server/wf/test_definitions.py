"""WorkflowDeploymentService and WorkflowDefinition: drafts, DraftVersion, publishing, collateral."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from conformance.server.core import ensure_web
from conformance.server.csom.objects import (
    ARGUMENT,
    ARGUMENT_NULL,
    INVALID_OPERATION,
    NOT_FOUND,
    SP_EXCEPTION,
)
from conformance.server.wf.definitions import WorkflowDefinition
from tests.server.wf.helpers import (
    XAML,
    fault,
    list_subscription,
    manager,
    new_definition,
    published_definition,
)


def test_a_new_definition_has_a_fresh_id_and_defaults(site):
    with site.request() as ctx:
        a, b = WorkflowDefinition(ctx), WorkflowDefinition(ctx)
        assert isinstance(a.Id, uuid.UUID) and a.Id != b.Id
        assert a.Published is False and a.DraftVersion is None and a.Properties == {}
        assert a.RequiresAssociationForm is False and a.DisplayName is None


def test_save_returns_the_id_and_issues_draft_versions(site):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        definition = new_definition(ctx, Id=uuid.UUID("3988dd69-2ffa-45b5-b3f0-5735d4150110"))
        definition.SetProperty(ctx, "isReusable", "true")
        saved_id = deployment.SaveDefinition(ctx, definition)
        assert saved_id == uuid.UUID("3988dd69-2ffa-45b5-b3f0-5735d4150110")  # as in example 4.3
        first_version = definition.DraftVersion
        assert first_version
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        stored = deployment.GetDefinition(ctx, saved_id)
        assert stored.DisplayName == "Approval" and stored.Xaml == XAML
        assert stored.Properties == {"isReusable": "true"}
        assert stored.DraftVersion == first_version and stored.Published is False
        stored.Description = "second draft"
        assert deployment.SaveDefinition(ctx, stored) == saved_id
        assert stored.DraftVersion not in (None, first_version)
        assert deployment.GetDefinition(ctx, saved_id).Description == "second draft"


def test_save_with_a_stale_draft_version_fails_and_changes_nothing(site):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        definition_id = deployment.SaveDefinition(ctx, new_definition(ctx))
        copy_a = deployment.GetDefinition(ctx, definition_id)
        copy_b = deployment.GetDefinition(ctx, definition_id)
        copy_a.DisplayName = "A"
        deployment.SaveDefinition(ctx, copy_a)
        copy_b.DisplayName = "B"
        error = fault(SP_EXCEPTION, deployment.SaveDefinition, ctx, copy_b)
        assert "DraftVersion" in error.message
        assert deployment.GetDefinition(ctx, definition_id).DisplayName == "A"
        # a new object claiming an existing Id without its DraftVersion is stale too
        fault(SP_EXCEPTION, deployment.SaveDefinition, ctx, new_definition(ctx, Id=definition_id))
        fresh = deployment.GetDefinition(ctx, definition_id)
        fresh.DisplayName = "C"
        deployment.SaveDefinition(ctx, fresh)
        assert deployment.GetDefinition(ctx, definition_id).DisplayName == "C"


def test_save_assigns_an_id_to_an_empty_one_and_generates_forms(site):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        definition = new_definition(
            ctx, Id=uuid.UUID(int=0), RequiresAssociationForm=True, RequiresInitiationForm=True
        )
        definition_id = deployment.SaveDefinition(ctx, definition)
        assert definition_id != uuid.UUID(int=0) and definition.Id == definition_id
        stored = deployment.GetDefinition(ctx, definition_id)
        assert stored.AssociationUrl == f"/sites/wf/wfsvc/{definition_id.hex}/WorkflowAssociationForm.aspx"
        assert stored.InitiationUrl == f"/sites/wf/wfsvc/{definition_id.hex}/WorkflowInitiationForm.aspx"
        kept = new_definition(ctx, RequiresAssociationForm=True, AssociationUrl="/custom.aspx")
        assert (
            deployment.GetDefinition(ctx, deployment.SaveDefinition(ctx, kept)).AssociationUrl
            == "/custom.aspx"
        )


def test_publish_deprecate_enumerate(site):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        draft_id = deployment.SaveDefinition(ctx, new_definition(ctx, DisplayName="Draft"))
        published_id = published_definition(ctx, DisplayName="Live")
        assert [d.Id for d in deployment.EnumerateDefinitions(ctx, False).items(ctx)] == [
            draft_id,
            published_id,
        ]
        assert [d.Id for d in deployment.EnumerateDefinitions(ctx, True).items(ctx)] == [published_id]
        assert deployment.GetDefinition(ctx, published_id).Published is True
        live = deployment.GetDefinition(ctx, published_id)
        deployment.SaveDefinition(ctx, live)  # a new draft of a published definition stays published
        assert deployment.GetDefinition(ctx, published_id).Published is True
        fault(INVALID_OPERATION, deployment.DeprecateDefinition, ctx, draft_id)
        deployment.DeprecateDefinition(ctx, published_id)
        deployment.PublishDefinition(ctx, published_id)  # republishing clears the deprecation
        collection = deployment.EnumerateDefinitions(ctx, False)
        collection.Sort(ctx)
        assert [d.DisplayName for d in collection.items(ctx)] == ["Draft", "Live"]


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"Xaml": "<Activity>"}, "well-formed"),
        ({"Xaml": None}, "empty"),
        ({"DisplayName": " "}, "DisplayName"),
    ],
)
def test_publish_needs_a_name_and_well_formed_xaml(site, fields, needle):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        definition_id = deployment.SaveDefinition(ctx, new_definition(ctx, **fields))
        assert needle in fault(INVALID_OPERATION, deployment.PublishDefinition, ctx, definition_id).message
        assert deployment.GetDefinition(ctx, definition_id).Published is False


def test_delete_refuses_while_subscribed(site):
    with site.request() as ctx:
        wsm = manager(ctx)
        deployment = wsm.GetWorkflowDeploymentService(ctx)
        definition_id = published_definition(ctx)
        subscription = list_subscription(ctx, definition_id)
        fault(INVALID_OPERATION, deployment.DeleteDefinition, ctx, definition_id)
        wsm.GetWorkflowSubscriptionService(ctx).DeleteSubscription(ctx, subscription.Id)
        deployment.SaveCollateral(ctx, definition_id, "form.aspx", b"<html/>")
        deployment.DeleteDefinition(ctx, definition_id)
        fault(NOT_FOUND, deployment.GetDefinition, ctx, definition_id)
        assert ctx.db.execute("SELECT COUNT(*) FROM wf_collateral").fetchone()[0] == 0


@pytest.mark.parametrize(
    "method", ["GetDefinition", "PublishDefinition", "DeleteDefinition", "DeprecateDefinition"]
)
def test_unknown_definition_ids_are_not_found(site, method):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        fault(NOT_FOUND, getattr(deployment, method), ctx, uuid.uuid4())


def test_definitions_are_scoped_to_their_web(site):
    with site.request() as ctx:
        definition_id = published_definition(ctx)
    with site.request("http://127.0.0.1:8080/sites/other") as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        fault(NOT_FOUND, deployment.GetDefinition, ctx, definition_id)
        assert deployment.EnumerateDefinitions(ctx, False).items(ctx) == []


def test_bad_arguments(site):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        fault(ARGUMENT_NULL, deployment.SaveDefinition, ctx, None)
        fault(ARGUMENT, deployment.SaveDefinition, ctx, "definition")
        fault(ARGUMENT, deployment.SaveDefinition, ctx, new_definition(ctx, RestrictToScope="not-a-guid"))
        fault(ARGUMENT, deployment.GetDefinition, ctx, "not-a-guid")
        fault(ARGUMENT_NULL, deployment.GetDefinition, ctx, None)
        fault(ARGUMENT, deployment.EnumerateDefinitions, ctx, "yes")
        fault(ARGUMENT, WorkflowDefinition(ctx).SetProperty, ctx, "", "v")
        fault(ARGUMENT_NULL, WorkflowDefinition(ctx).SetProperty, ctx, None, "v")


def test_collateral_files(site):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        definition_id = deployment.SaveDefinition(ctx, new_definition(ctx))
        deployment.SaveCollateral(ctx, definition_id, "Start.aspx", b"one")
        deployment.SaveCollateral(ctx, definition_id, "start.ASPX", "two")  # same file (case-insensitive)
        uri = deployment.GetCollateralUri(ctx, definition_id, "START.aspx")
        assert uri == f"/sites/wf/wfsvc/{definition_id.hex}/Start.aspx"
        content = ctx.db.execute("SELECT content FROM wf_collateral").fetchall()
        assert [bytes(r[0]) for r in content] == [b"two"]
        deployment.DeleteCollateral(ctx, definition_id, "Start.aspx")
        fault(NOT_FOUND, deployment.GetCollateralUri, ctx, definition_id, "Start.aspx")
        fault(NOT_FOUND, deployment.DeleteCollateral, ctx, definition_id, "Start.aspx")
        fault(NOT_FOUND, deployment.SaveCollateral, ctx, uuid.uuid4(), "a.aspx", b"x")
        fault(ARGUMENT, deployment.SaveCollateral, ctx, definition_id, "../a.aspx", b"x")
        fault(ARGUMENT, deployment.SaveCollateral, ctx, definition_id, "", b"x")
        fault(ARGUMENT_NULL, deployment.SaveCollateral, ctx, definition_id, "a.aspx", None)


def test_package_definition(site):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        definition_id = deployment.SaveDefinition(ctx, new_definition(ctx))
        assert (
            deployment.PackageDefinition(ctx, definition_id, "Approval", "T", "D")
            == "/sites/wf/SiteAssets/Approval.wsp"
        )
        assert deployment.PackageDefinition(ctx, definition_id, "a.WSP", None, None).endswith("/a.WSP")
        fault(NOT_FOUND, deployment.PackageDefinition, ctx, uuid.uuid4(), "x", "t", "d")
        fault(ARGUMENT, deployment.PackageDefinition, ctx, definition_id, "a/b", "t", "d")


def test_validate_activity(site):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        assert deployment.ValidateActivity(ctx, XAML) is None
        assert "well-formed" in deployment.ValidateActivity(ctx, "<Activity")
        assert "root element" in deployment.ValidateActivity(ctx, "<Sequence/>")
        assert deployment.ValidateActivity(ctx, "") == "the XAML is empty"
        fault(ARGUMENT_NULL, deployment.ValidateActivity, ctx, None)


def test_signatures_designer_actions_and_apps(site):
    with site.request() as ctx:
        deployment = manager(ctx).GetWorkflowDeploymentService(ctx)
        old = deployment.GetActivitySignatures(ctx, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        assert old and all(xml.startswith("<Activity") for xml in old.values())
        assert deployment.GetActivitySignatures(ctx, dt.datetime(2030, 1, 1, tzinfo=dt.UTC)) == {}
        assert deployment.GetActivitySignatures(ctx, dt.datetime(2000, 1, 1)) == old  # naive = UTC
        fault(ARGUMENT_NULL, deployment.GetActivitySignatures, ctx, None)
        assert deployment.GetDesignerActions(ctx, ensure_web(ctx)).startswith("<WorkflowInfo")
        fault(ARGUMENT_NULL, deployment.GetDesignerActions, ctx, None)
        assert deployment.IsIntegratedApp(ctx) is False
        assert deployment.EnumerateIntegratedApps(ctx) == []
