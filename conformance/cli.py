"""The `conformance` command.

Exit codes: 0 success; 1 the command ran but its work failed (e.g. a spec text no longer
matches an erratum); 2 usage or configuration error (bad option, missing file).
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import click

from conformance import __version__
from conformance.runner.command import merge_command, run_command
from conformance.spec.errata import ErratumError

CSOM_CHOICES = ("ms-wmcsom", "ms-spwfcsom")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conformance")
def main() -> None:
    """Conformance and interop suite for SharePoint CSOM protocols (MS-WMCSOM, MS-SPWFCSOM)
    and the Tasks/Calendar REST endpoint."""


main.add_command(__import__("conformance.interop.cli", fromlist=["interop"]).interop)


@main.group()
def spec() -> None:
    """The specifications as data: extract them from the texts, export them."""


@spec.command()
@click.option(
    "--source",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("../shared/specs"),
    show_default=True,
    help="Folder holding MS-WMCSOM.txt, MS-SPWFCSOM.txt and contactslaw-tasks-calendar.txt.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("specs"),
    show_default=True,
    help="Folder to write the data files to; must hold errata.toml.",
)
def extract(source: Path, out: Path) -> None:
    """Read the spec texts and write specs/<protocol>.json (reproducibly)."""
    from conformance.spec.extract import SourceError, write_all

    if not (out / "errata.toml").is_file():
        raise click.UsageError(f"{out}/errata.toml not found: run from the repository root or pass --out")
    try:
        written = write_all(source, out)
    except SourceError as exc:
        raise click.UsageError(str(exc)) from None
    except (ErratumError, ValueError) as exc:
        click.echo(f"error: extraction failed: {exc}", err=True)
        sys.exit(1)
    for path in written:
        click.echo(f"wrote {path}")


@spec.command()
@click.option("--protocol", type=click.Choice(CSOM_CHOICES), required=True)
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
def export(protocol: str, fmt: str) -> None:
    """Print a CSOM protocol's types, members and enum values in the documented shape."""
    from conformance.spec.data import load_csom

    click.echo(json.dumps(load_csom(protocol).export(), indent=2, ensure_ascii=False))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0: a free port.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="SQLite file for the server's state (default: a temporary database).",
)
@click.option("--seed-data", is_flag=True, help="Fill an empty database with demo data.")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Accept requests for this Host name too (besides localhost, 127.0.0.1, ::1 and --host); "
    "'*.example.com' for a domain. Repeat for more.",
)
@click.option(
    "--token-env",
    default=None,
    metavar="VAR",
    help="Require credentials on every endpoint; accept 'Authorization: Bearer <token>' for "
    "alice, the token read from this environment variable (never from the command line).",
)
@click.option(
    "--basic-env",
    multiple=True,
    metavar="VAR",
    help="Require credentials on every endpoint; accept HTTP Basic for the user in this "
    "environment variable, which holds login:password. Repeat for more users.",
)
@click.option(
    "--cookie-env",
    multiple=True,
    metavar="VAR",
    help="Require credentials on every endpoint; accept a FedAuth cookie for the user in this "
    "environment variable, which holds login:cookie-value. Repeat for more users.",
)
def serve(
    host: str,
    port: int,
    db_path: Path | None,
    seed_data: bool,
    allow_hosts: tuple[str, ...],
    token_env: str | None,
    basic_env: tuple[str, ...],
    cookie_env: tuple[str, ...],
) -> None:
    """Run the reference server until interrupted (Ctrl-C or SIGTERM), printing its URL and the
    `conformance run` command that tests it."""
    import signal
    import threading

    from conformance.server import ReferenceServer

    token = _secret(token_env, "--token-env") if token_env else None
    basic = _user_secrets(basic_env, "--basic-env")
    cookies = _user_secrets(cookie_env, "--cookie-env")
    try:
        server = ReferenceServer(
            db_path, token=token, basic=basic, cookies=cookies, seed_data=seed_data, host=host, port=port,
            allow_hosts=allow_hosts,
        )  # fmt: skip
        server.__enter__()
    except ValueError as exc:  # a login the directory lacks (never the secret), a bad host pattern
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    token_file = _token_file(server.token) if server.token and not token_env else None
    # the second identity of an anonymous demo server (bob), for the authorization cases
    second_file = _token_file(server.second_token) if server.second_token else None
    try:
        # SIGTERM stops it as Ctrl-C does, so that the token file goes too
        signal.signal(signal.SIGTERM, _interrupt)
        click.echo(f"reference server listening on {server.url}  (Ctrl-C to stop)")
        modes = [name for name, on in (("bearer", token), ("basic", basic), ("cookie", cookies)) if on]
        if modes:
            click.echo(f"credentials required on every endpoint: {', '.join(modes)}")
        else:
            click.echo("CSOM endpoints are anonymous; the REST calendar needs alice's bearer token")
        warning = _exposure_warning(host, modes)
        if warning:
            click.echo(warning, err=True)
        if token_file:
            click.echo(
                f"alice's bearer token, made up at start-up, is in {token_file} (yours only; removed at exit)"
            )
        if second_file:
            click.echo(f"bob's, the second identity of the authorization cases, is in {second_file}")
        mode = "basic" if basic else "cookie"
        click.echo(f"test it with: {_run_command(server.url, token_env, token_file, mode, second_file)}")
        if not seed_data:
            click.echo("the calendar is empty without --seed-data: a run finds the calendar inconclusive")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.__exit__(None, None, None)
        for made in (token_file, second_file):
            if made:
                made.unlink(missing_ok=True)


