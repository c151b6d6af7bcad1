"""Where database work runs (``Database.run``): on the event loop when the database is free, else
on the database's own thread (``SerialWorker``), which waits for other threads' transactions (the
lock) and for a write lock held by another process (SQLite's timeout) while the server keeps
answering."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from conformance.server import ReferenceServer
from conformance.server.db import Database
from conformance.server.worker import SerialWorker
from tests.server.client import CsomClient, create_tasks, read_tasks, tasks_of

THREADS = 8
REQUESTS = 5  # write requests per thread
HOLD_S = 1.5  # how long the other process keeps the write lock


def test_jobs_run_in_order_on_one_thread_and_exceptions_reach_the_caller():
    worker = SerialWorker("test-worker")
    ran: list[tuple[int, int]] = []

    def job(number: int) -> int:
        ran.append((number, threading.get_ident()))
        if number == 3:
            raise ValueError("job 3 fails")
        return number * 10

    async def submit_all() -> list[object]:
        return await asyncio.gather(*(worker.run(job, n) for n in range(6)), return_exceptions=True)

    results = asyncio.run(submit_all())
    assert results[:3] == [0, 10, 20] and results[4:] == [40, 50]
    assert isinstance(results[3], ValueError) and str(results[3]) == "job 3 fails"
    assert [number for number, _ in ran] == list(range(6))
    threads = {ident for _, ident in ran}
    assert len(threads) == 1 and threads != {threading.get_ident()}


def test_the_thread_ends_with_its_worker():
    worker = SerialWorker("test-worker-gone")
    ident = asyncio.run(worker.run(threading.get_ident))
    (thread,) = [t for t in threading.enumerate() if t.ident == ident]
    del worker
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive()


def _thread_in_transaction(db: Database) -> int:
    with db.transaction():
        return threading.get_ident()


def test_work_runs_on_the_loop_when_the_database_is_free_else_waits_on_its_thread():
    db = Database()
    here = threading.get_ident()
    assert asyncio.run(db.run(_thread_in_transaction, db)) == here
    entered, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with db.transaction():
            entered.set()
            leave.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(5)

    async def run_while_held() -> int:
        work = asyncio.ensure_future(db.run(_thread_in_transaction, db))
        await asyncio.sleep(0.2)
        assert not work.done()  # waiting for the other thread's transaction, off the loop
        leave.set()
        return await work

    elsewhere = asyncio.run(run_while_held())
    holder.join(5)
    assert elsewhere not in (here, holder.ident)


def _write_and_read(url: str, number: int) -> set[str]:
    tag = f"thread{number}"
    names: set[str] = set()
    with CsomClient(url) as client:
        for r in range(REQUESTS):
            request, _ = create_tasks([f"{tag} task {r}"])
            client.ok(request)
            names.add(f"{tag} task {r}")
        request, query = read_tasks(keyword=tag)
        assert {t["Name"] for t in tasks_of(client.ok(request), query)} == names
    return names


def test_requests_and_transactions_of_other_threads_all_commit():
    """Threads write through HTTP while the test's own thread writes straight into the database:
    every write lands, none fails with "database is locked"."""
    with ReferenceServer() as server:
        db = server.app.state.db
        with ThreadPoolExecutor(THREADS) as pool:
            runs = [pool.submit(_write_and_read, server.url, n) for n in range(THREADS)]
            direct = 0
            while not all(run.done() for run in runs):
                with db.transaction() as conn:
                    conn.execute(
                        "INSERT INTO calendar_items (member_id, type, date) VALUES (1, 1, '2030-01-01')"
                    )
                direct += 1
            written = set().union(*(run.result() for run in runs))
        with db.transaction() as conn:
            rows = conn.execute("SELECT COUNT(*) FROM calendar_items WHERE date = '2030-01-01'").fetchone()[0]
        assert rows == direct > 0
        with CsomClient(server.url) as client:
            request, query = read_tasks(keyword="thread")
            assert {t["Name"] for t in tasks_of(client.ok(request), query)} == written
        assert len(written) == THREADS * REQUESTS


HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def test_a_write_lock_of_another_process_is_waited_for_while_the_server_answers(tmp_path):
    with ReferenceServer(tmp_path / "shared.sqlite") as server, CsomClient(server.url) as client:
        client.digest()
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(tmp_path / "shared.sqlite"), str(HOLD_S)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        locked_at = time.monotonic()
        request, (query,) = create_tasks(["written after the other process"])
        with ThreadPoolExecutor(1) as pool:
            write = pool.submit(client.ok, request)
            # the event loop is not stuck behind the waiting transaction
            with CsomClient(server.url) as other:
                assert other.contextinfo().status_code == 200
            assert time.monotonic() - locked_at < HOLD_S and not write.done()
            task = write.result(timeout=30).results[query]
        assert time.monotonic() - locked_at >= HOLD_S * 0.9
        assert holder.wait(timeout=10) == 0
        assert task["Name"] == "written after the other process"
