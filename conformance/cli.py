"""The `conformance` command.

Exit codes: 0 success; 1 the command ran but its work failed (e.g. a spec text no longer
matches an erratum); 2 usage or configuration error (bad option, missing file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from conformance import __version__
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
    "--token-env",
    default=None,
    metavar="VAR",
    help="Require 'Authorization: Bearer <token>' on every endpoint, the token read from "
    "this environment variable (never from the command line).",
)
def serve(host: str, port: int, db_path: Path | None, seed_data: bool, token_env: str | None) -> None:
    """Run the reference server until interrupted, printing its URL."""
    import os
    import threading

    from conformance.server import ReferenceServer

    token = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise click.UsageError(f"--token-env {token_env}: that environment variable is empty or unset")
    try:
        server = ReferenceServer(db_path, token=token, seed_data=seed_data, host=host, port=port)
        server.__enter__()
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"reference server listening on {server.url}  (Ctrl-C to stop)")
    if token is None:
        click.echo(
            "CSOM endpoints are anonymous; the REST calendar token is in ReferenceServer.token "
            "(pass --token-env to choose it)"
        )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.__exit__(None, None, None)