def _token_file(token: str) -> Path:
    """A new file readable by its owner only (mkstemp's 0600) holding ``token``: a run reads it with
    --token-file, and the token never shows on the terminal or in a CI log."""
    import os
    import tempfile

    handle, path = tempfile.mkstemp(prefix="conformance-serve-", suffix=".token")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(token)
    return Path(path)


def _exposure_warning(host: str, modes: list[str]) -> str | None:
    """A warning when the server listens beyond loopback and anyone may call it."""
    import ipaddress

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: it may resolve to anything
        loopback = False
    if loopback or modes:
        return None
    return (
        f"warning: listening on {host} without credentials: anyone who can reach this port can read and "
        "write its data (--token-env, --basic-env or --cookie-env require them)"
    )


def _run_command(
    url: str, token_env: str | None, token_file: Path | None, mode: str, second_file: Path | None
) -> str:
    """The `conformance run` that tests this server: alice's bearer token (by the variable or file it
    is in, never its value), else ``mode`` (basic or cookie: the secret in the variable a run reads),
    bob's from ``second_file`` as the second identity, and the calendar members the cases cannot
    learn over the wire."""
    import shlex

    from conformance.server.seed import SECOND_FORBIDDEN_ENV, calendar_member_env, second_forbidden_member

    members = [f"{env}={member}" for env, member in calendar_member_env().items() if member]
    if token_env:
        source = ["--token-env", token_env]
    elif token_file:
        source = ["--token-file", str(token_file)]
    else:
        source = ["--auth", mode]
    if second_file:
        forbidden = second_forbidden_member()
        members += [f"{SECOND_FORBIDDEN_ENV}={forbidden}"] if forbidden else []
        source += ["--second-token-file", str(second_file)]
    return shlex.join([*members, "conformance", "run", "--target", url, *source])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _secret(variable: str, option: str) -> str:
    import os

    value = os.environ.get(variable)
    if not value:
        raise click.UsageError(f"{option} {variable}: that environment variable is empty or unset")
    return value


def _user_secrets(variables: tuple[str, ...], option: str) -> dict[str, str]:
    """login -> secret from variables holding login:secret (the secret is never shown)."""
    from conformance.server.auth import user_secret

    found = {}
    for variable in variables:
        try:
            login, secret = user_secret(_secret(variable, option))
        except ValueError:
            raise click.UsageError(f"{option} {variable}: expected login:secret in that variable") from None
        found[login] = secret
    return found


