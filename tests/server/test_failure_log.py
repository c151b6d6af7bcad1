"""The catch-all's log is bounded (issue 19): each distinct unexpected failure is logged once, with
its innermost frames and its message cut; repeats are summed up once a window, and few distinct
failures a window are logged. A client that can trigger a failure cannot grow the log at will."""

import logging

import httpx
import pytest

from conformance.server import ReferenceServer
from conformance.server.errors import MAX_DISTINCT, MESSAGE_CHARS, TRACE_FRAMES, WINDOW_S, FailureLog

LOGGER = "conformance.server.test"


def deep(levels: int, message: str) -> None:
    if levels:
        deep(levels - 1, message)
    raise ValueError(message)


def raised(levels: int = 0, message: str = "bad", kind: type[Exception] = ValueError) -> Exception:
    try:
        if kind is ValueError:
            deep(levels, message)
        raise kind(message)
    except Exception as exc:
        return exc


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def failures(caplog):
    caplog.set_level(logging.ERROR, logger=LOGGER)
    clock = Clock()
    return FailureLog(logging.getLogger(LOGGER), clock), clock, caplog


def test_one_failure_repeated_is_logged_once_with_a_short_trace_and_a_cut_message(failures):
    log, _, caplog = failures
    client_input = "<x>" * 40_000
    for _ in range(1000):
        log.report(raised(500, client_input), "ProcessQuery")  # 500 frames deep, 120 KB message
    assert len(caplog.records) == 1
    text = caplog.records[0].getMessage()
    assert 1 <= text.count('File "') <= TRACE_FRAMES and len(text) < 2000, len(text)  # of 500 frames
    assert "(120000 characters)" in text and client_input[: MESSAGE_CHARS + 1] not in text


def test_repeats_and_what_was_not_logged_are_summed_up_once_a_window(failures):
    log, clock, caplog = failures
    kinds = [type(f"Failure{n}", (RuntimeError,), {}) for n in range(MAX_DISTINCT + 5)]
    for kind in kinds:
        for _ in range(3):
            log.report(raised(kind=kind), "GET /api/Tasks/Calendar")
    assert len(caplog.records) == MAX_DISTINCT  # the other 5 wait for the next window
    clock.now += WINDOW_S
    log.report(raised(kind=kinds[-1]), "GET /api/Tasks/Calendar")
    summary, newly = (record.getMessage() for record in caplog.records[MAX_DISTINCT:])
    assert f"{MAX_DISTINCT * 2} repeats" in summary and "15 others not logged" in summary
    assert "Failure24" in newly


def test_a_failing_endpoint_answers_500_and_logs_once(caplog):
    caplog.set_level(logging.ERROR)
    with ReferenceServer() as server:
        with server.app.state.db.transaction() as conn:
            conn.execute("DROP TABLE calendar_items")  # a real failure inside the calendar's query
        for _ in range(20):
            answer = httpx.get(
                f"{server.url}/api/Tasks/Calendar",
                params={"from": "2026-01-01", "to": "2026-01-02"},
                headers=server.auth_headers,
            )
            assert answer.status_code == 500 and answer.text == "Internal Server Error"
    failures = [record for record in caplog.records if "failed unexpectedly" in record.getMessage()]
    assert len(failures) == 1 and "calendar_items" in failures[0].getMessage()
    assert not [record for record in caplog.records if "Exception in ASGI application" in record.getMessage()]
