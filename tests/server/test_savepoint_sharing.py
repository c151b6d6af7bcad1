"""Actions share a savepoint while nothing is written (engine.py, ``_action``): a failing action
that shares one still leaves none of its own writes, and the writes after it are kept when a later
action fails."""

from __future__ import annotations

from conformance.server.csom.objects import ARGUMENT
from conformance.wire import ObjectPathRef, RequestBuilder
from tests.server.test_action_atomicity import _create, _names, _session, client  # noqa: F401


def _write_then_fault(b: RequestBuilder, session: ObjectPathRef, name: str) -> int:
    """An action whose argument path creates a task (a write) and then faults: not an Int32."""
    created = b.method(session, "CreateTask", name, None, None, None, False, False, -1, None)
    return b.call(session, "ReorderTask", created, 0)


def test_shared_savepoints_undo_only_the_failing_actions_writes(client):  # noqa: F811
    b = RequestBuilder(jsom_style=False)
    session = _session(b)
    with b.exception_scope():  # nothing written yet: shares the request's savepoint
        _write_then_fault(b, session, "undone in a scope")
    with b.exception_scope():  # the rollback left nothing written: shares it again, and writes
        _create(b, session, "kept after a rollback")
    _write_then_fault(b, session, "undone at the top")  # takes its own savepoint, then faults
    response = client.run(b.build())
    assert response.header.error_info.error_code == ARGUMENT[0] and response.results == {}
    names = _names(client)
    assert "kept after a rollback" in names
    assert not {"undone in a scope", "undone at the top"} & names
