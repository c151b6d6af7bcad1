"""Which Host names the reference server answers (issue 19): the loopback names, the address it
listens on and the names it is given; any other is 400 before authentication or processing, so a
web page that rebinds its own DNS name to 127.0.0.1 cannot drive a developer's server."""

import httpx
import pytest

from conformance.cli import _exposure_warning
from conformance.server import ReferenceServer
from conformance.server.app import create_app
from conformance.wire import to_xml
from tests.server import serve
from tests.server.client import SITE, CsomClient, create_tasks, read_tasks, tasks_of

ENDPOINTS = {
    "contextinfo": ("POST", f"{SITE}/_api/contextinfo"),
    "processquery": ("POST", f"{SITE}/_vti_bin/client.svc/ProcessQuery"),
    "calendar": ("GET", "/api/Tasks/Calendar?from=2026-01-01&to=2026-01-02"),
}


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(allow_hosts=("dev.example", "*.lab.example")) as running:
        yield running


def answer(server, endpoint: str, host: str) -> httpx.Response:
    method, path = ENDPOINTS[endpoint]
    headers = {"Host": host, **server.auth_headers}
    return httpx.request(method, f"{server.url}{path}", headers=headers, content=b"<Request/>")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("host", ["rebind.attacker.example", "lab.example.evil", "127.0.0.1.nip.io", "[::2]"])
def test_a_host_not_allowed_is_400_on_every_endpoint(server, endpoint, host):
    refused = answer(server, endpoint, host)
    assert refused.status_code == 400 and refused.text == "Invalid host header"
    assert host not in refused.text


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:8080", "127.0.0.1", "[::1]:80", "dev.example", "a.lab.example"]
)
def test_loopback_names_the_bound_address_and_allowed_names_are_answered(server, host):
    assert answer(server, "contextinfo", host).status_code == 200


def test_a_rebinding_page_neither_gets_a_digest_nor_writes(server):
    with CsomClient(server.url, headers={"Host": "rebind.attacker.example"}) as attacker:
        assert attacker.contextinfo().status_code == 400
        assert (
            attacker.post(
                to_xml(create_tasks(["rebound"])[0]), digest="0x00,01 Jan 2026 00:00:00 -0000"
            ).status_code
            == 400
        )
    with CsomClient(server.url) as owner:
        request, query = read_tasks(keyword="rebound")
        assert tasks_of(owner.ok(request), query) == []


def test_a_bad_host_pattern_is_a_value_error():
    with pytest.raises(ValueError, match=r"'\*\.\*'"):
        create_app(allowed_hosts=("*.*",))


@pytest.mark.parametrize(
    ("host", "modes", "warns"),
    [("0.0.0.0", [], True), ("::", [], True), ("192.0.2.7", [], True), ("devbox", [], True),
     ("0.0.0.0", ["basic"], False), ("127.0.0.1", [], False), ("127.1.2.3", [], False), ("::1", [], False),
     ("localhost", [], False)],
)  # fmt: skip
def test_serve_warns_when_it_listens_beyond_loopback_without_credentials(host, modes, warns):
    warning = _exposure_warning(host, modes)
    assert (warning is not None) == warns
    assert warning is None or (host in warning and "without credentials" in warning)


def test_serve_allow_host_adds_a_name():
    with serve.served("--allow-host", "dev.example") as url:
        allowed = httpx.post(f"{url}/_api/contextinfo", headers={"Host": "dev.example:1234"})
        refused = httpx.post(f"{url}/_api/contextinfo", headers={"Host": "other.example"})
    assert allowed.status_code == 200 and allowed.json()["WebFullUrl"] == "http://dev.example:1234"
    assert refused.status_code == 400
