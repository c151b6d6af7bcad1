"""conformance/registry.py: the checks, the faults and the reference server's types are registered
by name, each name once; a second entry under a name is refused, not silently taken instead."""

from __future__ import annotations

import pytest

from conformance.faults import CATALOGUE
from conformance.faults.model import register as register_fault
from conformance.judge.checks import CHECKS, check
from conformance.registry import Registry
from conformance.server.core import Web
from conformance.server.csom.objects import REGISTRY as SERVER_TYPES
from conformance.server.csom.objects import ServerObject
from conformance.server.csom.objects import register as register_type


def test_a_name_registered_twice_is_refused() -> None:
    registry: Registry[int] = Registry("thing")
    assert registry.add("one", 1) == 1
    with pytest.raises(ValueError, match="thing 'one' is registered twice"):
        registry.add("one", 2)
    assert dict(registry) == {"one": 1}


def test_checks_faults_and_server_types_refuse_a_second_entry() -> None:
    equals = CHECKS["equals"]
    with pytest.raises(ValueError, match="check 'equals' is registered twice"):
        check("equals", "another check under a taken name")(lambda: None)
    assert CHECKS["equals"] is equals

    fault = CATALOGUE[0]
    with pytest.raises(ValueError, match=f"fault '{fault.name}' is registered twice"):
        register_fault(fault.name, fault.kind, fault.protocol, fault.section, "again")(lambda *_: None)

    with pytest.raises(ValueError, match=f"server type '{Web.type_name}' is registered twice"):
        register_type(Web.type_name, core=True)(type("AnotherWeb", (ServerObject,), {}))
    assert SERVER_TYPES[Web.type_name] is Web
