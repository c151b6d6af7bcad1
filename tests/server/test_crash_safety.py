"""A server killed with SIGKILL while clients are writing loses no acknowledged write and leaves
no half-written task: restarted on the same database file, every task it acknowledged is there
with all its fields, and every request's tasks are there together or not at all."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import threading
import time

import httpx

from tests.server import serve
from tests.server.client import CsomClient, create_tasks, read_tasks, tasks_of

WRITERS = 4
ACKS_BEFORE_KILL = 40  # acknowledged tasks; the writers keep going until the kill


def _writer(url: str, number: int, acked: list[tuple[int, str]], died: list[int]) -> None:
    """Create pairs of tasks until the server goes away; record each acknowledged task."""
    with CsomClient(url, timeout=10) as client:
        client.digest()
        for n in range(10_000):
            request, queries = create_tasks([f"w{number}-{n}a", f"w{number}-{n}b"])
            try:
                response = client.ok(request)
            except httpx.TransportError:
                died.append(number)
                return
            acked.extend((response.results[q]["Id"], response.results[q]["Name"]) for q in queries)


def _check_whole(task: dict) -> None:
    """Every field of a task CreateTask wrote, including the edit URL its second statement sets."""
    assert task["Description"] == f"about {task['Name']}"
    assert task["DueDate"] == dt.datetime(2030, 1, 15)
    assert task["EditUrl"] == f"EditTask.aspx?taskId={task['Id']}"
    assert task["IsPersonal"] is True and task["LocationId"] == -1


def test_sigkill_mid_stream_loses_no_acknowledged_write(tmp_path):
    db = tmp_path / "state.sqlite"
    # a killed serve cannot remove its token file: keep it in tmp_path
    process, url = serve.start("--db", str(db), env={"TMPDIR": str(tmp_path)})
    acked: list[tuple[int, str]] = []
    died: list[int] = []
    writers = [threading.Thread(target=_writer, args=(url, n, acked, died)) for n in range(WRITERS)]
    try:
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 60
        while len(acked) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        serve.stop(process)
        for writer in writers:
            writer.join(timeout=30)
    assert len(acked) >= ACKS_BEFORE_KILL
    assert sorted(died) == list(range(WRITERS)), "every writer was still writing when the server died"

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    with serve.served("--db", str(db)) as again, CsomClient(again) as client:
        request, query = read_tasks()
        stored = {t["Id"]: t for t in tasks_of(client.ok(request), query)}
    for task_id, name in acked:
        assert stored[task_id]["Name"] == name
    written = {t["Name"]: t for t in stored.values() if t["Name"].startswith("w")}
    assert len(written) >= len(acked)  # plus any committed whose answer the kill cut off
    for name, task in written.items():
        _check_whole(task)
        partner = name[:-1] + ("b" if name.endswith("a") else "a")
        assert partner in written, f"{name} was stored without {partner}, written in the same request"
