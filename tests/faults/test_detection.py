"""Every fault of the catalogue is detected by the cases, at the section it breaks; no benign variation
fails a MUST case; and every registered check fails somewhere (issue: prove every check can fail).
One quick run of the cases per entry, shared by the tests of this module."""

from __future__ import annotations

from functools import cache

import pytest

from conformance.faults import CATALOGUE
from conformance.judge.checks import CHECKS
from conformance.selftest import Detection, detect
from tests.cases.faults import FAULTS as BROKEN_SERVERS


@cache
def _detected(name: str) -> Detection:
    """The entry's run, once per process: the last test reads the runs of the first."""
    return detect(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [entry.name for entry in CATALOGUE])
def test_fault_is_detected_or_variation_tolerated(name: str) -> None:
    detection = _detected(name)
    if detection.benign:
        assert not detection.must_failures, f"benign {name} failed MUST cases: {detection.must_failures}"
    else:
        assert detection.failing, f"no case failed under {name}"
        assert detection.named_by, (
            f"{name} breaks {detection.sections}, but the failing cases name other sections: "
            f"{[(f.case, f.section) for f in detection.failing[:10]]}"
        )


@pytest.mark.slow
@pytest.mark.parametrize("name", [entry.name for entry in CATALOGUE])
def test_the_default_gate_fails_every_fault_and_passes_every_variation(name: str) -> None:
    """A server that breaks what the spec describes fails the release gate (the default, semantic), not
    only one that breaks a MUST; a benign variation passes it; and no fault makes the suite itself
    err (a broken answer is the target's failure, with evidence, never the suite's crash)."""
    detection = _detected(name)
    assert detection.exit_code == (0 if detection.benign else 1), (detection.exit_code, detection.failing[:5])
    assert detection.suite_errors == (), f"{name} made the suite err: {detection.suite_errors[:5]}"


@pytest.mark.slow
def test_every_check_fails_somewhere() -> None:
    """A check that never fails proves nothing: each registered check fails a case under some fault
    of the catalogue (the runs above), or is a check a broken server of tests/cases must fail
    (tests/cases/test_calendar_transport.py asserts those)."""
    by_faults = {
        check for entry in CATALOGUE if not entry.benign for check in _detected(entry.name).failed_checks
    }  # fmt: skip
    by_broken_servers = {expect.check for broken in BROKEN_SERVERS.values() for expect in broken.expect}
    never = sorted(set(CHECKS) - by_faults - by_broken_servers)
    assert not never, f"checks no fault and no broken server makes fail: {never}"


@pytest.mark.slow
def test_a_read_that_loses_a_task_is_blamed_on_readtasks_not_createtask() -> None:
    """The task lifecycle reads a task missing from the read of all its tasks again, alone: found so,
    the read is at fault (lifecycle-every-task), not CreateTask's MUST; a create that writes nothing
    still fails that MUST (the runs above)."""
    lost, unwritten = (
        {f.case for f in _detected(name).failing} for name in ("paging-skips", "write-ignored-create")
    )
    present = "ms-wmcsom/SP.WorkManagement.OM.UserOrderedSession.CreateTask/lifecycle-present"
    assert "ms-wmcsom/SP.WorkManagement.OM.UserOrderedSession.ReadTasks/lifecycle-every-task" in lost
    assert present not in lost and present in unwritten