main.add_command(run_command)
main.add_command(__import__("conformance.runner.cleanup", fromlist=["cleanup_command"]).cleanup_command)
main.add_command(__import__("conformance.runner.listing", fromlist=["cases_command"]).cases_command)
main.add_command(__import__("conformance.report.commands", fromlist=["baseline"]).baseline)
main.add_command(__import__("conformance.report.commands", fromlist=["diff_command"]).diff_command)
main.add_command(merge_command)
main.add_command(__import__("conformance.clientjudge.command", fromlist=["x"]).judge_client_command)
main.add_command(__import__("conformance.report.commands", fromlist=["x"]).reproduce_command)


@main.command()
@click.argument("name")
@click.option(
    "--results", type=click.Path(path_type=Path, dir_okay=False), default=Path("reports/results.json"),
    show_default=True, help="A run's results.json: its case NAME, or its cases that failed check NAME.",
)  # fmt: skip
def explain(name: str, results: Path) -> None:
    """What a check verifies, where the spec says so, a typical cause and its fix. NAME: a check (as
    a report's "violated" names it, e.g. json-schema) or the id of a case of the run's results."""
    from conformance.judge.checks import CHECKS
    from conformance.judge.explain import explanation_lines
    from conformance.results import NOT_PASSED, ResultsError, load_run

    try:
        cases = load_run(results).cases if results.is_file() else ()
    except ResultsError as exc:
        raise click.UsageError(str(exc)) from None
    case = next((c for c in cases if c.id == name), None)
    if case is not None:
        click.echo(f"{case.id}: {case.outcome} [{case.level.upper()} {case.section}]")
        if case.message:
            click.echo(f"  {case.message.splitlines()[0]}")
        name = case.violated
        if not name:
            return
    elif name not in CHECKS:
        near = difflib.get_close_matches(name, [*CHECKS, *(c.id for c in cases)], n=3)
        hint = f"did you mean {', '.join(near)}? " if near else ""
        raise click.UsageError(f"no check or case {name!r} ({hint}checks: {', '.join(sorted(CHECKS))})")
    click.echo("\n".join(explanation_lines(name)))
    failed = [c for c in cases if c.violated == name and c.outcome in NOT_PASSED]
    if failed and case is None:
        click.echo(f"failed in {results}: {len(failed)} case(s)")
        click.echo("\n".join(f"  {c.id} [{c.level.upper()} {c.section}]" for c in failed[:20]))


@main.command()
@click.option(
    "--fault", "faults", multiple=True, metavar="NAME", help="Only these catalogue entries (repeatable)."
)
@click.option(
    "--profile", default="quick", type=click.Choice(["quick", "default", "thorough"]), show_default=True
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Also write the table (markdown) here."
)
def selftest(faults: tuple[str, ...], profile: str, out: Path | None) -> None:
    """Run the cases against the reference server behind each fault of the catalogue (and each benign
    variation) and print the detection table. Exit 1 when a fault goes undetected or a benign
    variation fails a MUST case."""
    from conformance.faults import CATALOGUE
    from conformance.selftest import detect, table

    names = [entry.name for entry in CATALOGUE]
    unknown = sorted(set(faults) - set(names))
    if unknown:
        raise click.UsageError(f"no such fault: {', '.join(unknown)} (see conformance/faults)")
    detections = []
    for name in faults or names:
        detections.append(detect(name, profile=profile))
        click.echo(f"{name}: {'ok' if detections[-1].ok else 'NOT OK'}", err=True)
    text = table(detections)
    click.echo(text)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    score = sum(d.ok for d in detections)
    click.echo(f"\n{score}/{len(detections)} as expected")
    sys.exit(0 if score == len(detections) else 1)
