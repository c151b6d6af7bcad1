"""Interop runs shared by the tests: every JSOM build and PnPjs, each against its own embedded
reference server, run once per session (the drivers take a few seconds; the builds run at once)."""

from __future__ import annotations

import pytest

from conformance.interop.results import ClientRun
from conformance.interop.runner import BUILDS, InteropUnavailable, Setup, find_setup, run


@pytest.fixture(scope="session")
def interop_setup() -> Setup:
    try:
        return find_setup()
    except InteropUnavailable as exc:
        pytest.skip(f"interop cannot run here: {exc}")


@pytest.fixture(scope="session")
def jsom_runs(interop_setup) -> dict[str, ClientRun]:
    return {r.build: r for r in run(interop_setup, "jsom", BUILDS)}


@pytest.fixture(scope="session")
def pnp_run(interop_setup) -> ClientRun:
    (only,) = run(interop_setup, "pnp", (None,))
    return only


def explain(run: ClientRun, name: str) -> str:
    """What went wrong in scenario `name` of `run`: failed checks, client errors, the driver's error."""
    if run.error:
        return f"the driver could not run: {run.error}"
    scenario = next(s for s in run.scenarios if s.name == name)
    lines = [scenario.message]
    lines += [f"check {c.what!r}: expected {c.expected}, got {c.actual}" for c in scenario.failures]
    for step in scenario.steps:
        if step.client_error:
            lines.append(f"step {step.label!r}: client error {step.client_error}")
            lines += [f"  request {x.request[:2000]}\n  response {x.response[:2000]}" for x in step.exchanges]
    return "\n".join(lines)
