"""Reports of a run: the verdict, and the files a report directory receives.

:func:`publish` judges a run (against an optional baseline) and writes ``results.json``,
``report.html``, ``badge.svg`` and ``badge.json``; ``junit.xml`` is pytest's own (``--junitxml``).
The pytest plugin calls it at the end of a session, ``conformance merge`` after combining shards.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from conformance.report.badge import badge_json, badge_svg
from conformance.report.baseline import Baseline
from conformance.report.html import render
from conformance.report.verdict import Verdict, judge
from conformance.results import Run, write_results

REPORT_FILES = ("results.json", "junit.xml", "report.html", "badge.svg", "badge.json")


def _beside(folder: Path, name: str) -> dict | None:
    """Another command's results in the same folder, for a table of the report: ``conformance
    interop``'s interop.json, ``conformance judge-client``'s coverage.json."""
    try:
        return json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def publish(run: Run, folder: Path | None, baseline: Baseline | None = None) -> Verdict:
    """The run's verdict; with ``folder``, the report files written there too."""
    verdict = judge(run, baseline)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        header = {**asdict(run.header), "verdict": verdict.to_json()}
        write_results(folder / "results.json", header, run.cases)
        (folder / "report.html").write_text(
            render(run, verdict, _beside(folder, "interop.json"), _beside(folder, "coverage.json")),
            encoding="utf-8",
        )
        (folder / "badge.svg").write_text(badge_svg(run, verdict), encoding="utf-8")
        (folder / "badge.json").write_text(json.dumps(badge_json(run, verdict)) + "\n", encoding="utf-8")
    return verdict
