"""Replay every real JSOM request (../shared/captures/jsom/<build>/) against the reference server."""

from pathlib import Path

import httpx
import pytest

from conformance.spec.data import load_csom
from conformance.wire import parse_response

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "captures" / "jsom"
BUILDS = ("2013", "2016", "2019", "spo")
# Captures that name task 42, which a fresh server does not have, or load members that the
# collection's items do not have: these must fail with a clear ErrorInfo, not a crash.
EXPECTED_FAULTS = {
    "userordered_reorderTask": "42",
    "locationuserordered_reorder_movePersonalTask": "42",
    "session_refreshSingleTask_getCalloutInfo": "42",
    "sortable_locationSession_readTasks_include": "Location",
}
SHORT_NAMES = {t.short_name for p in ("ms-wmcsom", "ms-spwfcsom") for t in load_csom(p).types}


def _captures():
    if not CAPTURES.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"captures not found at {CAPTURES}"))]
    return [
        pytest.param(path, id=f"{path.parent.name}/{path.stem}")
        for b in BUILDS
        for path in sorted((CAPTURES / b).glob("*.xml"))
    ]


def _object_types(value):
    if isinstance(value, dict):
        if "_ObjectType_" in value:
            yield value["_ObjectType_"]
        for item in value.values():
            yield from _object_types(item)
    elif isinstance(value, list):
        for item in value:
            yield from _object_types(item)


@pytest.mark.parametrize("capture", _captures())
def test_capture_replays(server, capture):
    digest = httpx.post(f"{server.url}/sites/probe/_api/contextinfo").json()["FormDigestValue"]
    r = httpx.post(
        f"{server.url}/sites/probe/_vti_bin/client.svc/ProcessQuery",
        content=capture.read_bytes(),
        headers={"Content-Type": "text/xml", "X-RequestDigest": digest},
    )
    assert r.status_code == 200
    parsed = parse_response(r.content)
    expected = EXPECTED_FAULTS.get(capture.stem)
    if expected:
        assert parsed.header.error_info is not None and expected in parsed.header.error_info.error_message
        return
    assert parsed.header.error_info is None, parsed.header.error_info
    assert parsed.results, "a capture that loads something gets results"
    assert set(_object_types(list(parsed.results.values()))) <= SHORT_NAMES
