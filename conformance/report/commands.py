"""The ``conformance baseline write`` and ``conformance diff`` commands (registered in
conformance/cli.py): both read ``results.json`` files of earlier runs.

Unreadable input is exit code 2 with one ``error:`` line (the files are read by
:func:`conformance.results.load_run`, which validates them against the schema).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from conformance.report.baseline import baseline_toml
from conformance.report.diff import diff_lines, diff_runs
from conformance.report.reproduce import script
from conformance.report.verdict import USAGE
from conformance.results import NOT_PASSED, ResultsError, Run, load_run

FILE = click.Path(path_type=Path, dir_okay=False)  # a missing input is load_run's to report, in one line


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(USAGE)


def _load(path: Path) -> Run:
    try:
        return load_run(path)
    except ResultsError as exc:
        _fail(str(exc))


@click.group()
def baseline() -> None:
    """Baselines: the known failures that do not fail a run (conformance run --baseline FILE)."""


@baseline.command("write")
@click.argument("results", type=FILE)
@click.option(
    "-o", "--output", type=FILE, default=None, help="Write the baseline here (default: standard output)."
)
@click.option("--reason", default="", help="Reason of every entry (default: each case's message).")
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="Every entry stops counting after this date.",
)
@click.option(
    "--target-scope", is_flag=True, help="Every entry counts only for runs against this run's target."
)
def write_command(
    results: Path, output: Path | None, reason: str, expires: dt.datetime | None, target_scope: bool
) -> None:
    """Write a TOML baseline from a results.json: one [[known]] entry per case that did not pass
    (failed, error or flaky), sorted by id."""
    run = _load(results)
    if expires is not None and expires.date() < dt.date.today():
        _fail(f"--expires {expires.date()}: that date has passed, so no entry would count")
    text = baseline_toml(run, str(results), reason, expires.date() if expires else None, target_scope)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"{output}: cannot write it ({exc.strerror or exc})")
    entries = sum(c.outcome in NOT_PASSED for c in run.cases)
    click.echo(f"wrote {output}: {entries} known failures", err=True)


@click.command("diff")
@click.argument("old", type=FILE)
@click.argument("new", type=FILE)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff_command(old: Path, new: Path, fmt: str) -> None:
    """Compare two runs' results.json: regressions, fixes, new and removed cases, level changes.

    Exit codes: 0 no regression, 1 regressions (a case passed in OLD and not in NEW), 2 unreadable
    input."""
    diff = diff_runs(_load(old), _load(new))
    if fmt == "json":
        click.echo(json.dumps(diff.to_json(), indent=1, ensure_ascii=False))
    else:
        click.echo("\n".join(diff_lines(diff)))
    sys.exit(1 if diff.regressions else 0)


@click.command("reproduce")
@click.argument("case_id", metavar="CASE")
@click.option(
    "--results", type=FILE, default=Path("reports/results.json"), show_default=True,
    help="The run's results.json.",
)  # fmt: skip
@click.option("-o", "--output", type=FILE, default=None, help="Write the script here (default: stdout).")
def reproduce_command(case_id: str, results: Path, output: Path | None) -> None:
    """A case that did not pass, as a standalone shell script that re-sends its requests with curl
    (credentials from the environment, as the report's commands take them)."""
    run = _load(results)
    case = next((c for c in run.cases if c.id == case_id), None)
    if case is None or not case.evidence:
        why = "no such case" if case is None else f"the case {case.outcome} with no request to re-send"
        _fail(f"{case_id}: {why} in {results}")
    text = script(case, str(results))
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    output.chmod(0o755)
    click.echo(f"wrote {output}: run it as sh {output}", err=True)
