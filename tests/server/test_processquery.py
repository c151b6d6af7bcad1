"""ProcessQuery transport: every bad request gets a spec-shaped ErrorInfo and the server keeps serving."""

import httpx
import pytest

from conformance.server import ReferenceServer
from conformance.wire import RequestBuilder, parse_response, to_xml

USER_SETTINGS_MANAGER = "{73b6f1d6-c69c-4787-8413-2bb14d336410}"
ENDPOINT = "/sites/probe/_vti_bin/client.svc/ProcessQuery"


def digest_for(server) -> str:
    r = httpx.post(
        f"{server.url}/sites/probe/_api/contextinfo", headers={"Accept": "application/json;odata=verbose"}
    )
    return r.json()["d"]["GetContextWebInformation"]["FormDigestValue"]


def post(server, body: bytes, digest: str | None = "fetch", **headers):
    if digest == "fetch":
        digest = digest_for(server)
    if digest is not None:
        headers["X-RequestDigest"] = digest
    return httpx.post(
        f"{server.url}{ENDPOINT}", content=body, headers={"Content-Type": "text/xml", **headers}
    )


def valid_body() -> bytes:
    b = RequestBuilder()
    manager = b.construct(USER_SETTINGS_MANAGER)
    b.call(manager, "IsExchangeJobPending")
    return to_xml(b.build())


def error_of(response: httpx.Response):
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    parsed = parse_response(response.content)
    assert parsed.header.error_info is not None, response.text[:300]
    assert parsed.results == {}
    return parsed.header.error_info


def test_a_valid_request_succeeds(server):
    r = post(server, valid_body())
    parsed = parse_response(r.content)
    assert parsed.header.error_info is None
    assert parsed.header.schema_version in ("14.0.0.0", "15.0.0.0")
    assert parsed.header.trace_correlation_id == r.headers["SPRequestGuid"]
    assert list(parsed.results.values())[-1] in (True, False)


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<Request xmlns="http://schemas.microsoft.com/sharepoint/clientquery/2009" SchemaVersion="15.0.0.0"
 LibraryVersion="16.0.0.0"><Actions/><ObjectPaths><Identity Id="1" Name="&c;"/></ObjectPaths></Request>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Request xmlns="http://schemas.microsoft.com/sharepoint/clientquery/2009" SchemaVersion="15.0.0.0"
 LibraryVersion="16.0.0.0"><Actions/><ObjectPaths><Identity Id="1" Name="&x;"/></ObjectPaths></Request>"""


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b"<Request>unclosed",
        b"<Other xmlns='urn:x'/>",
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        valid_body().replace(b'SchemaVersion="15.0.0.0"', b'SchemaVersion="99.0.0.0"'),
        valid_body().replace(b"73b6f1d6", b"00000000"),  # unknown TypeId
        valid_body().replace(b"IsExchangeJobPending", b"NoSuchMethod"),  # unknown member
        valid_body().replace(b'ObjectPathId="0"', b'ObjectPathId="999"'),  # dangling reference
    ],
    ids=[
        "text",
        "unclosed",
        "wrong-root",
        "entity-bomb",
        "external-entity",
        "schema-version",
        "unknown-typeid",
        "unknown-member",
        "dangling-ref",
    ],
)
def test_bad_requests_get_error_info_and_the_server_keeps_serving(server, body):
    info = error_of(post(server, body))
    assert isinstance(info.error_code, int) and info.error_message and info.error_type_name
    assert "root:" not in (info.error_message or "")  # /etc/passwd never leaks
    assert parse_response(post(server, valid_body()).content).header.error_info is None


def test_oversized_body_is_refused_without_reading_it_all(server):
    info = error_of(post(server, b"<" + b"x" * (2 * 1024 * 1024 + 10)))
    assert "too big" in info.error_message


@pytest.mark.parametrize(
    ("digest", "code"),
    [
        (None, -2146232832),
        ("0xDEADBEEF,23 Nov 2026 06:00:00 -0000", -2130575251),
        ("0x\u00e9,23 Nov 2026 06:00:00 -0000".encode(), -2130575251),  # was a 500, anonymous
    ],
    ids=["missing", "invalid", "non-ascii"],
)
def test_digest_is_required_for_cookie_style_callers(server, digest, code):
    assert error_of(post(server, valid_body(), digest=digest)).error_code == code


def test_digest_is_not_needed_with_a_bearer_token():
    with ReferenceServer(token="s3cret-token") as secured:
        r = post(secured, valid_body(), digest=None, Authorization="Bearer s3cret-token")
        assert parse_response(r.content).header.error_info is None
        assert post(secured, valid_body(), digest=None).status_code == 401
        denied = post(secured, valid_body(), digest=None, Authorization="Bearer wrong")
        assert denied.status_code == 401 and "s3cret-token" not in denied.text


def test_only_post(server):
    assert httpx.get(f"{server.url}{ENDPOINT}").status_code == 405
