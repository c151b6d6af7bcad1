"""``conformance explain CHECK``: every registered check is explained, and a name that is none is a
usage error of one line that suggests the nearest."""

from __future__ import annotations

from pathlib import Path

from conformance.judge.checks import CHECKS
from conformance.judge.explain import EXPLANATIONS, explanation_lines
from tests.run.conftest import conformance


def test_every_check_is_explained() -> None:
    assert set(EXPLANATIONS) == set(CHECKS)
    for name, why in EXPLANATIONS.items():
        assert all(len(text) > 20 for text in (why.spec, why.cause, why.fix)), name


def test_explain_a_check(tmp_path: Path) -> None:
    done = conformance("explain", "json-schema", cwd=tmp_path)  # no results in this folder: the check alone
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == explanation_lines("json-schema")
    assert done.stdout.startswith(
        "json-schema: A value matches the JSON Schema derived from the spec data.\n"
    )


def test_a_name_that_is_no_check_is_a_usage_error(tmp_path: Path) -> None:
    done = conformance("explain", "json-shema", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    error = done.stderr.splitlines()[-1]
    assert error.startswith("Error: no check or case 'json-shema' (did you mean json-schema, xml-schema? ")
    assert error.endswith(f"checks: {', '.join(sorted(CHECKS))})")
    assert "Traceback" not in done.stderr
