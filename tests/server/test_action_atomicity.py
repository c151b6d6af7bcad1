"""What a fault does to the writes of one ProcessQuery (README, "The reference server"):

- every action is all-or-nothing: a failing action leaves none of its own writes behind;
- the actions that completed before an unhandled fault stay committed, the actions after it
  never run, and the answer is the ErrorInfo with no result pairs;
- inside an ExceptionHandlingScope the fault is caught, the failed action undone, and
  processing goes on;
- an unexpected failure (here: the database refusing a write) rolls the whole request back.
"""

from __future__ import annotations

import sqlite3

import pytest

from conformance.server import ReferenceServer
from conformance.server.csom.objects import ARGUMENT
from conformance.wire import ObjectPathRef, RequestBuilder, scope_error
from tests.server.client import CsomClient, read_tasks, tasks_of, wm_type_id

MISSING_TASK = 987_654


@pytest.fixture(scope="module")
def client():
    with ReferenceServer() as server, CsomClient(server.url) as running:
        yield running


def _session(b: RequestBuilder) -> ObjectPathRef:
    return b.method(b.construct(wm_type_id("UserOrderedSessionManager")), "CreateSession")


def _create(b: RequestBuilder, session: ObjectPathRef, name: str) -> int:
    return b.call(session, "CreateTask", name, None, None, None, False, False, -1, None)


def _names(client: CsomClient) -> set[str]:
    request, query = read_tasks()
    return {t["Name"] for t in tasks_of(client.ok(request), query)}


def test_writes_before_a_fault_stay_and_actions_after_it_never_run(client):
    b = RequestBuilder(jsom_style=False)
    session = _session(b)
    _create(b, session, "kept before the fault")
    b.call(session, "ReorderTask", MISSING_TASK, 0)  # faults: no such task
    _create(b, session, "never created")
    response = client.run(b.build())
    assert response.header.error_info.error_code == ARGUMENT[0] and response.results == {}
    names = _names(client)
    assert "kept before the fault" in names and "never created" not in names


def test_a_failing_action_leaves_none_of_its_own_writes(client):
    b = RequestBuilder(jsom_style=False)
    session = _session(b)
    # the taskKey argument is an object path that creates a task: evaluating it writes, then the
    # argument turns out not to be an Int32 and the action faults
    created_inside = b.method(session, "CreateTask", "written by a failed action", None, None, None,
                              False, False, -1, None)  # fmt: skip
    b.call(session, "ReorderTask", created_inside, 0)
    response = client.run(b.build())
    assert response.header.error_info.error_code == ARGUMENT[0]
    assert "written by a failed action" not in _names(client)


def test_an_exception_scope_catches_the_fault_and_processing_goes_on(client):
    b = RequestBuilder(jsom_style=False)
    session = _session(b)
    with b.exception_scope() as scope:
        _create(b, session, "in the scope")
        b.call(session, "ReorderTask", MISSING_TASK, 0)
    _create(b, session, "after the scope")
    response = client.ok(b.build())
    assert scope_error(response.results[scope]).error_code == ARGUMENT[0]
    assert {"in the scope", "after the scope"} <= _names(client)


def test_an_unexpected_failure_rolls_the_whole_request_back(tmp_path):
    db = tmp_path / "state.sqlite"
    with ReferenceServer(db) as server, CsomClient(server.url) as client:
        _names(client)  # the user's data exists before the database starts refusing writes
        with sqlite3.connect(db) as conn:  # a real database failure, not a stand-in for one
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON wm_tasks WHEN NEW.name = 'refused'"
                " BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
            )
        b = RequestBuilder(jsom_style=False)
        session = _session(b)
        _create(b, session, "accepted first")
        _create(b, session, "refused")
        response = client.run(b.build())
        info = response.header.error_info
        assert info.error_type_name == "Microsoft.SharePoint.SPException" and response.results == {}
        assert "rolled back" in info.error_message and "disk" not in info.error_message
        assert "accepted first" not in _names(client)
