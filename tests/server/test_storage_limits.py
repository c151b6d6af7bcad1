"""Bounded state growth from anonymous requests (issue 19): a request path over MAX_PATH is 414, and
no more than MAX_WEBS webs are created for the site URLs clients name (50 requests to
60,000-character site URLs grew the database 18 MB before)."""

import datetime as dt

import httpx
import pytest

from conformance.server import ReferenceServer
from conformance.server.app import MAX_PATH
from conformance.server.core import MAX_WEBS, _create_web
from conformance.wire import RequestBuilder
from tests.server.client import CsomClient, query_web_and_tasks_list

SP_EXCEPTION = -2146232832


def webs(server) -> int:
    with server.app.state.db.transaction() as conn:
        return conn.execute("SELECT COUNT(*) FROM sp_webs").fetchone()[0]


@pytest.mark.parametrize("endpoint", ["_api/contextinfo", "_vti_bin/client.svc/ProcessQuery"])
def test_a_path_over_the_limit_is_414_and_stores_nothing(endpoint):
    with ReferenceServer() as server:
        before = webs(server)
        site = "/sites/" + "x" * 60_000
        answer = httpx.post(f"{server.url}{site}/{endpoint}", content=b"<Request/>")
        assert answer.status_code == 414 and str(MAX_PATH) in answer.text
        assert webs(server) == before


def test_no_more_webs_than_the_limit_are_created_and_the_existing_ones_serve():
    with ReferenceServer() as server, CsomClient(server.url, site="/sites/kept") as kept:
        b = RequestBuilder()
        query_web_and_tasks_list(b)  # a web is created on first use
        request = b.build()
        kept.ok(request)
        existing = webs(server)
        with server.app.state.db.transaction() as conn:  # the other sites, as many as allowed
            for n in range(existing, MAX_WEBS):
                _create_web(conn, f"{server.url}/sites/filler{n}", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        with CsomClient(server.url, site="/sites/one-too-many") as late:
            info = late.run(request).header.error_info
        assert (
            info is not None
            and info.error_code == SP_EXCEPTION
            and f"at most {MAX_WEBS}" in info.error_message
        )
        assert webs(server) == MAX_WEBS
        assert kept.ok(request).header.error_info is None
