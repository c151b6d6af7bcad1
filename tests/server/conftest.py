import datetime as dt

import pytest

from conformance.server import ReferenceServer

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def server():
    with ReferenceServer() as running:
        with running.app.state.db.transaction() as conn:
            from conformance.server import seed

            seed.demo(conn, today=TODAY)
        yield running
