"""cases/test_provoked.py, run as a user runs it: every case passes on the embedded reference server,
and a reference server that answers the wrong value for a provoked condition fails the case of the
value the condition calls for, at that value's section (the proxy of tests/cases/broken.py): one
that answers InvalidInput for every failed write, one whose refreshes have always succeeded, one
that answers Success to every opt-in. The three touch disjoint cases, so one broken server has all.
A fourth answers each Error as a list: the cases fail, quoting it, never err.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from lxml import etree

from cases.test_provoked import ALREADY, CONDITIONS, FAILED, NO_STATE, _meta
from conformance.server import ReferenceServer
from tests.cases.broken import CSOM, Answer, Call, Fault, Upstream, broken_server
from tests.cases.faults import _edit_csom, _objects
from tests.cases.runner import Run, run_cases

PROVOKED = "cases/test_provoked.py"
NO_VALUE, INVALID_INPUT, SUCCEEDED, SUCCESS = 0, 2, 3, 1  # the numbers the faults answer


def _every_error_invalid_input(array: list[Any]) -> list[Any]:
    for value in _objects(array[1:]):
        if value.get("_ObjectType_") == "SP.WorkManagement.OM.TaskWriteResult" and value.get("Error"):
            value["Error"] = INVALID_INPUT
    return array


def _refreshes_succeeded(array: list[Any]) -> list[Any]:
    for value in _objects(array[1:]):
        for state in ("AggregatorRefreshState", "RefreshState"):
            if isinstance(value.get(state), int):
                value[state] = SUCCEEDED
    return array


def _opt_ins_succeed(call: Call, answer: Answer) -> Answer:
    """The result of every OptIntoExchangeSync action of the request is Success."""
    try:
        request = etree.fromstring(call.body, etree.XMLParser(resolve_entities=False, load_dtd=False))
    except etree.XMLSyntaxError:
        return answer
    ids = {
        int(node.get("Id"))
        for node in request.iter("{*}Method")
        if node.get("Name") == "OptIntoExchangeSync" and (node.get("Id") or "").isdigit()
    }
    if not ids or answer.status != 200:
        return answer
    array = answer.json()
    for i in range(1, len(array) - 1, 2):
        if array[i] in ids:
            array[i + 1] = SUCCESS
    return answer.with_json(array)


def _errors_as_lists(array: list[Any]) -> list[Any]:
    for value in _objects(array[1:]):
        if value.get("_ObjectType_") == "SP.WorkManagement.OM.TaskWriteResult":
            value["Error"] = [value.get("Error")]
    return array


FAULTS = (
    Fault("every-error-invalid-input", CSOM, after=_edit_csom(_every_error_invalid_input)),
    Fault("refreshes-succeeded", CSOM, after=_edit_csom(_refreshes_succeeded)),
    Fault("opt-ins-succeed", CSOM, after=_opt_ins_succeed),
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    lists = Fault("errors-as-lists", CSOM, after=_edit_csom(_errors_as_lists))
    with (
        ReferenceServer() as server,
        broken_server(Upstream(server.url, server.token), *FAULTS) as url,
        ReferenceServer() as other,
        broken_server(Upstream(other.url, other.token), lists) as lists_url,
    ):
        jobs = {"embedded": (), "broken": ("--target", url), "lists": ("--target", lists_url)}
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = {
                name: pool.submit(run_cases, tmp_path_factory.mktemp(name), (PROVOKED,), *args)
                for name, args in jobs.items()
            }
            yield {name: future.result() for name, future in futures.items()}


def test_every_case_passes_on_the_reference_server(runs: dict[str, Run]) -> None:
    run = runs["embedded"]
    assert run.returncode == 0, run.output
    assert run.cases and set(run.outcome("passed")) == set(run.cases), run.output


def test_a_wrong_value_fails_the_case_of_the_right_one_at_its_section(runs: dict[str, Run]) -> None:
    run = runs["broken"]
    wrong_errors = {
        _meta("WriteFieldErrorType", c.value, "provoked")
        for c in CONDITIONS
        if c.value not in ("NoValue", "InvalidInput")
    }
    expected = {meta.id: meta for meta in (*wrong_errors, FAILED, NO_STATE, ALREADY)}
    assert set(run.outcome("failed")) == set(expected), run.output
    for case_id, meta in expected.items():
        failed = run.cases[case_id]
        assert failed["section"] == meta.section
        assert failed["level"] == "semantic"
        assert f"[SEMANTIC {meta.section}] equals:" in failed["message"], failed["message"]
    title = run.cases[_meta("WriteFieldErrorType", "TitleInvalid", "provoked").id]["message"]
    assert "for a blank title 'TitleInvalid (12)'; got 'InvalidInput (2)'" in title, title
    # what the faults leave right still passes: a write that succeeds, the value the fault answers
    for name in ("NoValue", "InvalidInput"):
        assert run.cases[_meta("WriteFieldErrorType", name, "provoked").id]["outcome"] == "passed"


def test_an_error_of_another_json_type_fails_every_write_case_as_the_targets(runs: dict[str, Run]) -> None:
    run = runs["lists"]
    writes = {_meta("WriteFieldErrorType", c.value, "provoked").id for c in CONDITIONS}
    assert set(run.outcome("failed")) == writes, run.output
    assert "got '[12]'" in run.cases[_meta("WriteFieldErrorType", "TitleInvalid", "provoked").id]["message"]
