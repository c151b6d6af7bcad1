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
