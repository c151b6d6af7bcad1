"""``conformance baseline write`` and ``conformance diff`` as a user runs them: real subprocesses on
the results of real runs against broken targets (tests/run/conftest.py), and on results files built
through conformance.results and written by its writer."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.report import publish
from conformance.report.baseline import load_baseline
from conformance.report.verdict import judge
from conformance.results import CaseResult, Run, RunHeader, load_run
from tests.run.conftest import LOCATION, USER_SETTINGS, BrokenRuns, conformance

HOSTILE = 'say "hi"\\ [[known]]\nid = "x"\x7f\ttab'  # quotes, backslash, TOML syntax, newline, DEL
TARGET = "http://sp.example/sites/dev"


def _case(name: str, outcome: str, level: str = "must", message: str = "") -> CaseResult:
    return CaseResult(
        id=f"ms-wmcsom/{name}/check", protocol="ms-wmcsom", section="3.1.5.2", level=level, item=name,
        check="check", outcome=outcome, message=message,  # type: ignore[arg-type]
    )  # fmt: skip


def _publish(folder: Path, *cases: CaseResult, target: str = TARGET) -> Path:
    """A results.json written by the suite's own writer."""
    publish(Run(RunHeader(target, "2026-01-02T03:04:05+00:00", 1.0, 0, "0.1.0"), cases), folder)
    return folder / "results.json"


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def _results(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def test_a_written_baseline_makes_a_broken_run_pass_until_something_new_breaks(
    broken_runs: BrokenRuns,
) -> None:
    runs = broken_runs
    assert runs.first.returncode == 1, runs.first.stdout[-3000:] + runs.first.stderr
    assert runs.write.returncode == 0 and "wrote known.toml: 1 known failures" in runs.write.stderr
    failure = next(c for c in _results(runs.folder / "first")["cases"] if c["id"] == USER_SETTINGS)
    text = (runs.folder / "known.toml").read_text(encoding="utf-8")
    assert f"# MUST {failure['section']} {failure['item']}: failed" in text
    [entry] = load_baseline(runs.folder / "known.toml").entries
    assert (entry.id, entry.reason) == (USER_SETTINGS, " ".join(failure["message"].split())[:200])

    assert runs.known.returncode == 0, runs.known.stdout[-3000:] + runs.known.stderr
    verdict = _results(runs.folder / "known")["verdict"]
    assert (verdict["known"], verdict["new_failures"]) == ([USER_SETTINGS], [])

    assert runs.newly.returncode == 1, runs.newly.stdout[-3000:] + runs.newly.stderr
    verdict = _results(runs.folder / "newly")["verdict"]
    assert (verdict["known"], verdict["blocking"]) == ([USER_SETTINGS], [LOCATION])


def test_baseline_write_options_and_hostile_text_round_trip(tmp_path: Path) -> None:
    results = _publish(
        tmp_path / "r",
        _case("Z", "failed", message=HOSTILE), _case("A", "error", "should"), _case("M", "flaky"),
        _case("P", "passed"), _case("S", "skipped"),
        target=TARGET + HOSTILE,
    )  # fmt: skip
    done = conformance("baseline", "write", str(results), "-o", "b.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    entries = load_baseline(tmp_path / "b.toml").entries
    assert [e.id for e in entries] == [f"ms-wmcsom/{n}/check" for n in ("A", "M", "Z")]  # not passed, by id
    assert entries[2].reason == " ".join(HOSTILE.replace("\x7f", " ").split())
    assert all(e.expires is None and e.target == "" for e in entries)

    expires = dt.date.today() + dt.timedelta(days=30)
    options = ("--reason", HOSTILE, "--expires", expires.isoformat(), "--target-scope")
    done = conformance("baseline", "write", str(results), *options, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (tmp_path / "scoped.toml").write_text(done.stdout, encoding="utf-8")
    baseline = load_baseline(tmp_path / "scoped.toml")
    assert {(e.reason, e.expires, e.target) for e in baseline.entries} == {
        (HOSTILE, expires, TARGET + HOSTILE)
    }
    run = load_run(results)
    assert len(judge(run, baseline).known) == 3
    assert judge(replace(run, header=replace(run.header, target=TARGET)), baseline).known == ()
    assert judge(run, baseline, today=expires + dt.timedelta(days=1)).known == ()


def test_baseline_of_a_clean_run_has_no_entries(tmp_path: Path) -> None:
    done = conformance("baseline", "write", str(_publish(tmp_path, _case("A", "passed"))), cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("# Known failures")
    (tmp_path / "empty.toml").write_text(done.stdout, encoding="utf-8")
    assert load_baseline(tmp_path / "empty.toml").entries == ()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("missing.json",), "not a readable results file"),
        (("notjson.json",), "not a readable results file"),
        (("offschema.json",), "does not match results.schema.json"),
        (("r/results.json", "--expires", "2020-01-31"), "that date has passed"),
        (("r/results.json", "-o", "nowhere/b.toml"), "cannot write it"),
    ],
)
def test_baseline_write_refuses_bad_input_in_one_line(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    _publish(tmp_path / "r", _case("A", "failed"))
    (tmp_path / "notjson.json").write_text("{", encoding="utf-8")
    (tmp_path / "offschema.json").write_text('{"cases": 1}', encoding="utf-8")
    assert says in _one_error_line(conformance("baseline", "write", *args, cwd=tmp_path))


def test_diff_of_real_runs_finds_the_regression_and_the_fix(broken_runs: BrokenRuns) -> None:
    first, newly, known = (
        str(broken_runs.folder / name / "results.json") for name in ("first", "newly", "known")
    )
    worse = conformance("diff", first, newly, cwd=broken_runs.folder)
    assert worse.returncode == 1, worse.stdout + worse.stderr
    assert f"  {LOCATION}  passed → failed  [must 3.1.5" in worse.stdout
    assert worse.stdout.splitlines()[-1].startswith("1 regressions, 0 fixes, 0 new cases, 0 removed")

    better = conformance("diff", newly, first, "--format", "json", cwd=broken_runs.folder)
    assert better.returncode == 0, better.stdout + better.stderr
    document = json.loads(better.stdout)
    assert [c["id"] for c in document["fixes"]] == [LOCATION] and document["regressions"] == []
    assert document["fixes"][0]["before"] == "failed" and document["fixes"][0]["after"] == "passed"

    same = conformance("diff", first, known, "--format", "json", cwd=broken_runs.folder)
    assert same.returncode == 0  # a baseline changes the verdict, not the outcomes
    assert all(json.loads(same.stdout)[name] == [] for name in ("regressions", "fixes", "new_cases"))


def test_diff_lists_new_removed_relevelled_and_other_changes(broken_runs: BrokenRuns) -> None:
    old = load_run(broken_runs.folder / "first" / "results.json")
    passed = [c for c in old.cases if c.outcome == "passed"]
    gone, relevelled, unjudged, failing = passed[:4]
    cases = [c for c in old.cases if c is not gone]
    cases = [replace(c, level="should") if c is relevelled else c for c in cases]
    cases = [replace(c, outcome="skipped") if c is unjudged else c for c in cases]
    cases = [replace(c, outcome="error", message="boom") if c is failing else c for c in cases]
    added = replace(passed[4], id="ms-wmcsom/SP.New/check", outcome="failed", message="new")
    newer = _publish(broken_runs.folder / "built", *cases, added, target=old.header.target)
    done = conformance(
        "diff",
        str(broken_runs.folder / "first" / "results.json"),
        str(newer),
        "--format",
        "json",
        cwd=broken_runs.folder,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    document = json.loads(done.stdout)
    pairs = {
        name: [(c["id"], c["before"], c["after"]) for c in document[name]]
        for name in document
        if name not in ("old", "new")
    }
    assert pairs == {
        "regressions": [(failing.id, "passed", "error")],
        "fixes": [],
        "new_cases": [(added.id, "", "failed")],
        "removed": [(gone.id, "passed", "")],
        "level_changes": [(relevelled.id, relevelled.level, "should")],
        "outcome_changes": [(unjudged.id, "passed", "skipped")],
    }
    assert document["regressions"][0]["message"] == "boom"


@pytest.mark.parametrize(
    ("old", "says"),
    [
        ("missing.json", "not a readable results file"),
        ("notjson.json", "not a readable results file"),
        ("offschema.json", "does not match results.schema.json"),
    ],
)
def test_diff_of_unreadable_input_exits_2_in_one_line(tmp_path: Path, old: str, says: str) -> None:
    (tmp_path / "notjson.json").write_bytes(b"\xff{")
    (tmp_path / "offschema.json").write_text('{"cases": []}', encoding="utf-8")
    results = _publish(tmp_path / "r", _case("A", "passed"))
    line = _one_error_line(conformance("diff", old, str(results), cwd=tmp_path))
    assert old in line and says in line
