import httpx

from conformance.server import ReferenceServer


def test_contextinfo_verbose_has_what_jsom_reads(server):
    r = httpx.post(
        f"{server.url}/sites/probe/_api/contextinfo", headers={"Accept": "application/json;odata=verbose"}
    )
    assert r.status_code == 200 and "json" in r.headers["content-type"]
    info = r.json()["d"]["GetContextWebInformation"]
    assert info["FormDigestTimeoutSeconds"] == 1800
    assert info["FormDigestValue"].startswith("0x")
    assert info["WebFullUrl"] == f"{server.url}/sites/probe"
    assert info["SupportedSchemaVersions"]["results"] == ["14.0.0.0", "15.0.0.0"]


def test_contextinfo_nometadata_and_only_post(server):
    r = httpx.post(f"{server.url}/_api/contextinfo", headers={"Accept": "application/json;odata=nometadata"})
    assert r.status_code == 200 and r.json()["SupportedSchemaVersions"] == ["14.0.0.0", "15.0.0.0"]
    r = httpx.get(f"{server.url}/_api/contextinfo")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_contextinfo_requires_the_token_when_one_is_configured():
    with ReferenceServer(token="t0ken-value") as secured:
        assert httpx.post(f"{secured.url}/_api/contextinfo").status_code == 401
        bad = httpx.post(f"{secured.url}/_api/contextinfo", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and "t0ken-value" not in bad.text
        good = httpx.post(f"{secured.url}/_api/contextinfo", headers={"Authorization": "Bearer t0ken-value"})
        assert good.status_code == 200


def test_unknown_path_is_404_and_server_keeps_serving(server):
    assert httpx.get(f"{server.url}/nothing/here").status_code == 404
    assert httpx.post(f"{server.url}/_api/contextinfo").status_code == 200
