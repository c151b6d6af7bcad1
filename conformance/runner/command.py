"""The ``conformance run`` and ``conformance merge`` commands (registered in conformance/cli.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import httpx

from conformance.pytest_plugin import PROFILES
from conformance.report import REPORT_FILES, publish
from conformance.report.baseline import BaselineError, load_baseline
from conformance.report.merge import MergeError, merge_runs
from conformance.report.terminal import summary_lines
from conformance.report.verdict import USAGE
from conformance.results import ResultsError, load_run
from conformance.runner.config import ConfigError, FileConfig, load_config
from conformance.runner.invoke import MARKERS, RunError, RunSettings, run

TONES = {
    "plain": {},
    "good": {"fg": "green", "bold": True},
    "bad": {"fg": "red", "bold": True},
    "warn": {"fg": "yellow", "bold": True},
}
REPORT_DIR = click.Path(path_type=Path, file_okay=False)
BASELINE = click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Known failures: a results.json, a TOML file of [[known]] entries, or case ids one a line. "
    "They do not fail the run.",
)


def _target_url(url: str | None) -> str | None:
    if url is None:
        return None
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL:
        scheme = ""
    if scheme not in ("http", "https"):
        raise click.UsageError(f"--target {url!r}: expected an http:// or https:// URL")
    return url


def _protocols(names: tuple[str, ...]) -> tuple[str, ...]:
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
@click.option(
    "--target",
    default=None,
    metavar="URL",
    help="Site URL of the server under test (default: the embedded reference server, started for the run).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML file with [target] url, token_env and [run] profile, protocols; flags override it.",
)
@click.option(
    "--token-env",
    default=None,
    metavar="VAR",
    help="Environment variable holding a bearer token for the target (never on the command line).",
)
@click.option(
    "--protocol",
    "protocols",
    multiple=True,
    metavar="NAME",
    help="Only this protocol's cases: wmcsom, spwfcsom, calendar, csom (or ms-wmcsom …). Repeatable.",
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
@click.option("-k", "keyword", default=None, metavar="EXPR", help="Only cases whose id matches (pytest -k).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Cases run at once; only 1 (sequential) is supported so far.",
)
@BASELINE
@click.option("--read-only", is_flag=True, help="Skip every case that writes to the target.")
@click.option(
    "--repeat",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Run each case N times; cases whose outcome flips are reported as flaky.",
)
def run_command(
    target: str | None,
    config_path: Path | None,
    token_env: str | None,
    protocols: tuple[str, ...],
    profile: str | None,
    report_dir: Path,
    seed: int | None,
    keyword: str | None,
    workers: int,
    baseline: Path | None,
    read_only: bool,
    repeat: int,
) -> None:
    """Run the conformance cases against a target and write the reports.

    Exit codes: 0 conformant, 1 not conformant (or the run proved too little: see the warning),
    2 usage or configuration error, 3 target unreachable."""
    if workers > 1:
        raise click.UsageError(f"--workers {workers}: running cases concurrently is not supported yet; use 1")
    try:
        file = load_config(config_path) if config_path else FileConfig()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    _check_baseline(baseline)
    settings = RunSettings(
        target=_target_url(target or file.url),
        token_env=token_env or file.token_env,
        protocols=_protocols(protocols or file.protocols),
        profile=profile or file.profile or "default",
        report_dir=report_dir,
        seed=seed,
        keyword=keyword,
        baseline=baseline,
        read_only=read_only,
        repeat=repeat,
    )
    if settings.profile not in PROFILES:
        raise click.UsageError(
            f"profile {settings.profile!r} (from --config): expected one of {sorted(PROFILES)}"
        )
    try:
        code = run(settings)
    except RunError as exc:
        if str(exc):
            click.echo(f"error: {exc}", err=True)
        sys.exit(exc.code)
    written = [name for name in REPORT_FILES if (report_dir / name).is_file()]
    click.echo(f"reports in {report_dir}/: {', '.join(written)}")
    sys.exit(code)


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
    verdict = publish(merged, report_dir, known)
    for line in summary_lines(merged, verdict):
        click.secho(line.text, **TONES[line.tone])
    click.echo(f"reports in {report_dir}/: results.json, report.html, badge.svg, badge.json")
    sys.exit(verdict.exit_code)
