"""Same seed, same outcomes: two runs of the cases with one seed, each against a fresh reference
server (with its demo data), give every case the same outcome after the same number of checks,
though the second runs its lanes in four threads where the first runs them one after another
(--conformance-max-concurrency 1, as a worker's share of the cap would) and has one more local
module imported (-p, as another selection, a plugin or a thread's late import would): neither may
change what the seed draws.

The lifecycles run under the default profile (10 examples in 4 lanes, each with draws of its own),
test_methods.py draws the generated calls up front; one run takes some 10 s here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.server import ReferenceServer
from tests.cases.runner import Run, run_cases

FILES = ("cases/test_task_lifecycle.py", "cases/test_workflow_lifecycle.py", "cases/test_methods.py")
SEED = "1"  # one whose outcomes differed so: RemovePinOnTask/lifecycle-unpin passed once, skipped once
TOKEN_ENV = "CCRUN_DETERMINISM_TOKEN"


def _run(report_dir: Path, *args: str) -> Run:
    with ReferenceServer(seed_data=True) as server:
        return run_cases(
            report_dir, FILES, "--target", server.url, "--token-env", TOKEN_ENV, "--seed", SEED, *args,
            env={TOKEN_ENV: server.token},
        )  # fmt: skip


def _checks(report_dir: Path) -> int:
    """The checks a run judged (not its requests: a retried request would count, and say nothing of
    the draws)."""
    return json.loads((report_dir / "results.json").read_text())["checks_run"]


def test_one_seed_gives_every_case_the_same_outcome(tmp_path_factory: pytest.TempPathFactory) -> None:
    dirs = [tmp_path_factory.mktemp(name) for name in ("one-thread", "four-threads")]
    one_thread = _run(dirs[0], "--conformance-max-concurrency", "1")
    # conformance.selftest: a module of this checkout no case imports, full of constants
    four_threads = _run(dirs[1], "-p", "conformance.selftest")
    assert one_thread.cases, one_thread.output
    assert set(one_thread.cases) == set(four_threads.cases)
    first, second = ({i: c["outcome"] for i, c in run.cases.items()} for run in (one_thread, four_threads))
    differing = {id_: (outcome, second[id_]) for id_, outcome in first.items() if outcome != second[id_]}
    assert not differing, differing
    # the same draws: not only the same outcomes, the same checks (other draws judge other things)
    assert _checks(dirs[0]) == _checks(dirs[1])
