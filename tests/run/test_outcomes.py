"""A case's outcome says whose fault it is: a violation fails the case, an answer the suite cannot
read (or a target too slow or gone) errors it, and an exception of the suite's own is a
``suite-error`` — never counted against the target, with exit code 4 and pytest's own counts agreeing."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.report.junit import relabel

CASES = """
import pytest
from hypothesis import given, strategies as st
from conformance.case import CaseMeta, case
from conformance.judge.checks import Violation
from conformance.wire import MalformedResponse

LEVELS = {"fine": "must", "bug": "must", "unreadable": "semantic", "group": "semantic", "said": "must"}

def meta(name):
    return CaseMeta("ms-wmcsom", "3.1.5.2", f"Item.{name}", "check", level=LEVELS[name])

def behave(kind):
    if kind == "unreadable":
        raise MalformedResponse("the answer is no JSON array")
    if kind == "bug":
        return {}["missing"]  # a bug in a case: KeyError
    if kind == "group":  # Hypothesis reports distinct failures as a group
        raise ExceptionGroup("two", [Violation("a", "b"), KeyError("x")])
    if kind == "said":  # a case that fails on purpose (a state machine the target stopped)
        pytest.fail("the run stopped: the target gave no list")

@pytest.mark.parametrize("kind", [case(meta(k), k) for k in ("fine", "unreadable", "bug", "group", "said")])
def test_outcome(kind, target):
    behave(kind)
"""


def _run(folder: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    (folder / "test_kinds.py").write_text(CASES, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "test_kinds.py", "-p", "no:cacheprovider", "--report-dir", "r",
         "--junitxml", "junit.xml", "-c", "/dev/null", "--rootdir", str(folder), *args],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return done, json.loads((folder / "r" / "results.json").read_text(encoding="utf-8"))


def test_outcomes_tell_the_suites_errors_from_the_targets(tmp_path: Path) -> None:
    done, results = _run(tmp_path)
    outcomes = {c["item"]: c["outcome"] for c in results["cases"]}
    assert outcomes == {"Item.fine": "passed", "Item.unreadable": "error", "Item.bug": "suite-error",
                        "Item.group": "failed", "Item.said": "failed"}, done.stdout[-3000:]  # fmt: skip
    assert (results["summary"]["errors"], results["summary"]["suite_errors"]) == (1, 1)
    # the target's error fails the default gate (semantic); the suite's own is apart
    assert sorted(results["verdict"]["blocking"]) == [
        "ms-wmcsom/Item.group/check",
        "ms-wmcsom/Item.said/check",
        "ms-wmcsom/Item.unreadable/check",
    ]
    assert results["verdict"]["suite_errors"] == ["ms-wmcsom/Item.bug/check"]
    bug = next(c for c in results["cases"] if c["item"] == "Item.bug")
    assert bug["message"].startswith("suite error (not the target's fault") and "KeyError" in bug["message"]
    assert 'test_kinds.py", line' in bug["message"] and "_pytest" not in bug["message"]  # frames to report
    # pytest's closing line counts as the summary does
    assert "2 failed, 1 passed, 1 error, 1 suite error" in done.stdout, done.stdout[-2000:]
    # JUnit's test cases carry the case's own outcome
    properties = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    }
    assert properties["test_outcome[ms-wmcsom/Item.bug/check]"]["outcome"] == "suite-error"
    # relabelled as conformance run leaves it: JUnit's totals agree with the summary's
    relabel(tmp_path / "junit.xml")
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert (suite.get("failures"), suite.get("errors")) == ("2", "2")
    kinds = {case.get("name"): [child.get("type") for child in case if child.tag == "error"]
             for case in suite.iter("testcase")}  # fmt: skip
    assert kinds["test_outcome[ms-wmcsom/Item.bug/check]"] == ["suite-error"]


def test_a_run_whose_only_trouble_is_the_suites_own_exits_4(tmp_path: Path) -> None:
    done, results = _run(tmp_path, "--fail-on", "must", "-k", "fine or bug")
    assert results["verdict"]["exit_code"] == 4 and not results["verdict"]["conformant"]
    assert results["summary"]["conformance_percent"] == 100.0  # the suite's error lowers nothing
    assert "SUITE ERROR: 1 case(s)" in done.stdout and "ms-wmcsom/Item.bug/check" in done.stdout
    assert results["fail_on"] == "must" and results["selection"] == {"-k": "fine or bug"}
    assert json.loads((tmp_path / "r" / "badge.json").read_text())["message"] == "suite error"
