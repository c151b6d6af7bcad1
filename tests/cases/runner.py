"""Running conformance cases as a user does: pytest in a subprocess, its outcome read back from the
results.json it writes (--report-dir)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str  # the tail of what pytest printed
    cases: dict[str, dict[str, Any]]  # results.json's cases by id

    def failed(self) -> dict[str, dict[str, Any]]:
        return {id_: c for id_, c in self.cases.items() if c["outcome"] != "passed"}

    def outcome(self, outcome: str) -> dict[str, dict[str, Any]]:
        return {id_: c for id_, c in self.cases.items() if c["outcome"] == outcome}


def run_cases(
    report_dir: Path,
    files: tuple[str, ...],
    *args: str,
    env: dict[str, str] | None = None,
    timeout: int = 600,
) -> Run:
    """``pytest FILES ARGS --report-dir REPORT_DIR`` from the repository root (PYTEST_ADDOPTS of the
    calling run left out, ``env`` added)."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"} | (env or {})
    command = [sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, "--report-dir", str(report_dir), *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    results = report_dir / "results.json"
    cases = json.loads(results.read_text())["cases"] if results.exists() else []
    return Run(done.returncode, done.stdout[-4000:] + done.stderr[-2000:], {c["id"]: c for c in cases})
