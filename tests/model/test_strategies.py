"""The generated calls of cases/test_methods.py, drawn up front from the seed (no server needed).

Drawn as one Hypothesis example holding every method's list of calls, they overran Hypothesis's
buffer: under the thorough profile (99 calls a method) the draw ended in ``Unsatisfiable … test cases
were too large`` after minutes, and all 150 method-call cases errored. Each call is now an example
of its method's own Hypothesis run (conformance.model.strategies.examples). Runtime: about 10 s of CPU, most
of it drawing the thorough profile's ~11,000 calls.
"""

from __future__ import annotations

from dataclasses import replace

from cases.test_methods import CATALOGUE, METHODS, generated_calls
from conformance.case import PROFILES, RunOptions
from conformance.model.routes import Arguments
from conformance.model.strategies import strategy_for

# no parameter provisioned: every one is generated, more than a run against a target draws
EVERY_PARAMETER = Arguments(CATALOGUE, {})
OPTIONS = RunOptions(
    profile="thorough", seed=0, read_only=False, batch_size=40, report_dir=None, run_id="ccrun0",
    embedded=True,
)  # fmt: skip
# types with more values than the thorough profile draws: a method taking one gets every call
WIDE_TYPES = ("CSOM String", "CSOM Int32", "CSOM UInt32", "CSOM Int64", "CSOM DateTime", "CSOM GUID")


def test_thorough_profile_draws_every_call() -> None:
    extra = PROFILES["thorough"] - 1
    drawn = generated_calls(METHODS, EVERY_PARAMETER, OPTIONS)
    # a method whose parameters are all objects (a query, a filter) has only its typical call
    generated = {
        (t.name, m.name): m
        for t, m in METHODS
        if any(strategy_for(CATALOGUE, p.type) is not None for p in m.parameters)
    }
    assert drawn.keys() == generated.keys()
    for key, method in generated.items():
        calls = drawn[key]
        wide = any(p.type in WIDE_TYPES for p in method.parameters)
        assert len(calls) == extra if wide else 1 <= len(calls) <= extra, (key, len(calls))
        # an object parameter is None (the typical value is sent), a generated one a 1-tuple
        shape = [strategy_for(CATALOGUE, p.type) is not None for p in method.parameters]
        for call in calls:
            assert [isinstance(value, tuple) and len(value) == 1 for value in call] == shape, key
            assert all(value is None for value, sent in zip(call, shape, strict=True) if not sent), key


def test_a_methods_calls_depend_only_on_the_seed() -> None:
    """The same seed gives the same calls, whichever other methods are drawn with them and in
    whatever order; another seed gives other calls."""
    options = replace(OPTIONS, profile="default")
    every = generated_calls(METHODS, EVERY_PARAMETER, options)
    few = METHODS[::-7]
    alone = generated_calls(few, EVERY_PARAMETER, options)
    assert alone and all(every[key] == calls for key, calls in alone.items())
    assert generated_calls(few, EVERY_PARAMETER, replace(options, seed=1)) != alone
