"""Results survive a crash: the plugin keeps each case as it is judged in the report folder's journal,
so a run that is killed (out of memory, SIGKILL) keeps what it judged, and ``conformance run
--workers N`` merges what a killed worker judged instead of losing the whole run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conformance.report import publish
from conformance.results import JOURNAL, CaseResult, Journal, Run, RunHeader, read_journal
from conformance.runner.invoke import RunSettings
from conformance.runner.workers import _collect, shard_dir

CASES = """
import os, signal
import pytest
from conformance.case import CaseMeta, case

def meta(n):
    return CaseMeta("ms-wmcsom", "3.1.5.2", f"Item.n{n}", "check")

@pytest.mark.parametrize("n", [case(meta(n), n) for n in (1, 2, 3)])
def test_then_killed(n, target):
    if n == 3:  # as the kernel's OOM killer would
        os.kill(os.getpid(), signal.SIGKILL)
    assert n == 1, "the target is wrong"
"""


def test_a_killed_run_keeps_what_it_judged(tmp_path: Path) -> None:
    (tmp_path / "test_killed.py").write_text(CASES, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "test_killed.py", "-p", "no:cacheprovider", "-c", "/dev/null",
         "--rootdir", str(tmp_path), "--report-dir", "r"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == -9 and not (tmp_path / "r" / "results.json").exists()
    run = read_journal(tmp_path / "r" / JOURNAL)
    assert [(c.item, c.outcome) for c in run.cases] == [("Item.n1", "passed"), ("Item.n2", "failed")]
    assert run.header.aborted.startswith("the run stopped before its end") and run.header.seed == 0


def _case(n: int, outcome: str) -> CaseResult:
    return CaseResult(
        f"ms-wmcsom/Item.n{n}/check", "ms-wmcsom", "3.1.5.2", "must", f"Item.n{n}", "check", outcome
    )


def test_a_killed_worker_is_merged_from_its_journal(tmp_path: Path) -> None:
    header = RunHeader("http://t.example", "2026-12-07T00:00:00+00:00", 0.0, 0, "0")
    publish(Run(header, (_case(1, "passed"),)), shard_dir(tmp_path, 1))  # worker 1 ended
    journal = Journal(shard_dir(tmp_path, 2) / JOURNAL, header)  # worker 2 was killed: its journal,
    journal.add(_case(2, "failed"))
    with journal.path.open("a") as out:  # its last line cut short
        out.write('{"id": "ms-wmcsom/It')
    run = _collect(RunSettings(report_dir=tmp_path), [0, -9], [[], []])
    assert [(c.id, c.outcome) for c in run.cases] == [
        ("ms-wmcsom/Item.n1/check", "passed"),
        ("ms-wmcsom/Item.n2/check", "failed"),
    ]
    assert (
        run.header.aborted
        == "the run stopped before its end (crashed or killed): 1 case(s) kept from " + JOURNAL
    )
