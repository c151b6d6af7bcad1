"""cases/test_calendar.py sends its independent GETs at once, never more than ``max_concurrency``
(issue 23): run as a user runs it, through a proxy that holds each calendar GET and counts how many
are in flight. A GET that fails then is its case's to send again."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from conformance.background import BackgroundServer
from conformance.selftest import member_env
from conformance.server import ReferenceServer
from tests.cases.broken import CALENDAR
from tests.cases.counting import HOLD_S, counting_proxy
from tests.cases.runner import Run, run_cases

TOKEN_ENV = "CONFORMANCE_TEST_TOKEN"
CAP = 3


def _run(tmp_path: Path, *args: str, first_hold_s: float = HOLD_S, **settings: str) -> tuple[Run, int]:
    """The calendar cases (pytest ``args`` added) through the counting proxy, with
    ``CONFORMANCE_<SETTING>`` variables; and the most GETs it held at once."""
    peak = [0]
    with ReferenceServer(seed_data=True) as server, ExitStack() as stack:
        app = counting_proxy(server.url, CALENDAR, peak, first_hold_s)
        proxy = stack.enter_context(BackgroundServer(app, lifespan="on"))
        env = {f"CONFORMANCE_{k.upper()}": v for k, v in settings.items()}
        env |= {TOKEN_ENV: server.token, "CONFORMANCE_MAX_CONCURRENCY": str(CAP), **member_env()}
        args = ("--target", proxy.url, "--token-env", TOKEN_ENV, *args)
        return run_cases(tmp_path, ("cases/test_calendar.py",), *args, env=env), peak[0]


def test_calendar_gets_go_at_once_up_to_max_concurrency(tmp_path: Path) -> None:
    run, peak = _run(tmp_path)
    assert run.returncode == 0, run.output
    assert run.cases and {c["outcome"] for c in run.cases.values()} == {"passed"}, run.failed()
    assert peak == CAP, f"at most {peak} calendar GETs in flight, {CAP} allowed"


def test_a_get_failing_before_the_cases_is_sent_again_by_its_case(tmp_path: Path) -> None:
    """Every query's first GET outlasts read_timeout: the cases' own GETs are answered in time (the
    parameter combinations: every GET of theirs is one sent before the cases)."""
    selection = ("-k", "test_parameter_combination")
    run, _ = _run(tmp_path, *selection, first_hold_s=1.5, read_timeout="0.8", retries="0")
    assert run.returncode == 0, run.output
    assert run.cases and {c["outcome"] for c in run.cases.values()} == {"passed"}, run.failed()
