"""The section-4 examples of both CSOM specs are requests of Microsoft's .NET client library (pretty-
printed, Identity paths, AddExpandoFieldTypeSuffix, Guid and Dictionary parameters): judged, each
conforms but where an erratum says the example departs from the tables, and then the judge names
exactly that case."""

from __future__ import annotations

import pytest

from conformance.clientjudge.csom import judge_process_query
from conformance.clientjudge.observed import Observed
from conformance.spec.data import load_json, specs_dir
from conformance.spec.errata import load_errata

# (protocol, example section) -> the cases the example fails, each with the erratum that explains it
CREATE_TASK = "ms-wmcsom/SP.WorkManagement.OM.SortableSession.CreateTask"
DEPARTURES = {("ms-wmcsom", "4.3"): {f"{CREATE_TASK}/client-parameter-count": "ex-wm-4.3-createtask-params"}}
EXAMPLES = [(p, example) for p in ("ms-wmcsom", "ms-spwfcsom") for example in load_json(p)["examples"]]
HEADERS = (("content-type", "text/xml"), ("x-requestdigest", "0x0,1"))


@pytest.mark.parametrize(("protocol", "example"), EXAMPLES, ids=[f"{p}-{e['section']}" for p, e in EXAMPLES])
def test_a_spec_example_request_conforms_but_for_its_errata(protocol: str, example: dict) -> None:
    request = Observed(
        "POST", "/sites/x/_vti_bin/client.svc/ProcessQuery", "", HEADERS, example["request"].encode()
    )
    judgements = judge_process_query(request)
    assert len(judgements) > 20
    failed = {j.id for j in judgements if not j.passed}
    departures = DEPARTURES.get((protocol, example["section"]), {})
    assert failed == set(departures)
    errata = {erratum.id for erratum in load_errata(specs_dir() / "errata.toml")}
    assert set(departures.values()) <= errata
