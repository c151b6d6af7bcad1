"""The directory every server starts with, and the optional demo data (--seed-data).

``demo`` fills the calendar and marks the database as a demo database (table ``demo``). The
other object models seed lazily, because their data hangs on things known only when a
request arrives: each user's Work Management data is created on the user's first request
(``wm.seed``) and each web's lists on the first request to its URL (``core.ensure_web``). In a
demo database those seeds add demo content: personal, pinned and tagged tasks, and workflow
definitions, subscriptions and instances on every web (``wf.demo``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

# id, login, display name; user 1 is the default (anonymous CSOM callers act as it)
USERS = ((1, "alice", "Alice Example"), (2, "bob", "Bob Example"), (3, "carol", "Carol Example"))
CALENDAR_ACCESS = ((1, 2),)  # alice may view bob's calendar, nobody else's


def directory(conn: sqlite3.Connection) -> None:
    conn.executemany("INSERT OR IGNORE INTO users (id, login, display_name) VALUES (?, ?, ?)", USERS)
    conn.executemany("INSERT OR IGNORE INTO calendar_access VALUES (?, ?)", CALENDAR_ACCESS)


def is_demo(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM demo").fetchone() is not None


def demo(conn: sqlite3.Connection, today: dt.date | None = None) -> None:
    """Mark the database as a demo and add a week of calendar data for alice and bob around
    `today`, only into an empty calendar."""
    today = today or dt.date.today()
    conn.execute("INSERT OR IGNORE INTO demo (id, seeded) VALUES (1, ?)", (today.isoformat(),))
    if conn.execute("SELECT 1 FROM calendar_items LIMIT 1").fetchone():
        return

    def at(days: int, hour: int = 9) -> str:
        return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour)).isoformat()

    conn.executemany(
        "INSERT INTO calendar_items (member_id, type, db_record_id, date, duration, description)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (1, 1, 100, at(0), 8, "Office closed"),
            (1, 2, 101, at(2), 4, "Half day leave"),
            (1, 3, 102, at(5, 13), 2.5, "Client visit"),
            (2, 2, 200, at(1), 8, "Annual leave"),
        ],
    )
    conn.executemany(
        "INSERT INTO calendar_tasks (member_id, title, description, file_id, style, start_date, duration,"
        " due_date, priority, sequence_no, file_number, venue) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (1, "File defence", "Step 1: draft", 5001, 0, at(-1), 0, at(1, 17), 2, 1, "F-5001", ""),
            (1, "Hearing", "Attend hearing", 5002, 1, at(3, 10), 1.5, at(3, 10), 4, 2, "F-5002", "Court 3"),
            (2, "Review contract", "Step 2: review", 5003, 0, at(0), 0, at(4, 12), 1, 2, "F-5003", ""),
        ],
    )


# how the calendar cases learn those members on a target other than the embedded server
# (cases/test_calendar.py): in the order of calendar_members()
CALENDAR_MEMBER_ENVS = (
    "CONFORMANCE_CALENDAR_MEMBER",
    "CONFORMANCE_CALENDAR_FORBIDDEN_MEMBER",
    "CONFORMANCE_CALENDAR_VIEWABLE_MEMBER",
)


def calendar_members() -> tuple[str, str | None, str | None]:
    """The default caller's member id, one whose calendar it may not view and another one's it may
    view (None where there is none), for the calendar cases against a reference server."""
    from conformance.server.auth import DEFAULT_USER

    others = [user for user, _, _ in USERS if user != DEFAULT_USER]
    hidden = [user for user in others if (DEFAULT_USER, user) not in CALENDAR_ACCESS]
    shown = [user for user in others if (DEFAULT_USER, user) in CALENDAR_ACCESS]
    return str(DEFAULT_USER), str(hidden[0]) if hidden else None, str(shown[0]) if shown else None


# a member whose calendar the second identity may not view, on a target other than the embedded
# server (cases/test_identities.py)
SECOND_FORBIDDEN_ENV = "CONFORMANCE_CALENDAR_SECOND_FORBIDDEN_MEMBER"


def second_forbidden_member() -> str | None:
    """The first identity's member id when the second identity (``auth.SECOND_USER``) may not view
    its calendar, as in the demo directory; else None."""
    from conformance.server.auth import DEFAULT_USER, SECOND_USER

    return None if (SECOND_USER, DEFAULT_USER) in CALENDAR_ACCESS else str(DEFAULT_USER)


def calendar_member_env() -> dict[str, str]:
    """calendar_members() as the cases' variables ("": none), for a run against a reference server."""
    return {env: member or "" for env, member in zip(CALENDAR_MEMBER_ENVS, calendar_members(), strict=True)}
