"""The ``conformance run`` and ``conformance merge`` commands (registered in conformance/cli.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import httpx

from conformance.case import PROFILES
from conformance.report import REPORT_FILES, publish
from conformance.report.baseline import BaselineError, load_baseline
from conformance.report.merge import MergeError, merge_runs
from conformance.report.terminal import closing_line, summary_lines
from conformance.report.verdict import DEFAULT_GATE, GATES, USAGE, Verdict
from conformance.results import ResultsError, Run, load_run
from conformance.runner.config import (
    SETTINGS,
    TARGET_TABLES,
    Config,
    ConfigError,
    from_environ,
    from_values,
    layered,
    load_config,
)
from conformance.runner.invoke import MARKERS, RunError, RunSettings, run
from conformance.runner.workers import default_workers, run_workers, worker_count

REPORT_DIR = click.Path(path_type=Path, file_okay=False)
BASELINE = click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Known failures: a results.json, a TOML file of [[known]] entries, or case ids one a line. "
    "They do not fail the run.",
)


# the selection, shared by run and cases
PROTOCOL = click.option(
    "--protocol",
    "protocols",
    multiple=True,
    metavar="NAME",
    help="Only this protocol's cases: wmcsom, spwfcsom, calendar, csom (or ms-wmcsom …). Repeatable.",
)
KEYWORD = click.option(
    "-k", "keyword", default=None, metavar="EXPR", help="Only cases whose id matches (pytest -k)."
)
MARKEXPR = click.option(
    "-m",
    "markers",
    default=None,
    metavar="EXPR",
    help="Only cases whose markers match (pytest -m): must, should, semantic, writes, and the protocols "
    'wmcsom, spwfcsom, calendar, csom; e.g. -m "must and not writes".',
)

CONFIG = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML file of settings ([target], [tls], [transport], [run]); environment variables "
    "(CONFORMANCE_*) override it, flags override both.",
)


def target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One option for each setting of the target, TLS and transport (conformance.runner.config)."""
    for setting in reversed([s for s in SETTINGS if s.table in TARGET_TABLES]):
        kind: Any = click.Choice(setting.choices) if setting.choices else setting.kind
        extra: dict[str, Any] = {"is_flag": True} if setting.kind is bool else {"type": kind}
        metavar = {} if setting.kind is bool or setting.choices else {"metavar": setting.metavar}
        command = click.option(
            setting.option, setting.key, default=None, help=setting.help, **extra, **metavar
        )(command)
    return command


def resolve(config_path: Path | None, flags: dict[str, Any]) -> Config:
    """Flags over the environment over the config file; usage errors in one line."""
    try:
        file = load_config(config_path) if config_path else Config()
        merged = layered(from_values(flags, "command line"), from_environ(os.environ), file)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    for key in ("url", "rest_url"):
        _check_url(key, getattr(merged, key))
    return merged


def _check_url(key: str, url: str | None) -> None:
    if url is None:
        return
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL:
        scheme = ""
    if scheme not in ("http", "https"):
        raise click.UsageError(
            f"{'target' if key == 'url' else key} {url!r}: expected an http:// or https:// URL"
        )


