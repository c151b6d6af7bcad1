"""The hostile battery: ``conformance run`` against loopback targets that misbehave at preflight or
mid-run. Each run ends within a bound derived from the small timeouts of tests/hostile/running.py,
with the exit code the verdict documents, no traceback, its process under MEMORY_KB and no secret in
any output, and what it judged written in reports that can be read (tests/hostile/running.py)."""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile.running import READ_TIMEOUT, run_against
from tests.hostile.targets import CONTEXT_INFO, Peer, answer, bomb, csom, error_info, hostile

# cases that judge an ErrorInfo's members, and cases that quote it (expected no ErrorInfo)
ERROR_CASES = (
    "--protocol",
    "csom",
    "--protocol",
    "wmcsom",
    "-k",
    "error-member or UserSettings and object-type",
)
ONE_CASE = ("--protocol", "csom", "-k", "ErrorInfo.ErrorMessage")


def _json(body: bytes, *headers: str) -> bytes:
    return answer(body=body, headers=("Content-Type: application/json", *headers))


def test_a_lone_surrogate_and_an_oversized_message_cost_no_result(tmp_path: Path) -> None:
    """One bad string (a lone surrogate, as json.loads makes of "\\ud800") once cost every result of
    the run (results.json would not encode); a 900 kB message was copied uncut into each case."""
    message = "bad \ud800 string " + "x" * 900_000
    with hostile(csom(lambda request: _json(error_info(message)))) as target:
        ran = run_against(target.url, tmp_path, *ERROR_CASES, bound_s=10)
    assert ran.code == 1 and "NOT CONFORMANT" in ran.stdout
    cases = ran.results()["cases"]
    assert len(cases) == 10 and any("bad \\ud800 string" in case["actual"] for case in cases)
    assert all(len(case[key]) < 2100 for case in cases for key in ("message", "expected", "actual"))
    assert all(len(e["text"]) < 12100 for case in cases for e in case["evidence"])
    assert (ran.reports / "report.html").stat().st_size < 2_000_000
    assert (ran.reports / "junit.xml").stat().st_size < 2_000_000


def _bombed(wbits: int, coding: str):
    payload = bomb(32 * 2**20, wbits)
    return csom(lambda request: _json(payload, f"Content-Encoding: {coding}"))


@pytest.mark.parametrize(("behaviour", "said"), [(_bombed(31, "gzip"), "once decompressed"),
                                                 (_bombed(-15, "deflate"), "once decompressed")],
                         ids=["gzip-bomb", "deflate-bomb"])  # fmt: skip
def test_bombs_fail_their_cases_and_the_run_goes_on(tmp_path: Path, behaviour, said: str) -> None:
    with hostile(behaviour) as target:
        ran = run_against(target.url, tmp_path, *ONE_CASE, bound_s=10)
    assert ran.code == 1
    [case] = ran.results()["cases"]
    assert (
        case["outcome"] == "error"
        and f"larger than max_answer_bytes (1048576 bytes) {said}" in case["message"]
    )


