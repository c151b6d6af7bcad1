"""``conformance run`` against a hostile target, as a user runs it (a real subprocess), and what the
battery asserts of every such run: its exit code, its wall time within a bound derived from the
configured timeouts, the peak memory of its process tree, no traceback, no secret in any output,
and reports that can be read."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.run.conftest import CONFORMANCE
from tests.run.launch import environment

READ_TIMEOUT = 0.5  # seconds: every run of the battery is held to small timeouts
SETTINGS = {"CONFORMANCE_READ_TIMEOUT": str(READ_TIMEOUT), "CONFORMANCE_CONNECT_TIMEOUT": "1",
            "CONFORMANCE_RETRIES": "1", "CONFORMANCE_BACKOFF": "0.05", "CONFORMANCE_MAX_RETRY_WAIT": "0.2",
            "CONFORMANCE_CASE_TIMEOUT": "3", "CONFORMANCE_MAX_ANSWER_BYTES": str(2**20)}  # fmt: skip
START_S = 6.0  # starting the command and collecting the cases, on a loaded CI machine
MEMORY_KB = 1_000_000  # the bound for the run's process tree
# the process tree's peak resident memory (the largest process waited for: a run of one worker is one)
WRAPPER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


@dataclass(frozen=True)
class Ran:
    code: int
    wall_s: float
    peak_kb: int
    stdout: str
    stderr: str
    reports: Path

    def outputs(self) -> dict[str, bytes]:
        """Everything the run wrote: its terminal output and every file of its report folder."""
        files = {str(p): p.read_bytes() for p in self.reports.rglob("*") if p.is_file()}
        return {"stdout": self.stdout.encode(), "stderr": self.stderr.encode(), **files}

    def results(self) -> dict:
        return json.loads((self.reports / "results.json").read_text(encoding="utf-8"))


def run_against(
    url: str, tmp_path: Path, *args: str, bound_s: float, secrets: tuple[str, ...] = (), **variables: str
) -> Ran:
    """One quick run of ``--workers 1`` (in-process: the peak is the run's own), checked for what
    every hostile run must keep: within ``bound_s`` (after start-up), under MEMORY_KB, no traceback,
    no secret anywhere."""
    reports = tmp_path / "reports"
    command = [str(CONFORMANCE), "run", "--profile", "quick", "--workers", "1", "--target", url,
               "--report-dir", str(reports), *args]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, cwd=tmp_path,
        env=environment(**{**SETTINGS, **variables}), timeout=START_S + bound_s + 60,
    )  # fmt: skip
    wall = time.monotonic() - started
    *said, peak = done.stderr.rstrip("\n").split("\n")
    ran = Ran(done.returncode, wall, int(peak), done.stdout, "\n".join(said), reports)
    assert "Traceback" not in ran.stdout + ran.stderr, ran.stderr[-3000:]
    assert wall < START_S + bound_s, (wall, ran.stderr[-2000:])
    assert ran.peak_kb < MEMORY_KB, ran.peak_kb
    for secret in secrets:
        leaks = [name for name, data in ran.outputs().items() if secret.encode() in data]
        assert not leaks, (secret, leaks)
    return ran
