"""Every type, property, method and constructor of specs/ms-spwfcsom.json exists on the server side."""

from __future__ import annotations

import datetime as dt
import inspect
import uuid

import pytest

from conformance.server.core import ensure_web
from conformance.server.csom.objects import REGISTRY, ServerCollection, ServerObject
from conformance.server.wf.store import WorkflowServiceHealthStatus, WorkflowStatus
from conformance.spec.data import load_csom
from tests.server.wf.helpers import list_subscription, published_definition, services, tasks_list

SPEC = load_csom("ms-spwfcsom")
CLASSES = [t for t in SPEC.types if t.kind == "class"]
ENUMS = {t.name: t for t in SPEC.types if t.kind == "enum"}
NS = SPEC.namespace


def test_every_class_is_registered():
    missing = [t.name for t in CLASSES if t.name not in REGISTRY]
    assert missing == []
    for t in CLASSES:
        cls = REGISTRY[t.name]
        assert not cls.core and cls.type_name == t.name
        assert issubclass(cls, ServerCollection) == t.name.endswith("Collection")


@pytest.mark.parametrize(
    ("enum", "python"),
    [("WorkflowStatus", WorkflowStatus), ("WorkflowServiceHealthStatus", WorkflowServiceHealthStatus)],
)
def test_enumerations_match_the_spec(enum, python):
    assert {v.name: v.value for v in ENUMS[NS + enum].values} == {m.name: m.value for m in python}


@pytest.mark.parametrize("spec_type", CLASSES, ids=lambda t: t.name.rsplit(".", 1)[-1])
def test_methods_have_the_spec_parameters(spec_type):
    cls = REGISTRY[spec_type.name]
    for method in spec_type.methods:
        target = getattr(cls, method.name, None)
        assert callable(target), f"{spec_type.name}.{method.name} is missing"
        params = list(inspect.signature(target).parameters)
        assert params[:2] == ["self", "ctx"], method.name
        assert params[2:] == [p.name for p in method.parameters], method.name


@pytest.mark.parametrize(
    "spec_type", [t for t in CLASSES if t.constructor], ids=lambda t: t.name.rsplit(".", 1)[-1]
)
def test_constructors_take_the_spec_parameters(spec_type):
    params = list(inspect.signature(REGISTRY[spec_type.name].__init__).parameters)
    assert params == ["self", "ctx", *(p.name for p in spec_type.constructor.parameters)]


def _instances(ctx) -> dict[str, ServerObject]:
    """One object of every spec class, from a populated site."""
    wsm, deployment, subscriptions, instances = services(ctx)
    definition_id = published_definition(ctx)
    subscription = list_subscription(ctx, definition_id)
    instance_id = instances.StartWorkflowOnListItem(ctx, subscription, 1, {"Reason": "test"})
    found = {
        "WorkflowServicesManager": wsm,
        "WorkflowDeploymentService": deployment,
        "WorkflowSubscriptionService": subscriptions,
        "WorkflowInstanceService": instances,
        "InteropService": wsm.GetWorkflowInteropService(ctx),
        "WorkflowDefinition": deployment.GetDefinition(ctx, definition_id),
        "WorkflowDefinitionCollection": deployment.EnumerateDefinitions(ctx, False),
        "WorkflowSubscription": subscriptions.GetSubscription(ctx, subscription.Id),
        "WorkflowSubscriptionCollection": subscriptions.EnumerateSubscriptions(ctx),
        "WorkflowInstance": instances.GetInstance(ctx, instance_id),
        "WorkflowInstanceCollection": instances.EnumerateInstancesForListItem(ctx, tasks_list(ctx).Id, 1),
    }
    return {NS + k: v for k, v in found.items()}


def _check_value(spec_type: str, value, where: str) -> None:
    if spec_type.startswith("CSOM array of "):
        assert value is None or isinstance(value, list), where
        for item in value or []:
            _check_value(spec_type.removeprefix("CSOM array of "), item, where)
        return
    expected = {
        "CSOM String": (str, type(None)),
        "CSOM Boolean": bool,
        "CSOM GUID": uuid.UUID,
        "CSOM dictionary": dict,
        "CSOM DateTime": dt.datetime,
        "CSOM Int32": int,
    }
    if spec_type in expected:
        assert isinstance(value, expected[spec_type]), f"{where}: {value!r} is not a {spec_type}"
        if isinstance(value, dt.datetime):
            assert value.tzinfo is not None, where
    elif spec_type in ENUMS:
        assert isinstance(value, int) and value in {v.value for v in ENUMS[spec_type].values}, where
        assert type(value) is int, f"{where}: enums are plain ints for the wire"
    else:
        assert isinstance(value, REGISTRY[spec_type]), where


def test_every_property_is_readable_with_its_spec_type(site):
    with site.request() as ctx:
        objects = _instances(ctx)
        assert set(objects) == {t.name for t in CLASSES}
        for t in CLASSES:
            obj = objects[t.name]
            assert isinstance(obj, REGISTRY[t.name])
            for prop in t.properties:
                _check_value(prop.type, getattr(obj, prop.name), f"{t.name}.{prop.name}")
            if isinstance(obj, ServerCollection):
                assert obj.items(ctx), f"{t.name} is empty in the populated site"


def test_read_write_properties_are_settable(site):
    with site.request() as ctx:
        objects = _instances(ctx)
        for t in CLASSES:
            obj = objects[t.name]
            for prop in t.properties:
                if prop.access == "read-write":
                    value = getattr(obj, prop.name)
                    setattr(obj, prop.name, value)  # a setter may persist; it must accept the current value
                    assert getattr(obj, prop.name) == value


@pytest.mark.parametrize(
    "name",
    ["WorkflowServicesManager", "InteropService", "WorkflowInstanceService", "WorkflowSubscriptionService"],
)
def test_current_exists_as_instance_and_static_property(site, name):
    cls = REGISTRY[NS + name]
    with site.request() as ctx:
        static = cls.static_Current(ctx)
        assert isinstance(static, cls)
        assert isinstance(static.Current, cls)


def test_spec_constructors_run(site):
    with site.request() as ctx:
        for t in CLASSES:
            if t.constructor is None:
                continue
            args = [ensure_web(ctx) if p.type.endswith(".Web") else None for p in t.constructor.parameters]
            assert isinstance(REGISTRY[t.name](ctx, *args), REGISTRY[t.name])
