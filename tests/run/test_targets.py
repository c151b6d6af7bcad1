"""Running against real servers: settings from flags, environment and file; secrets from variables
and files; TLS (a CA bundle, client certificates, --insecure) against a reference server serving
HTTPS on loopback; retries honouring Retry-After, the concurrency cap, the rate limit and the
per-case time limit against small real HTTP servers; and the clear one-line failures of
``conformance run`` (DNS, refused, TLS, 401 on the first request, not a CSOM server)."""

from __future__ import annotations

import asyncio
import email.utils
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from conformance.background import BackgroundServer
from conformance.cli import main
from conformance.drive.target import (
    KEEPALIVE_EXPIRY_S,
    REDACTED,
    CaseTimeout,
    Connection,
    Credentials,
    CsomReply,
    Target,
    TargetUnreachable,
)
from conformance.runner.access import AccessError, credentials
from conformance.runner.config import (
    SETTINGS,
    Config,
    ConfigError,
    from_environ,
    from_values,
    layered,
    load_config,
)
from conformance.server import ReferenceServer, create_app
from tests.run.launch import QUICK, TOKEN, conformance, environment, error_lines, secured_server
from tests.server.client import read_tasks

README = Path(__file__).resolve().parents[2] / "README.md"
FAST = {"CONFORMANCE_RETRIES": "0"}  # failures below need no retry


# ------------------------------------------------------------------------------------------ settings


