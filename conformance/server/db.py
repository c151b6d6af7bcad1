"""The reference server's state: one SQLite database (a file with --db, else a temporary one).

WAL journal and synchronous=FULL: a server killed mid-write loses no committed
transaction and never leaves half a row behind. Each request works in one transaction
(``Database.transaction``), one transaction at a time in this process (a lock), so no request
waits in SQLite's busy handler, which sleeps in steps of milliseconds. Requests run their work
through ``Database.run``: on the event loop's own thread when the database is free (a hand-off
to another thread costs more than a small request: ~30% of the throughput on 2 cores; a long
request keeps the loop busy, as its Python work would keep the GIL on another thread), else on
the database's own thread, which waits its turn: behind another thread's transaction (tests,
start-up), or for another process on the same file (``conformance cleanup``, a second server)
up to SQLite's 30 s timeout, while the event loop goes on serving. Connections are per thread
because SQLite connections must not be shared across threads while in use.
"""

from __future__ import annotations

import contextvars
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from conformance.server.worker import SerialWorker

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    token TEXT UNIQUE            -- bearer token, NULL: cannot authenticate with a token
);
CREATE TABLE IF NOT EXISTS calendar_access (  -- viewer may see member's calendar
    viewer_id INTEGER NOT NULL REFERENCES users(id),
    member_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (viewer_id, member_id)
);
CREATE TABLE IF NOT EXISTS calendar_tasks (
    id INTEGER PRIMARY KEY,      -- ItemID
    member_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    file_id INTEGER NOT NULL DEFAULT 0,
    style INTEGER NOT NULL DEFAULT 0 CHECK (style IN (0, 1)),
    start_date TEXT,             -- ISO-8601
    duration REAL NOT NULL DEFAULT 0,
    due_date TEXT NOT NULL,      -- ISO-8601; the calendar shows a task on its due date
    priority INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 4),
    last_action TEXT NOT NULL DEFAULT '',
    db_record_id INTEGER NOT NULL DEFAULT 0,
    activity_id INTEGER NOT NULL DEFAULT 0,
    has_remarks INTEGER NOT NULL DEFAULT 0,
    has_commenced INTEGER NOT NULL DEFAULT 0,
    sequence_no INTEGER NOT NULL DEFAULT 1 CHECK (sequence_no >= 1),
    member_flags INTEGER NOT NULL DEFAULT 0,
    is_recurring INTEGER NOT NULL DEFAULT 0,
    recurrence_size INTEGER NOT NULL DEFAULT 0,
    recurrence_value INTEGER NOT NULL DEFAULT 0,
    is_attendee INTEGER NOT NULL DEFAULT 0,
    is_optional INTEGER NOT NULL DEFAULT 0,
    file_number TEXT NOT NULL DEFAULT '',
    venue TEXT NOT NULL DEFAULT '',
    event_color TEXT NOT NULL DEFAULT '',
    delegation TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS calendar_items (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES users(id),
    type INTEGER NOT NULL CHECK (type IN (1, 2, 3)),
    db_record_id INTEGER NOT NULL DEFAULT 0,
    date TEXT NOT NULL,          -- ISO-8601
    duration REAL NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS demo (  -- one row: the database was seeded for a demo (--seed-data)
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seeded TEXT NOT NULL         -- the day the calendar demo is centred on, ISO-8601
);
CREATE INDEX IF NOT EXISTS calendar_tasks_due ON calendar_tasks (member_id, due_date);
CREATE INDEX IF NOT EXISTS calendar_items_date ON calendar_items (member_id, date);
"""

T = TypeVar("T")
WAIT_S = 30  # how long a transaction waits for another process's write lock
# False while Database.run tries its work on the event loop: a busy database raises Busy there
_WAIT: contextvars.ContextVar[bool] = contextvars.ContextVar("conformance_db_wait", default=True)


class Busy(Exception):
    """The database is in another transaction (of this process or another), and this one may not
    wait for it."""


class Database:
    def __init__(self, path: Path | None = None, extra_schemas: tuple[str, ...] = ()) -> None:
        if path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="conformance-db-")
            path = Path(self._tmp.name) / "reference.sqlite"
        self.path = path
        self._local = threading.local()
        # one transaction at a time in this process: a waiter blocks here, woken the moment the
        # lock is free. Re-entrant, so that a nested transaction fails as SQLite says instead of
        # hanging.
        self._lock = threading.RLock()
        self._worker = SerialWorker("conformance-db")
        # executescript manages its own transaction
        for schema in (SCHEMA, *extra_schemas):
            self._connection().executescript(schema)

    def _connection(self, timeout: float = WAIT_S) -> sqlite3.Connection:
        """This thread's connection that waits ``timeout`` seconds for another process's lock."""
        connections = self._local.__dict__.setdefault("connections", {})
        conn = connections.get(timeout)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            connections[timeout] = conn
        return conn

    async def run(self, work: Callable[..., T], *args: object, on_loop: bool = True) -> T:
        """``work(*args)``, which opens its transaction with ``transaction()``: here, on the event
        loop, when the database is free (and ``on_loop``: long work goes to the thread, so that
        the loop serves other clients meanwhile); else on the database's own thread, which waits
        its turn while the loop goes on serving. ``work`` may thus start twice: it must let
        ``Busy`` through and do nothing that matters before its transaction begins."""
        if not on_loop:
            return await self._worker.run(work, *args)
        attempt = _WAIT.set(False)
        try:
            return work(*args)
        except Busy:
            pass
        finally:
            _WAIT.reset(attempt)
        return await self._worker.run(work, *args)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any exception. Inside
        ``run``'s first attempt, ``Busy`` when another transaction holds the database."""
        wait = _WAIT.get()
        conn = self._connection(WAIT_S if wait else 0)
        if not self._lock.acquire(blocking=wait):
            raise Busy
        try:
            _begin(conn, wait)
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            self._lock.release()


def _begin(conn: sqlite3.Connection, wait: bool) -> None:
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if not wait and exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:  # another process writes
            raise Busy from None
        raise
