"""Every class type of specs/ms-wmcsom.json has a registered class with every property readable (with
a value of the spec's type), every method with the spec's parameters, and the CSOM constructor where
the spec has one; the IntEnums match the spec's enumerations."""

import datetime as dt
import inspect

import pytest

from conformance.server.csom.objects import (
    ARGUMENT_OUT_OF_RANGE,
    REGISTRY,
    CsomFault,
    ServerCollection,
    ServerObject,
)
from conformance.server.wm import common
from conformance.server.wm.sessions import BaseSession, SortableSessionManager, UserOrderedSessionManager
from conformance.server.wm.settings import UserSettingsManager
from conformance.spec.data import load_csom

SPEC = load_csom("ms-wmcsom")
CLASSES = [t for t in SPEC.types if t.kind == "class"]
ENUMS = {t.name: t for t in SPEC.types if t.kind == "enum"}
# types without a CSOM constructor that no call of the scenario produces: checked on an instance built
# directly (BaseSession is abstract; nothing in the spec returns the others, or no provider fails)
NOT_PRODUCED = {
    "BaseSession",
    "LocationDisplaySetting",
    "ProviderErrorInfo",
    "TaskQueryResult",
    "TaskQueryByLocationResult",
}


def test_spec_has_46_class_types_all_registered_and_nothing_else():
    assert len(CLASSES) == 46
    wm = {name for name in REGISTRY if name.startswith(common.NS)}
    assert wm == {t.name for t in CLASSES}


@pytest.mark.parametrize("enum", common.ENUMS, ids=lambda e: e.__name__)
def test_enums_match_the_spec(enum):
    spec = ENUMS[common.NS + enum.__name__]
    assert {v.name: v.value for v in spec.values} == {m.name.rstrip("_"): m.value for m in enum}


def test_every_spec_enum_has_an_intenum():
    assert set(ENUMS) == {common.NS + e.__name__ for e in common.ENUMS}


def _reachable(ctx, world) -> dict[str, ServerObject]:
    """Objects of each type, obtained by calling methods the way a client would."""
    usm = UserSettingsManager(ctx)
    uosm, ssm = UserOrderedSessionManager(ctx), SortableSessionManager(ctx)
    sessions = [uosm.CreateSession(ctx), uosm.CreateLocationOrientedSession(ctx)]
    sessions += [ssm.CreateSession(ctx), ssm.CreateLocationOrientedSession(ctx)]
    s = sessions[0]
    created = s.CreateTask(ctx, "Probe", "d", "1/15/2026", "2/28/2026", False, True, 2, None)
    task_id = created.Result.Id
    job = s.BeginCacheRefresh(ctx)
    later = world.at(60)
    roots: list[object] = [usm, uosm, ssm, *sessions, created, job]
    roots += [
        s.GetRefreshStatus(later, job.CurrentJobId),
        s.GetRefreshHistory(later, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
        s.GetRefreshHealthInfo(later), s.ReadAllNonTaskData(later), s.RefreshSingleTask(later, task_id),
        s.GetCalloutInfo(later, task_id), usm.GetExchangeSyncInfo(later), usm.GetUserSettings(later),
        usm.GetPersistedProperties(later), usm.GetAllLocations(later),
    ]  # fmt: skip
    found: dict[str, ServerObject] = {}
    todo = list(roots)
    while todo:
        obj = todo.pop()
        if not isinstance(obj, ServerObject) or obj.type_name in found:
            continue
        found[obj.type_name] = obj
        if isinstance(obj, ServerCollection):
            todo.extend(obj.items(later))
        todo.extend(v for k, v in vars(obj).items() if isinstance(v, ServerObject))
    return found


def _instances(ctx, world):
    found = _reachable(ctx, world)
    for t in CLASSES:
        short = t.name.removeprefix(common.NS)
        cls = REGISTRY[t.name]
        if t.name in found:
            assert short not in NOT_PRODUCED, f"{short} is produced by a method: update NOT_PRODUCED"
        elif t.constructor is not None:
            found[t.name] = cls(ctx)  # client-constructed (queries, filters, settings objects)
        else:
            assert short in NOT_PRODUCED, f"{short} not reached by any method call"
            found[t.name] = cls(ctx) if cls is BaseSession else cls()
    return found


def _check_value(type_name: str, value) -> None:
    if type_name == "CSOM Int32":
        assert isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
    elif type_name == "CSOM UInt32":
        assert isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32
    elif type_name == "CSOM Boolean":
        assert isinstance(value, bool)
    elif type_name == "CSOM String":
        assert value is None or isinstance(value, str)
    elif type_name == "CSOM DateTime":
        assert isinstance(value, dt.datetime)
    elif type_name.startswith("CSOM array of "):
        assert value is None or isinstance(value, list)
        for item in value or []:
            _check_value(type_name.removeprefix("CSOM array of "), item)
    elif type_name in ENUMS:
        assert value in {v.value for v in ENUMS[type_name].values} and not isinstance(value, bool)
    else:
        assert value is None or (isinstance(value, ServerObject) and value.type_name == type_name), value


def test_every_property_method_and_constructor(world, ctx):
    instances = _instances(ctx, world)
    for t in CLASSES:
        cls, obj = REGISTRY[t.name], instances[t.name]
        for prop in t.properties:
            assert hasattr(obj, prop.name), f"{t.name}.{prop.name}"
            _check_value(prop.type, getattr(obj, prop.name))
        for method in t.methods:
            bound = getattr(obj, method.name, None)
            assert callable(bound), f"{t.name}.{method.name}"
            params = list(inspect.signature(bound).parameters)
            assert params == ["ctx", *(p.name for p in method.parameters)], f"{t.name}.{method.name}"
        if t.constructor is not None:
            params = list(inspect.signature(cls).parameters)
            assert len(params) == 1 + len(t.constructor.parameters), t.name
            fresh = cls(ctx)
            for prop in t.properties:
                _check_value(prop.type, getattr(fresh, prop.name))


def test_collections_are_collections():
    for t in CLASSES:
        is_collection = t.name.endswith("ClientCollection")
        assert issubclass(REGISTRY[t.name], ServerCollection) == is_collection, t.name


def test_only_tasks_are_identifiable(world, ctx):
    task = _reachable(ctx, world)[common.NS + "Task"]
    assert task.identity_kind == "wmtask" and task.identity_key() == str(task.Id)
    assert type(task).from_identity(ctx, task.identity_key()).Name == task.Name
    assert type(task).from_identity(ctx, "999999") is None
    assert type(task).from_identity(ctx, "nonsense") is None


def test_every_enum_typed_property_rejects_values_outside_the_enum(world, ctx):
    instances = _instances(ctx, world)
    checked = 0
    for t in CLASSES:
        for prop in t.properties:
            if prop.type in ENUMS:
                obj = instances[t.name]
                for bad in (999, -1, None, True, "1"):
                    with pytest.raises(CsomFault) as fault:
                        setattr(obj, prop.name, bad)
                    assert (fault.value.code, fault.value.type_name) == ARGUMENT_OUT_OF_RANGE
                top = max(v.value for v in ENUMS[prop.type].values)
                setattr(obj, prop.name, top)
                assert getattr(obj, prop.name) == top
                checked += 1
    assert checked == 13