def test_flags_override_the_environment_which_overrides_the_file(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(
        '[target]\nurl = "http://file.example"\nauth = "basic"\nuser = "from-file"\n'
        "[transport]\nretries = 5\nread_timeout = 7\nrate_limit = 2\n[tls]\ninsecure = true\n"
        '[run]\nprotocols = ["wmcsom"]\n'
    )
    file = load_config(tmp_path / "c.toml")
    environ = from_environ(
        {"CONFORMANCE_TARGET": "http://env.example", "CONFORMANCE_RETRIES": "3", "CONFORMANCE_INSECURE": "no",
         "CONFORMANCE_SKIP_PROTOCOLS": "calendar, csom", "CONFORMANCE_USER": ""}
    )  # fmt: skip
    flags = from_values({"url": "http://flag.example", "read_timeout": None, "protocols": ()}, "command line")
    merged = layered(flags, environ, file)
    assert (merged.url, merged.retries, merged.read_timeout, merged.rate_limit) == (
        "http://flag.example",
        3,
        7.0,
        2.0,
    )
    assert (merged.insecure, merged.auth, merged.user) == (
        False,
        "basic",
        "from-file",
    )  # empty variable: unset
    assert (merged.protocols, merged.skip_protocols) == (("wmcsom",), ("calendar", "csom"))


@pytest.mark.parametrize(
    ("variables", "complaint"),
    [
        ({"CONFORMANCE_RETRIES": "three"}, "CONFORMANCE_RETRIES: expected a number"),
        ({"CONFORMANCE_INSECURE": "maybe"}, "CONFORMANCE_INSECURE: expected 1 or 0"),
        ({"CONFORMANCE_AUTH": "kerberos"}, "auth 'kerberos' is not one of none, bearer, basic, ntlm, cookie"),
    ],
)
def test_bad_environment_variables_are_named(variables: dict[str, str], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        from_environ(variables)


def test_config_file_types_are_checked(tmp_path: Path) -> None:
    for text, complaint in (
        ("[transport]\nretries = true\n", "transport.retries must be a whole number"),
        ("[transport]\nconnect_timeout = 'soon'\n", "connect_timeout must be a number"),
        ("[tls]\ncabundle = 'x'\n", "unknown key tls.cabundle"),
    ):
        (tmp_path / "c.toml").write_text(text)
        with pytest.raises(ConfigError, match=complaint):
            load_config(tmp_path / "c.toml")


def test_the_readme_documents_every_setting_and_variable(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    example = text.split("```toml\n# conformance.toml — ", 1)[1].split("```", 1)[0]
    (tmp_path / "example.toml").write_text("# " + example, encoding="utf-8")
    assert load_config(tmp_path / "example.toml").url == "https://sp.example.org/sites/dev"
    for setting in SETTINGS:
        assert f"| `{setting.variable}` | `{setting.table}.{setting.key}` |" in text, setting.variable
        assert f"{setting.key} =" in example, setting.key  # the commented example shows every key


# ------------------------------------------------------------------------------------------- secrets


def test_secrets_come_from_the_named_variable_or_file(tmp_path: Path) -> None:
    (tmp_path / "token").write_text(TOKEN + "\n")
    (tmp_path / "cookie").write_text("FedAuth=abc; rtFa=def")
    assert credentials(Config(token_file=str(tmp_path / "token")), {}) == (
        "bearer",
        Credentials.bearer(TOKEN),
    )
    mode, found = credentials(Config(cookie_file=str(tmp_path / "cookie")), {})
    assert mode == "cookie" and found.headers == {"Cookie": "FedAuth=abc; rtFa=def"}
    assert {"abc", "def"} <= set(found.secrets)
    # a mode without a source reads the variable named like the reproduce command's placeholder
    mode, found = credentials(Config(auth="basic"), {"CONFORMANCE_USER": "bob", "CONFORMANCE_PASSWORD": "pw"})
    assert mode == "basic" and found.curl == ("-u", '"$CONFORMANCE_USER:$CONFORMANCE_PASSWORD"')
    assert credentials(Config(), {"CONFORMANCE_TOKEN": TOKEN})[0] == "none"  # no mode, no source: none


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        (Config(auth="bearer"), "CONFORMANCE_TOKEN is empty or unset"),
        (Config(token_env="NOT_SET_ANYWHERE"), "NOT_SET_ANYWHERE is empty or unset"),
        (Config(token_env="T", token_file="f"), "token_env or token_file, not both"),
        (Config(token_env="T", cookie_env="C"), "both given: choose one"),
        (Config(auth="basic", password_env="T"), "no login"),
        (Config(password_file="/nonexistent/pw", user="u"), "password_file /nonexistent/pw: cannot read it"),
    ],
)
def test_unusable_secret_sources_are_one_line_without_the_secret(config: Config, complaint: str) -> None:
    with pytest.raises(AccessError, match=complaint) as raised:
        credentials(config, {"T": TOKEN, "C": "FedAuth=x"})
    assert TOKEN not in str(raised.value)


def test_ntlm_without_its_extra_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx_ntlm", None)  # as when the ntlm extra is not installed
    result = CliRunner().invoke(
        main, ["run", "--target", "http://127.0.0.1:9", "--auth", "ntlm", "--user", "DOM\\u"],
        env={"CONFORMANCE_PASSWORD": "pw"},
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert (
        result.stderr.strip()
        == "error: auth ntlm needs the optional ntlm extra: pip install 'csom-conformance[ntlm]'"
    )


# ------------------------------------------------------------------------------ clear failures (exit 3)


class _Pages:
    """An HTTP server that is not a CSOM server: HTML for every request."""

    @staticmethod
    def app() -> Starlette:
        async def page(request: Request) -> Response:
            return HTMLResponse("<html><body>Welcome</body></html>")

        return Starlette(routes=[Route("/{path:path}", page, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def html_server() -> Iterator[str]:
    with BackgroundServer(_Pages.app()) as server:
        yield server.url


@pytest.fixture(scope="module")
def secured() -> Iterator[str]:
    with secured_server() as server:
        yield server.url


def _run_in_process(*args: str, **variables: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", *args], env={**FAST, **variables})
    assert isinstance(result.exception, SystemExit), result.exception  # never a traceback
    return result.exit_code, result.stderr


def test_unreachable_host_is_one_line(html_server: str, secured: str) -> None:
    for args, said in (
        (("--target", "http://no-such-host.invalid/sites/x"), "cannot resolve the host name"),
        (("--target", "http://127.0.0.1:9"), "connection refused"),
        (("--target", secured, "--token-env", "WRONG"), "target refused the credentials (auth bearer)"),
        (("--target", html_server), "not a CSOM server: POST"),
    ):
        code, stderr = _run_in_process(*args, WRONG="not-the-token")
        assert code == 3, (args, stderr)
        assert stderr.count("\n") == 1 and stderr.startswith("error: ") and said in stderr, stderr
        assert "not-the-token" not in stderr


def test_a_non_csom_server_fails_its_calendar_cases(tmp_path: Path, html_server: str) -> None:
    """Without CSOM protocols selected ProcessQuery is not asked: the server answers, and does not conform."""
    done = conformance(
        *QUICK, "--target", html_server, "--protocol", "calendar", cwd=tmp_path, env=environment()
    )
    assert done.returncode == 1 and "NOT CONFORMANT" in done.stdout
    assert error_lines(done) == []


# ------------------------------------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    files = {name: folder / f"{name}.pem" for name in ("ca", "cert", "key", "client-cert", "client-key")}
    authority.cert_pem.write_to_path(files["ca"])
    server, client = authority.issue_cert("127.0.0.1"), authority.issue_cert("client@example.org")
    server.cert_chain_pems[0].write_to_path(files["cert"])
    server.private_key_pem.write_to_path(files["key"])
    client.cert_chain_pems[0].write_to_path(files["client-cert"])
    client.private_key_pem.write_to_path(files["client-key"])
    return files


def _https(app: Starlette, tls: dict[str, Path], **options: object) -> BackgroundServer:
    return BackgroundServer(app, ssl_certfile=str(tls["cert"]), ssl_keyfile=str(tls["key"]), **options)


def test_tls_verification_is_on_by_default_and_a_ca_bundle_passes_it(
    tmp_path: Path, tls: dict[str, Path]
) -> None:
    with _https(create_app(token=TOKEN, seed_data=True), tls) as server:
        url = server.url.replace("http://", "https://")
        code, stderr = _run_in_process("--target", url, "--token-env", "T", T=TOKEN)
        assert code == 3 and stderr.count("\n") == 1, stderr
        assert "TLS handshake failed (CERTIFICATE_VERIFY_FAILED)" in stderr and "--ca-bundle" in stderr
        done = conformance(
            *QUICK, "--target", url, "--ca-bundle", str(tls["ca"]), "--token-env", "T",
            "--protocol", "wmcsom", "-k", "object-type", cwd=tmp_path, env=environment(T=TOKEN),
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr
        insecure = Connection(insecure=True)
        with Target(url, credentials=Credentials.bearer(TOKEN), connection=insecure) as target:
            assert target.context_info().status == 200


def test_client_certificates(tls: dict[str, Path]) -> None:
    required = {"ssl_ca_certs": str(tls["ca"]), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    with _https(create_app(), tls, **required) as server:
        url = server.url.replace("http://", "https://")
        anonymous = Target(url, connection=Connection(ca_bundle=str(tls["ca"]), retries=0))
        # TLS 1.3: the server refuses the certificate-less client after the handshake, by hanging up
        with anonymous, pytest.raises(TargetUnreachable, match="disconnected"):
            anonymous.context_info()
        mine = Connection(
            ca_bundle=str(tls["ca"]), client_cert=str(tls["client-cert"]), client_key=str(tls["client-key"])
        )
        with Target(url, connection=mine) as target:
            assert target.context_info().status == 200
    code, stderr = _run_in_process("--target", url, "--client-cert", str(tls["ca"]))  # a certificate, no key
    assert code == 2 and "TLS settings unusable (client_cert" in stderr


# --------------------------------------------------------------------------- retries, limits, deadlines


class _Counting:
    """A server answering /busy with 503 + Retry-After (or 429 + an HTTP date) ``refusals`` times and
    then 200, and /slow after ``delay`` seconds; it counts requests in flight and their start times."""

    def __init__(
        self, refusals: int = 0, retry_after: str = "0", status: int = 503, delay: float = 0.0
    ) -> None:
        self.refusals, self.retry_after, self.status, self.delay = refusals, retry_after, status, delay
        self.starts: list[float] = []
        self.in_flight = self.most_in_flight = 0

    def app(self) -> Starlette:
        async def busy(request: Request) -> Response:
            self.starts.append(time.monotonic())
            if len(self.starts) <= self.refusals:
                return PlainTextResponse("busy", self.status, headers={"Retry-After": self.retry_after})
            return PlainTextResponse("ok")

        async def slow(request: Request) -> Response:
            self.starts.append(time.monotonic())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            await asyncio.sleep(self.delay)
            self.in_flight -= 1
            return PlainTextResponse("late")

        return Starlette(routes=[Route("/busy", busy), Route("/slow", slow)])


def test_retries_honour_retry_after_seconds(tmp_path: Path) -> None:
    server = _Counting(refusals=2, retry_after="1")
    with (
        BackgroundServer(server.app()) as running,
        Target(running.url, connection=Connection(backoff=0.01)) as target,
    ):
        answer = target.send("GET", running.url + "/busy")
    assert answer.status == 200 and len(server.starts) == 3
    assert server.starts[1] - server.starts[0] >= 0.95 and server.starts[2] - server.starts[1] >= 0.95


def test_retry_after_dates_are_capped_and_retries_run_out() -> None:
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)  # an hour: capped at max_retry_wait
    server = _Counting(refusals=5, retry_after=later, status=429)
    connection = Connection(retries=2, max_retry_wait=0.2)
    with BackgroundServer(server.app()) as running, Target(running.url, connection=connection) as target:
        started = time.monotonic()
        answer = target.send("GET", running.url + "/busy")
    assert answer.status == 429 and len(server.starts) == 3  # the first try and two retries
    assert 0.35 < time.monotonic() - started < 2


def test_retry_wait() -> None:
    connection = Connection(backoff=0.5, max_retry_wait=30)
    assert [connection.retry_wait(n) for n in range(3)] == [0.5, 1.0, 2.0]
    assert connection.retry_wait(0, "7") == 7 and connection.retry_wait(0, "120") == 30
    assert connection.retry_wait(1, "soon") == 1.0  # unreadable: backoff
    assert 9 < connection.retry_wait(0, email.utils.formatdate(time.time() + 10, usegmt=True)) <= 10


def test_concurrency_cap_and_rate_limit() -> None:
    server = _Counting(delay=0.1)
    with BackgroundServer(server.app()) as running:
        with Target(running.url, connection=Connection(max_concurrency=2)) as target:
            threads = [
                threading.Thread(target=target.send, args=("GET", running.url + "/slow")) for _ in range(6)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert server.most_in_flight == 2
        server.starts.clear()
        server.delay = 0
        with Target(running.url, connection=Connection(rate_limit=20)) as target:
            stranger = target.as_caller(None)  # another caller of the session shares the limit
            for client in (target, stranger, target, stranger, target):
                client.send("GET", running.url + "/slow")
    # 20 a second: the k-th request is sent 0.05 k s after the first. Arrivals may come late (a new
    # connection, a busy machine: the gap after a late one shrinks, or all seem early when the first
    # was late), hence the 15 ms of slack; without the limit all five arrive within a few milliseconds
    after_first = [start - server.starts[0] for start in server.starts]
    assert len(after_first) == 5, after_first
    assert all(after >= 0.05 * k - 0.015 for k, after in enumerate(after_first)), after_first


async def _client_port(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = str(scope["client"][1]).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]}
    )
    await send({"type": "http.response.body", "body": body})


def test_an_idle_connection_is_dropped_before_a_short_keep_alive_server_drops_it() -> None:
    """Reused as the server closes it, a connection fails (a ReadError ends the run): after an idle
    gap a server with a 2 s keep-alive still honours, the next request comes on a new connection."""
    with BackgroundServer(_client_port, timeout_keep_alive=2) as running, Target(running.url) as target:
        ports = [target.send("GET", running.url).response_body for _ in range(2)]
        time.sleep(KEEPALIVE_EXPIRY_S + 0.5)
        ports.append(target.send("GET", running.url).response_body)
    assert ports[0] == ports[1] != ports[2]  # kept while busy, dropped once idle


def test_case_deadline_ends_the_case_not_the_run() -> None:
    server = _Counting(delay=1.5)
    with BackgroundServer(server.app()) as running, Target(running.url) as target:
        started = time.monotonic()
        with target.case_deadline(0.3), pytest.raises(CaseTimeout, match="case_timeout"):
            target.send("GET", running.url + "/slow")
        assert time.monotonic() - started < 1
        with target.case_deadline(0.3):
            time.sleep(0.35)
            with pytest.raises(CaseTimeout, match="before GET"):
                target.send("GET", running.url + "/busy")
        assert target.send("GET", running.url + "/busy").status == 200  # outside a case: no limit


def test_lanes_share_one_form_digest_and_a_digest_issued_again_is_read_unredacted() -> None:
    """Several threads (a lifecycle's lanes) ask a basic-auth target for the digest at once; the
    target issues the same value within a second, which the first fetch already made a secret."""
    alice = Credentials.basic("alice", "alice-password")
    with (
        ReferenceServer(basic={"alice": "alice-password"}) as server,
        Target(server.url, credentials=alice) as target,
    ):
        replies: list[CsomReply] = []
        threads = [
            threading.Thread(target=lambda: replies.append(target.process_query(read_tasks()[0])))
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [r.response and r.response.header.error_info for r in replies] == [None] * 6
        # the target issues the same value again only within one second of its clock: two fetches
        # straddling a second's end say nothing, so they are tried again (a few times at most)
        for _ in range(3):
            first, again = target.form_digest(refresh=True), target.form_digest(refresh=True)
            if first and again and first.split(",")[1:] == again.split(",")[1:]:
                break
        assert again is not None and again.startswith("0x") and first.split(",")[0] == again.split(",")[0]
        assert target.process_query(read_tasks()[0]).response.header.error_info is None


def test_a_contextinfo_exchange_carries_no_digest() -> None:
    """The answer's digest is a fresh one, not the digest in use that redaction knows: it is
    redacted all the same, from either form of the answer (the contextinfo case keeps it as evidence)."""
    with (
        ReferenceServer() as server,
        Target(server.url, credentials=Credentials.bearer(server.token)) as target,
    ):
        verbose = target.context_info(accept="application/json;odata=verbose")
        assert verbose.json()["d"]["GetContextWebInformation"]["FormDigestValue"] == REDACTED
        assert target.context_info().json()["FormDigestValue"] == REDACTED