def protocol_markers(names: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [n for n in names if n not in MARKERS]
    if unknown:
        raise click.UsageError(f"unknown protocol {unknown[0]!r} (known: {', '.join(sorted(MARKERS))})")
    return names


def _check_baseline(path: Path | None) -> None:
    if path is not None:
        try:
            load_baseline(path)
        except BaselineError as exc:
            raise click.UsageError(str(exc)) from None


@click.command("run")
@CONFIG
@target_options
@PROTOCOL
@click.option(
    "--skip-protocol",
    "skip_protocols",
    multiple=True,
    metavar="NAME",
    help="Leave out this protocol's cases. Repeatable.",
)
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default=None,
    help="Generated examples per case: quick 1, default 10, thorough 100.  [default: default]",
)
@click.option(
    "--report-dir",
    type=REPORT_DIR,
    default=Path("reports"),
    show_default=True,
    help="Where results.json, junit.xml, report.html, badge.svg and badge.json go.",
)
@click.option("--seed", type=int, default=None, help="Seed for generated values: same seed, same requests.")
@KEYWORD
@MARKEXPR
@click.option(
    "--max-failures",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Stop after N cases failed or errored, counted across the workers; the report then covers a "
    "partial run.",
)
@click.option(
    "-x", "--exitfirst", "exit_first", is_flag=True, help="Stop at the first failure: --max-failures 1."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes, each running one shard of the cases at once (their shares of "
    "max_concurrency and rate_limit keep the total within them). "
    "[default: one a core, at most 4, for the embedded server; 2 for a target]",
)
@BASELINE
@click.option("--read-only", is_flag=True, help="Skip every case that writes to the target.")
@click.option(
    "--fail-on",
    type=click.Choice(sorted(GATES)),
    default=None,
    help="The lowest level whose failures fail the run: must; semantic (MUST cases and the behaviour "
    "and values the spec describes); should (every level).  [default: semantic]",
)
@click.option(
    "--repeat",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Run each case N times; cases whose outcome flips are reported as flaky.",
)
def run_command(
    config_path: Path | None,
    protocols: tuple[str, ...],
    skip_protocols: tuple[str, ...],
    profile: str | None,
    report_dir: Path,
    seed: int | None,
    keyword: str | None,
    markers: str | None,
    max_failures: int | None,
    exit_first: bool,
    workers: int | None,
    baseline: Path | None,
    read_only: bool,
    repeat: int,
    fail_on: str | None,
    **target: Any,
) -> None:
    """Run the conformance cases against a target and write the reports.

    Secrets never go on the command line: the options name an environment variable or a file.
    Exit codes: 0 conformant, 1 not conformant (or the run proved too little: see the warning),
    2 usage or configuration error, 3 target unreachable, refusing the credentials or not a CSOM
    server, 4 suite error (cases the suite itself could not run; not the target's fault)."""
    config = resolve(
        config_path,
        {
            **target,
            "protocols": protocols,
            "skip_protocols": skip_protocols,
            "profile": profile,
            "fail_on": fail_on,
        },
    )
    _check_baseline(baseline)
    settings = RunSettings(
        target=config.url,
        token_env=config.token_env,
        protocols=protocol_markers(config.protocols),
        skip_protocols=protocol_markers(config.skip_protocols),
        profile=config.profile or "default",
        report_dir=report_dir,
        seed=seed,
        keyword=keyword,
        markers=markers,
        max_failures=1 if exit_first else max_failures,
        baseline=baseline,
        read_only=read_only,
        repeat=repeat,
        fail_on=config.fail_on or DEFAULT_GATE,
        access=config,
    )
    if settings.profile not in PROFILES:
        raise click.UsageError(
            f"profile {settings.profile!r} (environment or --config): expected one of {sorted(PROFILES)}"
        )
    count = worker_count(settings, workers or default_workers(settings.target))
    try:
        code = run(settings) if count == 1 else _run_in_workers(settings, count)
    except RunError as exc:
        if str(exc):
            click.echo(f"error: {exc}", err=True)
        sys.exit(exc.code)
    written = [name for name in REPORT_FILES if (report_dir / name).is_file()]
    click.echo(f"reports in {report_dir}/: {', '.join(written)}")
    sys.exit(code)


def _summarize(run: Run, verdict: Verdict) -> int:
    """The end-of-run summary (an in-process run's is pytest's terminal summary); the exit code."""
    for line in summary_lines(run, verdict):
        click.secho(line.text, fg=line.colour, bold=line.colour is not None)
    return verdict.exit_code


def _run_in_workers(settings: RunSettings, count: int) -> int:
    run, verdict = run_workers(settings, count, click.echo)
    code = _summarize(run, verdict)
    click.echo(closing_line(run))
    return code


@click.command("merge")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--report-dir", type=REPORT_DIR, required=True, help="Where the combined reports go.")
@BASELINE
def merge_command(results: tuple[Path, ...], report_dir: Path, baseline: Path | None) -> None:
    """Combine the results.json of several shards into one report (exit codes as for run)."""
    try:
        merged = merge_runs([load_run(path) for path in results])
        known = load_baseline(baseline) if baseline else None
    except (ResultsError, MergeError, BaselineError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(USAGE)
    code = _summarize(merged, publish(merged, report_dir, known))
    click.echo(f"reports in {report_dir}/: results.json, report.html, badge.svg, badge.json")
    sys.exit(code)