def _dripping(peer: Peer) -> None:
    while (request := peer.request()) is not None:
        if request.startswith(b"GET "):
            peer.send(answer())
        else:
            peer.drip(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X: y\r\n" * 1000, 0.05)
            return


def test_a_target_dripping_its_answer_ends_the_run_within_read_timeout(tmp_path: Path) -> None:
    with hostile(_dripping) as target:
        # preflight (contextinfo and ProcessQuery, each tried twice), then the first case's request
        ran = run_against(target.url, tmp_path, *ONE_CASE, bound_s=8 * READ_TIMEOUT + 3)
    assert ran.code == 3 and "no whole answer within 0.5 s (read_timeout)" in ran.stdout + ran.stderr


@pytest.mark.parametrize(
    "headers",
    [("Retry-After: \u00b2",), ("Retry-After: Fri, 31 Dec 9999 23:59:59 -9999",)],
    ids=["superscript", "offset-of-days"],
)
def test_absurd_retry_after_is_read_as_backoff(tmp_path: Path, headers: tuple[str, ...]) -> None:
    busy = answer("503 Service Unavailable", headers=headers)
    with hostile(csom(lambda request: busy)) as target:
        ran = run_against(target.url, tmp_path, *ONE_CASE, bound_s=10)
    # refused every time (after the retries, waiting the backoff): ProcessQuery is no CSOM server
    assert ran.code == 3 and "not a CSOM server" in ran.stderr and len(ran.stderr.splitlines()) == 1


def test_a_digest_no_header_can_carry_is_none(tmp_path: Path) -> None:
    for digest in ("0xé,digest", "0x1\\r\\nX-Injected: yes"):
        info = b'{"FormDigestValue": "%s", "FormDigestTimeoutSeconds": 1800}' % digest.encode()
        behaviour = csom(lambda request: _json(error_info("no")), context_info=_json(info))
        with hostile(behaviour) as target:
            ran = run_against(target.url, tmp_path, *ONE_CASE, bound_s=10)
        assert ran.code == 0, ran.stderr  # the one case judges the ErrorInfo: it conforms


def test_json_nested_past_the_parsers_depth_is_a_failed_case(tmp_path: Path) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with hostile(csom(lambda request: _json(deep), context_info=_json(deep))) as target:
        ran = run_against(target.url, tmp_path, *ONE_CASE, bound_s=10)
    assert ran.code in (1, 3), ran.stderr


TOKEN = "tok/4f1c+9e-SECRET/tok=en"
USER, PASSWORD = "alice", "pw?/7a3e-SECRET/pass word"


def _forms(secret: str) -> tuple[str, ...]:
    """The secret as a target could echo it: plain, JSON's "\\/", "\\u" escapes, URL-encoded."""
    return (
        secret,
        secret.replace("/", "\\/"),
        "".join(f"\\u{ord(c):04x}" for c in secret),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    )


def _echoing(peer: Peer) -> None:
    """Quotes the request's credentials back in its ErrorMessage in every form of _forms."""

    def echo(request: bytes) -> bytes:
        head = request.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        credential = next(
            (
                line.split(" ", 2)[2]
                for line in head.split("\r\n")
                if line.lower().startswith("authorization:")
            ),
            "",
        )
        echoed = [*_forms(credential)]
        if credential and head.lower().count("authorization: basic"):
            echoed += _forms(base64.b64decode(credential).decode().split(":", 1)[1])
        body = error_info("@@")
        return _json(
            body.replace(b"@@", " | ".join(echoed).replace("\\", "\\\\").replace('"', '\\"').encode())
        )

    csom(echo)(peer)


@pytest.mark.parametrize(
    ("auth", "secret", "variables"),
    [("bearer", TOKEN, {"CONFORMANCE_TOKEN": TOKEN}),
     ("basic", PASSWORD, {"CONFORMANCE_USER": USER, "CONFORMANCE_PASSWORD": PASSWORD})],
)  # fmt: skip
def test_an_echoed_secret_is_redacted_in_every_form(
    tmp_path: Path, auth: str, secret: str, variables
) -> None:
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    forms = (*_forms(secret), *(_forms(basic) if auth == "basic" else ()))
    with hostile(_echoing) as target:
        ran = run_against(
            target.url, tmp_path, *ERROR_CASES, "--auth", auth, bound_s=10, secrets=forms, **variables
        )
    assert ran.code == 1 and "a secret was left" not in ran.stdout  # redacted where it was read
    assert any("«redacted»" in case["actual"] for case in ran.results()["cases"])


def _every(n: int, then: bytes, otherwise: Callable[[bytes], bytes]) -> Callable[[Peer], None]:
    """Answers as ``otherwise`` but every ``n``-th request of a connection, which it closes unanswered
    (``then`` empty) or answers with ``then`` and closes."""

    def behaviour(peer: Peer) -> None:
        while (request := peer.request()) is not None:
            if peer.requests % n == 0:
                peer.send(then)
                return
            reply = answer() if request.startswith(b"GET ") else otherwise(request)
            if b"/_api/contextinfo" in request.split(b"\r\n", 1)[0]:
                reply = _json(CONTEXT_INFO)
            if not peer.send(reply):
                return

    return behaviour


def _error(request: bytes) -> bytes:
    return _json(error_info("refused"))


def _status(status: str, *headers: str) -> Callable[[Peer], None]:
    """ProcessQuery answered with ``status`` and ``headers`` alone."""
    return csom(lambda request: answer(status, headers=headers))


def _raw(data: bytes) -> Callable[[Peer], None]:
    """ProcessQuery answered with ``data``, whatever it is."""
    return csom(lambda request: data)


HEAD = b'{"SchemaVersion": "15.0.0.0", "LibraryVersion": "16.0.0.0", "TraceCorrelationId": "t", '
HUGE_INTEGER = _json(b"[" + HEAD + b'"ErrorInfo": null}, 1, ' + b"9" * 100_000 + b"]")
FLOATS = _json(b"[" + HEAD + b'"ErrorInfo": {"ErrorCode": 1e999, "ErrorMessage": -1e400}}]')
BAD_UTF8 = _json(error_info("x").replace(b'"x"', b'"\xff\xfe\xc3("'))
CONTROLS = _json(error_info("a\x00b\x1bc\x7f\ufffe"))
SHORT_BODY = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n[]"
BAD_CHUNKS = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
GZIP_BOMB = _json(bomb(32 * 2**20, 31), "Content-Encoding: gzip")
HALF = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n["
# name, behaviour, arguments, the exit codes the verdict documents for it, seconds after start-up
BEHAVIOURS: list[tuple[str, Callable[[Peer], None], tuple[str, ...], tuple[int, ...], float]] = [
    ("closes-kept-connections", _every(2, b"", _error), ERROR_CASES, (1,), 10),
    ("closes-half-answered", _every(3, HALF, _error), ONE_CASE, (1, 3), 10),
    ("redirect-to-another-host", _status("302 Found", "Location: http://evil.invalid/x"), ONE_CASE, (3,), 10),
    ("429-retry-after-centuries", _status("429 Too Many", "Retry-After: 99999999999"), ONE_CASE, (3,), 10),
    (
        "503-retry-after-1970",
        _status("503 Busy", "Retry-After: Thu, 01 Jan 1970 00:00:00 GMT"),
        ONE_CASE,
        (3,),
        10,
    ),
    ("huge-integer", csom(lambda r: HUGE_INTEGER), ERROR_CASES, (1, 3), 10),
    ("float-overflow", csom(lambda r: FLOATS), ERROR_CASES, (1,), 10),
    ("invalid-utf8", csom(lambda r: BAD_UTF8), ERROR_CASES, (1,), 10),
    ("nul-and-controls", csom(lambda r: CONTROLS), ERROR_CASES, (1,), 10),
    ("headers-without-end", _raw(b"HTTP/1.1 200 OK\r\n" + b"X-Flood: y\r\n" * 20_000), ONE_CASE, (3,), 10),
    ("not-http", _raw(b"SSH-2.0-OpenSSH_9.6\r\n" * 50), ONE_CASE, (3,), 10),
    ("empty-answer-then-close", _every(1, b"", _error), ONE_CASE, (3,), 10),
    ("contextinfo-bomb", csom(_error, context_info=GZIP_BOMB), ONE_CASE, (0, 1), 10),
    ("contextinfo-not-json", csom(_error, context_info=_json(b"<html>\xff</html>")), ONE_CASE, (0, 1), 10),
    ("short-body", _raw(SHORT_BODY), ONE_CASE, (3,), 10),
    ("chunked-garbage", _raw(BAD_CHUNKS), ONE_CASE, (3,), 10),
]


@pytest.mark.parametrize(
    ("behaviour", "args", "codes", "bound_s"), [b[1:] for b in BEHAVIOURS], ids=[b[0] for b in BEHAVIOURS]
)
def test_the_battery(
    tmp_path: Path, behaviour, args: tuple[str, ...], codes: tuple[int, ...], bound_s: float
) -> None:
    with hostile(behaviour) as target:
        ran = run_against(
            target.url,
            tmp_path,
            *args,
            bound_s=bound_s,
            secrets=(TOKEN,),
            CONFORMANCE_TOKEN=TOKEN,
            CONFORMANCE_AUTH="bearer",
        )
    assert ran.code in codes, (ran.code, ran.stdout[-1500:], ran.stderr)
    if ran.code == 3:
        assert len(ran.stderr.splitlines()) <= 1 or "target unreachable" in ran.stdout + ran.stderr, (
            ran.stderr
        )
    else:
        assert ran.results()["cases"]  # what was judged is in readable reports
