"""``--shard i/n`` splits the cases deterministically; ``conformance run --workers N`` runs N shards at
once and reports them as one run."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.pytest.shard import assign, parse_shard
from conformance.runner.invoke import RunSettings, cases_dir
from conformance.runner.workers import ENOUGH, EVENT, Progress, shard_dir, worker_command
from tests.run.conftest import conformance

CASES = Path(__file__).resolve().parents[2] / "cases"
QUICK = (
    "run",
    "--profile",
    "quick",
    *("--protocol", "calendar", "--protocol", "csom", "--protocol", "spwfcsom"),
)


def _collected(*args: str) -> tuple[int, list[str]]:
    """pytest's exit status and the case node ids it would run."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(CASES), "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return done.returncode, [line for line in done.stdout.splitlines() if "::" in line]


def _results(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def test_assign_balances_heaviest_first_whatever_the_order() -> None:
    weights = {"a": 600.0, "b": 500.0, "c": 400.0, "d": 166.0, "e": 127.0, "f": 1.0}
    owner = assign(weights, 2)
    assert owner == assign(dict(reversed(weights.items())), 2)
    loads = [sum(w for u, w in weights.items() if owner[u] == shard) for shard in (1, 2)]
    assert sorted(owner) == sorted(weights) and abs(loads[0] - loads[1]) <= 600 - 500
    assert set(assign(weights, 10).values()) == set(range(1, 7))  # more shards than units: some stay empty


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", ""])
def test_bad_shard_is_a_usage_error(text: str) -> None:
    with pytest.raises(ValueError, match="expected i/n"):
        parse_shard(text)
    status, _ = _collected(f"--shard={text}")
    assert status == pytest.ExitCode.USAGE_ERROR


def test_shards_partition_the_cases_and_keep_functions_whole() -> None:
    _, everything = _collected()
    parts = [_collected("--shard", f"{i}/3")[1] for i in (1, 2, 3)]
    assert sorted(node for part in parts for node in part) == sorted(everything)
    assert all(parts), "a shard got no case"
    functions = [{node.split("[")[0] for node in part} for part in parts]
    assert not (functions[0] & functions[1] or functions[0] & functions[2] or functions[1] & functions[2])
    assert parts[1] == _collected("--shard", "2/3")[1]  # the same split every time


@pytest.mark.slow
def test_workers_report_one_run_like_a_sequential_run(tmp_path: Path) -> None:
    one = conformance(*QUICK, "--report-dir", "one", cwd=tmp_path)
    two = conformance(*QUICK, "--workers", "2", "--report-dir", "two", cwd=tmp_path)
    assert one.returncode == two.returncode == 0, two.stdout[-3000:] + two.stderr
    # one voice: one progress display (no worker's own lines), one summary table, one verdict
    assert "[1/2]" not in two.stdout and "[2/2]" not in two.stdout and "[100%]" in two.stdout
    assert two.stdout.count("CONFORMANT: ") == 1 and two.stdout.count("\nprotocol ") == 1
    assert f"{len(_results(tmp_path / 'one')['cases'])} cases" in two.stdout  # the merged summary
    passed = _results(tmp_path / "two")["summary"]["passed"]
    assert f"\n{passed} passed" in two.stdout  # pytest's closing line, once, agreeing with results.json
    sequential, parallel = _results(tmp_path / "one"), _results(tmp_path / "two")
    outcomes = {c["id"]: c["outcome"] for c in sequential["cases"]}
    assert {c["id"]: c["outcome"] for c in parallel["cases"]} == outcomes
    suites = ET.parse(tmp_path / "two" / "junit.xml").getroot().findall("testsuite")
    assert len(suites) == 2 and sum(int(s.get("tests", 0)) for s in suites) == len(outcomes)
    for name in ("report.html", "badge.svg", "badge.json"):
        assert (tmp_path / "two" / name).is_file()


def test_more_workers_than_case_functions_still_report(tmp_path: Path) -> None:
    done = conformance(
        "run", "--profile", "quick", "-k", "test_unsupported_accept", "--workers", "3", "--report-dir", "r",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert _results(tmp_path / "r")["summary"]["passed"] >= 1


def test_progress_calls_for_a_stop_at_the_runs_nth_failure_across_workers() -> None:
    stops: list[int] = []
    progress = Progress(2, lambda line: None, stop_after=2, stop=lambda: stops.append(progress.failures))
    for event in ("collected 3", "collected 2", "letter .", "letter F", "letter s", "letter .", "letter E"):
        progress.event(event)
    assert stops == [2]
    progress.event("letter S")  # a suite error counts as pytest's --maxfail counts it, once asked
    assert stops == [2] and progress.failures == 3


def test_a_worker_told_the_runs_max_failures_are_reached_stops_after_its_case(tmp_path: Path) -> None:
    """--max-failures N counts across the workers: the parent tells every worker on its stdin once the
    run has N, and each stops after its case under way."""
    settings = RunSettings(
        keyword="answer-shape", protocols=("calendar",), profile="quick", report_dir=tmp_path
    )
    worker = subprocess.Popen(
        worker_command(settings, cases_dir(), 1, 1), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert worker.stdout is not None and worker.stdin is not None
    said = []
    for line in worker.stdout:
        said.append(line)
        if line.startswith(f"{EVENT}letter"):  # its first case is judged: the run's Nth failure elsewhere
            worker.stdin.write(ENOUGH + "\n")
            worker.stdin.flush()
            break
    said += worker.communicate(timeout=120)[0].splitlines()
    collected = int(next(line for line in said if "collected" in line).split()[-1])
    judged = len(_results(shard_dir(tmp_path, 1))["cases"])
    assert worker.returncode == pytest.ExitCode.TESTS_FAILED and 1 <= judged < collected, said
