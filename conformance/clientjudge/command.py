"""``conformance judge-client``: the reference server in judging mode, for as long as a client runs.

It serves a site, answers every request as the reference server always does, and judges each one.
With a client command (after ``--``) it runs it, the site's URL in ``CONFORMANCE_JUDGE_URL`` (and a
bearer token the server accepts, which the REST calendar needs, in ``CONFORMANCE_JUDGE_TOKEN``), and
stops when it ends; without one it judges until Ctrl-C, SIGTERM or ``--time-limit``. Then it writes
the report files of a server run (``results.json`` with the role ``client``, ``report.html``,
``junit.xml``, the badge) and ``coverage.json`` (what of the protocols' tables the traffic named),
prints the summary and exits with the run's verdict (0 conformant, 1 not, or no request seen: a
hollow run, 2 usage).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from conformance.clientjudge.report import client_run, write_reports
from conformance.clientjudge.serve import JudgingServer
from conformance.report.baseline import BaselineError, load_baseline
from conformance.report.terminal import summary_lines
from conformance.report.verdict import DEFAULT_GATE, GATES
from conformance.runner.signals import signals_as_interrupt

SITE_PATH = "/sites/judged"
URL_VARIABLE = "CONFORMANCE_JUDGE_URL"
TOKEN_VARIABLE = "CONFORMANCE_JUDGE_TOKEN"  # the server's bearer token: the REST calendar needs one


def _wait(client: tuple[str, ...], site: str, token: str, limit: float | None) -> str:
    """Until the client ends, or the time limit; "" when the client ended of itself."""
    deadline = time.monotonic() + limit if limit else None
    if not client:
        while deadline is None or time.monotonic() < deadline:
            threading.Event().wait(0.2)
        return ""
    try:
        process = subprocess.Popen(client, env={**os.environ, URL_VARIABLE: site, TOKEN_VARIABLE: token})
    except OSError as exc:
        raise click.UsageError(f"cannot start the client {client[0]!r}: {exc.strerror or exc}") from None
    try:
        code = process.wait(timeout=deadline - time.monotonic() if deadline else None)
    except subprocess.TimeoutExpired:
        process.terminate()
        process.wait(timeout=10)
        return f"the client ran past --time-limit {limit:g} s and was stopped"
    finally:
        if process.poll() is None:  # Ctrl-C: the client is stopped with the judge
            process.terminate()
            process.wait(timeout=10)
    click.echo(f"the client exited with {code}")
    return ""


@click.command("judge-client", context_settings={"ignore_unknown_options": True})
@click.argument("client", nargs=-1, type=click.UNPROCESSED)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port (default: a free one).")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
)
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Stop judging after this long (the client, if any, is stopped).")  # fmt: skip
@click.option("--seed-data", is_flag=True, help="Serve the demo data (tasks, workflows) to the client.")
@click.option(
    "--allow-host", "allow_hosts", multiple=True, metavar="NAME",
    help="A Host name clients may use besides the loopback names (repeatable; '*.example.com' for a domain).",
)  # fmt: skip
@click.option("--fail-on", type=click.Choice(sorted(GATES)), default=DEFAULT_GATE, show_default=True)
@click.option(
    "--baseline", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="Known deviations (a results.json, a list of case ids or TOML entries): they do not fail the run.",
)  # fmt: skip
def judge_client_command(
    client: tuple[str, ...], host: str, port: int, report_dir: Path, time_limit: float | None,
    seed_data: bool, allow_hosts: tuple[str, ...], fail_on: str, baseline: Path | None,
) -> None:  # fmt: skip
    """Judge the requests a CSOM client sends: run CLIENT (after --) against the judging server, or
    judge whatever comes until Ctrl-C; then write the report of the client's conformance."""
    try:
        known = load_baseline(baseline) if baseline else None
    except BaselineError as exc:
        raise click.UsageError(str(exc)) from None
    started = dt.datetime.now(dt.UTC)
    try:
        server = JudgingServer(host=host, port=port, seed_data=seed_data, allow_hosts=allow_hosts)
        server.__enter__()
    except ValueError as exc:  # a bad host pattern
        raise click.UsageError(str(exc)) from None
    except OSError as exc:  # the port is taken, the host does not resolve
        raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        with signals_as_interrupt():
            site = server.url + SITE_PATH
            click.echo(f"judging the requests sent to {site} ({URL_VARIABLE} for the client)", err=True)
            try:
                stopped = _wait(client, site, server.token or "", time_limit)
            except KeyboardInterrupt:
                stopped = ""  # the user's way of saying the client is done
            run = client_run(server.ledger, site, started, fail_on, stopped)
            try:
                verdict = write_reports(run, server.ledger.coverage(), report_dir, known)
            except OSError as exc:
                raise click.UsageError(
                    f"--report-dir {report_dir}: cannot write there ({exc.strerror or exc})"
                ) from None
    finally:
        server.__exit__(None, None, None)
    for line in summary_lines(run, verdict):
        click.secho(line.text, fg=line.colour, bold=line.colour is not None)
    click.echo(f"reports in {report_dir}")
    sys.exit(verdict.exit_code)
