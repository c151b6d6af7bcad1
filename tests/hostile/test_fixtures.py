"""A fixture's set-up is held to ``case_timeout`` as a case is: against a target that answers every
request in time but slowly, provisioning that takes many requests ends, and its cases error as the
target's fault (the plugin in a pytest run of its own, against a hostile loopback target)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.hostile.targets import Peer, answer, hostile

CASES = """
import pytest
from conformance.case import CaseMeta, case

@pytest.fixture(scope="session")
def provisioned(target):
    for _ in range(100):  # 100 requests of 0.1 s: 10 s of provisioning
        target.send("GET", target.site_url)

def meta(n):
    return CaseMeta("ms-wmcsom", "3.1.5.2", f"Item.n{n}", "check")

@pytest.mark.parametrize("n", [case(meta(n), n) for n in (1, 2)])
def test_provisioned(n, provisioned):
    pass
"""


def _slow(peer: Peer) -> None:
    while peer.request() is not None and not peer.stop.wait(0.1) and peer.send(answer()):
        pass


def test_a_fixture_past_case_timeout_errors_its_cases(tmp_path: Path) -> None:
    (tmp_path / "test_fixture.py").write_text(CASES, encoding="utf-8")
    with hostile(_slow) as target:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "test_fixture.py", "-p", "no:cacheprovider", "-c", "/dev/null",
             "--rootdir", str(tmp_path), "--report-dir", "r", "--target", target.url, "--read-only",
             "--conformance-case-timeout", "1"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        took = time.monotonic() - started
    cases = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))["cases"]
    assert [c["outcome"] for c in cases] == ["error", "error"], done.stdout[-2000:]
    assert all("case_timeout" in c["message"] for c in cases), [c["message"] for c in cases]
    assert took < 8, took  # 1 s of provisioning, not 10
