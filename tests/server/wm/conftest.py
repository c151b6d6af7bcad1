"""Fixtures: the Work Management model over a fresh Database, called directly (no HTTP)."""

import datetime as dt
import uuid

import pytest

from conformance.server import seed
from conformance.server.csom.objects import Context
from conformance.server.db import Database
from conformance.server.wm import SCHEMA
from conformance.server.wm.sessions import SortableSessionManager, UserOrderedSessionManager
from conformance.server.wm.settings import UserSettingsManager

NOW = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)


class World:
    """A database plus a context per user; ``at`` moves the clock."""

    def __init__(self) -> None:
        self.database = Database()
        conn = self.database._connection()
        conn.executescript(SCHEMA)
        seed.directory(conn)
        self.conn = conn
        self.now = NOW

    def ctx(self, user_id: int = 1) -> Context:
        return Context(
            db=self.conn, user_id=user_id, web_url="http://127.0.0.1:8080/sites/probe",
            correlation_id=str(uuid.uuid4()), now=self.now,
        )  # fmt: skip

    def at(self, seconds: float) -> Context:
        self.now = NOW + dt.timedelta(seconds=seconds)
        return self.ctx()


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def ctx(world: World) -> Context:
    return world.ctx()


@pytest.fixture
def session(ctx):
    return UserOrderedSessionManager(ctx).CreateSession(ctx)


@pytest.fixture
def loc_session(ctx):
    return UserOrderedSessionManager(ctx).CreateLocationOrientedSession(ctx)


@pytest.fixture
def sortable(ctx):
    return SortableSessionManager(ctx).CreateSession(ctx)


@pytest.fixture
def usm(ctx):
    return UserSettingsManager(ctx)
