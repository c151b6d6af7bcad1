"""Request equivalence: every request JSOM sent in the interop scenarios, of every build, is the
request the wire codec's RequestBuilder makes from the same call (tests/interop/jsom_calls.py).

Compared in canonical form (ids renumbered, object paths ordered): the object paths, actions and
parameters are the same; only the ids differ, and how they differ is a difference between builds.
"""

from __future__ import annotations

import pytest

from conformance.drive.target import PROCESS_QUERY
from conformance.interop.runner import BUILDS
from conformance.wire import canonical, parse_request
from tests.interop.jsom_calls import BUILDERS, rebuild
from tests.wire.test_captures import BUILDS as LIBRARY_VERSIONS


def sent_requests(run):
    """(scenario/label, vars, parsed request) for every ProcessQuery request of a run."""
    return [
        (f"{scenario.name}/{step.label}", step.vars, parse_request(exchange.request.encode()))
        for scenario in run.scenarios
        for step in scenario.steps
        for exchange in step.exchanges
        if PROCESS_QUERY in exchange.url
    ]


@pytest.mark.parametrize("build", BUILDS)
def test_codec_builds_what_jsom_sent(jsom_runs, build):
    requests = sent_requests(jsom_runs[build])
    assert len(requests) > 70
    differ = [
        key
        for key, variables, sent in requests
        if canonical(rebuild(key, variables, library_version=sent.library_version)) != canonical(sent)
    ]
    assert differ == []


def test_every_builder_is_used(jsom_runs):
    used = {key for run in jsom_runs.values() for key, _, _ in sent_requests(run)}
    assert used == set(BUILDERS)


@pytest.mark.parametrize("build", BUILDS)
def test_request_header_per_build(jsom_runs, build):
    headers = {
        (r.schema_version, r.library_version, r.application_name)
        for _, _, r in sent_requests(jsom_runs[build])
    }
    assert headers == {("15.0.0.0", LIBRARY_VERSIONS[build], "Javascript Library")}


def test_id_numbering_per_build(jsom_runs):
    """2019 and Online number every ClientContext from 0; 2013 and 2016 keep one counter for the
    whole process (each step here uses a fresh context), as the captures README says."""
    firsts = {
        build: [
            min(x.id for x in (*r.actions, *r.object_paths)) for _, _, r in sent_requests(jsom_runs[build])
        ]
        for build in BUILDS
    }
    assert set(firsts["2019"]) == set(firsts["spo"]) == {0}
    for build in ("2013", "2016"):
        assert firsts[build] == sorted(firsts[build]) and len(set(firsts[build])) == len(firsts[build])
