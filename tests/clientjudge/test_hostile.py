"""The judge never breaks on what a client sends: random damage to real JSOM requests (an element
removed, an attribute's value replaced by hostile text, a Type changed, the body cut short) is judged
without an exception, and a request the server refuses unread is judged from its whole body. Should
the judge fail all the same, the server answers as always and the run ends in a suite error."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.clientjudge.csom import judge_process_query
from conformance.clientjudge.ledger import JUDGES
from conformance.clientjudge.observed import Observed
from conformance.clientjudge.serve import JudgingServer
from conformance.report.verdict import SUITE_ERRORS, judge
from conformance.results import Run, RunHeader

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "captures" / "jsom" / "spo"
BODIES = sorted(CAPTURES.glob("*.xml")) if CAPTURES.is_dir() else []
HOSTILE = st.sampled_from(
    ["", "-1", "99999999999999999999", "²", "{not-a-guid}", "0", "Int32", "Enum", "Null", "Array", "x" * 300,
     "9999-12-31T23:59:59.9999999+14:00", "true", "\ud7ff", "Number", "String", "DateTime", "Guid"]
)  # fmt: skip
HEADERS = (("content-type", "text/xml"), ("x-requestdigest", "0x0,1"))

pytestmark = pytest.mark.skipif(not BODIES, reason=f"JSOM captures not found at {CAPTURES}")


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    root = etree.fromstring(draw(st.sampled_from(BODIES)).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        elements = list(root.iter())
        element = draw(st.sampled_from(elements))
        how = draw(st.sampled_from(["remove", "attribute", "text", "duplicate"]))
        if how == "remove" and element is not root:
            element.getparent().remove(element)
        elif how == "attribute" and element.attrib:
            element.set(draw(st.sampled_from(sorted(element.attrib))), draw(HOSTILE))
        elif how == "text":
            element.text = draw(HOSTILE)
        elif how == "duplicate" and element is not root:
            element.addnext(etree.fromstring(etree.tostring(element)))
    body = etree.tostring(root)
    return body[: draw(st.integers(len(body) // 2, len(body)))] if draw(st.booleans()) else body


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damaged_requests_are_judged_without_an_exception(body: bytes) -> None:
    judgements = judge_process_query(
        Observed("POST", "/sites/x/_vti_bin/client.svc/ProcessQuery", "", HEADERS, body)
    )
    assert judgements and all(j.protocol and j.section and j.check for j in judgements)


def test_a_request_refused_unread_is_judged_whole() -> None:
    body = BODIES[0].read_bytes()
    with JudgingServer(token="only-this-token") as server:
        ledger = server.reset()
        answer = httpx.post(server.url + "/_vti_bin/client.svc/ProcessQuery", content=body,
                            headers=dict(HEADERS), timeout=10)  # fmt: skip
    assert answer.status_code == 401
    cases = {c.id: c for c in ledger.cases()}
    assert cases["ms-csom/ProcessQuery/client-well-formed"].outcome == "passed"
    assert len(cases) > 12


def _broken_judge(request: Observed) -> list:
    raise RuntimeError("a bug in the judge")


def test_a_judge_that_fails_leaves_the_answer_alone_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # a stand-in for a defect of the judge, not for the judge under test: what the ledger does with one
    monkeypatch.setitem(JUDGES, "/_vti_bin/client.svc/processquery", _broken_judge)
    with JudgingServer() as server:
        ledger = server.reset()
        answer = httpx.post(server.url + "/_vti_bin/client.svc/ProcessQuery", content=BODIES[0].read_bytes(),
                            headers=dict(HEADERS), timeout=10)  # fmt: skip
    assert answer.status_code == 200 and answer.json()[0]["SchemaVersion"]  # answered as always
    (case,) = ledger.cases()
    assert case.outcome == "suite-error" and "RuntimeError: a bug in the judge" in case.message
    assert (
        judge(Run(RunHeader("t", "2026-01-01T00:00:00+00:00", 0, 0, "0"), (case,))).exit_code == SUITE_ERRORS
    )
