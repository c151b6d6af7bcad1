"""Authentication modes (conformance.server.auth): bearer, HTTP Basic and FedAuth cookie, through
``ReferenceServer`` arguments and the ``serve`` options that read secrets from the environment.
Good credentials work and name their user; bad or missing ones are HTTP 401 on every endpoint,
with a challenge and without the secret."""

from __future__ import annotations

import base64

import httpx
import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.server import ReferenceServer
from conformance.server.app import create_app
from conformance.wire import to_xml
from tests.server import serve
from tests.server.client import CsomClient, create_tasks, read_tasks, tasks_of

PASSWORDS = {"alice": "alice-Pa55:word", "bob": "bob-pa55word"}  # a colon inside a password is legal
COOKIES = {"carol": "77u/PD94bWwgdmVyc2lvbj0iMS4wIj8+PFNQ"}
TOKEN = "alice-bearer-" + "t" * 20
ENDPOINTS = ("contextinfo", "processquery", "calendar")
WEEK = {"from": "2026-01-01", "to": "2026-01-07"}


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(token=TOKEN, basic=PASSWORDS, cookies=COOKIES) as running:
        yield running


def call(server, endpoint: str, **client_args) -> httpx.Response:
    with httpx.Client(**client_args) as http:
        if endpoint == "calendar":
            return http.get(f"{server.url}/api/Tasks/Calendar", params=WEEK)
        path = "_api/contextinfo" if endpoint == "contextinfo" else "_vti_bin/client.svc/ProcessQuery"
        return http.post(f"{server.url}/sites/probe/{path}", content=b"<Request/>")


def basic(login: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


REFUSED = {
    "missing": {},
    "wrong password": basic("alice", "guess"),
    "unknown login": basic("mallory", PASSWORDS["alice"]),
    "another user's password": basic("alice", PASSWORDS["bob"]),
    "not base64": {"Authorization": "Basic %%%"},
    "basic without credentials": {"Authorization": "Basic"},
    "wrong bearer": {"Authorization": "Bearer nope"},
    "unknown scheme": {"Authorization": "NTLM TlRMTVNTUAAB"},
    "wrong cookie": {"Cookie": "FedAuth=forged"},
    "empty cookie": {"Cookie": "FedAuth="},
    "rtFa only": {"Cookie": "rtFa=" + COOKIES["carol"]},
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("headers", REFUSED.values(), ids=REFUSED.keys())
def test_bad_or_missing_credentials_are_401_with_a_challenge(server, endpoint, headers):
    answer = call(server, endpoint, headers=headers)
    assert answer.status_code == 401
    challenge = answer.headers["WWW-Authenticate"]
    assert 'Basic realm="conformance"' in challenge and "Bearer" in challenge
    for secret in (*PASSWORDS.values(), *COOKIES.values(), server.token):
        assert secret not in answer.text and secret not in str(answer.headers)


def _own_tasks(client: CsomClient, label: str) -> set[str]:
    """The names of the caller's tasks tagged "made", after it creates one named ``label``."""
    client.ok(create_tasks([f"made with {label}"])[0])
    request, query = read_tasks(keyword="made")
    return {task["Name"] for task in tasks_of(client.ok(request), query)}


def test_each_mode_authenticates_its_own_user(server):
    with (
        CsomClient(server.url, auth=httpx.BasicAuth("bob", PASSWORDS["bob"])) as bob,
        CsomClient(server.url, headers={"Cookie": f"FedAuth={COOKIES['carol']}"}) as carol,
        CsomClient(server.url, headers=server.auth_headers) as alice,  # the existing bearer API
    ):
        assert _own_tasks(bob, "basic") == {"made with basic"}
        assert _own_tasks(carol, "cookie") == {"made with cookie"}
        assert _own_tasks(alice, "bearer") == {"made with bearer"}


def test_an_anonymous_demo_server_has_a_second_user_with_a_token_of_its_own():
    with ReferenceServer(seed_data=True) as demo, ReferenceServer() as plain:
        assert plain.second_token is None and len(plain.app.state.credentials.bearer) == 1
        assert demo.second_token and demo.second_token != demo.token
        with (
            CsomClient(demo.url, headers={"Authorization": f"Bearer {demo.second_token}"}) as second,
            CsomClient(demo.url, headers=demo.auth_headers) as first,
        ):
            assert _own_tasks(second, "the second token") == {"made with the second token"}
            assert _own_tasks(first, "the first token") == {"made with the first token"}
        assert (
            call(demo, "calendar", headers={"Authorization": f"Bearer {demo.second_token}"}).status_code
            == 200
        )


def test_basic_and_cookie_callers_need_a_form_digest_bearer_callers_do_not(server):
    request, _ = read_tasks()
    xml = to_xml(request)
    for client in (
        CsomClient(server.url, auth=httpx.BasicAuth("alice", PASSWORDS["alice"])),
        CsomClient(server.url, headers={"Cookie": f"FedAuth={COOKIES['carol']}"}),
    ):
        with client:
            answer = client.post(xml, digest=False)
            assert answer.status_code == 200 and "security validation" in answer.text
    with CsomClient(server.url, headers=server.auth_headers) as bearer:
        assert bearer.post(xml, digest=False).json()[0]["ErrorInfo"] is None


def test_a_digest_belongs_to_its_user(server):
    with (
        CsomClient(server.url, auth=httpx.BasicAuth("alice", PASSWORDS["alice"])) as alice,
        CsomClient(server.url, auth=httpx.BasicAuth("bob", PASSWORDS["bob"])) as bob,
    ):
        request, _ = read_tasks()
        answer = bob.post(to_xml(request), digest=alice.digest())  # replayed by another user
        assert answer.json()[0]["ErrorInfo"]["ErrorCode"] == -2130575251  # invalid digest


def test_a_digest_belongs_to_its_site(server):
    login = httpx.BasicAuth("alice", PASSWORDS["alice"])
    with (
        CsomClient(server.url, auth=login, site="/sites/a") as site_a,
        CsomClient(server.url, auth=login, site="/sites/b") as site_b,
        CsomClient(server.url, auth=login, site="/SITES/A/") as site_a_spelt_otherwise,
    ):
        request, _ = read_tasks()
        answer = site_b.post(to_xml(request), digest=site_a.digest())  # replayed on another site
        assert answer.json()[0]["ErrorInfo"]["ErrorCode"] == -2130575251  # invalid digest
        assert (
            site_a_spelt_otherwise.post(to_xml(request), digest=site_a.digest()).json()[0]["ErrorInfo"]
            is None
        )


def test_calendar_accepts_every_mode(server):
    for args in (
        {"auth": httpx.BasicAuth("alice", PASSWORDS["alice"])},
        {"headers": {"Cookie": f"FedAuth={COOKIES['carol']}"}},
        {"headers": server.auth_headers},
    ):
        assert call(server, "calendar", **args).status_code == 200


@pytest.mark.parametrize(
    ("arguments", "challenge"),
    [({"basic": PASSWORDS}, 'Basic realm="conformance", charset="UTF-8"'), ({"cookies": COOKIES}, "Bearer")],
    ids=["basic", "cookie"],
)
def test_only_basic_or_cookie_credentials_make_no_bearer_token(arguments, challenge):
    # a bearer token for alice was generated anyway: accepted everywhere, shown nowhere
    with ReferenceServer(**arguments) as server:
        assert server.token is None and server.auth_headers == {}
        assert not server.app.state.credentials.bearer
        refused = call(server, "processquery")
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith(challenge)


def test_an_anonymous_server_ignores_cookies_but_not_bad_headers():
    with ReferenceServer() as anonymous:
        with CsomClient(anonymous.url, headers={"Cookie": "FedAuth=whatever"}) as client:
            request, _ = read_tasks()
            assert client.ok(request).header.error_info is None
        assert call(anonymous, "processquery", headers=basic("alice", "x")).status_code == 401


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"basic": {"mallory": "s3cret-value"}}, "unknown user 'mallory'"),
        ({"cookies": {"bob": ""}}, "cookie for 'bob' is empty"),
        ({"token": ""}, "token is empty"),
    ],
)
def test_bad_configuration_is_a_value_error_without_the_secret(arguments, message):
    with pytest.raises(ValueError, match=message) as raised:
        create_app(**arguments)
    assert "s3cret-value" not in str(raised.value)


