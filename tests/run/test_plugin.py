"""The pytest plugin from another project, as its developers use it: ``pytest --conformance`` adds the
installed cases to their own run and writes the usual reports; without it, their tests run as if the
package were not installed (nothing cut, no report folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LONG = 8000  # characters of a failure message: more than the plugin keeps of a case's


def _pytest(project: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFORMANCE_", "PYTEST_"))} | variables
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_another_project_runs_the_cases_with_one_option(tmp_path: Path) -> None:
    (tmp_path / "test_project.py").write_text(
        f"def test_one():\n    assert 1 + 1 == 2\n\n\ndef test_long():\n    assert False, 'x' * {LONG}\n",
        encoding="utf-8",
    )
    # without the option: the project's own tests alone, their failures whole, no report folder
    own = _pytest(tmp_path, "-q", "--tb=short")
    assert own.returncode == 1 and "1 failed, 1 passed" in own.stdout, own.stdout[-2000:] + own.stderr
    assert "x" * LONG in own.stdout
    assert not (tmp_path / "reports").exists()
    # with it: the installed cases beside them (here a few, against the embedded server), and reports
    both = _pytest(tmp_path, "-q", "--conformance", "--profile", "quick", "-k", "answer-shape or test_one")
    assert both.returncode == 0, both.stdout[-3000:] + both.stderr
    assert "CONFORMANT" in both.stdout
    results = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))
    ids = [case["id"] for case in results["cases"]]
    assert ids and all(i.startswith("contactslaw-calendar/") and i.endswith("/answer-shape") for i in ids)
    assert f"{len(ids) + 1} passed" in both.stdout  # the project's own test ran too, and is no case
    assert {"report.html", "badge.svg", "badge.json"} <= {p.name for p in (tmp_path / "reports").iterdir()}


def test_settings_for_other_jobs_hold_up_only_a_run_of_cases(tmp_path: Path) -> None:
    """CONFORMANCE_* variables a CI environment sets for another job, unusable here: the project's own
    tests run on; a run with the cases is a usage error saying why, in one line."""
    (tmp_path / "test_project.py").write_text("def test_one():\n    assert True\n", encoding="utf-8")
    unusable = {"CONFORMANCE_TOKEN_ENV": "CONFORMANCE_TEST_UNSET_VARIABLE"}
    own = _pytest(tmp_path, "-q", **unusable)
    assert own.returncode == 0 and "1 passed" in own.stdout, own.stdout + own.stderr
    cases = _pytest(tmp_path, "-q", "--conformance", "-k", "answer-shape", **unusable)
    said = [line for line in (cases.stdout + cases.stderr).splitlines() if line.startswith("ERROR")]
    assert cases.returncode == 4 and len(said) == 1 and "CONFORMANCE_TEST_UNSET_VARIABLE" in said[0], said
