"""The reference server's state: one SQLite database (a file with --db, else a temporary one).

WAL journal and synchronous=FULL: a server killed mid-write loses no committed
transaction and never leaves half a row behind. Each request works in one transaction
(``Database.transaction``); connections are per thread because SQLite connections must
not be shared across threads while in use.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


class Database:
    def __init__(self, path: Path | None = None, extra_schemas: tuple[str, ...] = ()) -> None:
        if path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="conformance-db-")
            path = Path(self._tmp.name) / "reference.sqlite"
        self.path = path
        self._local = threading.local()
        # executescript manages its own transaction
        for schema in (SCHEMA, *extra_schemas):
            self._connection().executescript(schema)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any exception."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
