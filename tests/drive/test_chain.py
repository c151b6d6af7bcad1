"""Chained lifecycle steps (conformance/drive/chain.py) against a real reference server: steps share
a request until one touches an object a pending step touches, a step needs its answer, or the chain
is full; each is judged on the one answer, in order, after the closing read; a failing step masks
none of the others."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.drive.chain import Chain, Judge
from conformance.drive.target import Credentials, CsomReply, Target
from conformance.model.catalogue import WM, catalogue
from conformance.server import ReferenceServer
from conformance.wire import QuerySpec, RequestBuilder, scope_error

SETTINGS_MANAGER = catalogue().types[WM + "UserSettingsManager"].type_id


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    with (
        ReferenceServer(seed_data=True) as server,
        Target(server.url, credentials=Credentials.bearer(server.token)) as target,
    ):
        target.form_digest()  # fetched once, so that requests_sent counts ProcessQuery requests only
        yield target


class Steps:
    """Steps that read the user's settings (or call a method no server has), noting what each saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, bool]] = []  # (step, request number, the step's scope failed)

    def step(self, name: str, method: str = "GetUserSettings") -> object:
        def write(builder: RequestBuilder) -> Judge:
            with builder.exception_scope() as scope_id:
                settings = builder.method(builder.construct(SETTINGS_MANAGER), method)
                builder.query(settings, QuerySpec.select("DaysAfterCurrentDateTimelineEnds"))

            def judge(reply: CsomReply) -> None:
                failed = scope_error(reply.response.results.get(scope_id)) is not None
                self.seen.append((name, id(reply), failed))

            return judge

        return write


def _requests(seen: list[tuple[str, int, bool]]) -> list[list[str]]:
    """The steps by the request that carried them, in order."""
    order = list(dict.fromkeys(reply for _, reply, _ in seen))
    return [[name for name, reply, _ in seen if reply == one] for one in order]


def test_steps_share_a_request_until_one_touches_a_pending_object(target: Target) -> None:
    steps, before = Steps(), target.requests_sent
    chain = Chain(target, limit=10, closing=steps.step("closing"))
    chain.add(steps.step("a"), ["task 1"])
    chain.add(steps.step("b"), ["task 2"])
    assert target.requests_sent == before and steps.seen == []  # nothing sent yet
    chain.add(steps.step("c"), ["task 1"])  # task 1 has a pending step: a and b go first
    chain.send(steps.step("d"))  # its answer is needed: sent at once, with c
    chain.flush()  # nothing pending: no request
    assert _requests(steps.seen) == [["a", "b", "closing"], ["c", "d", "closing"]]
    assert target.requests_sent == before + 2


def test_settle_sends_only_when_a_pending_step_touches_the_object(target: Target) -> None:
    steps = Steps()
    chain = Chain(target, limit=10)
    chain.add(steps.step("a"), ["definition 1"])
    chain.settle(["definition 2"])
    assert steps.seen == []
    chain.settle(["definition 1"])
    assert _requests(steps.seen) == [["a"]]


def test_a_full_chain_is_sent(target: Target) -> None:
    steps = Steps()
    chain = Chain(target, limit=2)
    for name in "abc":
        chain.add(steps.step(name))
    chain.flush()
    assert _requests(steps.seen) == [["a", "b"], ["c"]]


def test_a_failing_step_masks_none_after_it(target: Target) -> None:
    steps = Steps()
    chain = Chain(target, limit=10)
    chain.add(steps.step("a"))
    chain.add(steps.step("unknown", method="NoSuchMethod"))
    chain.add(steps.step("b"))
    chain.flush()
    assert [(name, failed) for name, _, failed in steps.seen] == [
        ("a", False),
        ("unknown", True),
        ("b", False),
    ]


def test_a_last_step_follows_the_closing_read_and_goes_alone_when_nothing_is_pending(target: Target) -> None:
    steps = Steps()
    chain = Chain(target, limit=10, closing=steps.step("closing"))
    chain.add(steps.step("a"))
    chain.flush(then=steps.step("last"))
    chain.flush(then=steps.step("alone"))  # no closing read: no step of the lifecycle to read back
    assert _requests(steps.seen) == [["a", "closing", "last"], ["alone"]]
