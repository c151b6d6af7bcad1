"""``conformance interop``: run real CSOM clients against a target, print a table, write interop.json.

Exit codes as for every command: 0 every scenario passed (and, against the embedded servers, the
client's requests conform); 1 some failed or could not run; 2 usage or configuration error (bad
option, Node.js or the interop project missing).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import click

from conformance.clientjudge.report import write_reports
from conformance.interop.report import render_table, write_report
from conformance.interop.results import ClientRun
from conformance.interop.runner import BUILDS, InteropUnavailable, find_setup, run
from conformance.report.baseline import load_baseline

DELIBERATE = Path(__file__).with_name("deliberate.toml")


@click.group()
def interop() -> None:
    """Drive a target with real clients: Microsoft's JSOM (four builds) and PnPjs sp-clientsvc."""


def _common(command):  # the options every client command has
    options = [
        click.option(
            "--target",
            metavar="URL",
            default=None,
            help="Site URL of the server under test (default: an embedded reference server per run).",
        ),
        click.option(
            "--token-env",
            metavar="VAR",
            default=None,
            help="Send 'Authorization: Bearer <token>' with the token read from this environment variable.",
        ),
        click.option(
            "--scenario",
            "scenarios",
            multiple=True,
            metavar="NAME",
            help="Run only this scenario (repeatable; default: all).",
        ),
        click.option(
            "--report-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=Path("reports"),
            show_default=True,
            help="Where interop.json is written.",
        ),
        click.option(
            "--node-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=None,
            help="The interop Node.js project (default: interop/ of the repository; installed, its copy "
            "in the user's cache).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _execute(
    client: str,
    builds: Sequence[str | None],
    target: str | None,
    token_env: str | None,
    scenarios: Sequence[str],
    report_dir: Path,
    node_dir: Path | None,
) -> None:
    if target is not None and not target.startswith(("http://", "https://")):
        raise click.UsageError(f"--target {target!r}: give the site's http:// or https:// URL")
    token = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise click.UsageError(f"--token-env {token_env}: that environment variable is empty or unset")
    try:
        setup = find_setup(node_dir)
    except InteropUnavailable as exc:
        raise click.UsageError(str(exc)) from None
    runs = run(setup, client, builds, target=target, token=token, scenarios=scenarios)
    try:
        runs = [client_report(r, report_dir) for r in runs]
        path = write_report(report_dir, runs)
    except OSError as exc:
        raise click.UsageError(
            f"--report-dir {report_dir}: cannot write there ({exc.strerror or exc})"
        ) from None
    click.echo(render_table(runs))
    click.echo(f"wrote {path}")
    _refresh_report(report_dir)
    conformant = all(r.requests.verdict.conformant for r in runs if r.requests and r.requests.verdict)
    sys.exit(0 if conformant and all(r.outcome == "passed" for r in runs) else 1)


def client_report(client_run: ClientRun, report_dir: Path) -> ClientRun:
    """The client report of the requests a run sent (an embedded target judged them), written to
    ``report_dir/clients/<client>[-<build>]``; the requests the scenarios send wrong on purpose
    (deliberate.toml) are known failures there."""
    judged = client_run.requests
    if judged is None:
        return client_run
    folder = report_dir / "clients" / "-".join(filter(None, (client_run.client, client_run.build)))
    verdict = write_reports(judged.run, judged.coverage, folder, load_baseline(DELIBERATE))
    return replace(client_run, requests=replace(judged, report=str(folder), verdict=verdict))


def _refresh_report(report_dir: Path) -> None:
    """Re-render report.html of a conformance run in the same folder, now with the interop table."""
    from conformance.report import publish
    from conformance.results import ResultsError, load_run

    results = report_dir / "results.json"
    if results.is_file():
        try:
            publish(load_run(results), report_dir)
        except ResultsError as exc:
            click.echo(f"report.html not refreshed: {exc}", err=True)
            return
        click.echo(f"added the interop table to {report_dir / 'report.html'}")


@interop.command()
@click.option(
    "--build",
    type=click.Choice([*BUILDS, "all"]),
    default="all",
    show_default=True,
    help="The JSOM build to run (each in its own Node process).",
)
@_common
def jsom(build: str, **options) -> None:
    """Work Management scenarios with Microsoft's JSOM (npm sp-jsom-node)."""
    _execute("jsom", BUILDS if build == "all" else (build,), **options)


@interop.command()
@_common
def pnp(**options) -> None:
    """A few Work Management and Workflow calls with PnPjs (npm @pnp/sp-clientsvc)."""
    _execute("pnp", (None,), **options)