# ------------------------------------------------------------------------------ the serve command
def test_serve_reads_every_secret_from_the_environment(tmp_path):
    env = {
        "CONF_TOKEN": "tok-" + "x" * 20,
        "CONF_ALICE": f"alice:{PASSWORDS['alice']}",
        "CONF_BOB": f"bob:{PASSWORDS['bob']}",
        "CONF_CAROL": f"carol:{COOKIES['carol']}",
    }
    args = ("--token-env", "CONF_TOKEN", "--basic-env", "CONF_ALICE", "--basic-env", "CONF_BOB",
            "--cookie-env", "CONF_CAROL", "--db", str(tmp_path / "auth.sqlite"))  # fmt: skip
    process, url = serve.start(*args, env=env)
    try:
        assert call_url(url, auth=httpx.BasicAuth("bob", PASSWORDS["bob"])).status_code == 200
        assert call_url(url, headers={"Cookie": f"FedAuth={COOKIES['carol']}"}).status_code == 200
        assert call_url(url, headers={"Authorization": f"Bearer {env['CONF_TOKEN']}"}).status_code == 200
        assert call_url(url).status_code == 401
    finally:
        output = serve.stop(process)
    assert "credentials required on every endpoint: bearer, basic, cookie" in output
    assert "conformance run --target " + url + " --token-env CONF_TOKEN" in output  # the name, not the token
    for secret in (env["CONF_TOKEN"], *PASSWORDS.values(), *COOKIES.values()):
        assert secret not in output


def call_url(url: str, **client_args) -> httpx.Response:
    with httpx.Client(**client_args) as http:
        return http.post(f"{url}/_api/contextinfo")


@pytest.mark.parametrize(
    ("option", "value", "complaint"),
    [
        ("--basic-env", None, "empty or unset"),
        ("--basic-env", "no-colon-here", "expected login:secret"),
        ("--cookie-env", "mallory:c00kie-secret", "unknown user 'mallory'"),
        ("--token-env", "", "empty or unset"),
    ],
)
def test_serve_refuses_bad_secrets_in_one_line_without_showing_them(option, value, complaint):
    result = CliRunner().invoke(
        main, ["serve", "--port", "0", option, "CONF_SECRET"], env={"CONF_SECRET": value}
    )
    assert result.exit_code == 2, result.output
    assert complaint in result.output and "Traceback" not in result.output
    assert "c00kie-secret" not in result.output and "no-colon-here" not in result.output
