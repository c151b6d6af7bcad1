"""cases/test_task_lifecycle.py and cases/test_examples.py, run as a user runs them (pytest in a
subprocess): every case passes on the embedded reference server, and the task state machine fails
the right cases, naming the right section, against a reference server broken in one behaviour
(the proxy of tests/cases/broken.py): one that ignores DeleteTask, one that sorts the wrong way.
The in-suite model (conformance/model/task_model.py) is checked on its own at the end.

The runs are independent, so they go in parallel, once per module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

import pytest

from cases.test_examples import VARIANTS
from cases.test_task_lifecycle import ABSENT, DELETED_WRITE, SITES, SORT
from conformance.model.task_model import (
    SORTED_BY,
    DateRange,
    Expectation,
    ModelTask,
    NameMatch,
    Query,
    TaskModel,
    as_day,
    en_us,
    moved_after,
    order_key,
)
from conformance.server import ReferenceServer
from conformance.spec.data import load_csom
from conformance.wire import Method, SetProperty, parse_request, to_xml
from tests.cases.broken import CSOM, Call, Fault, Upstream, broken_server
from tests.cases.runner import Run, run_cases

LIFECYCLE, EXAMPLES = "cases/test_task_lifecycle.py", "cases/test_examples.py"
WMCSOM = load_csom("ms-wmcsom")


def _rewrite(call: Call, change: Any) -> Call:
    """The ProcessQuery request with every object path and action passed through ``change``."""
    request = parse_request(call.body)
    request = replace(
        request,
        object_paths=tuple(change(path) for path in request.object_paths),
        actions=tuple(change(action) for action in request.actions),
    )
    return replace(call, body=to_xml(request))


def _delete_is_pin(node: Any) -> Any:
    """DeleteTask answered as PinTask: the same TaskWriteResult, and the task stays."""
    return replace(node, name="PinTask") if isinstance(node, Method) and node.name == "DeleteTask" else node


def _sort_reversed(node: Any) -> Any:
    """OrderInfo.IsDescending flipped: every sorted read comes back the other way round."""
    if isinstance(node, SetProperty) and node.name == "IsDescending" and isinstance(node.value, bool):
        return replace(node, value=not node.value)
    return node


FAULTS = (
    Fault("delete-ignored", CSOM, before=lambda call, upstream: _rewrite(call, _delete_is_pin)),
    Fault("sort-reversed", CSOM, before=lambda call, upstream: _rewrite(call, _sort_reversed)),
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """The embedded server runs both files; each fault the state machine, one example long
    (--profile quick: its teardown alone deletes, sorts and reads everything back), in front of a
    reference server of its own (the runs go at once, and one fault's leftovers, the tasks it
    pinned instead of deleting, are not to disturb the other's reads)."""
    with ExitStack() as stack:
        jobs: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {"embedded": ((LIFECYCLE, EXAMPLES), ())}
        for fault in FAULTS:
            server = stack.enter_context(ReferenceServer(seed_data=True))
            url = stack.enter_context(broken_server(Upstream(server.url, server.token), fault))
            jobs[fault.name] = ((LIFECYCLE,), ("--target", url, "--profile", "quick"))
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = {
                name: pool.submit(run_cases, tmp_path_factory.mktemp(name), files, *args)
                for name, (files, args) in jobs.items()
            }
            yield {name: future.result() for name, future in futures.items()}


def _section(type_name: str, member: str) -> str:
    """A member's or enum value's section, looked up in the spec data (not in the cases)."""
    spec_type = WMCSOM.type(type_name)
    members = (*spec_type.methods, *spec_type.properties, *spec_type.values)
    return next(m.section for m in members if m.name == member)


def test_every_case_passes_on_the_reference_server(runs: dict[str, Run]) -> None:
    run = runs["embedded"]
    assert run.returncode == 0, run.output
    assert set(run.cases) == {s.id for s in SITES} | {v.meta.id for v in VARIANTS}
    assert set(run.outcome("passed")) == set(run.cases), run.output
    assert {c["protocol"] for c in run.cases.values()} == {"ms-wmcsom", "ms-spwfcsom"}


def test_a_server_that_keeps_deleted_tasks_fails_the_deletion_cases(runs: dict[str, Run]) -> None:
    run = runs["delete-ignored"]
    assert run.returncode == 1, run.output
    # exactly these: the model follows the target, so nothing else is blamed for the kept tasks
    assert set(run.outcome("failed")) == {ABSENT.id, DELETED_WRITE.id}, run.output
    assert not run.outcome("error"), run.output
    absent, written = run.cases[ABSENT.id], run.cases[DELETED_WRITE.id]
    assert absent["section"] == _section("SP.WorkManagement.OM.UserOrderedSession", "DeleteTask")
    assert (
        f"[MUST {absent['section']}] equals: expected deleted tasks returned by ReadTasks []"
        in absent["message"]
    )
    assert written["section"] == _section("SP.WorkManagement.OM.WriteFieldErrorType", "TaskDeleted")
    assert "Error of PinTask on deleted task" in written["message"]
    assert absent["outcome"] == written["outcome"] == "failed" and absent["evidence"] and written["evidence"]


def test_a_server_that_sorts_the_wrong_way_fails_the_sort_cases(runs: dict[str, Run]) -> None:
    run = runs["sort-reversed"]
    assert run.returncode == 1, run.output
    failed = run.outcome("failed")
    assert set(failed) <= {site.id for site in SORT.values()}, sorted(failed)
    assert not run.outcome("error"), run.output
    section = _section("SP.WorkManagement.OM.SortableTaskField", "Id")
    for descending in (False, True):  # ids are distinct, so the order shows either way
        result = failed[SORT["Id", descending].id]
        assert (result["outcome"], result["section"], result["level"]) == ("failed", section, "should")
        assert f"[SHOULD {section}] ordered: expected Id of the tasks sorted" in result["message"]
    # sorting by location or discovery is judged on completeness only (the tasks cannot show it)
    unjudged = {SORT[order].id for order in SORT if SORTED_BY[order[0]] is None}
    assert unjudged and not unjudged & set(failed)


# ------------------------------------------------------------------------------ the model alone


def _task(task_id: int, name: str, **fields: Any) -> ModelTask:
    defaults = {"description": None, "start": None, "due": None, "completed": False, "pinned": False}
    return ModelTask(task_id, name.split()[0], name, **{**defaults, **fields})


def test_the_model_admits_every_reading_of_name_and_keyword_matching() -> None:
    model = TaskModel()
    for task in (_task(1, "ccrun0t1 Pay rent"), _task(2, "ccrun0t12 pay RENT"), _task(3, "ccrun0t3 other")):
        model.add(task)
    ids = (1, 2, 3)
    # case: "rent" must find task 1, may find task 2 (case-insensitive), never task 3
    assert model.expect(Query(ids, name=NameMatch("Contains", "rent"))) == Expectation(
        frozenset({1}), frozenset({1, 2})
    )
    # a keyword is a word of the name, or (another reading) any substring: t1 is inside t12
    assert model.expect(Query(ids, keyword="ccrun0t1")) == Expectation(frozenset({1}), frozenset({1, 2}))
    # Any: the listed id OR the criterion; All: both
    equals = NameMatch("Equals", "ccrun0t3 other")
    assert model.expect(Query((1,), concat="Any", name=equals)).required == {1, 3}
    assert model.expect(Query((1,), name=equals)).allowed == frozenset()


def test_the_model_filters_dates_pins_and_attributes() -> None:
    model = TaskModel()
    model.add(_task(1, "t1 a", due=dt.date(2026, 1, 15), pinned=True, attributes=frozenset({"red", "blue"})))
    model.add(_task(2, "t2 b", due=None, attributes=frozenset({"red"})))
    ids = (1, 2)
    assert model.expect(Query(ids, due=DateRange(dt.date(2026, 1, 15), None))).required == {1}
    assert model.expect(Query(ids, due=DateRange(None, dt.date(2026, 1, 14)))).allowed == frozenset()
    assert model.expect(Query(ids, pinned="NotPinned")).required == {2}
    assert model.expect(Query(ids, attributes=("red", "blue"))).required == {1}
    assert model.expect(Query(ids, attributes=("blue", "green"), attribute_concat="Any")).required == {1}
    model.delete(1)
    assert model.expect(Query(ids)).allowed == {2} and model.all_ids() == (1, 2)


def test_the_model_reads_dates_orders_and_moves() -> None:
    assert as_day(dt.datetime(1, 1, 1)) is None  # DateTime.MinValue: no date
    assert as_day(dt.datetime(2026, 1, 14, 23, tzinfo=dt.UTC)) == dt.date(
        2026, 1, 15
    )  # local midnight in UTC
    assert (
        en_us(dt.date(2026, 3, 1)) == "3/1/2026" and en_us(dt.date(2026, 3, 1), padded=True) == "03/01/2026"
    )
    keys = [order_key(v) for v in (None, "b", "A", 3, dt.datetime(1, 1, 1))]
    assert sorted(keys) == [order_key(v) for v in (None, "A", "b", 3, dt.datetime(1, 1, 1))]
    assert moved_after([1, 2, 3, 4], 4, 1) == [1, 4, 2, 3]
