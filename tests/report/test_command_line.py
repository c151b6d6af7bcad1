"""The command line a run records (results.json's ``command``, shown in report.html): as typed."""

from __future__ import annotations

import sys

import pytest

from conformance.results import invocation


@pytest.mark.parametrize(
    ("argv", "typed"),
    [
        (["/venv/bin/conformance", "run", "-k", "Task and not negative"],
         "conformance run -k 'Task and not negative'"),
        (["/venv/lib/python3.11/site-packages/pytest/__main__.py", "cases", "--target", "http://sp"],
         "python -m pytest cases --target http://sp"),
    ],
)  # fmt: skip
def test_the_command_as_typed(monkeypatch: pytest.MonkeyPatch, argv: list[str], typed: str) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    assert invocation() == typed
